import * as fs from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/** Debian's chromium, which `.ci/run` installs when it is missing (Playwright's own browser downloads are not used). */
export const CHROMIUM_PATH = process.env.BOSUN_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Flags for a headless chromium on a machine without a network: no sandbox (CI runs as root), no GPU, and none of the
 * background connections (component updates, sync, QUIC probes) that a closed network refuses noisily.
 */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Launches Debian's chromium through Playwright. Playwright gives every launch a new, empty user-data-dir (and removes
 * it on close); it refuses a `--user-data-dir` argument.
 *
 * @example
 * const browser = await launchChromium();
 */
export async function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM_PATH)) {
    throw new Error(`chromium not found at ${CHROMIUM_PATH}: install Debian's chromium (apt-get install chromium, as .ci/run does) or set BOSUN_CHROMIUM`);
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
}
