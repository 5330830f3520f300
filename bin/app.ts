#!/usr/bin/env node
import { createBosunApp } from '../lib/stacks/bosun-app';

createBosunApp();
