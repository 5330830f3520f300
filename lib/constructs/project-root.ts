import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The nearest folder at or above `from` holding a `package-lock.json`: the root consumer entries and the lockfile are
 * resolved against, whether this code runs from `lib/` (tsx, jest) or `dist/lib/` (compiled).
 *
 * @example
 * const root = findProjectRoot(__dirname);
 */
export function findProjectRoot(from: string): string {
  let dir = from;
  for (;;) {
    if (existsSync(join(dir, 'package-lock.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return from;
    dir = parent;
  }
}
