import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import {
  MessageAttribute,
  TaskTable,
  defaultRoutingDocument,
  serializeEnvelope,
  type RoutingDocument,
  type TaskEnvelope,
  type TaskStateItem,
} from '../../lib/contract';
import { TaskNonRetryableError, createTaskHandler, defineTask, type CreateTaskHandlerOptions, type TaskDefinition } from '../../lib/runtime';
import { ClaimCheckStore } from '../../lib/aws/claim-check';
import { sqsForwardingDestination } from '../../lib/aws/destinations';
import { envelope, quietTelemetry } from './support/factories';
import {
  createResources,
  deleteResources,
  harnessClients,
  pollOnce,
  pollUntil,
  receive,
  sendBody,
  type RuntimeResources,
} from './support/emulator-harness';

const { sdk, raw } = harnessClients();
let resources: RuntimeResources;
const runs: Array<{ taskId: string; attempt: number }> = [];

const succeed = defineTask({
  name: 'it.succeed',
  schema: z.object({ n: z.number() }),
  handler: (payload, ctx) => {
    runs.push({ taskId: ctx.taskId, attempt: ctx.attempt });
    return { doubled: payload.n * 2 };
  },
});
const failOnce = defineTask({
  name: 'it.fail-once',
  schema: z.object({}),
  maxAttempts: 3,
  backoff: { baseSeconds: 1, capSeconds: 1 },
  handler: (_payload, ctx) => {
    runs.push({ taskId: ctx.taskId, attempt: ctx.attempt });
    if (ctx.attempt === 1) throw new Error('transient failure on the first attempt');
    return 'recovered';
  },
});
const alwaysFail = defineTask({
  name: 'it.always-fail',
  schema: z.object({}),
  maxAttempts: 2,
  backoff: { baseSeconds: 0, capSeconds: 0 },
  handler: (_payload, ctx) => {
    runs.push({ taskId: ctx.taskId, attempt: ctx.attempt });
    throw new Error(`attempt ${ctx.attempt} failed`);
  },
});
const reject = defineTask({
  name: 'it.reject',
  schema: z.object({}),
  handler: () => {
    throw new TaskNonRetryableError('rejected for good');
  },
});
const overrun = defineTask({
  name: 'it.overrun',
  schema: z.object({}),
  timeLimitSeconds: 1,
  maxAttempts: 1,
  handler: (_payload, ctx) =>
    new Promise((_resolve, rejectRun) => {
      runs.push({ taskId: ctx.taskId, attempt: ctx.attempt });
      ctx.signal.addEventListener('abort', () => rejectRun(ctx.signal.reason as Error));
    }),
});
const allTasks: TaskDefinition[] = [succeed, failOnce, alwaysFail, reject, overrun];

function handlerWith(overrides: Partial<CreateTaskHandlerOptions> = {}) {
  return createTaskHandler({
    tasks: allTasks,
    clients: sdk,
    queueName: 'default',
    queueUrl: resources.queueUrl,
    dlqUrl: resources.dlqUrl,
    queueUrls: { default: resources.queueUrl, other: resources.otherQueueUrl },
    maxReceiveCount: resources.maxReceiveCount,
    tableName: resources.tableName,
    bucketName: resources.bucketName,
    ...quietTelemetry(),
    ...overrides,
  });
}

async function publish(env: TaskEnvelope): Promise<TaskEnvelope> {
  await sendBody(sdk, resources.queueUrl, serializeEnvelope(env));
  return env;
}

async function stateOf(taskId: string): Promise<TaskStateItem | undefined> {
  const out = await sdk.dynamodb.send(new GetCommand({ TableName: resources.tableName, Key: { taskId }, ConsistentRead: true }));
  return out.Item as TaskStateItem | undefined;
}

beforeEach(async () => {
  runs.length = 0;
  resources = await createResources(raw, 'runtime');
});

afterEach(async () => {
  await deleteResources(raw, resources);
});

afterAll(() => {
  raw.sqs.destroy();
  raw.s3.destroy();
  raw.dynamodb.destroy();
});

describe('task runtime against the emulators', () => {
  it('runs a task, records it succeeded with its result, and leaves the queue empty', async () => {
    const env = await publish(envelope('it.succeed', { n: 4 }));
    const { response } = await pollOnce(sdk, resources.queueUrl, handlerWith());

    expect(response.batchItemFailures).toEqual([]);
    expect(await stateOf(env.id)).toMatchObject({ status: 'succeeded', attempts: 1, result: { doubled: 8 }, taskName: 'it.succeed' });
    expect(await receive(sdk, resources.queueUrl)).toEqual([]);
  });

  it('retries a failed attempt after its backoff and then succeeds', async () => {
    const env = await publish(envelope('it.fail-once', {}));
    const handler = handlerWith({ random: () => 0.999 });
    const first = await pollOnce(sdk, resources.queueUrl, handler);
    expect(first.response.batchItemFailures).toHaveLength(1);
    expect(await stateOf(env.id)).toMatchObject({ status: 'retrying', lastError: { type: 'Error', message: 'transient failure on the first attempt' } });

    const done = await pollUntil(sdk, resources.queueUrl, handler, async () => (await stateOf(env.id))?.status === 'succeeded', 15_000);

    expect(done).toBe(true);
    expect(runs.map((run) => run.attempt)).toEqual([1, 2]);
    expect(await stateOf(env.id)).toMatchObject({ status: 'succeeded', attempts: 2, result: 'recovered' });
  });

  it('sends a task to the DLQ with the reason once its attempts are spent, and lists it in the dead-tasks index', async () => {
    const env = await publish(envelope('it.always-fail', {}));
    const handler = handlerWith();
    await pollUntil(sdk, resources.queueUrl, handler, async () => (await stateOf(env.id))?.status === 'dead', 15_000);

    const [dead] = await receive(sdk, resources.dlqUrl, 1);
    expect(JSON.parse(dead?.Body ?? '{}')).toEqual(env);
    expect(dead?.MessageAttributes?.[MessageAttribute.DEAD_REASON]?.StringValue).toBe('attempts-exhausted');
    expect(dead?.MessageAttributes?.[MessageAttribute.DEAD_DETAIL]?.StringValue).toBe('Error: attempt 2 failed');
    expect(dead?.MessageAttributes?.[MessageAttribute.ATTEMPTS]?.StringValue).toBe('2');
    expect(dead?.MessageAttributes?.[MessageAttribute.SOURCE_QUEUE]?.StringValue).toBe(resources.queueUrl);
    expect(runs).toHaveLength(2);
    const listed = await sdk.dynamodb.send(
      new QueryCommand({
        TableName: resources.tableName,
        IndexName: TaskTable.DEAD_TASKS_INDEX,
        KeyConditionExpression: '#name = :name',
        ExpressionAttributeNames: { '#name': TaskTable.DEAD_TASK_NAME },
        ExpressionAttributeValues: { ':name': 'it.always-fail' },
      }),
    );
    expect(listed.Items?.map((item) => item['taskId'])).toEqual([env.id]);
    expect(await receive(sdk, resources.queueUrl)).toEqual([]);
  });

  it('sends a poison message to the DLQ on its first receive', async () => {
    await sendBody(sdk, resources.queueUrl, '{"not":"an envelope"');
    await pollOnce(sdk, resources.queueUrl, handlerWith());

    const [dead] = await receive(sdk, resources.dlqUrl, 1);
    expect(dead?.Body).toBe('{"not":"an envelope"');
    expect(dead?.MessageAttributes?.[MessageAttribute.DEAD_REASON]?.StringValue).toBe('malformed-message');
    expect(dead?.MessageAttributes?.[MessageAttribute.ATTEMPTS]?.StringValue).toBe('1');
    expect(await receive(sdk, resources.queueUrl)).toEqual([]);
  });

  it('dead-letters a non-retryable failure at once', async () => {
    const env = await publish(envelope('it.reject', {}));
    await pollOnce(sdk, resources.queueUrl, handlerWith());

    const [dead] = await receive(sdk, resources.dlqUrl, 1);
    expect(dead?.MessageAttributes?.[MessageAttribute.DEAD_REASON]?.StringValue).toBe('non-retryable');
    expect(await stateOf(env.id)).toMatchObject({ status: 'dead', deadReason: 'non-retryable', deadTaskName: 'it.reject' });
  });

  it('resolves a claim-checked payload from S3, runs the task, and keeps the object for a late copy, which is acknowledged unrun', async () => {
    const store = new ClaimCheckStore({ s3: sdk.s3, bucket: resources.bucketName });
    const base = envelope('it.succeed', undefined);
    const ref = await store.put(base.id, JSON.stringify({ n: 21, padding: 'x'.repeat(300 * 1024) }));
    const { payload: _payload, ...rest } = base;
    await publish({ ...rest, claimCheck: ref });
    await pollOnce(sdk, resources.queueUrl, handlerWith());
    expect(await stateOf(base.id)).toMatchObject({ status: 'succeeded', result: { doubled: 42 } });

    // A copy of the message arriving after the success (an SQS duplicate) must not find the payload gone.
    await publish({ ...rest, claimCheck: ref });
    await pollOnce(sdk, resources.queueUrl, handlerWith());
    expect(runs).toHaveLength(1);
    expect(await stateOf(base.id)).toMatchObject({ status: 'succeeded' });
    expect(await receive(sdk, resources.dlqUrl, 0)).toEqual([]);
    await expect(sdk.s3.send(new HeadObjectCommand({ Bucket: ref.bucket, Key: ref.key }))).resolves.toMatchObject({ ContentLength: ref.bytes });
  });

  it('dead-letters a task whose claim-check object is missing', async () => {
    const base = envelope('it.succeed', undefined);
    const { payload: _payload, ...rest } = base;
    const ref = { bucket: resources.bucketName, key: `claim-checks/${base.id}/gone`, bytes: 10, sha256: 'c'.repeat(64) };
    await publish({ ...rest, claimCheck: ref });
    await pollOnce(sdk, resources.queueUrl, handlerWith());

    const [dead] = await receive(sdk, resources.dlqUrl, 1);
    expect(dead?.MessageAttributes?.[MessageAttribute.DEAD_REASON]?.StringValue).toBe('claim-check-missing');
    expect(await stateOf(base.id)).toMatchObject({ status: 'dead', deadReason: 'claim-check-missing' });
    expect(runs).toEqual([]);
  });

  it('runs a task delivered twice only once', async () => {
    const env = envelope('it.succeed', { n: 1 });
    const handler = handlerWith();
    await publish(env);
    await pollOnce(sdk, resources.queueUrl, handler);
    await publish(env);
    const second = await pollOnce(sdk, resources.queueUrl, handler);

    expect(second).toEqual({ received: 1, response: { batchItemFailures: [] } });
    expect(runs).toEqual([{ taskId: env.id, attempt: 1 }]);
    expect(await stateOf(env.id)).toMatchObject({ status: 'succeeded' });
    expect(await receive(sdk, resources.queueUrl)).toEqual([]);
  });

  it('chains a one-hour ETA through capped re-sends and runs the task once it is due', async () => {
    // 1 real second is 900 simulated seconds, and each hop is capped at 1 s: the same 4 hops as 900 s hops in AWS.
    const start = Date.now();
    const now = () => start + (Date.now() - start) * 900;
    const env = await publish(envelope('it.succeed', { n: 2 }, { eta: new Date(start + 3600_000).toISOString() }));
    const handler = handlerWith({ now, maxDelaySeconds: 1 });

    await pollOnce(sdk, resources.queueUrl, handler);
    expect(await stateOf(env.id)).toMatchObject({ status: 'scheduled', eta: env.eta });
    const done = await pollUntil(sdk, resources.queueUrl, handler, async () => (await stateOf(env.id))?.status === 'succeeded', 20_000);

    expect(done).toBe(true);
    expect(runs).toEqual([{ taskId: env.id, attempt: 1 }]);
    expect(now() - start).toBeGreaterThanOrEqual(3600_000);
  });

  it('hands tasks over when the routing flag flips: to another Bosun queue, and back to the legacy system', async () => {
    let document: RoutingDocument = defaultRoutingDocument('default');
    const routing = { current: async () => document };
    const legacy = sqsForwardingDestination({ name: 'legacy', queueUrl: resources.dlqUrl, sqs: sdk.sqs });
    const handler = handlerWith({ routing, destinations: [legacy] });

    const ranHere = await publish(envelope('it.succeed', { n: 1 }));
    await pollOnce(sdk, resources.queueUrl, handler);
    expect(await stateOf(ranHere.id)).toMatchObject({ status: 'succeeded' });

    document = { ...document, rules: [{ id: 'move-to-other', tasks: ['it.*'], destination: 'other' }] };
    const moved = await publish(envelope('it.succeed', { n: 2 }));
    await pollOnce(sdk, resources.queueUrl, handler);
    const [forwarded] = await receive(sdk, resources.otherQueueUrl, 1);
    expect(JSON.parse(forwarded?.Body ?? '{}')).toMatchObject({ id: moved.id, route: { destination: 'other', ruleId: 'move-to-other' } });
    expect(await stateOf(moved.id)).toMatchObject({ status: 'queued', queue: 'other' });

    document = { ...document, rules: [{ id: 'back-to-legacy', tasks: ['it.*'], destination: 'legacy' }] };
    const back = await publish(envelope('it.succeed', { n: 3 }));
    await pollOnce(sdk, resources.queueUrl, handler);
    const [handed] = await receive(sdk, resources.dlqUrl, 1);
    expect(JSON.parse(handed?.Body ?? '{}')).toMatchObject({ task: 'it.succeed', id: back.id, payload: { n: 3 }, ruleId: 'back-to-legacy' });
    expect(await stateOf(back.id)).toMatchObject({ status: 'rerouted', queue: 'legacy' });
    expect(runs.map((run) => run.taskId)).toEqual([ranHere.id]);
  });

  it('stops waiting for a task at its time limit and records the overrun', async () => {
    const env = await publish(envelope('it.overrun', {}));
    const started = Date.now();
    await pollOnce(sdk, resources.queueUrl, handlerWith());

    expect(Date.now() - started).toBeLessThan(5000);
    expect(await stateOf(env.id)).toMatchObject({
      status: 'dead',
      deadReason: 'attempts-exhausted',
      lastError: { type: 'TaskTimeLimitError', message: `task "it.overrun" (${env.id}) did not finish within its time limit of 1000 ms` },
    });
  });
});
