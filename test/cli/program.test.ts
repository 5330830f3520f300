import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { bosun } from './support';

describe('bosun (argument parsing and exit codes)', () => {
  let emptyDir: string;

  beforeAll(async () => {
    emptyDir = await mkdtemp(path.join(tmpdir(), 'bosun-empty-'));
  });

  afterAll(async () => {
    await rm(emptyDir, { recursive: true, force: true });
  });

  it('prints help with exit status 0', async () => {
    const result = await bosun(['--help']);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: bosun [options] [command]');
    for (const command of ['publish', 'status', 'task', 'dlq', 'pause', 'resume', 'drain', 'move', 'flags', 'console', 'dev']) expect(result.stdout).toContain(command);
  });

  it.each([['status'], ['task'], ['publish'], ['dlq', 'peek'], ['dlq', 'redrive'], ['flags', 'show'], ['flags', 'validate'], ['flags', 'explain'], ['pause'], ['resume'], ['drain'], ['move'], ['console'], ['dev']])(
    'has --help on %s %s',
    async (...command) => {
      const result = await bosun([...command.filter((part) => part !== undefined), '--help']);

      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`Usage: bosun ${command.join(' ')}`);
    },
  );

  it.each([['--version'], ['-V']])("prints the package's version with %s and exit status 0", async (flag) => {
    const { version } = JSON.parse(await readFile('package.json', 'utf8')) as { version: string };

    const result = await bosun([flag]);

    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${version}\n`);
  });

  it('exits 2 for an option value commander rejects', async () => {
    const result = await bosun(['dlq', 'redrive', 'default', '--rate', 'fast']);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain("error: option '--rate <n>' argument 'fast' is invalid. expected a number greater than 0 (given \"fast\")");
  });

  it('prints help on standard error with exit status 2 when no command is given', async () => {
    const result = await bosun([]);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Usage: bosun [options] [command]');
  });

  it('exits 2 for an unknown command', async () => {
    const result = await bosun(['sttaus']);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain("error: unknown command 'sttaus'");
  });

  it('exits 2 for a missing argument', async () => {
    const result = await bosun(['task']);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain("error: missing required argument 'id'");
  });

  it('exits 2 for an unknown option', async () => {
    const result = await bosun(['status', '--colour']);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain("error: unknown option '--colour'");
  });

  it('exits 1 with a clear message when no local platform is running', async () => {
    const result = await bosun(['status', '--data-dir', emptyDir]);

    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `error: no local platform is running: start it with \`npm start\` (looked for ${path.join(emptyDir, 'platform.json')}; ` +
        'use --data-dir if it runs with another data directory, or --aws to target a deployed stack)\n',
    );
  });

  it('also prints the error as JSON on stdout with --json', async () => {
    const result = await bosun(['status', '--data-dir', emptyDir, '--json']);

    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toEqual({
      error: { name: 'CliPlatformNotRunningError', message: expect.stringContaining('no local platform is running') },
    });
  });

  it('runs as a real process through cli/main.ts and sets the exit status', () => {
    const child = spawnSync(path.resolve('node_modules/.bin/tsx'), ['cli/main.ts', 'task', 'X', '--data-dir', emptyDir], {
      encoding: 'utf8',
      timeout: 30_000,
    });

    expect(child.status).toBe(1);
    expect(child.stderr).toContain('error: no local platform is running');
  });
});
