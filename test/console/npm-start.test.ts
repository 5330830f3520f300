import * as fs from 'node:fs';
import { request as httpRequest } from 'node:http';
import * as path from 'node:path';
import type { OverviewResponse, PlatformResponse } from '../../console/server/api-types';
import { runLocalPlatform } from '../../local/run-local-platform';

const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
const DATA_DIR = path.join(PROJECT_ROOT, '.bosun', 'console-start');
const URL_LINE = /^Bosun console: http:\/\/127\.0\.0\.1:(\d+)\/\?token=([A-Za-z0-9_-]{43})$/;

jest.setTimeout(180_000);

function getJson<T>(port: number, pathAndQuery: string, token: string): Promise<{ status: number; body: T }> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest({ host: '127.0.0.1', port, path: pathAndQuery, agent: false, headers: { 'X-Bosun-Token': token } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as T }));
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

describe('npm start', () => {
  it("prints the console's URL, serves the platform's queues there while it runs, and stops the console with the platform", async () => {
    fs.mkdirSync(DATA_DIR, { recursive: true });
    const lines: string[] = [];
    let stop: () => void = () => undefined;
    const until = new Promise<void>((resolve) => {
      stop = resolve;
    });
    let seen: { platform: PlatformResponse; overview: OverviewResponse; port: number; token: string } | undefined;
    let failure: unknown;
    const print = (text: string): void => {
      lines.push(text);
      const match = URL_LINE.exec(text);
      if (match === null) return;
      const [port, token] = [Number(match[1]), match[2]!];
      void (async () => {
        try {
          const platform = await getJson<PlatformResponse>(port, '/api/platform', token);
          const overview = await getJson<OverviewResponse>(port, '/api/overview', token);
          seen = { platform: platform.body, overview: overview.body, port, token };
        } catch (error) {
          failure = error;
        } finally {
          stop();
        }
      })();
    };

    const code = await runLocalPlatform({ projectRoot: PROJECT_ROOT, dataDir: DATA_DIR, demo: false, print, until, log: () => undefined });

    expect(failure).toBeUndefined();
    expect(code).toBe(0);
    expect(lines.filter((line) => URL_LINE.test(line))).toHaveLength(1);
    expect(seen?.platform).toMatchObject({ target: 'local', actionsAllowed: true });
    const queues = seen!.platform.queues.map((queue) => queue.name);
    expect(queues).toEqual(expect.arrayContaining(['default', 'bulk']));
    expect(seen!.overview.queues.map((queue) => queue.name)).toEqual(queues);
    await expect(getJson(seen!.port, '/api/platform', seen!.token)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
