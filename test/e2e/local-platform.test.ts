import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
import { execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { type RoutingDocument, StackOutput, type TaskStateItem, queueOutputKey } from '../../lib/contract';
import type { TaskClient } from '../../lib/sdk/task-client';
import { runDemo } from '../../local/demo';
import { createPlatformTaskClient } from '../../local/platform-client';
import { LOCAL_CREDENTIALS } from '../../local/emulators';
import { LocalPlatformRunningError } from '../../local/errors';
import { type RunningLocalPlatform, startLocalPlatform } from '../../local/local-platform';
import { PLATFORM_LOCK_FILE } from '../../local/platform-lock';

// One local platform for the whole suite, with short visibility timeouts, a 2 s ETA hop and a 20 s function timeout
// (enough for every example task's time limit plus the runtime's safety margin) so it runs in about two minutes; the stack definition itself is untouched.
const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
const DATA_DIR = path.join(PROJECT_ROOT, '.bosun', 'e2e');
const MAX_DELAY_SECONDS = 2;
const FUNCTION_TIMEOUT_SECONDS = 20;
const run = promisify(execFile);

let platform: RunningLocalPlatform;
let client: TaskClient;
let sqs: SQSClient;
let s3: S3Client;
/** What the platform logged while starting. */
const startLog: string[] = [];
/** The pid of a "platform" that was killed without stopping: it left its lock and platform.json behind. */
let killedPid: number;

jest.setTimeout(180_000);

beforeAll(async () => {
  const killed = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await new Promise((resolve) => killed.once('exit', resolve));
  killedPid = killed.pid!;
  fs.mkdirSync(DATA_DIR, { recursive: true });
  // A run that died mid-test may have left an edited routing.json, which a start keeps; these tests start from the template's.
  fs.rmSync(path.join(DATA_DIR, 'routing.json'), { force: true });
  fs.writeFileSync(path.join(DATA_DIR, PLATFORM_LOCK_FILE), `${killedPid}\n`);
  const dead = 'http://127.0.0.1:9';
  fs.writeFileSync(
    path.join(DATA_DIR, 'platform.json'),
    JSON.stringify({
      stage: 'local',
      region: 'us-east-1',
      endpoints: { sqs: dead, s3: dead, dynamodb: dead },
      outputs: { QueueNames: '["default"]', DefaultQueueUrl: `${dead}/q`, TableName: 't' },
      pid: killedPid,
    }),
  );
  platform = await startLocalPlatform({
    projectRoot: PROJECT_ROOT,
    dataDir: DATA_DIR,
    log: (line) => startLog.push(line),
    visibilityTimeoutSeconds: 2,
    maxDelaySeconds: MAX_DELAY_SECONDS,
    maxConcurrency: 3,
    functionTimeoutSeconds: FUNCTION_TIMEOUT_SECONDS,
  });
  client = createPlatformTaskClient(platform);
  const common = { region: platform.description.region, credentials: LOCAL_CREDENTIALS };
  sqs = new SQSClient({ ...common, endpoint: platform.description.endpoints.sqs });
  s3 = new S3Client({ ...common, endpoint: platform.description.endpoints.s3, forcePathStyle: true });
}, 180_000);

afterAll(async () => {
  sqs?.destroy();
  s3?.destroy();
  await platform?.stop();
  expect(fs.existsSync(path.join(DATA_DIR, 'platform.json'))).toBe(false);
});

const output = (key: string): string => {
  const value = platform.description.outputs[key];
  if (value === undefined) throw new Error(`the platform has no output ${key}`);
  return value;
};

async function bosun(...args: string[]): Promise<unknown> {
  const { stdout } = await run(
    path.join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx'),
    [path.join(PROJECT_ROOT, 'cli', 'main.ts'), ...args, '--data-dir', DATA_DIR, '--json'],
    { cwd: PROJECT_ROOT, env: { ...process.env, NO_COLOR: '1' } },
  );
  return JSON.parse(stdout) as unknown;
}

async function waitForStatus(taskId: string, statuses: readonly string[], timeoutMs = 60_000): Promise<TaskStateItem> {
  const deadline = Date.now() + timeoutMs;
  let item: TaskStateItem | undefined;
  while (Date.now() < deadline) {
    item = await client.getTask(taskId);
    if (item !== undefined && statuses.includes(item.status)) return item;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`task ${taskId} did not reach ${statuses.join('/')} (last status: ${item?.status ?? 'none'})`);
}

function writeRouting(document: RoutingDocument): void {
  fs.writeFileSync(platform.routingFile, `${JSON.stringify(document, null, 2)}\n`);
}

describe('the local platform, end to end', () => {
  it('runs the `npm start` demo workload and every task ends where it should', async () => {
    const results = await runDemo(client, { s3, bucketName: output(StackOutput.BUCKET_NAME) });

    expect(results.map((r) => [r.label, r.status])).toEqual(results.map((r) => [r.label, r.expected]));
    expect(results.filter((r) => r.claimCheckKept !== undefined).map((r) => r.claimCheckKept)).toEqual([true]);
    expect(results.every((r) => r.ok)).toBe(true);
  });

  it('took over the lock and platform.json a killed platform left behind, and said so', () => {
    expect(startLog).toEqual(
      expect.arrayContaining([
        `replaced the lock of pid ${killedPid}, which exited without stopping its platform`,
        `replaced ${path.join(DATA_DIR, 'platform.json')}, left by pid ${killedPid}, which exited without stopping its platform`,
      ]),
    );
    expect(platform.description.pid).toBe(process.pid);
  });

  it('refuses a second platform on the same data directory, naming the running pid, and leaves the first one alone', async () => {
    const before = fs.readFileSync(platform.platformFile, 'utf8');

    await expect(startLocalPlatform({ projectRoot: PROJECT_ROOT, dataDir: DATA_DIR })).rejects.toThrow(
      new LocalPlatformRunningError(DATA_DIR, process.pid),
    );

    expect(fs.readFileSync(platform.platformFile, 'utf8')).toBe(before);
    expect(await bosun('status')).toMatchObject({ target: 'local' });
  });

  it('runs a task to success, and the SDK and `bosun task` both say so', async () => {
    const { taskId, destination } = await client.publish('email.send', { to: 'ada@example.com', subject: 'Hello' });

    const item = await waitForStatus(taskId, ['succeeded']);
    const shown = (await bosun('task', taskId)) as TaskStateItem;

    expect(destination).toBe('default');
    expect(item).toMatchObject({ taskName: 'email.send', status: 'succeeded', attempts: 1 });
    expect(shown).toMatchObject({ taskId, status: 'succeeded', attempts: 1 });
  });

  it("runs the README's producer SDK snippet as written, connected through platform.json", async () => {
    const readme = fs.readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8');
    const block = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]!).find((code) => code.includes('taskClientOptionsFromPlatform'));
    expect(block).toBeDefined();
    // `bosun/<subpath>` is the installed package; here, the sources it is built from.
    const code = block!
      .replace(/from 'bosun\/tasks'/g, `from ${JSON.stringify(path.join(PROJECT_ROOT, 'lambdas', 'tasks'))}`)
      .replace(/from 'bosun\/(\w+)'/g, (_match, subpath: string) => `from ${JSON.stringify(path.join(PROJECT_ROOT, 'lib', subpath))}`);
    const file = path.join(DATA_DIR, 'readme-sdk-snippet.ts');
    fs.writeFileSync(file, code);
    const printed: unknown[][] = [];
    const log = jest.spyOn(console, 'log').mockImplementation((...values: unknown[]) => void printed.push(values));
    const previous = process.env['BOSUN_PLATFORM'];
    process.env['BOSUN_PLATFORM'] = platform.platformFile;
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- a file written at run time, through jest's transform
      const snippet = require(file) as { publishExamples(report: { title: string; rows: unknown[] }): Promise<void> };
      await snippet.publishExamples({ title: 'Q3', rows: [1, 2, 3] });
    } finally {
      log.mockRestore();
      fs.rmSync(file, { force: true });
      if (previous === undefined) delete process.env['BOSUN_PLATFORM'];
      else process.env['BOSUN_PLATFORM'] = previous;
    }

    // publish → (taskId, destination, ruleId, status); publishBatch → (2 outcomes, 2 succeeded, 0 failed, 1 SQS call);
    // waitForTask, cancel of the scheduled report, explain.
    expect(printed[0]).toEqual([expect.any(String), 'default', null, 'queued']);
    expect(printed[1]).toEqual([2, 2, 0, 1]);
    expect(printed[2]).toEqual(['succeeded', 'cancelled', expect.objectContaining({ destination: 'default' })]);
  });

  it('round-trips a 300 KiB payload through S3 and keeps the object for late copies (the lifecycle rule expires it)', async () => {
    const body = 'x'.repeat(300 * 1024);
    const receipt = await client.publish('email.send', { to: 'ada@example.com', subject: 'Big', body });

    const item = await waitForStatus(receipt.taskId, ['succeeded']);
    const listed = await s3.send(
      new ListObjectsV2Command({ Bucket: output(StackOutput.BUCKET_NAME), Prefix: `claim-checks/${receipt.taskId}/` }),
    );

    expect(receipt.claimChecked).toBe(true);
    expect(item.status).toBe('succeeded');
    expect(listed.KeyCount ?? 0).toBe(1);
  });

  it("stores a result too large to keep inline in S3 by reference, with the consumer's real grants under IAM", async () => {
    const rows = Array.from({ length: 400 }, (_, index) => ({ index, text: 'r'.repeat(100) }));
    const { taskId } = await client.publish('report.render', { title: 'Large result', rows, includeRows: true });

    const item = await waitForStatus(taskId, ['succeeded']);
    const stored = await s3.send(new GetObjectCommand({ Bucket: item.resultRef?.bucket ?? '', Key: item.resultRef?.key ?? '' }));
    const result = JSON.parse((await stored.Body?.transformToString()) ?? '{}') as { rowCount?: number };

    expect(item.resultRef).toEqual({ bucket: output(StackOutput.BUCKET_NAME), key: `task-results/${taskId}.json`, bytes: expect.any(Number) });
    expect(item.resultRef!.bytes).toBeGreaterThan(32 * 1024);
    expect(result.rowCount).toBe(400);
    expect(platform.description.iam).toEqual({ enforced: true, denialLog: path.join(DATA_DIR, 'logs', 'iam-denials.log') });
    expect(platform.iam?.denials()).toBe(0);
  });

  it('retries a failing task with backoff into the DLQ with its reason, and `bosun dlq redrive` after the fix runs it', async () => {
    const fixedAt = new Date(Date.now() + 25_000);
    const { taskId } = await client.publish('demo.flaky', { succeedAfter: fixedAt.toISOString() });

    const dead = await waitForStatus(taskId, ['dead']);
    expect(dead).toMatchObject({ status: 'dead', deadReason: 'attempts-exhausted', attempts: 3 });
    expect(dead.lastError?.message).toContain('demo.flaky is not ready until');
    const peeked = (await bosun('dlq', 'peek', 'default', '--max', '50')) as { messages: { taskId?: string; deadReason: string; attempts?: number }[] };
    expect(peeked.messages.filter((m) => m.taskId === taskId)).toEqual([
      expect.objectContaining({ taskId, deadReason: 'attempts-exhausted', attempts: 3 }),
    ]);

    await new Promise((resolve) => setTimeout(resolve, Math.max(0, fixedAt.getTime() - Date.now() + 500)));
    await bosun('dlq', 'redrive', 'default', '--task', 'demo.flaky');

    const redriven = await waitForStatus(taskId, ['succeeded']);
    expect(redriven.status).toBe('succeeded');
  });

  it('runs a duplicate delivery of a finished task only once', async () => {
    const { taskId } = await client.publish('email.send', { to: 'ada@example.com', subject: 'Once' });
    const first = await waitForStatus(taskId, ['succeeded']);
    const queueUrl = output(queueOutputKey('default', StackOutput.QUEUE_URL_SUFFIX));
    const envelope = { v: 1, id: taskId, task: 'email.send', payload: { to: 'ada@example.com', subject: 'Once' }, attempts: 0, route: first.route, publishedAt: first.createdAt };

    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(envelope) }));
    await waitForQueueEmpty(queueUrl);

    const after = await client.getTask(taskId);
    expect(after).toMatchObject({ status: 'succeeded', attempts: first.attempts, finishedAt: first.finishedAt });
  });

  it('honours a far-future ETA beyond the (injected) single-delay cap', async () => {
    const eta = new Date(Date.now() + 4 * MAX_DELAY_SECONDS * 1000);
    const receipt = await client.publish('email.send', { to: 'ada@example.com', subject: 'Later' }, { eta });

    const item = await waitForStatus(receipt.taskId, ['succeeded']);

    expect(receipt.status).toBe('scheduled');
    expect(Date.parse(item.startedAt ?? '')).toBeGreaterThanOrEqual(eta.getTime());
  });

  it('applies a routing-file edit without a restart, hands a queued task over, and flips back', async () => {
    const original = JSON.parse(fs.readFileSync(platform.routingFile, 'utf8')) as RoutingDocument;
    const toLegacy: RoutingDocument = { ...original, rules: [{ id: 'email-to-legacy', tasks: ['email.send'], destination: 'legacy' }] };
    const legacyUrl = output(StackOutput.LEGACY_QUEUE_URL);
    try {
      const queued = await client.publish('email.send', { to: 'ada@example.com', subject: 'Queued' }, { delaySeconds: 3 });
      writeRouting(toLegacy);

      const handedOver = await waitForStatus(queued.taskId, ['rerouted']);
      expect(handedOver.route.destination).toBe('legacy');
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const direct = await client.publish('email.send', { to: 'ada@example.com', subject: 'Direct' });
      expect(direct).toMatchObject({ destination: 'legacy', ruleId: 'email-to-legacy' });
      const legacyBodies = await drainBodies(legacyUrl, 2);
      expect(legacyBodies.filter((body) => body.includes(queued.taskId))).toHaveLength(1);
      expect(legacyBodies.filter((body) => body.includes(direct.taskId))).toHaveLength(1);
    } finally {
      writeRouting(original);
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const back = await client.publish('email.send', { to: 'ada@example.com', subject: 'Back' });
    expect(back.destination).toBe('default');
    expect((await waitForStatus(back.taskId, ['succeeded'])).status).toBe('succeeded');
  });

  it('stops a consumer that overruns its function timeout and retries its message', async () => {
    const consumer = platform.consumers.find((c) => c.queueName.endsWith('-default'));
    if (consumer === undefined) throw new Error('the platform has no consumer of the default queue');
    const failedBefore = consumer.stats().failedInvocations;
    const spinMs = (FUNCTION_TIMEOUT_SECONDS + 3) * 1000;

    const { taskId } = await client.publish('demo.spin', { ms: spinMs, untilAttempt: 1 });
    const item = await waitForStatus(taskId, ['succeeded'], 90_000);
    const deadline = Date.now() + (FUNCTION_TIMEOUT_SECONDS + 10) * 1000;
    while (consumer.stats().failedInvocations === failedBefore && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
    }

    // The first attempt never finished (it was still spinning when its invocation was stopped); a later attempt ran.
    expect(item.status).toBe('succeeded');
    expect(item.attempts).toBeGreaterThanOrEqual(2);
    expect(item.result).toMatchObject({ spunMs: 0 });
    expect(consumer.stats().failedInvocations).toBeGreaterThan(failedBefore);
  });
});

async function drainBodies(queueUrl: string, expected: number): Promise<string[]> {
  const bodies: string[] = [];
  const deadline = Date.now() + 15_000;
  while (bodies.length < expected && Date.now() < deadline) {
    const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    bodies.push(...(received.Messages ?? []).map((m) => m.Body ?? ''));
  }
  return bodies;
}

async function waitForQueueEmpty(queueUrl: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
      }),
    );
    const total = Object.values(Attributes ?? {}).reduce((sum, value) => sum + Number(value), 0);
    if (total === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`queue ${queueUrl} did not drain`);
}
