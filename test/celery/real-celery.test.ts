import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import type { MoveResult } from '../../cli/move';
import { celeryDestination } from '../../lib/aws/destinations';
import { decodeCeleryMessage, type CeleryTaskMapping } from '../../lib/celery';
import { MessageAttribute, StackOutput, defaultRoutingDocument, queueOutputKey, type RoutingDocument, type TaskStateItem } from '../../lib/contract';
import { createTaskHandler, defineTask, type CreateTaskHandlerOptions } from '../../lib/runtime';
import { createTaskClient } from '../../lib/sdk/task-client';
import { bosun, createTestPlatform, type TestPlatform } from '../cli/support';
import { quietTelemetry } from '../runtime/support/factories';
import { createResources, deleteResources, harnessClients, pollOnce, pollUntil, receive, type RuntimeResources } from '../runtime/support/emulator-harness';
import { type CeleryPlatform, type CeleryRun, type CeleryWorker, runCeleryProducer, startCeleryWorker } from '../support/celery/celery-harness';
import { emulatorEndpoints, uniqueName } from '../support/emulator-env';

// The Celery bridge against real Celery: Debian's Celery 5.2 worker and producer (kombu's SQS transport, botocore in
// SQS's query protocol) on the local SQS, and Bosun's producer SDK and consumer runtime on the same emulators. One
// Celery worker for the suite, on a queue of its own.
const endpoints = emulatorEndpoints();
const platform: CeleryPlatform = { region: endpoints.region, endpoints: { sqs: endpoints.sqsEndpoint } };
const { sdk, raw } = harnessClients();
const celeryQueue = uniqueName('celery-worker');
const mapping: CeleryTaskMapping[] = [
  { task: 'math.add', celeryTask: 'tasks.add', args: ['x', 'y'] },
  { task: 'greet', celeryTask: 'tasks.greet', args: ['name'] },
];
const quietLogger = { warn: () => undefined, info: () => undefined };

let celeryUrl: string;
let worker: CeleryWorker;
let resources: RuntimeResources;
const runs: Array<{ taskId: string; task: string; payload: unknown; at: number }> = [];

const add = defineTask({
  name: 'math.add',
  schema: z.object({ x: z.number(), y: z.number() }),
  handler: (payload, ctx) => {
    runs.push({ taskId: ctx.taskId, task: ctx.taskName, payload, at: Date.now() });
    return payload.x + payload.y;
  },
});
const greet = defineTask({
  name: 'greet',
  schema: z.object({ name: z.string(), greeting: z.string().default('hello') }),
  handler: (payload, ctx) => {
    runs.push({ taskId: ctx.taskId, task: ctx.taskName, payload, at: Date.now() });
    return `${payload.greeting}, ${payload.name}`;
  },
});

jest.setTimeout(120_000);

beforeAll(async () => {
  celeryUrl = (await raw.sqs.send(new CreateQueueCommand({ QueueName: celeryQueue, Attributes: { VisibilityTimeout: '30' } }))).QueueUrl!;
  worker = await startCeleryWorker({ platform, queueName: celeryQueue, tasks: { 'tasks.add': 'add', 'tasks.greet': 'greet' } });
}, 60_000);

afterAll(async () => {
  await worker?.stop();
  if (celeryUrl !== undefined) await raw.sqs.send(new DeleteQueueCommand({ QueueUrl: celeryUrl }));
  raw.sqs.destroy();
  raw.s3.destroy();
  raw.dynamodb.destroy();
});

beforeEach(async () => {
  runs.length = 0;
  resources = await createResources(raw, 'bridge');
});

afterEach(async () => {
  await deleteResources(raw, resources);
});

function handlerWith(overrides: Partial<CreateTaskHandlerOptions> = {}) {
  return createTaskHandler({
    tasks: [add, greet],
    clients: sdk,
    queueName: 'default',
    queueUrl: resources.queueUrl,
    dlqUrl: resources.dlqUrl,
    queueUrls: { default: resources.queueUrl },
    maxReceiveCount: resources.maxReceiveCount,
    tableName: resources.tableName,
    bucketName: resources.bucketName,
    celery: { tasks: mapping },
    ...quietTelemetry(),
    ...overrides,
  });
}

async function stateOf(taskId: string): Promise<TaskStateItem | undefined> {
  const out = await sdk.dynamodb.send(new GetCommand({ TableName: resources.tableName, Key: { taskId }, ConsistentRead: true }));
  return out.Item as TaskStateItem | undefined;
}

const byIds = (ids: readonly string[]) => (run: CeleryRun) => ids.includes(run.id);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Bosun → Celery by the routing flag, and back', () => {
  it('hands tasks to the real Celery worker while the flag says celery, nothing lost or run twice across flips', async () => {
    let document: RoutingDocument = { ...defaultRoutingDocument('default'), rules: [{ id: 'add-on-celery', tasks: ['math.add', 'greet'], destination: 'celery' }] };
    const onCelery = document;
    const routing = { current: async () => document };
    const celery = celeryDestination({ name: 'celery', queueUrl: celeryUrl, sqs: sdk.sqs, tasks: mapping, holdQueue: 'default' });
    const producer = createTaskClient({ queueUrls: { default: resources.queueUrl }, tableName: resources.tableName, bucket: resources.bucketName, clients: sdk, routing, destinations: [celery], logger: quietLogger });
    const handler = handlerWith({ routing, destinations: [celery] });

    // Flag on Celery: handed over at publish, one now and one after a 3 s wait (the SQS delay, not an eta).
    const now = await producer.publish('math.add', { x: 2, y: 3 });
    const publishedAt = Date.now();
    const delayed = await producer.publish('greet', { name: 'Ada', greeting: 'hi' }, { delaySeconds: 3 });
    // Flag on Bosun: published to the Bosun queue; the flag moves back to Celery before a consumer takes them.
    document = defaultRoutingDocument('default');
    const queuedA = await producer.publish('math.add', { x: 10, y: 1 });
    const queuedB = await producer.publish('math.add', { x: 10, y: 2 });
    document = onCelery;
    await pollUntil(sdk, resources.queueUrl, handler, async () => (await stateOf(queuedB.taskId))?.status === 'rerouted' && (await stateOf(queuedA.taskId))?.status === 'rerouted', 10_000);
    // Flag back on Bosun for good: runs here.
    document = defaultRoutingDocument('default');
    const inBosun = await producer.publish('math.add', { x: 40, y: 2 });
    await pollUntil(sdk, resources.queueUrl, handler, async () => runs.length === 1, 10_000);

    const celeryIds = [now.taskId, delayed.taskId, queuedA.taskId, queuedB.taskId];
    const ran = await worker.waitForRuns(4, { where: byIds(celeryIds) });
    await sleep(2_000);
    const settled = worker.runs().filter(byIds(celeryIds));
    expect(settled).toHaveLength(4);
    const runOf = (id: string): CeleryRun => ran.find((run) => run.id === id)!;
    expect(runOf(now.taskId)).toMatchObject({ task: 'tasks.add', args: [2, 3], kwargs: {}, retries: 0, eta: null });
    expect(runOf(delayed.taskId)).toMatchObject({ task: 'tasks.greet', args: ['Ada'], kwargs: { greeting: 'hi' }, eta: null });
    expect(Date.parse(runOf(delayed.taskId).at)).toBeGreaterThanOrEqual(publishedAt + 3_000);
    expect(runOf(queuedA.taskId)).toMatchObject({ args: [10, 1] });
    expect(runOf(queuedB.taskId)).toMatchObject({ args: [10, 2] });
    expect(runs).toEqual([expect.objectContaining({ taskId: inBosun.taskId, payload: { x: 40, y: 2 } })]);
    expect(worker.runs().some((run) => run.id === inBosun.taskId)).toBe(false);
    expect(await stateOf(queuedA.taskId)).toMatchObject({ status: 'rerouted', queue: 'celery' });
    expect(await stateOf(inBosun.taskId)).toMatchObject({ status: 'succeeded', result: 42 });
  });

  it('keeps a task due beyond 900 s in Bosun and hands it to the Celery worker when due, with no eta for the worker to hold', async () => {
    // 1 real second is 900 simulated seconds, and each hop is capped at 1 s: the same hops as 900 s hops in AWS.
    const start = Date.now();
    const clock = () => start + (Date.now() - start) * 900;
    const routing = { current: async () => ({ ...defaultRoutingDocument('default'), rules: [{ id: 'celery', tasks: ['math.add'], destination: 'celery' }] }) };
    const celery = celeryDestination({ name: 'celery', queueUrl: celeryUrl, sqs: sdk.sqs, tasks: mapping, holdQueue: 'default', now: clock });
    const producer = createTaskClient({ queueUrls: { default: resources.queueUrl }, tableName: resources.tableName, clients: sdk, routing, destinations: [celery], now: clock, maxDelaySeconds: 1, logger: quietLogger });
    const eta = new Date(start + 3_600_000).toISOString();
    const published = await producer.publish('math.add', { x: 20, y: 22 }, { eta });
    expect(published).toMatchObject({ destination: 'celery', status: 'scheduled' });

    const handler = handlerWith({ routing, destinations: [celery], now: clock, maxDelaySeconds: 1 });
    await pollUntil(sdk, resources.queueUrl, handler, async () => (await stateOf(published.taskId))?.status === 'rerouted', 20_000);
    const [run] = await worker.waitForRuns(1, { where: byIds([published.taskId]) });

    expect(clock()).toBeGreaterThanOrEqual(Date.parse(eta));
    expect(run).toMatchObject({ task: 'tasks.add', args: [20, 22], eta: null });
    expect(runs).toEqual([]);
  });
});

describe('a Celery producer → the Bosun consumer (Celery intake)', () => {
  it("runs delay(), apply_async with kwargs, a countdown and an ETA under the Celery ids, not before their time, and dead-letters an unmapped task", async () => {
    const sentAt = Date.now();
    const eta = new Date(sentAt + 4_000);
    const ids = await runCeleryProducer({
      platform,
      queueName: resources.name,
      sends: [
        { task: 'tasks.add', args: [2, 3], delay: true },
        { task: 'tasks.greet', args: ['Ada'], kwargs: { greeting: 'hi' } },
        { task: 'tasks.add', kwargs: { x: 1, y: 2 }, countdown: 2 },
        { task: 'tasks.greet', args: ['Grace'], eta },
        { task: 'tasks.unknown', args: [], delay: true },
      ],
    });
    const [delayId, kwargsId, countdownId, etaId, unknownId] = ids as [string, string, string, string, string];

    const done = await pollUntil(sdk, resources.queueUrl, handlerWith(), async () => runs.length === 4, 30_000);

    expect(done).toBe(true);
    const runOf = (id: string) => runs.find((run) => run.taskId === id);
    expect(runOf(delayId)).toMatchObject({ task: 'math.add', payload: { x: 2, y: 3 } });
    expect(runOf(kwargsId)).toMatchObject({ task: 'greet', payload: { name: 'Ada', greeting: 'hi' } });
    expect(runOf(countdownId)).toMatchObject({ task: 'math.add', payload: { x: 1, y: 2 } });
    expect(runOf(countdownId)!.at).toBeGreaterThanOrEqual(sentAt + 2_000);
    expect(runOf(etaId)).toMatchObject({ task: 'greet', payload: { name: 'Grace', greeting: 'hello' } });
    expect(runOf(etaId)!.at).toBeGreaterThanOrEqual(eta.getTime());
    expect(await stateOf(delayId)).toMatchObject({ status: 'succeeded', result: 5 });
    const [dead] = await receive(sdk, resources.dlqUrl, 1);
    expect(dead?.MessageAttributes?.[MessageAttribute.DEAD_REASON]?.StringValue).toBe('unknown-task');
    expect(dead?.MessageAttributes?.[MessageAttribute.DEAD_DETAIL]?.StringValue).toBe(
      `Celery task "tasks.unknown" has no Bosun mapping (mapped: tasks.add, tasks.greet)`,
    );
    expect(decodeCeleryMessage(dead?.Body as string)).toMatchObject({ task: 'tasks.unknown', id: unknownId });
  });
});

describe('bosun move --transform celery on a real Celery backlog', () => {
  let target: TestPlatform;
  let backlogQueue: string;
  let backlogUrl: string;

  beforeEach(async () => {
    target = await createTestPlatform('celery-move');
    backlogQueue = uniqueName('celery-backlog');
    backlogUrl = (await raw.sqs.send(new CreateQueueCommand({ QueueName: backlogQueue }))).QueueUrl!;
  });

  afterEach(async () => {
    await raw.sqs.send(new DeleteQueueCommand({ QueueUrl: backlogUrl })).catch(() => undefined);
    await target.destroy();
  });

  it('moves what a Celery producer queued into Bosun envelopes under the Celery ids, ETAs kept, and Bosun runs them', async () => {
    const [nowId, laterId] = (await runCeleryProducer({
      platform,
      queueName: backlogQueue,
      sends: [
        { task: 'tasks.add', args: [5, 6], delay: true },
        { task: 'tasks.add', args: [7, 8], countdown: 600 },
      ],
    })) as [string, string];
    await sleep(5);

    const result = await bosun(['move', backlogUrl, '--to', 'default', '--transform', 'celery', '--celery-task', 'tasks.add=math.add:x,y', '--data-dir', target.dataDir, '--json']);

    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject<Partial<MoveResult>>({ moved: 2, celery: 2, delayed: 1, failed: 0 });
    const defaultUrl = target.outputs[queueOutputKey('default', StackOutput.QUEUE_URL_SUFFIX)]!;
    const delayed = await raw.sqs.send(new GetQueueAttributesCommand({ QueueUrl: defaultUrl, AttributeNames: ['ApproximateNumberOfMessagesDelayed'] }));
    expect(delayed.Attributes?.ApproximateNumberOfMessagesDelayed).toBe('1');
    const handler = createTaskHandler({ tasks: [add, greet], clients: sdk, queueName: 'default', queueUrl: defaultUrl, tableName: target.tableName, ...quietTelemetry() });
    await pollOnce(sdk, defaultUrl, handler);
    expect(runs).toEqual([expect.objectContaining({ taskId: nowId, task: 'math.add', payload: { x: 5, y: 6 } })]);
    const later = await target.documents.send(new GetCommand({ TableName: target.tableName, Key: { taskId: laterId } }));
    expect(later.Item).toBeUndefined();
  });
});
