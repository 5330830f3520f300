import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { LocalPlatformNotRunningError, taskClientOptionsFromPlatform } from '../../lib/sdk';
import { LocalPlatformRunningError } from '../../local/errors';
import { startLocalPlatform } from '../../local/local-platform';
import { PLATFORM_LOCK_FILE, acquirePlatformLock } from '../../local/platform-lock';
import { bosun } from '../cli/support';

/** A pid that certainly belonged to a process that has exited: a child that ran and ended. */
async function exitedPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}

/** A live process other than this one, killed at the end of the test. */
function liveProcess(): { pid: number; kill(): void } {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => undefined, 60_000)'], { stdio: 'ignore' });
  return { pid: child.pid!, kill: () => child.kill('SIGKILL') };
}

/** A platform.json as a platform started by `pid` wrote it (its emulators long gone). */
function leftoverDescription(dataDir: string, pid: number): string {
  const file = path.join(dataDir, 'platform.json');
  writeFileSync(
    file,
    JSON.stringify({
      stage: 'local',
      region: 'us-east-1',
      endpoints: { sqs: 'http://127.0.0.1:9', s3: 'http://127.0.0.1:9', dynamodb: 'http://127.0.0.1:9' },
      routingFile: 'routing.json',
      outputs: { QueueNames: '["default"]', DefaultQueueUrl: 'http://127.0.0.1:9/q', TableName: 't' },
      pid,
    }),
  );
  return file;
}

describe('the data directory lock', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'bosun-lock-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('refuses a second local platform on the same data directory, naming the pid that runs there, before doing anything', async () => {
    const other = liveProcess();
    try {
      writeFileSync(path.join(dataDir, PLATFORM_LOCK_FILE), `${other.pid}\n`);
      const description = leftoverDescription(dataDir, other.pid);
      const before = readFileSync(description, 'utf8');

      const started = Date.now();
      await expect(startLocalPlatform({ dataDir, projectRoot: path.resolve(__dirname, '..', '..') })).rejects.toThrow(
        new LocalPlatformRunningError(dataDir, other.pid),
      );

      expect(Date.now() - started).toBeLessThan(2_000);
      expect(new LocalPlatformRunningError(dataDir, other.pid).message).toBe(
        `a local platform already runs on ${dataDir} (pid ${other.pid}); stop it (Ctrl-C in its terminal) or start this one with another --data-dir`,
      );
      expect(readFileSync(description, 'utf8')).toBe(before);
      expect(readFileSync(path.join(dataDir, PLATFORM_LOCK_FILE), 'utf8')).toBe(`${other.pid}\n`);
    } finally {
      other.kill();
    }
  });

  it('replaces a lock left by a process that exited, says whose it was, and releases only its own', async () => {
    const dead = await exitedPid();
    writeFileSync(path.join(dataDir, PLATFORM_LOCK_FILE), `${dead}\n`);

    const lock = acquirePlatformLock(dataDir);

    expect(lock.replacedPid).toBe(dead);
    expect(readFileSync(lock.file, 'utf8')).toBe(`${process.pid}\n`);
    expect(() => acquirePlatformLock(dataDir)).toThrow(new LocalPlatformRunningError(dataDir, process.pid));
    lock.release();
    expect(existsSync(lock.file)).toBe(false);
    expect(acquirePlatformLock(dataDir).replacedPid).toBeUndefined();
  });
});

describe('a platform.json left by a process that exited', () => {
  let dataDir: string;
  let dead: number;
  beforeEach(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'bosun-stale-'));
    dead = await exitedPid();
    leftoverDescription(dataDir, dead);
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('makes the CLI say the platform is not running, with exit status 1, rather than ECONNREFUSED', async () => {
    const result = await bosun(['status', '--data-dir', dataDir]);

    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `error: the local platform is not running (platform.json from pid ${dead}, which has exited) — start it with \`npm start\` (read ${path.join(dataDir, 'platform.json')})\n`,
    );
  });

  it('makes the SDK say so too', () => {
    const file = path.join(dataDir, 'platform.json');

    expect(() => taskClientOptionsFromPlatform({ dataDir, env: {} })).toThrow(new LocalPlatformNotRunningError(file, { exitedPid: dead }));
    expect(() => taskClientOptionsFromPlatform({ dataDir, env: {} })).toThrow(
      `the local platform is not running (${file} is from pid ${dead}, which has exited) — start it with \`npm start\``,
    );
  });
});
