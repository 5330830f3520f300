import { request as httpRequest } from 'node:http';
import { runCli } from '../../cli/cli';
import { loadLocalPlatform } from '../../cli/platform';
import type { PlatformResponse } from '../../console/server/api-types';
import { type TestPlatform, bufferIo, createTestPlatform } from './support';

const URL_LINE = /^Bosun console: (http:\/\/127\.0\.0\.1:(\d+)\/\?token=([A-Za-z0-9_-]{43}))$/m;

/** A GET with the token header; resolves with the status and body, or rejects when nothing listens. */
function getJson(port: number, path: string, token: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest({ host: '127.0.0.1', port, path, agent: false, headers: { 'X-Bosun-Token': token } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown }));
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

/**
 * Runs `bosun console` in-process until `whileRunning` has used the printed URL, then stops it as Ctrl-C would.
 */
async function runConsole<T>(
  argv: readonly string[],
  whileRunning: (url: { port: number; token: string }) => Promise<T>,
  deps: Parameters<typeof runCli>[1] extends infer D ? Omit<D, 'io' | 'untilStopped'> : never = {},
): Promise<{ code: number; stdout: string; stderr: string; seen: T; port: number }> {
  const io = bufferIo();
  let seen: T | undefined;
  let port = 0;
  const untilStopped = async (): Promise<void> => {
    const match = URL_LINE.exec(io.stdout());
    if (match === null) throw new Error(`no console URL in: ${io.stdout()}`);
    port = Number(match[2]);
    seen = await whileRunning({ port, token: match[3]! });
  };
  const code = await runCli(argv, { ...deps, io, untilStopped });
  return { code, stdout: io.stdout(), stderr: io.stderr(), seen: seen as T, port };
}

describe('bosun console', () => {
  let platform: TestPlatform;

  beforeAll(async () => {
    platform = await createTestPlatform('console');
  });

  afterAll(async () => {
    await platform.destroy();
  });

  it('serves the local platform on a random loopback port, prints the URL with its token, and stops on Ctrl-C', async () => {
    const run = await runConsole(['console', '--data-dir', platform.dataDir], ({ port, token }) => getJson(port, '/api/platform', token));

    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(URL_LINE);
    expect(run.stdout).toContain('serving the local platform (stage local');
    expect(run.port).toBeGreaterThan(0);
    expect(run.seen).toEqual({
      status: 200,
      body: {
        target: 'local',
        stage: 'local',
        region: expect.any(String),
        actionsAllowed: true,
        queues: [
          { name: 'default', hasDlq: true },
          { name: 'bulk', hasDlq: true },
        ],
      } satisfies PlatformResponse,
    });
    await expect(getJson(run.port, '/api/platform', 'x')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('gives every run a new token', async () => {
    const first = await runConsole(['console', '--data-dir', platform.dataDir], async ({ token }) => token);
    const second = await runConsole(['console', '--data-dir', platform.dataDir], async ({ token }) => token);

    expect(first.seen).not.toBe(second.seen);
  });

  it('against AWS, is read-only unless --allow-actions', async () => {
    const aws = { loadPlatform: async () => ({ ...(await loadLocalPlatform(platform.dataDir)), target: 'aws' as const }) };
    const platformInfo = ({ port, token }: { port: number; token: string }): Promise<{ status: number; body: unknown }> =>
      getJson(port, '/api/platform', token);

    const readOnly = await runConsole(['console', '--aws'], platformInfo, aws);
    const allowed = await runConsole(['console', '--aws', '--allow-actions'], platformInfo, aws);

    expect(readOnly.seen.body).toMatchObject({ target: 'aws', actionsAllowed: false });
    expect(readOnly.stdout).toContain('read-only (start with --allow-actions to redrive and delete)');
    expect(allowed.seen.body).toMatchObject({ target: 'aws', actionsAllowed: true });
  });

  it.each([
    [['--port', 'abc'], "--port must be a whole number from 0 to 65535, 0 for a free one (given abc)"],
    [['--port', '70000'], '--port must be a whole number from 0 to 65535, 0 for a free one (given 70000)'],
    [['--host', '0.0.0.0'], "unknown option '--host'"],
  ])('refuses %j as a usage error (exit 2)', async (args, message) => {
    const io = bufferIo();

    const code = await runCli(['console', ...args, '--data-dir', platform.dataDir], { io, untilStopped: () => Promise.resolve() });

    expect(code).toBe(2);
    expect(io.stderr()).toContain(message);
    expect(io.stdout()).not.toContain('Bosun console:');
  });
});
