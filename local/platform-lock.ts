import * as fs from 'node:fs';
import * as path from 'node:path';
import { processIsAlive } from '../lib/sdk/platform-options';
import { LocalPlatformRunningError } from './errors';

/** The lock file a running local platform holds in its data directory: the pid of its process, one line. */
export const PLATFORM_LOCK_FILE = 'platform.lock';

/** A held data-directory lock. */
export interface PlatformLock {
  /** The lock file. */
  readonly file: string;
  /** The pid named by a lock left over by a process that exited without releasing it, which this one replaced. */
  readonly replacedPid?: number;
  /** Removes the lock, if it is still this process's. Calling it again does nothing. */
  release(): void;
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Takes the data directory's lock for this process, so one data directory has one running platform. The lock file is
 * created whole (written aside, then hard-linked into place, which fails if it exists), so a reader never sees it
 * empty. A lock naming a live process refuses; one naming a process that has exited (a platform killed with SIGKILL)
 * is replaced, and `replacedPid` says whose it was.
 *
 * @throws LocalPlatformRunningError naming the pid when a live process holds the lock.
 * @example
 * const lock = acquirePlatformLock('.bosun/local');
 * try { ... } finally { lock.release(); }
 */
export function acquirePlatformLock(dataDir: string): PlatformLock {
  const file = path.join(dataDir, PLATFORM_LOCK_FILE);
  const aside = `${file}.${process.pid}.${Date.now()}`;
  fs.writeFileSync(aside, `${process.pid}\n`);
  let replacedPid: number | undefined;
  try {
    // Two attempts: the second follows the removal of a stale lock.
    for (let attempt = 0; attempt < 2; attempt += 1) {
      try {
        fs.linkSync(aside, file);
        let released = false;
        return {
          file,
          ...(replacedPid === undefined ? {} : { replacedPid }),
          release: () => {
            if (released) return;
            released = true;
            if (readPid(file) === process.pid) fs.rmSync(file, { force: true });
          },
        };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = readPid(file);
      if (holder !== undefined && processIsAlive(holder)) throw new LocalPlatformRunningError(dataDir, holder);
      replacedPid = holder;
      fs.rmSync(file, { force: true });
    }
    // Another starter took the lock between the removal of the stale one and this attempt.
    throw new LocalPlatformRunningError(dataDir, readPid(file) ?? 0);
  } finally {
    fs.rmSync(aside, { force: true });
  }
}
