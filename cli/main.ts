#!/usr/bin/env node
import { processIo } from './output';
import { runCli } from './cli';

runCli(process.argv.slice(2), { io: processIo() }).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
