import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import * as path from 'node:path';
import type { DrainResult } from '../../cli/drain';
import type { QueueMapping } from '../../cli/mappings';
import { StackOutput, type TaskStateItem, queueOutputKey } from '../../lib/contract';
import type { TaskClient } from '../../lib/sdk/task-client';
import { LOCAL_CREDENTIALS } from '../../local/emulators';
import { type LocalConsumer, type RunningLocalPlatform, startLocalPlatform } from '../../local/local-platform';
import { createPlatformTaskClient } from '../../local/platform-client';
import { bosun } from '../cli/support';

// A local platform of its own (the drains pause its queues), with 2 s long polls so a pause reports Disabled within
// about 2 s, as the ESM does within seconds.
const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
const DATA_DIR = path.join(PROJECT_ROOT, '.bosun', 'e2e-drain');

let platform: RunningLocalPlatform;
let client: TaskClient;
let sqs: SQSClient;
let consumer: LocalConsumer;
let queueUrl: string;

jest.setTimeout(180_000);

beforeAll(async () => {
  platform = await startLocalPlatform({
    projectRoot: PROJECT_ROOT,
    dataDir: DATA_DIR,
    visibilityTimeoutSeconds: 30,
    maxConcurrency: 3,
    functionTimeoutSeconds: 20,
    eventSourceWaitTimeSeconds: 2,
  });
  client = createPlatformTaskClient(platform);
  sqs = new SQSClient({ region: platform.description.region, credentials: LOCAL_CREDENTIALS, endpoint: platform.description.endpoints.sqs });
  const found = platform.consumers.find((candidate) => candidate.queueName.endsWith('-default'));
  if (found === undefined) throw new Error('the platform has no consumer of the default queue');
  consumer = found;
  queueUrl = platform.description.outputs[queueOutputKey('default', StackOutput.QUEUE_URL_SUFFIX)]!;
}, 180_000);

afterAll(async () => {
  sqs?.destroy();
  await platform?.stop();
});

afterEach(async () => {
  // Whatever a test left paused consumes again, so the next one starts from a running platform.
  await bosun(['resume', '--data-dir', DATA_DIR, '--json']);
});

const cli = (...args: string[]): ReturnType<typeof bosun> => bosun([...args, '--data-dir', DATA_DIR]);

async function waitForStatus(taskId: string, statuses: readonly string[], timeoutMs = 60_000): Promise<TaskStateItem> {
  const deadline = Date.now() + timeoutMs;
  let item: TaskStateItem | undefined;
  while (Date.now() < deadline) {
    item = await client.getTask(taskId);
    if (item !== undefined && statuses.includes(item.status)) return item;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`task ${taskId} did not reach ${statuses.join('/')} (last status: ${item?.status ?? 'none'})`);
}

async function visibleMessages(): Promise<number> {
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }));
  return Number(Attributes?.ApproximateNumberOfMessages ?? 0);
}

describe('bosun pause, resume and drain against the local platform', () => {
  it('drains once a short task finished, leaves the queue paused while producers publish, and runs their tasks after resume', async () => {
    const short = await client.publish('demo.sleep', { ms: 3_000 });
    await waitForStatus(short.taskId, ['running']);

    const drained = await cli('drain', 'default', '--timeout', '60s', '--interval', '500ms', '--json');

    expect(drained.code).toBe(0);
    const result = JSON.parse(drained.stdout) as DrainResult;
    expect(result).toMatchObject({ outcome: 'drained', queues: ['default'], resumed: false, blocking: [] });
    expect(result.mappings.map((mapping) => [mapping.uuid, mapping.state])).toEqual([[consumer.mappingUuid, 'Disabled']]);
    expect(drained.stderr).toContain(`waiting for 1: demo.sleep ${short.taskId}`);
    expect((await client.getTask(short.taskId))?.status).toBe('succeeded');

    const waiting = await client.publish('email.send', { to: 'ada@example.com', subject: 'During the deploy' });
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(consumer.mappingState()).toBe('Disabled');
    expect((await client.getTask(waiting.taskId))?.status ?? 'not claimed').not.toBe('succeeded');
    expect(await visibleMessages()).toBe(1);

    const resumed = await cli('resume', 'default', '--json');
    expect(resumed.code).toBe(0);
    expect((JSON.parse(resumed.stdout) as { mappings: QueueMapping[] }).mappings).toEqual([
      expect.objectContaining({ queue: 'default', uuid: consumer.mappingUuid, state: 'Enabled' }),
    ]);
    expect((await waitForStatus(waiting.taskId, ['succeeded'])).status).toBe('succeeded');
  });

  it('times out on a long task that is not interruptible: lists it, resumes consumption and exits 3 (abort the deploy)', async () => {
    const long = await client.publish('demo.sleep', { ms: 12_000 });
    await waitForStatus(long.taskId, ['running']);

    const drained = await cli('drain', 'default', '--timeout', '4s', '--interval', '500ms');

    expect(drained.code).toBe(3);
    expect(drained.stdout).toContain('ABORT THE DEPLOY');
    expect(drained.stdout).toMatch(new RegExp(`demo\\.sleep\\s*│\\s*${long.taskId}\\s*│\\s*default\\s*│\\s*\\d+s`));
    expect(drained.stdout).toContain('consumption was resumed');
    expect(consumer.mappingState()).toBe('Enabled');
    const after = await client.publish('email.send', { to: 'ada@example.com', subject: 'After the aborted drain' });
    expect((await waitForStatus(after.taskId, ['succeeded'])).status).toBe('succeeded');
    await waitForStatus(long.taskId, ['succeeded']);
  });

  it('keeps the queue paused after a timeout with --keep-paused', async () => {
    const long = await client.publish('demo.sleep', { ms: 8_000 });
    await waitForStatus(long.taskId, ['running']);

    const drained = await cli('drain', 'default', '--timeout', '3s', '--interval', '500ms', '--keep-paused', '--json');

    expect(drained.code).toBe(3);
    const result = JSON.parse(drained.stdout) as DrainResult;
    expect(result).toMatchObject({ outcome: 'timed-out', resumed: false });
    expect(result.blocking.map((task) => [task.taskName, task.taskId])).toEqual([['demo.sleep', long.taskId]]);
    expect(consumer.mappingState()).toBe('Disabled');
    await waitForStatus(long.taskId, ['succeeded']);
  });

  it('is not held up by a long interruptible task, and says it still runs', async () => {
    const nap = await client.publish('demo.nap', { ms: 12_000 });
    await waitForStatus(nap.taskId, ['running']);

    const drained = await cli('drain', 'default', '--timeout', '8s', '--interval', '500ms', '--json');

    expect(drained.code).toBe(0);
    const result = JSON.parse(drained.stdout) as DrainResult;
    expect(result).toMatchObject({ outcome: 'drained', blocking: [] });
    expect(result.interruptible.map((task) => [task.taskName, task.taskId, task.interruptible])).toEqual([['demo.nap', nap.taskId, true]]);
    expect((await client.getTask(nap.taskId))?.status).toBe('running');
    await waitForStatus(nap.taskId, ['succeeded']);
  });

  it('refuses a queue the platform does not have (exit 1, naming the queues) and a bad duration (exit 2)', async () => {
    const unknown = await cli('pause', 'nope');
    const badDuration = await cli('drain', '--timeout', 'ten minutes');

    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('queue "nope" is not a queue of this platform (queues: default, bulk)');
    expect(badDuration.code).toBe(2);
    expect(badDuration.stderr).toContain('expected a duration such as 30s, 10m or 1h30m (units ms, s, m, h; given "ten minutes")');
  });
});
