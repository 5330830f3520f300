import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Name of this package in its `package.json`. */
const PACKAGE_NAME = 'bosun';

/**
 * The version of the installed `bosun` package: read from the nearest `package.json` named `bosun` at or above
 * `from`, so it is right whether the CLI runs from `cli/` (tsx) or `dist/cli/` (compiled, installed).
 *
 * @example
 * program.version(packageVersion());
 */
export function packageVersion(from: string = __dirname): string {
  let dir = from;
  for (;;) {
    try {
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
      if (manifest.name === PACKAGE_NAME && typeof manifest.version === 'string') return manifest.version;
    } catch {
      // no package.json here (or not JSON): keep walking up
    }
    const parent = dirname(dir);
    if (parent === dir) return 'unknown';
    dir = parent;
  }
}
