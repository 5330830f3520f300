import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DeleteObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import * as fs from 'node:fs';
import { type IncomingHttpHeaders, request as httpRequest } from 'node:http';
import * as path from 'node:path';
import { type CliClients, createCliClients } from '../../cli/clients';
import { type Platform, loadLocalPlatform } from '../../cli/platform';
import type {
  ApiErrorBody,
  DlqListResponse,
  FlagsExplainResponse,
  FlagsResponse,
  FlagsValidateResponse,
  JobAccepted,
  JobStatus,
  OverviewResponse,
  PayloadResponse,
  PlatformResponse,
  TaskResponse,
} from '../../console/server/api-types';
import { type RunningConsoleServer, startConsoleServer } from '../../console/server/console-server';
import { loadConsoleAssets } from '../../console/web/assets';
import { CONSOLE_AWS_ACCESS, type TaskStateItem } from '../../lib/contract';
import type { TaskClient } from '../../lib/sdk/task-client';
import { LOCAL_CREDENTIALS } from '../../local/emulators';
import { type RunningLocalPlatform, startLocalPlatform } from '../../local/local-platform';
import { createPlatformTaskClient } from '../../local/platform-client';

// One local platform for the suite (real fauxqs, DynamoDB Local, consumers and pollers), with short visibility
// timeouts so a failing task reaches its DLQ in seconds, and one console server on it, spoken to over loopback HTTP.
const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
const DATA_DIR = path.join(PROJECT_ROOT, '.bosun', 'console-api');

let platform: RunningLocalPlatform;
let cliPlatform: Platform;
let clients: CliClients;
let client: TaskClient;
let s3: S3Client;
let server: RunningConsoleServer;

jest.setTimeout(180_000);

beforeAll(async () => {
  fs.mkdirSync(DATA_DIR, { recursive: true });
  fs.rmSync(path.join(DATA_DIR, 'routing.json'), { force: true });
  platform = await startLocalPlatform({
    projectRoot: PROJECT_ROOT,
    dataDir: DATA_DIR,
    log: () => undefined,
    visibilityTimeoutSeconds: 2,
    maxConcurrency: 3,
    functionTimeoutSeconds: 20,
  });
  client = createPlatformTaskClient(platform);
  s3 = new S3Client({
    region: platform.description.region,
    credentials: LOCAL_CREDENTIALS,
    endpoint: platform.description.endpoints.s3,
    forcePathStyle: true,
  });
  cliPlatform = await loadLocalPlatform(DATA_DIR);
  clients = createCliClients(cliPlatform);
  server = await startConsoleServer({ platform: cliPlatform, clients, actionsAllowed: true, overviewIntervalMs: 1000, assets: loadConsoleAssets });
}, 180_000);

afterAll(async () => {
  await server?.close();
  clients?.destroy();
  s3?.destroy();
  await platform?.stop();
});

interface Answer<T> {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
  json(): T;
}

/** One HTTP request to a console server, with full control of the headers a browser would send (Host, Origin). */
function call<T = unknown>(
  target: RunningConsoleServer,
  method: string,
  pathAndQuery: string,
  options: { readonly headers?: Record<string, string>; readonly body?: unknown; readonly token?: string | null } = {},
): Promise<Answer<T>> {
  const body = options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  const token = options.token === undefined ? target.token : options.token;
  const headers: Record<string, string> = {
    Host: `127.0.0.1:${target.port}`,
    ...(token === null ? {} : { 'X-Bosun-Token': token }),
    ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    ...options.headers,
  };
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest({ host: '127.0.0.1', port: target.port, method, path: pathAndQuery, headers, setHost: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: response.statusCode ?? 0, headers: response.headers, text, json: () => JSON.parse(text) as T });
      });
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

const get = <T>(pathAndQuery: string): Promise<Answer<T>> => call<T>(server, 'GET', pathAndQuery);
const post = <T>(pathAndQuery: string, body: unknown): Promise<Answer<T>> => call<T>(server, 'POST', pathAndQuery, { body });

async function waitFor<T>(what: string, read: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await read();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function waitForStatus(taskId: string, status: string): Promise<TaskStateItem> {
  return waitFor(`task ${taskId} to be ${status}`, async () => {
    const item = await client.getTask(taskId);
    return item?.status === status ? item : undefined;
  });
}

async function listedMessage(queue: string, taskId: string): Promise<DlqListResponse['messages'][number]> {
  return waitFor(`task ${taskId} in the DLQ listing`, async () => {
    const answer = await get<DlqListResponse>(`/api/dlq/${queue}?limit=1000`);
    return answer.json().messages.find((message) => message.taskId === taskId);
  });
}

async function waitForJob(jobId: string): Promise<JobStatus> {
  return waitFor(`job ${jobId} to finish`, async () => {
    const job = (await get<JobStatus>(`/api/jobs/${jobId}`)).json();
    return job.state === 'running' ? undefined : job;
  });
}

/** Reads Server-Sent Events from `/api/events` until `until` says it has what it needs. */
function readEvents(
  until: (events: readonly { event: string; data: unknown }[]) => boolean,
  timeoutMs = 60_000,
): Promise<{ event: string; data: unknown }[]> {
  return new Promise((resolve, reject) => {
    const events: { event: string; data: unknown }[] = [];
    const outgoing = httpRequest(
      { host: '127.0.0.1', port: server.port, path: `/api/events?token=${server.token}`, headers: { Host: `localhost:${server.port}` }, setHost: false },
      (response) => {
        let buffer = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          buffer += chunk;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const event = /^event: (.*)$/m.exec(block)?.[1];
            const data = /^data: (.*)$/m.exec(block)?.[1];
            if (event !== undefined && data !== undefined) events.push({ event, data: JSON.parse(data) as unknown });
          }
          if (until(events)) {
            clearTimeout(timer);
            outgoing.destroy();
            resolve(events);
          }
        });
      },
    );
    const timer = setTimeout(() => {
      outgoing.destroy();
      reject(new Error(`the events did not arrive in time (got ${events.map((e) => e.event).join(', ') || 'none'})`));
    }, timeoutMs);
    outgoing.on('error', (error) => {
      if (!events.length) reject(error);
    });
    outgoing.end();
  });
}

describe('the console API against the local platform', () => {
  describe('security', () => {
    it('serves the page at the printed URL on 127.0.0.1 with the security headers', async () => {
      expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${server.token}`);

      const page = await call(server, 'GET', `/?token=${server.token}`, { token: null });

      expect(page.status).toBe(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      expect(page.headers).toMatchObject({
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
        'x-frame-options': 'DENY',
      });
      expect(page.headers['content-security-policy']).toContain("default-src 'self'");
    });

    it('sets an HttpOnly, SameSite=Strict cookie with the page, which a reload of the page and its files may use but the API never accepts', async () => {
      const page = await call(server, 'GET', `/?token=${server.token}`, { token: null });
      const cookie = `bosun_console_${server.port}=${server.token}`;
      const reload = await call(server, 'GET', '/', { token: null, headers: { Cookie: cookie } });
      const script = await call(server, 'GET', '/app.js', { token: null, headers: { Cookie: cookie } });
      const api = await call<ApiErrorBody>(server, 'GET', '/api/platform', { token: null, headers: { Cookie: cookie } });
      const wrong = await call(server, 'GET', '/', { token: null, headers: { Cookie: `bosun_console_${server.port}=not-the-token` } });
      const otherPort = await call(server, 'GET', '/', { token: null, headers: { Cookie: `bosun_console_1=${server.token}` } });

      expect(page.headers['set-cookie']).toEqual([`${cookie}; HttpOnly; SameSite=Strict; Path=/`]);
      expect(reload.status).toBe(200);
      expect(reload.text).toContain(`src="/app.js?token=${server.token}"`);
      expect(script.status).toBe(200);
      expect(api.status).toBe(403);
      expect(api.json().error.message).toMatch(/token is missing/);
      expect(wrong.status).toBe(403);
      expect(otherPort.status).toBe(403);
    });

    it("adds the token to the page's references to the app's files, which need it too", async () => {
      const page = await call(server, 'GET', `/?token=${server.token}`, { token: null });
      const script = await call(server, 'GET', `/app.js?token=${server.token}`, { token: null });
      const withoutToken = await call<ApiErrorBody>(server, 'GET', '/app.js', { token: null });

      expect(page.text).toContain(`src="/app.js?token=${server.token}"`);
      expect(page.text).toContain(`href="/app.css?token=${server.token}"`);
      expect(script.status).toBe(200);
      expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
      expect(withoutToken.status).toBe(403);
      expect(withoutToken.json().error.code).toBe('forbidden');
    });

    it('never adds the token to a reference to another origin', async () => {
      const html = '<script src="/app.js"></script><script src="//elsewhere.example/x.js"></script><a href="https://elsewhere.example/">x</a>';
      const other = await startConsoleServer({
        platform: cliPlatform,
        clients,
        actionsAllowed: true,
        assets: async () => new Map([['/', { contentType: 'text/html; charset=utf-8', body: Buffer.from(html) }]]),
      });
      try {
        const page = await call(other, 'GET', `/?token=${other.token}`, { token: null });

        expect(page.text).toBe(
          `<script src="/app.js?token=${other.token}"></script><script src="//elsewhere.example/x.js"></script><a href="https://elsewhere.example/">x</a>`,
        );
      } finally {
        await other.close();
      }
    });

    it.each([
      ['no token', { token: null }, /token is missing/],
      ['a wrong token', { token: 'not-the-token' }, /token is wrong/],
      ['a DNS-rebinding Host', { headers: { Host: `attacker.example:0` } }, /Host header must be 127\.0\.0\.1:\d+ or localhost:\d+ \(given "attacker\.example:0"\)/],
      ['a foreign Origin', { headers: { Origin: 'http://attacker.example' } }, /Origin must be .* \(given "http:\/\/attacker\.example"\)/],
    ] as const)('refuses a request with %s (403), with a JSON error and the security headers', async (_label, options, message) => {
      const answer = await call<ApiErrorBody>(server, 'GET', '/api/platform', options);

      expect(answer.status).toBe(403);
      expect(answer.json().error).toEqual({ code: 'forbidden', message: expect.stringMatching(message) });
      expect(answer.text).not.toContain(server.token);
      expect(answer.headers['x-frame-options']).toBe('DENY');
    });

    it('refuses a POST that is not application/json (a cross-site form), and names what it got', async () => {
      const answer = await call<ApiErrorBody>(server, 'POST', '/api/flags/validate', {
        body: 'document=x',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      });

      expect(answer.status).toBe(403);
      expect(answer.json().error.message).toBe('a POST must have Content-Type: application/json (given "application/x-www-form-urlencoded")');
    });

    it('accepts the token in the query (EventSource) and the localhost name', async () => {
      const answer = await call<PlatformResponse>(server, 'GET', `/api/platform?token=${server.token}`, {
        token: null,
        headers: { Host: `localhost:${server.port}`, Origin: `http://localhost:${server.port}` },
      });

      expect(answer.status).toBe(200);
      expect(answer.json()).toEqual({
        target: 'local',
        stage: 'local',
        region: platform.description.region,
        actionsAllowed: true,
        queues: cliPlatform.queues.map((queue) => ({ name: queue.name, hasDlq: true })),
      });
    });

    it('against AWS without --allow-actions, refuses redrive and delete and leaves the DLQ as it was', async () => {
      const { taskId } = await client.publish('demo.reject', { reason: 'read-only console' });
      const listed = await listedMessage('default', taskId);
      const readOnly = await startConsoleServer({ platform: { ...cliPlatform, target: 'aws' }, clients, actionsAllowed: false });
      try {
        const info = await call<PlatformResponse>(readOnly, 'GET', '/api/platform');
        const redrive = await call<ApiErrorBody>(readOnly, 'POST', '/api/dlq/default/redrive', { body: { messageIds: [listed.messageId] } });
        const remove = await call<ApiErrorBody>(readOnly, 'POST', '/api/dlq/default/delete', { body: { messageIds: [listed.messageId], confirm: true } });

        expect(info.json()).toMatchObject({ target: 'aws', actionsAllowed: false });
        expect([redrive.status, remove.status]).toEqual([403, 403]);
        expect(redrive.json().error).toEqual({ code: 'actions-not-allowed', message: expect.stringContaining('--allow-actions') });
        expect(remove.json().error.code).toBe('actions-not-allowed');
        expect((await listedMessage('default', taskId)).messageId).toBe(listed.messageId);
        expect((await client.getTask(taskId))?.status).toBe('dead');
      } finally {
        await readOnly.close();
      }
    });
  });

  it('shows every queue of the platform with its DLQ, and an hour of throughput minute by minute', async () => {
    const { taskId } = await client.publish('email.send', { to: 'ada@example.com', subject: 'Counted' });
    await waitForStatus(taskId, 'succeeded');

    const overview = (await get<OverviewResponse>('/api/overview')).json();

    expect(overview.queues.map((queue) => queue.name)).toEqual(cliPlatform.queues.map((queue) => queue.name));
    for (const queue of overview.queues) {
      expect(queue).toEqual(
        expect.objectContaining({ visible: expect.any(Number), inFlight: expect.any(Number), delayed: expect.any(Number), dlq: { visible: expect.any(Number), inFlight: expect.any(Number) } }),
      );
    }
    const { buckets, source } = overview.throughput;
    expect(buckets).toHaveLength(60);
    expect(buckets.map((bucket) => Date.parse(bucket.start) - Date.parse(buckets[0]!.start))).toEqual(buckets.map((_, index) => index * 60_000));
    expect(Date.parse(buckets[59]!.start)).toBeLessThanOrEqual(Date.parse(overview.generatedAt));
    expect(Date.parse(buckets[59]!.start)).toBeGreaterThan(Date.parse(overview.generatedAt) - 60_000);
    expect(buckets.reduce((sum, bucket) => sum + bucket.succeeded, 0)).toBeGreaterThanOrEqual(1);
    expect(source).toContain('task-state table');
  });

  it('lists a dead task in the DLQ with its reason, filters by task and reason, and shows no payload', async () => {
    const { taskId } = await client.publish('demo.reject', { reason: 'listed' });
    await waitForStatus(taskId, 'dead');

    const message = await listedMessage('default', taskId);
    const byTask = (await get<DlqListResponse>('/api/dlq/default?task=demo.reject&limit=1000')).json();
    const otherReason = (await get<DlqListResponse>('/api/dlq/default?reason=attempts-exhausted&limit=1000')).json();
    const future = (await get<DlqListResponse>(`/api/dlq/default?since=${new Date(Date.now() + 3_600_000).toISOString()}`)).json();

    expect(message).toEqual({
      messageId: expect.any(String),
      taskId,
      taskName: 'demo.reject',
      reason: 'non-retryable',
      detail: expect.stringContaining('demo.reject rejects every task (listed)'),
      attempts: 1,
      sourceQueue: expect.any(String),
      sentAt: expect.any(String),
      sizeBytes: expect.any(Number),
      claimChecked: false,
    });
    expect(byTask.messages.map((m) => m.taskId)).toContain(taskId);
    expect(byTask.messages.every((m) => m.taskName === 'demo.reject')).toBe(true);
    expect(byTask.total).toBeGreaterThanOrEqual(1);
    expect(otherReason.messages.map((m) => m.taskId)).not.toContain(taskId);
    expect(future.messages).toEqual([]);
  });

  it('says what was wrong with a DLQ query, an unknown queue, task or job', async () => {
    const badTime = await get<ApiErrorBody>('/api/dlq/default?since=yesterday');
    const badLimit = await get<ApiErrorBody>('/api/dlq/default?limit=0');
    const unknownQueue = await get<ApiErrorBody>('/api/dlq/nope');
    const unknownTask = await get<ApiErrorBody>('/api/tasks/01NOSUCHTASK0000000000000');
    const unknownJob = await get<ApiErrorBody>('/api/jobs/nope');

    expect([badTime.status, badLimit.status, unknownQueue.status, unknownTask.status, unknownJob.status]).toEqual([400, 400, 404, 404, 404]);
    expect(badTime.json().error.message).toBe('since must be an ISO-8601 time such as 2026-11-29T10:00:00Z (given "yesterday")');
    expect(badLimit.json().error.message).toBe('limit must be a whole number from 1 to 1000 (given "0")');
    expect(unknownQueue.json().error).toEqual({
      code: 'queue-unknown',
      message: expect.stringContaining('"nope" is not a queue of this platform'),
      known: cliPlatform.queues.map((queue) => queue.name),
    });
    expect(unknownTask.json().error.code).toBe('task-not-found');
    expect(unknownJob.json().error.code).toBe('job-not-found');
  });

  it('fetches a claim-checked payload from S3 only when asked, and says so clearly when the object is gone', async () => {
    const filler = 'x'.repeat(300 * 1024);
    const { taskId } = await client.publish('demo.reject', { reason: 'large', filler });
    await waitForStatus(taskId, 'dead');
    const message = await listedMessage('default', taskId);

    const answer = await get<PayloadResponse>(`/api/dlq/default/messages/${encodeURIComponent(message.messageId)}/payload`);

    expect(message.claimChecked).toBe(true);
    expect(message.sizeBytes).toBeLessThan(10_000);
    expect(answer.status).toBe(200);
    const payload = answer.json();
    expect(payload.payload).toEqual({ reason: 'large', filler });
    expect(payload.claimCheck).toEqual({ bucket: cliPlatform.bucketName, key: expect.stringContaining(taskId) });

    await s3.send(new DeleteObjectCommand({ Bucket: payload.claimCheck!.bucket, Key: payload.claimCheck!.key }));
    const missing = await get<ApiErrorBody>(`/api/dlq/default/messages/${encodeURIComponent(message.messageId)}/payload`);

    expect(missing.status).toBe(404);
    expect(missing.json().error).toEqual({ code: 'claim-check-missing', message: expect.stringContaining(`s3://${payload.claimCheck!.bucket}/${payload.claimCheck!.key}`) });
  });

  it('shows an inline payload on request', async () => {
    const { taskId } = await client.publish('demo.reject', { reason: 'inline' });
    await waitForStatus(taskId, 'dead');
    const message = await listedMessage('default', taskId);

    const answer = (await get<PayloadResponse>(`/api/dlq/default/messages/${encodeURIComponent(message.messageId)}/payload`)).json();

    expect(answer).toEqual({ messageId: message.messageId, payload: { reason: 'inline' } });
  });

  it('redrives the dead tasks that match a filter, reports progress as events, and the task then succeeds and is found by id', async () => {
    const fixedAt = new Date(Date.now() + 12_000);
    const { taskId } = await client.publish('demo.flaky', { succeedAfter: fixedAt.toISOString() });
    const { taskId: other } = await client.publish('demo.reject', { reason: 'stays' });
    await waitForStatus(taskId, 'dead');
    await waitForStatus(other, 'dead');
    const listed = await listedMessage('default', taskId);
    expect(listed).toMatchObject({ taskName: 'demo.flaky', reason: 'attempts-exhausted', attempts: 3 });
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, fixedAt.getTime() - Date.now() + 500)));

    const events = readEvents((seen) => seen.some((e) => e.event === 'job' && (e.data as JobStatus).state !== 'running'));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const accepted = await post<JobAccepted>('/api/dlq/default/redrive', { filter: { task: 'demo.flaky', reason: 'attempts-exhausted' } });
    expect(accepted.status).toBe(202);
    const job = await waitForJob(accepted.json().jobId);

    expect(job).toMatchObject({ jobId: accepted.json().jobId, kind: 'redrive', queue: 'default', state: 'succeeded', failed: 0 });
    expect(job.result).toMatchObject({ kind: 'redrive', failures: [], unknownOutcomes: [] });
    expect(job.result?.kind === 'redrive' && job.result.redriven).toBeGreaterThanOrEqual(1);
    const seen = await events;
    expect(seen[0]?.event).toBe('overview');
    expect(seen.filter((e) => e.event === 'job').map((e) => (e.data as JobStatus).jobId)).toContain(job.jobId);

    const succeeded = await waitForStatus(taskId, 'succeeded');
    const lookup = await get<TaskResponse>(`/api/tasks/${taskId}`);

    expect(succeeded.status).toBe('succeeded');
    expect(lookup.status).toBe(200);
    expect(lookup.json().task).toMatchObject({ taskId, taskName: 'demo.flaky', status: 'succeeded', result: { succeededOnAttempt: 1 } });
    expect(lookup.json().routing).toMatchObject({ input: { task: 'demo.flaky', taskId }, decision: { destination: 'default' } });
    expect((await client.getTask(other))?.status).toBe('dead');
    expect((await listedMessage('default', other)).taskName).toBe('demo.reject');
  });

  it('redrives selected messages by id and reports the ids it did not find', async () => {
    const { taskId } = await client.publish('demo.reject', { reason: 'by id' });
    await waitForStatus(taskId, 'dead');
    const listed = await listedMessage('default', taskId);

    const accepted = await post<JobAccepted>('/api/dlq/default/redrive', { messageIds: [listed.messageId, 'no-such-message'] });
    const job = await waitForJob(accepted.json().jobId);

    expect(job.result).toMatchObject({ kind: 'redrive', redriven: 1, notFound: ['no-such-message'] });
    // demo.reject rejects again: the redriven copy dies once more, as a new DLQ message.
    await waitFor('the task to be dead again', async () => {
      const item = await client.getTask(taskId);
      return item?.status === 'dead' && item.link !== undefined ? item : undefined;
    });
  });

  it('refuses a redrive that names both or neither of messageIds and filter, and a delete without confirm', async () => {
    const both = await post<ApiErrorBody>('/api/dlq/default/redrive', { messageIds: ['a'], filter: {} });
    const neither = await post<ApiErrorBody>('/api/dlq/default/redrive', {});
    const unconfirmed = await post<ApiErrorBody>('/api/dlq/default/delete', { messageIds: ['a'] });
    const notJson = await call<ApiErrorBody>(server, 'POST', '/api/dlq/default/redrive', { body: '{not json' });

    expect([both.status, neither.status, unconfirmed.status, notJson.status]).toEqual([400, 400, 400, 400]);
    expect(both.json().error.message).toBe('a redrive needs exactly one of messageIds and filter (given both)');
    expect(neither.json().error.message).toBe('a redrive needs exactly one of messageIds and filter (given neither)');
    expect(unconfirmed.json().error.message).toBe('a delete needs confirm: true, since deleted messages cannot be redriven (given confirm undefined)');
    expect(notJson.json().error.message).toMatch(/^the request body is not valid JSON/);
  });

  it('deletes confirmed messages from the DLQ and leaves their task dead', async () => {
    const { taskId } = await client.publish('demo.reject', { reason: 'deleted' });
    await waitForStatus(taskId, 'dead');
    const listed = await listedMessage('default', taskId);

    const accepted = await post<JobAccepted>('/api/dlq/default/delete', { messageIds: [listed.messageId], confirm: true });
    const job = await waitForJob(accepted.json().jobId);
    const after = (await get<DlqListResponse>('/api/dlq/default?task=demo.reject&limit=1000')).json();

    expect(accepted.status).toBe(202);
    expect(job).toMatchObject({ kind: 'delete', state: 'succeeded', result: { kind: 'delete', deleted: [listed.messageId], notFound: [], failures: [] } });
    expect(after.messages.map((m) => m.messageId)).not.toContain(listed.messageId);
    expect((await client.getTask(taskId))?.status).toBe('dead');
  });

  it('reads a platform only with the calls CONSOLE_AWS_ACCESS lists (what grantConsole grants), each on its resources, and uses every one', async () => {
    const recorded = createCliClients(cliPlatform);
    const cloudwatch = new CloudWatchClient({ region: cliPlatform.region });
    mockClient(cloudwatch).on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
    const calls: { action: string; resource: string }[] = [];
    const queues = new Set(cliPlatform.queues.map((queue) => queue.url));
    const dlqs = new Set(cliPlatform.queues.flatMap((queue) => (queue.dlqUrl === undefined ? [] : [queue.dlqUrl])));
    const schedulesDlq = cliPlatform.schedulesDlqUrl;
    const record = (service: string, resourceOf: (input: Record<string, unknown>) => string) =>
      (next: (args: { input: unknown }) => Promise<unknown>, context: { commandName?: string }) =>
        async (args: { input: unknown }) => {
          // A batch call is authorized as its single action (ChangeMessageVisibilityBatch as ChangeMessageVisibility).
          const name = (context.commandName ?? '').replace(/Command$/, '').replace(/Batch$/, '').replace(/^(Get|Put|Update|Delete)$/, '$1Item');
          calls.push({ action: `${service}:${name}`, resource: resourceOf(args.input as Record<string, unknown>) });
          return next(args);
        };
    recorded.sqs.middlewareStack.add(
      record('sqs', (input) => {
        const url = String(input['QueueUrl']);
        return dlqs.has(url) ? 'dlq' : queues.has(url) ? 'queue' : url === schedulesDlq ? 'schedules-dlq' : url;
      }) as never,
      { step: 'initialize', name: 'recordConsoleCalls' },
    );
    recorded.lambda?.middlewareStack.add(record('lambda', () => '*') as never, { step: 'initialize', name: 'recordConsoleCalls' });
    recorded.dynamodb.middlewareStack.add(
      record('dynamodb', (input) => (input['TableName'] === cliPlatform.tableName ? 'table' : String(input['TableName']))) as never,
      { step: 'initialize', name: 'recordConsoleCalls' },
    );
    recorded.s3.middlewareStack.add(
      record('s3', (input) => (input['Bucket'] === cliPlatform.bucketName && String(input['Key']).startsWith('claim-checks/') ? 'claim-checks' : `${String(input['Bucket'])}/${String(input['Key'])}`)) as never,
      { step: 'initialize', name: 'recordConsoleCalls' },
    );
    const big = await client.publish('demo.reject', { reason: 'recorded', filler: 'y'.repeat(300 * 1024) });
    await waitForStatus(big.taskId, 'dead');
    const listed = await listedMessage('default', big.taskId);
    const aws = await startConsoleServer({ platform: { ...cliPlatform, target: 'aws' }, clients: { ...recorded, cloudwatch }, actionsAllowed: false });
    try {
      const answers = await Promise.all([
        call(aws, 'GET', '/api/platform'),
        call(aws, 'GET', '/api/overview'),
        call(aws, 'GET', '/api/dlq/default?task=demo.reject'),
        call(aws, 'GET', `/api/tasks/${big.taskId}`),
        call(aws, 'GET', '/api/flags'),
        call(aws, 'POST', '/api/flags/explain', { body: { taskName: 'email.send' } }),
      ]);
      const payload = await call(aws, 'GET', `/api/dlq/default/messages/${encodeURIComponent(listed.messageId)}/payload`);
      expect([...answers, payload].map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200, 200, 200]);
    } finally {
      await aws.close();
      recorded.destroy();
      cloudwatch.destroy();
    }

    const allowed = new Set([
      ...CONSOLE_AWS_ACCESS.queues.map((action) => `${action} queue`),
      ...CONSOLE_AWS_ACCESS.queues.map((action) => `${action} dlq`),
      ...CONSOLE_AWS_ACCESS.queues.map((action) => `${action} schedules-dlq`),
      ...CONSOLE_AWS_ACCESS.eventSourceMappings.map((action) => `${action} *`),
      ...CONSOLE_AWS_ACCESS.deadLetterQueues.map((action) => `${action} dlq`),
      ...CONSOLE_AWS_ACCESS.taskStateTable.actions.map((action) => `${action} table`),
      ...CONSOLE_AWS_ACCESS.claimCheckBucket.objects.map((access) => `${access.action} claim-checks`),
    ]);
    const made = new Set(calls.map((c) => `${c.action} ${c.resource}`));
    expect([...made].sort()).toEqual([...allowed].sort());
  });

  describe('flags', () => {
    it('shows the routing document in force, from the routing file', async () => {
      const flags = (await get<FlagsResponse>('/api/flags')).json();

      expect(flags.source).toBe(cliPlatform.routingFile);
      expect(JSON.parse(flags.document)).toEqual(JSON.parse(fs.readFileSync(platform.routingFile, 'utf8')));
    });

    it('lists every problem of an invalid draft, a parse error as one problem, and accepts the current document', async () => {
      const current = (await get<FlagsResponse>('/api/flags')).json().document;
      const draft = { version: 1, defaultDestination: 'default', rules: [{ id: 'r1', tasks: ['email.*'], percentage: 150 }] };

      const invalid = (await post<FlagsValidateResponse>('/api/flags/validate', { document: JSON.stringify(draft) })).json();
      const unparsable = (await post<FlagsValidateResponse>('/api/flags/validate', { document: '{"version": 1,' })).json();
      const valid = (await post<FlagsValidateResponse>('/api/flags/validate', { document: current })).json();

      expect(invalid.valid).toBe(false);
      expect(invalid.problems.length).toBeGreaterThanOrEqual(2);
      expect(invalid.problems.map((problem) => problem.path)).toEqual(expect.arrayContaining([expect.stringContaining('/rules/0')]));
      expect(unparsable).toEqual({ valid: false, problems: [{ path: '/', message: expect.stringMatching(/^not valid JSON: /) }] });
      expect(valid).toEqual({ valid: true, problems: [] });
    });

    it('explains where a task name goes, and says what is wrong with a request without a task name', async () => {
      const explained = await post<FlagsExplainResponse>('/api/flags/explain', { taskName: 'email.send', context: { region: 'eu-west-1', tenant: 'acme' } });
      const missing = await post<ApiErrorBody>('/api/flags/explain', { context: {} });

      expect(explained.status).toBe(200);
      expect(explained.json()).toMatchObject({
        source: cliPlatform.routingFile,
        input: { task: 'email.send', region: 'eu-west-1', context: { tenant: 'acme' } },
        decision: { destination: expect.any(String), reason: expect.any(String) },
      });
      expect(missing.status).toBe(400);
      expect(missing.json().error.message).toBe('taskName is required: the task name to explain, for example email.send (given undefined)');
    });
  });
});
