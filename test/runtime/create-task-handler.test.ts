import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { SendMessageCommand, type Message, type MessageAttributeValue } from '@aws-sdk/client-sqs';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import {
  MessageAttribute,
  TaskTable,
  defaultRoutingDocument,
  serializeEnvelope,
  taskResultKey,
  type ClaimCheckReference,
  type CustomDelivery,
  type RoutingDocument,
  type TaskEnvelope,
  type TaskStateItem,
} from '../../lib/contract';
import { ClaimCheckStore } from '../../lib/aws/claim-check';
import { TaskStateStore, leaseToken } from '../../lib/aws/task-state-store';
import {
  TaskHandlerConfigInvalidError,
  TaskNonRetryableError,
  createTaskHandler,
  defineTask,
  type CreateTaskHandlerOptions,
  type TaskContext,
} from '../../lib/runtime';
import {
  burnReceives,
  createResources,
  deleteResources,
  deliver,
  harnessClients,
  isolatedRuntimeClients,
  makeVisible,
  pollOnce,
  queueCounts,
  receive,
  sendBody,
  toRecord,
  type RuntimeResources,
} from './support/emulator-harness';
import { envelope, lambdaContext, quietTelemetry, sqsEvent, sqsRecord } from './support/factories';

/*
 * Every test that is about what a user observes runs against fauxqs and DynamoDB Local: the message in the DLQ with
 * its reason attributes, the item in the table, the object in the bucket, the copy in the queue with its delay, link
 * and attempts, and how often a handler ran. Only configuration validation (no AWS at all), the concurrency bound and
 * the injected failure of one AWS call go without the emulators' whole round trip.
 */

const { sdk, raw } = harnessClients();
let res: RuntimeResources;

interface Run {
  readonly task: string;
  readonly payload: unknown;
  readonly ctx: Pick<TaskContext, 'taskId' | 'taskName' | 'attempt' | 'maxAttempts'>;
  readonly atMs: number;
}
const runs: Run[] = [];
function recordRun(payload: unknown, ctx: TaskContext): void {
  runs.push({
    task: ctx.taskName,
    payload,
    ctx: { taskId: ctx.taskId, taskName: ctx.taskName, attempt: ctx.attempt, maxAttempts: ctx.maxAttempts },
    atMs: Date.now(),
  });
}

const echo = defineTask({
  name: 'test.echo',
  schema: z.object({ n: z.number() }),
  maxAttempts: 3,
  handler: (payload, ctx) => {
    recordRun(payload, ctx);
    return { doubled: payload.n * 2 };
  },
});
let failWith: Error | undefined;
const flaky = defineTask({
  name: 'test.flaky',
  schema: z.object({}),
  maxAttempts: 3,
  backoff: { baseSeconds: 2, capSeconds: 60 },
  handler: (payload, ctx) => {
    recordRun(payload, ctx);
    if (failWith !== undefined) throw failWith;
    return 'ok';
  },
});
const patient = defineTask({
  name: 'test.patient',
  schema: z.object({}),
  maxAttempts: 5,
  handler: (payload, ctx) => {
    recordRun(payload, ctx);
    throw new Error(`attempt ${ctx.attempt} failed`);
  },
});
const slow = defineTask({
  name: 'test.slow',
  schema: z.object({ ms: z.number() }),
  timeLimitSeconds: 1,
  maxAttempts: 3,
  handler: (payload, ctx) =>
    new Promise((resolve, reject) => {
      recordRun(payload, ctx);
      const timer = setTimeout(resolve, payload.ms);
      ctx.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        reject(new Error('aborted by signal'));
      });
    }),
});
const fragile = defineTask({
  name: 'test.fragile',
  schema: z.object({}),
  idempotent: false,
  timeLimitSeconds: 1,
  handler: (payload, ctx) => {
    recordRun(payload, ctx);
    return new Promise(() => undefined);
  },
});
let openGate: () => void = () => undefined;
const gated = defineTask({
  name: 'test.gated',
  schema: z.object({}),
  timeLimitSeconds: 2,
  handler: async (payload, ctx) => {
    recordRun(payload, ctx);
    await new Promise<void>((resolve) => {
      openGate = resolve;
    });
    return 'opened';
  },
});
const untracked = defineTask({
  name: 'test.untracked',
  schema: z.object({}),
  stateTracking: 'off',
  handler: (payload, ctx) => recordRun(payload, ctx),
});
const allTasks = [echo, flaky, patient, slow, fragile, gated, untracked];
const registered = 'test.echo, test.flaky, test.patient, test.slow, test.fragile, test.gated, test.untracked';

function handlerWith(overrides: Partial<CreateTaskHandlerOptions> = {}) {
  return createTaskHandler({
    tasks: allTasks,
    clients: sdk,
    queueName: 'default',
    queueUrl: res.queueUrl,
    dlqUrl: res.dlqUrl,
    queueUrls: { default: res.queueUrl, other: res.otherQueueUrl },
    maxReceiveCount: res.maxReceiveCount,
    tableName: res.tableName,
    bucketName: res.bucketName,
    random: () => 0.999,
    ...quietTelemetry(),
    ...overrides,
  });
}

/** Unique queues, table and bucket for every test of the enclosing describe, deleted after it. */
function useEmulatorResources(): void {
  beforeEach(async () => {
    res = await createResources(raw, 'handler');
  });
  afterEach(async () => {
    await deleteResources(raw, res);
  });
}

async function publish(env: TaskEnvelope, queueUrl = res.queueUrl): Promise<TaskEnvelope> {
  await sendBody(sdk, queueUrl, serializeEnvelope(env));
  return env;
}

async function stateOf(taskId: string): Promise<TaskStateItem | undefined> {
  const out = await sdk.dynamodb.send(new GetCommand({ TableName: res.tableName, Key: { taskId }, ConsistentRead: true }));
  return out.Item as TaskStateItem | undefined;
}

/** The one message of the DLQ, waiting up to a second for it; fails when there is none or more than one. */
async function onlyDeadLetter(): Promise<Message> {
  const messages = await receive(sdk, res.dlqUrl, 1);
  expect(messages).toHaveLength(1);
  return messages[0] as Message;
}

/** The dead-letter attributes of a DLQ message. */
function deadAttributes(message: Message): { reason?: string; detail?: string; attempts?: string; sourceQueue?: string } {
  const attribute = (name: string): string | undefined => message.MessageAttributes?.[name]?.StringValue;
  return {
    reason: attribute(MessageAttribute.DEAD_REASON),
    detail: attribute(MessageAttribute.DEAD_DETAIL),
    attempts: attribute(MessageAttribute.ATTEMPTS),
    sourceQueue: attribute(MessageAttribute.SOURCE_QUEUE),
  };
}

function bodyOf(message: Message | undefined): unknown {
  return JSON.parse(message?.Body ?? 'null') as unknown;
}

/** Receives from `queueUrl` until a message arrives or `timeoutMs` passes; returns it with its arrival time. */
async function nextMessage(queueUrl: string, timeoutMs: number): Promise<{ message: Message | undefined; atMs: number }> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const [message] = await receive(sdk, queueUrl, 1);
    if (message !== undefined) return { message, atMs: Date.now() };
  }
  return { message: undefined, atMs: Date.now() };
}

async function until(condition: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** An envelope whose payload is claim-checked under `ref`. */
function claimChecked(base: TaskEnvelope, ref: ClaimCheckReference): TaskEnvelope {
  const { payload: _payload, ...rest } = base;
  return { ...rest, claimCheck: ref };
}

/** A Lambda context whose invocation starts with `budgetMs` and has only `leftMs` left from the first step on. */
function contextRunningOut(budgetMs: number, leftMs: number): Context {
  let first = true;
  return {
    ...lambdaContext(budgetMs),
    getRemainingTimeInMillis: () => {
      const remaining = first ? budgetMs : leftMs;
      first = false;
      return remaining;
    },
  };
}

beforeEach(() => {
  runs.length = 0;
  failWith = undefined;
});

afterAll(() => {
  raw.sqs.destroy();
  raw.s3.destroy();
  raw.dynamodb.destroy();
  sdk.sqs.destroy();
  sdk.s3.destroy();
  sdk.dynamodb.destroy();
  sdk.appConfigData.destroy();
});

describe('createTaskHandler', () => {
  describe('success', () => {
    useEmulatorResources();

    it('runs the task with its validated payload, records it succeeded with the inline result, and leaves the queues empty', async () => {
      const env = await publish(envelope('test.echo', { n: 21 }));
      const { response } = await pollOnce(sdk, res.queueUrl, handlerWith());

      expect(response).toEqual({ batchItemFailures: [] });
      expect(runs).toEqual([
        { task: 'test.echo', payload: { n: 21 }, ctx: { taskId: env.id, taskName: 'test.echo', attempt: 1, maxAttempts: 3 }, atMs: expect.any(Number) },
      ]);
      expect(await stateOf(env.id)).toMatchObject({ status: 'succeeded', taskName: 'test.echo', attempts: 1, result: { doubled: 42 }, queue: 'default' });
      expect(await receive(sdk, res.queueUrl)).toEqual([]);
      expect(await receive(sdk, res.dlqUrl)).toEqual([]);
    });

    it('stores a result larger than the inline limit under task-results/<taskId>.json and records a reference to it', async () => {
      const env = await publish(envelope('test.echo', { n: 1 }));
      await pollOnce(sdk, res.queueUrl, handlerWith({ resultInlineLimitBytes: 5 }));

      const key = `task-results/${env.id}.json`;
      expect(taskResultKey(env.id)).toBe(key);
      const object = await sdk.s3.send(new GetObjectCommand({ Bucket: res.bucketName, Key: key }));
      expect(await object.Body?.transformToString()).toBe('{"doubled":2}');
      const state = await stateOf(env.id);
      expect(state).toMatchObject({
        status: 'succeeded',
        resultRef: { bucket: res.bucketName, key, bytes: Buffer.byteLength('{"doubled":2}') },
      });
      expect(state?.result).toBeUndefined();
    });

    it('runs a task with state tracking off and writes no task state for it', async () => {
      const env = await publish(envelope('test.untracked', {}));
      const { response } = await pollOnce(sdk, res.queueUrl, handlerWith());

      expect(response.batchItemFailures).toEqual([]);
      expect(runs.map((run) => run.ctx.taskId)).toEqual([env.id]);
      expect(await stateOf(env.id)).toBeUndefined();
      expect(await receive(sdk, res.queueUrl)).toEqual([]);
    });
  });

  describe('poison messages', () => {
    useEmulatorResources();

    it('sends a body that is not JSON to the DLQ at once, with the reason, detail, attempts and source queue', async () => {
      await sendBody(sdk, res.queueUrl, '{not json');
      const { response } = await pollOnce(sdk, res.queueUrl, handlerWith());

      expect(response.batchItemFailures).toEqual([]);
      const dead = await onlyDeadLetter();
      expect(dead.Body).toBe('{not json');
      expect(deadAttributes(dead)).toEqual({
        reason: 'malformed-message',
        detail: 'message body is not valid JSON (9 characters)',
        attempts: '1',
        sourceQueue: res.queueUrl,
      });
      expect(await receive(sdk, res.queueUrl)).toEqual([]);
    });

    it('leaves deleting the acknowledged message to the event source mapping', async () => {
      await sendBody(sdk, res.queueUrl, '{not json');
      const [message] = await receive(sdk, res.queueUrl, 1);
      const response = await handlerWith()(sqsEvent(toRecord(message as Message, res.queueUrl)), lambdaContext());

      expect(response.batchItemFailures).toEqual([]);
      await onlyDeadLetter();
      // Still in flight: SQS refuses a visibility change of a deleted message.
      await makeVisible(sdk, res.queueUrl, message as Message);
      expect((await receive(sdk, res.queueUrl, 1)).map((m) => m.MessageId)).toEqual([message?.MessageId]);
    });

    it('dead-letters an unsupported envelope version as unsupported-version', async () => {
      await sendBody(sdk, res.queueUrl, JSON.stringify({ ...envelope('test.echo', { n: 1 }), v: 99 }));
      await pollOnce(sdk, res.queueUrl, handlerWith());

      expect(deadAttributes(await onlyDeadLetter())).toMatchObject({
        reason: 'unsupported-version',
        detail: 'envelope version 99 is not supported (supported: 1)',
      });
      expect(await receive(sdk, res.queueUrl)).toEqual([]);
    });

    it('dead-letters an unknown task name and records the task as dead in the dead-tasks index', async () => {
      const env = await publish(envelope('test.nobody', {}));
      await pollOnce(sdk, res.queueUrl, handlerWith());

      expect(deadAttributes(await onlyDeadLetter())).toMatchObject({
        reason: 'unknown-task',
        detail: `task "test.nobody" is not registered with this consumer (registered: ${registered})`,
      });
      expect(await stateOf(env.id)).toMatchObject({ status: 'dead', deadReason: 'unknown-task', deadTaskName: 'test.nobody' });
      const listed = await sdk.dynamodb.send(
        new QueryCommand({
          TableName: res.tableName,
          IndexName: TaskTable.DEAD_TASKS_INDEX,
          KeyConditionExpression: '#name = :name',
          ExpressionAttributeNames: { '#name': TaskTable.DEAD_TASK_NAME },
          ExpressionAttributeValues: { ':name': 'test.nobody' },
        }),
      );
      expect(listed.Items?.map((item) => item['taskId'])).toEqual([env.id]);
    });

    it('dead-letters a payload that fails the schema, naming the field but not the value, without running the task', async () => {
      const env = await publish(envelope('test.echo', { n: 'secret-value' }));
      await pollOnce(sdk, res.queueUrl, handlerWith());

      const dead = await onlyDeadLetter();
      expect(deadAttributes(dead)).toMatchObject({
        reason: 'invalid-payload',
        detail: 'payload of task "test.echo" failed its schema: n: Invalid input: expected number, received string',
      });
      expect(JSON.stringify(dead.MessageAttributes)).not.toContain('secret-value');
      expect(runs).toEqual([]);
      expect(await stateOf(env.id)).toMatchObject({ status: 'dead', deadReason: 'invalid-payload' });
    });

    it('keeps the message in the queue, reported as failed, when the DLQ send fails', async () => {
      await sendBody(sdk, res.queueUrl, '{not json');
      const [message] = await receive(sdk, res.queueUrl, 1);
      const response = await deliver(sdk, res.queueUrl, [message as Message], handlerWith({ dlqUrl: `${res.dlqUrl}-missing` }));

      expect(response.batchItemFailures).toEqual([{ itemIdentifier: message?.MessageId }]);
      await makeVisible(sdk, res.queueUrl, message as Message);
      expect((await receive(sdk, res.queueUrl, 1)).map((m) => m.Body)).toEqual(['{not json']);
      expect(await receive(sdk, res.dlqUrl)).toEqual([]);
    });
  });

  describe('claim checks', () => {
    useEmulatorResources();

    const store = (): ClaimCheckStore => new ClaimCheckStore({ s3: sdk.s3, bucket: res.bucketName });

    it('runs the task with the fetched payload and keeps the object for a late copy of the message', async () => {
      const base = envelope('test.echo', undefined);
      const ref = await store().put(base.id, '{"n":4}');
      await publish(claimChecked(base, ref));
      await pollOnce(sdk, res.queueUrl, handlerWith());

      expect(runs.map((run) => run.payload)).toEqual([{ n: 4 }]);
      expect(await stateOf(base.id)).toMatchObject({ status: 'succeeded', result: { doubled: 8 } });
      await expect(sdk.s3.send(new HeadObjectCommand({ Bucket: ref.bucket, Key: ref.key }))).resolves.toMatchObject({ ContentLength: ref.bytes });
    });

    it('dead-letters the task as claim-check-missing when the object is gone', async () => {
      const base = envelope('test.echo', undefined);
      const ref = { bucket: res.bucketName, key: `claim-checks/${base.id}/gone`, bytes: 7, sha256: 'a'.repeat(64) };
      await publish(claimChecked(base, ref));
      const { response } = await pollOnce(sdk, res.queueUrl, handlerWith());

      expect(response.batchItemFailures).toEqual([]);
      expect(deadAttributes(await onlyDeadLetter()).reason).toBe('claim-check-missing');
      expect(await stateOf(base.id)).toMatchObject({ status: 'dead', deadReason: 'claim-check-missing' });
      expect(runs).toEqual([]);
    });

    it('dead-letters the task as claim-check-corrupt when the object differs from the reference, and keeps the object', async () => {
      const base = envelope('test.echo', undefined);
      const ref = await store().put(base.id, '{"n":4}');
      await sdk.s3.send(new PutObjectCommand({ Bucket: ref.bucket, Key: ref.key, Body: '{"n":5}' }));
      await publish(claimChecked(base, ref));
      await pollOnce(sdk, res.queueUrl, handlerWith());

      expect(deadAttributes(await onlyDeadLetter()).reason).toBe('claim-check-corrupt');
      expect(await stateOf(base.id)).toMatchObject({ status: 'dead', deadReason: 'claim-check-corrupt' });
      expect(runs).toEqual([]);
      await expect(sdk.s3.send(new HeadObjectCommand({ Bucket: ref.bucket, Key: ref.key }))).resolves.toMatchObject({ ContentLength: 7 });
    });

    it.each([
      ['another task’s prefix', (id: string, bucket: string) => ({ bucket, key: `claim-checks/${id}-other/abc` })],
      ['a key outside claim-checks/', (id: string, bucket: string) => ({ bucket, key: `task-results/${id}.json` })],
      ['another bucket', (id: string) => ({ bucket: 'someone-elses-bucket', key: `claim-checks/${id}/abc` })],
    ])('dead-letters a reference to %s as malformed-message without running the task', async (_case, where) => {
      const base = envelope('test.echo', undefined);
      const { bucket, key } = where(base.id, res.bucketName);
      await publish(claimChecked(base, { bucket, key, bytes: 7, sha256: 'a'.repeat(64) }));
      await pollOnce(sdk, res.queueUrl, handlerWith());

      expect(deadAttributes(await onlyDeadLetter())).toMatchObject({
        reason: 'malformed-message',
        detail: `claim-check reference must name an object under claim-checks/${base.id}/ in bucket ${res.bucketName} (given ${bucket}/${key})`,
      });
      expect(runs).toEqual([]);
    });

    it('retries later, writing no state, when S3 fails for another reason; the next delivery runs the task', async () => {
      let s3Down = true;
      const clients = isolatedRuntimeClients();
      clients.s3.middlewareStack.add(
        (next, context) => async (args) => {
          if (s3Down && context.commandName === 'GetObjectCommand') {
            throw Object.assign(new Error('We encountered an internal error. Please try again.'), { name: 'InternalError', $metadata: { httpStatusCode: 500 } });
          }
          return next(args);
        },
        { step: 'initialize', name: 'failGetObject' },
      );
      try {
        const base = envelope('test.echo', undefined);
        const ref = await store().put(base.id, '{"n":4}');
        await publish(claimChecked(base, ref));
        const [message] = await receive(sdk, res.queueUrl, 1);
        const handler = handlerWith({ clients });
        const response = await deliver(sdk, res.queueUrl, [message as Message], handler);

        expect(response.batchItemFailures).toEqual([{ itemIdentifier: message?.MessageId }]);
        expect(await receive(sdk, res.dlqUrl)).toEqual([]);
        expect(await stateOf(base.id)).toBeUndefined();
        expect(runs).toEqual([]);

        s3Down = false;
        await makeVisible(sdk, res.queueUrl, message as Message);
        await pollOnce(sdk, res.queueUrl, handler);
        expect(runs.map((run) => run.payload)).toEqual([{ n: 4 }]);
        expect(await stateOf(base.id)).toMatchObject({ status: 'succeeded' });
      } finally {
        clients.destroy();
      }
    });
  });

  describe('ETA', () => {
    useEmulatorResources();

    it('re-sends a task whose ETA is beyond the delay cap as the next link, delayed by the cap, keeping id and attempts', async () => {
      const eta = new Date(Date.now() + 3600_000).toISOString();
      const env = await publish(envelope('test.echo', { n: 1 }, { eta, attempts: 2 }));
      const { response } = await pollOnce(sdk, res.queueUrl, handlerWith({ maxDelaySeconds: 2 }));
      const sentAtMs = Date.now();

      expect(response.batchItemFailures).toEqual([]);
      expect(await queueCounts(sdk, res.queueUrl)).toEqual({ visible: 0, inFlight: 0, delayed: 1 });
      expect(await stateOf(env.id)).toMatchObject({ status: 'scheduled', eta, link: 1 });
      const { message, atMs } = await nextMessage(res.queueUrl, 5000);
      expect(bodyOf(message)).toEqual({ ...env, attempts: 2, link: 1 });
      expect(message?.Attributes?.['ApproximateReceiveCount']).toBe('1');
      expect(atMs - sentAtMs).toBeGreaterThanOrEqual(1000);
      expect(atMs - sentAtMs).toBeLessThan(4000);
      expect(runs).toEqual([]);
    });

    it('delays the copy by the time left when it is under the cap, so the task runs when due after one hop', async () => {
      const eta = new Date(Date.now() + 2500).toISOString();
      const env = await publish(envelope('test.echo', { n: 1 }, { eta }));
      const handler = handlerWith();
      await pollOnce(sdk, res.queueUrl, handler);
      expect(await stateOf(env.id)).toMatchObject({ status: 'scheduled', link: 1 });

      const { message } = await nextMessage(res.queueUrl, 6000);
      await deliver(sdk, res.queueUrl, [message as Message], handler);

      expect(runs).toHaveLength(1);
      expect(runs[0]?.atMs).toBeGreaterThanOrEqual(Date.parse(eta) - 1000);
      expect(await stateOf(env.id)).toMatchObject({ status: 'succeeded', link: 1 });
    });

    it('runs a task whose ETA has passed', async () => {
      const env = await publish(envelope('test.echo', { n: 1 }, { eta: new Date(Date.now() - 10).toISOString() }));
      await pollOnce(sdk, res.queueUrl, handlerWith());

      expect(runs.map((run) => run.ctx.taskId)).toEqual([env.id]);
      expect(await stateOf(env.id)).toMatchObject({ status: 'succeeded' });
    });
  });

  describe('route re-check', () => {
    useEmulatorResources();

    const source = (doc: RoutingDocument) => ({ current: async () => doc });
    const toLegacy: RoutingDocument = {
      ...defaultRoutingDocument('default'),
      rules: [{ id: 'back-to-legacy', tasks: ['test.*'], destination: 'legacy' }],
    };

    it('hands the task to a custom destination with its payload and records it rerouted, without running it', async () => {
      const deliveries: CustomDelivery[] = [];
      const legacy = { name: 'legacy', deliver: async (d: CustomDelivery) => void deliveries.push(d) };
      const env = await publish(envelope('test.echo', { n: 3 }));
      const { response } = await pollOnce(sdk, res.queueUrl, handlerWith({ routing: source(toLegacy), destinations: [legacy] }));

      expect(response.batchItemFailures).toEqual([]);
      expect(runs).toEqual([]);
      expect(deliveries).toHaveLength(1);
      expect(deliveries[0]?.payload).toEqual({ n: 3 });
      expect(deliveries[0]?.envelope).toMatchObject({ id: env.id, route: { destination: 'legacy', ruleId: 'back-to-legacy' } });
      expect(await stateOf(env.id)).toMatchObject({ status: 'rerouted', queue: 'legacy', route: { destination: 'legacy', ruleId: 'back-to-legacy' } });
      expect(await receive(sdk, res.queueUrl)).toEqual([]);
    });

    it('moves the task to another Bosun queue as the next link and records it queued there', async () => {
      const env = await publish(envelope('test.echo', { n: 3 }));
      await pollOnce(sdk, res.queueUrl, handlerWith({ routing: source(defaultRoutingDocument('other')) }));

      const [moved] = await receive(sdk, res.otherQueueUrl, 1);
      expect(bodyOf(moved)).toEqual({ ...env, link: 1, route: { destination: 'other', ruleId: null } });
      expect(await stateOf(env.id)).toMatchObject({ status: 'queued', queue: 'other', link: 1 });
      expect(await receive(sdk, res.queueUrl)).toEqual([]);
      expect(runs).toEqual([]);
    });

    it('dead-letters a task routed to a destination nobody registered', async () => {
      const env = await publish(envelope('test.echo', { n: 3 }));
      await pollOnce(sdk, res.queueUrl, handlerWith({ routing: source(toLegacy) }));

      expect(deadAttributes(await onlyDeadLetter())).toMatchObject({
        reason: 'unknown-destination',
        detail: 'routing sends task "test.echo" to "legacy", which is neither a Bosun queue nor a registered destination',
      });
      expect(await stateOf(env.id)).toMatchObject({ status: 'dead', deadReason: 'unknown-destination' });
      expect(runs).toEqual([]);
    });

    it('holds a paused task back as a fresh copy with the pause delay instead of running or dead-lettering it', async () => {
      const paused = { ...defaultRoutingDocument('default'), paused: ['test.echo'] };
      const env = await publish(envelope('test.echo', { n: 3 }));
      await burnReceives(sdk, res.queueUrl, 1);
      const { response } = await pollOnce(sdk, res.queueUrl, handlerWith({ routing: source(paused), pauseDelaySeconds: 2 }));
      const sentAtMs = Date.now();

      expect(response.batchItemFailures).toEqual([]);
      expect(runs).toEqual([]);
      expect(await receive(sdk, res.dlqUrl)).toEqual([]);
      expect(await queueCounts(sdk, res.queueUrl)).toEqual({ visible: 0, inFlight: 0, delayed: 1 });
      expect(await stateOf(env.id)).toMatchObject({ status: 'queued', link: 1 });
      const { message, atMs } = await nextMessage(res.queueUrl, 5000);
      // The burnt receive counts as an attempt; the copy starts a fresh receive count.
      expect(bodyOf(message)).toEqual({ ...env, attempts: 1, link: 1 });
      expect(message?.Attributes?.['ApproximateReceiveCount']).toBe('1');
      expect(atMs - sentAtMs).toBeGreaterThanOrEqual(1000);
    });

    it('runs the task when the route still points at this queue', async () => {
      const env = await publish(envelope('test.echo', { n: 3 }));
      await pollOnce(sdk, res.queueUrl, handlerWith({ routing: source(defaultRoutingDocument('default')) }));

      expect(runs.map((run) => run.ctx.taskId)).toEqual([env.id]);
      expect(await stateOf(env.id)).toMatchObject({ status: 'succeeded' });
    });
  });

  describe('claiming', () => {
    useEmulatorResources();

    it('acknowledges a duplicate of a finished task without running it or any send, even after a flag flip', async () => {
      const env = await publish(envelope('test.echo', { n: 1 }));
      await pollOnce(sdk, res.queueUrl, handlerWith());
      const finished = await stateOf(env.id);
      expect(finished).toMatchObject({ status: 'succeeded' });

      const deliveries: CustomDelivery[] = [];
      const legacy = { name: 'legacy', deliver: async (d: CustomDelivery) => void deliveries.push(d) };
      const flipped = { ...defaultRoutingDocument('default'), rules: [{ id: 'to-legacy', tasks: ['test.*'], destination: 'legacy' }] };
      await publish(env);
      const second = await pollOnce(sdk, res.queueUrl, handlerWith({ routing: { current: async () => flipped }, destinations: [legacy] }));

      expect(second).toEqual({ received: 1, response: { batchItemFailures: [] } });
      expect(runs).toHaveLength(1);
      expect(deliveries).toEqual([]);
      expect(await stateOf(env.id)).toEqual(finished);
      expect(await receive(sdk, res.queueUrl)).toEqual([]);
      expect(await receive(sdk, res.dlqUrl)).toEqual([]);
      expect(await receive(sdk, res.otherQueueUrl)).toEqual([]);
    });

    it('acknowledges another copy of a task that is running under a live lease, without running it', async () => {
      const env = await publish(envelope('test.gated', {}));
      const handler = handlerWith();
      const first = pollOnce(sdk, res.queueUrl, handler);
      await until(async () => (await stateOf(env.id))?.status === 'running');

      await publish(env);
      const second = await pollOnce(sdk, res.queueUrl, handler);
      expect(second.response.batchItemFailures).toEqual([]);
      expect(runs).toHaveLength(1);

      openGate();
      await first;
      expect(await stateOf(env.id)).toMatchObject({ status: 'succeeded', result: 'opened' });
      expect(await receive(sdk, res.queueUrl)).toEqual([]);
      expect(runs).toHaveLength(1);
    });

    it('returns a redelivery of the message that holds the lease until the lease ends, without running it twice', async () => {
      const handler = handlerWith({ safetyMarginMs: 100 });
      const env = await publish(envelope('test.gated', {}));
      const [firstDelivery] = await receive(sdk, res.queueUrl, 1);
      // Its lease on the task ends at the 2 s time limit plus the 0.1 s margin and 5 s of room for closing writes.
      const first = deliver(sdk, res.queueUrl, [firstDelivery as Message], handler, lambdaContext(3000));
      await until(async () => (await stateOf(env.id))?.status === 'running');

      await makeVisible(sdk, res.queueUrl, firstDelivery as Message);
      const [redelivery] = await receive(sdk, res.queueUrl, 1);
      const returnedAtMs = Date.now();
      const response = await deliver(sdk, res.queueUrl, [redelivery as Message], handler);
      expect(response.batchItemFailures).toEqual([{ itemIdentifier: redelivery?.MessageId }]);
      openGate();
      await first;

      // Back when the lease ends (about 7 s), not after the queue's 30 s visibility timeout.
      const { message, atMs } = await nextMessage(res.queueUrl, 12_000);
      expect(message?.MessageId).toBe(redelivery?.MessageId);
      expect(atMs - returnedAtMs).toBeGreaterThanOrEqual(1000);
      expect((await deliver(sdk, res.queueUrl, [message as Message], handler)).batchItemFailures).toEqual([]);
      expect(runs).toHaveLength(1);
      expect(await stateOf(env.id)).toMatchObject({ status: 'succeeded' });
      expect(await receive(sdk, res.queueUrl)).toEqual([]);
    });

    /** Records `env` as claimed by a delivery that died: `running` with a lease that has ended. */
    async function interruptedRun(env: TaskEnvelope): Promise<void> {
      const state = new TaskStateStore({ dynamodb: sdk.dynamodb, tableName: res.tableName });
      const lease = await state.acquire({
        task: env,
        purpose: 'claim',
        token: leaseToken('a-delivery-that-died'),
        leaseUntilMs: Date.now() - 1,
        queue: 'default',
        attempt: 1,
        redriven: false,
      });
      expect(lease.kind).toBe('acquired');
    }

    it('dead-letters a non-idempotent task whose earlier attempt was interrupted, without running it again', async () => {
      const env = envelope('test.fragile', {});
      await interruptedRun(env);
      await publish(env);
      await pollOnce(sdk, res.queueUrl, handlerWith());

      expect(deadAttributes(await onlyDeadLetter())).toMatchObject({
        reason: 'non-retryable',
        detail: 'task "test.fragile" is not idempotent and an earlier attempt was interrupted mid-run; not running it again',
      });
      expect(await stateOf(env.id)).toMatchObject({ status: 'dead', deadReason: 'non-retryable' });
      expect(runs).toEqual([]);
    });

    it('runs an idempotent task whose earlier attempt was interrupted again', async () => {
      const env = envelope('test.echo', { n: 5 });
      await interruptedRun(env);
      await publish(env);
      await pollOnce(sdk, res.queueUrl, handlerWith());

      expect(runs.map((run) => run.ctx.taskId)).toEqual([env.id]);
      expect(await stateOf(env.id)).toMatchObject({ status: 'succeeded', result: { doubled: 10 } });
    });

    it('lets a redriven copy (carrying the dead-letter attributes) take a dead task and run it', async () => {
      failWith = new TaskNonRetryableError('account closed');
      const env = await publish(envelope('test.flaky', {}));
      await pollOnce(sdk, res.queueUrl, handlerWith());
      expect(await stateOf(env.id)).toMatchObject({ status: 'dead' });
      const dead = await onlyDeadLetter();

      failWith = undefined;
      await sdk.sqs.send(
        new SendMessageCommand({
          QueueUrl: res.queueUrl,
          MessageBody: dead.Body,
          MessageAttributes: dead.MessageAttributes as Record<string, MessageAttributeValue>,
        }),
      );
      await pollOnce(sdk, res.queueUrl, handlerWith());

      expect(runs).toHaveLength(2);
      expect(await stateOf(env.id)).toMatchObject({ status: 'succeeded', result: 'ok' });
      expect(await stateOf(env.id)).not.toHaveProperty('deadReason');
    });

    it('acknowledges a plain copy of a dead task without running it', async () => {
      failWith = new TaskNonRetryableError('account closed');
      const env = await publish(envelope('test.flaky', {}));
      await pollOnce(sdk, res.queueUrl, handlerWith());
      await onlyDeadLetter();

      failWith = undefined;
      await publish(env);
      const { response } = await pollOnce(sdk, res.queueUrl, handlerWith());

      expect(response.batchItemFailures).toEqual([]);
      expect(runs).toHaveLength(1);
      expect(await stateOf(env.id)).toMatchObject({ status: 'dead', deadReason: 'non-retryable' });
      expect(await receive(sdk, res.dlqUrl)).toEqual([]);
    });

    it('dead-letters a message that claims the id of a task of another name, leaving that task’s state untouched', async () => {
      const victim = await publish(envelope('test.echo', { n: 1 }));
      await pollOnce(sdk, res.queueUrl, handlerWith());
      const before = await stateOf(victim.id);
      expect(before).toMatchObject({ status: 'succeeded', taskName: 'test.echo' });

      await publish(envelope('test.flaky', {}, { id: victim.id }));
      await pollOnce(sdk, res.queueUrl, handlerWith());

      expect(deadAttributes(await onlyDeadLetter())).toMatchObject({
        reason: 'malformed-message',
        detail: `task id ${victim.id} belongs to a task named "test.echo", not "test.flaky"; the message was not trusted`,
      });
      expect(await stateOf(victim.id)).toEqual(before);
      expect(runs.map((run) => run.task)).toEqual(['test.echo']);
    });

    it('acknowledges a copy of an older link of the task without effect', async () => {
      const env = await publish(envelope('test.echo', { n: 1 }, { eta: new Date(Date.now() + 3600_000).toISOString() }));
      await pollOnce(sdk, res.queueUrl, handlerWith());
      const scheduled = await stateOf(env.id);
      expect(scheduled).toMatchObject({ status: 'scheduled', link: 1 });

      await publish(env);
      const { response } = await pollOnce(sdk, res.queueUrl, handlerWith());

      expect(response.batchItemFailures).toEqual([]);
      expect(await stateOf(env.id)).toEqual(scheduled);
      expect(await queueCounts(sdk, res.queueUrl)).toEqual({ visible: 0, inFlight: 0, delayed: 1 });
      expect(runs).toEqual([]);
    });
  });

  describe('failures', () => {
    useEmulatorResources();

    it('reports the failure, records retrying with the error, and the message comes back after the backoff', async () => {
      failWith = new Error('downstream said 503');
      const env = await publish(envelope('test.flaky', {}));
      const handler = handlerWith();
      const first = await pollOnce(sdk, res.queueUrl, handler);
      const failedAtMs = Date.now();

      expect(first.response.batchItemFailures).toHaveLength(1);
      expect(await stateOf(env.id)).toMatchObject({ status: 'retrying', attempts: 1, lastError: { type: 'Error', message: 'downstream said 503' } });
      // attempt 1, base 2 s → ceiling 2 s; random 0.999 → 2 s (the queue's own visibility timeout is 30 s)
      failWith = undefined;
      const { message, atMs } = await nextMessage(res.queueUrl, 5000);
      expect(atMs - failedAtMs).toBeGreaterThanOrEqual(1000);
      await deliver(sdk, res.queueUrl, [message as Message], handler);

      expect(runs.map((run) => run.ctx.attempt)).toEqual([1, 2]);
      expect(await stateOf(env.id)).toMatchObject({ status: 'succeeded', attempts: 2 });
    });

    it('sends the task to the DLQ as attempts-exhausted on its last attempt, keeping the original body', async () => {
      failWith = new Error('still broken');
      const env = await publish(envelope('test.flaky', {}, { attempts: 1 }));
      await burnReceives(sdk, res.queueUrl, 1);
      const { response } = await pollOnce(sdk, res.queueUrl, handlerWith());

      expect(response.batchItemFailures).toEqual([]);
      expect(runs.map((run) => run.ctx.attempt)).toEqual([3]);
      const dead = await onlyDeadLetter();
      expect(dead.Body).toBe(serializeEnvelope(env));
      expect(deadAttributes(dead)).toEqual({ reason: 'attempts-exhausted', detail: 'Error: still broken', attempts: '3', sourceQueue: res.queueUrl });
      expect(await stateOf(env.id)).toMatchObject({ status: 'dead', deadReason: 'attempts-exhausted', attempts: 3, lastError: { type: 'Error', message: 'still broken' } });
      expect(await receive(sdk, res.queueUrl)).toEqual([]);
    });

    it('sends a fresh copy instead of running on the queue’s last receive, so SQS never moves the task without a reason', async () => {
      const env = await publish(envelope('test.patient', {}));
      await burnReceives(sdk, res.queueUrl, res.maxReceiveCount - 1);
      const { response } = await pollOnce(sdk, res.queueUrl, handlerWith());

      expect(response.batchItemFailures).toEqual([]);
      expect(runs).toEqual([]);
      expect(await receive(sdk, res.dlqUrl)).toEqual([]);
      const [copy] = await receive(sdk, res.queueUrl, 1);
      expect(bodyOf(copy)).toEqual({ ...env, attempts: 4, link: 1 });
      expect(copy?.Attributes?.['ApproximateReceiveCount']).toBe('1');

      await deliver(sdk, res.queueUrl, [copy as Message], handlerWith());
      expect(runs.map((run) => run.ctx.attempt)).toEqual([5]);
      expect(deadAttributes(await onlyDeadLetter())).toMatchObject({ reason: 'attempts-exhausted', detail: 'Error: attempt 5 failed', attempts: '5' });
      expect(await stateOf(env.id)).toMatchObject({ status: 'dead', deadReason: 'attempts-exhausted', attempts: 5 });
    });

    it('dead-letters a non-retryable error on the first attempt', async () => {
      failWith = new TaskNonRetryableError('account closed');
      const env = await publish(envelope('test.flaky', {}));
      await pollOnce(sdk, res.queueUrl, handlerWith());

      expect(deadAttributes(await onlyDeadLetter())).toMatchObject({
        reason: 'non-retryable',
        detail: 'TaskNonRetryableError: account closed',
        attempts: '1',
      });
      expect(await stateOf(env.id)).toMatchObject({ status: 'dead', deadReason: 'non-retryable', attempts: 1 });
      expect(runs).toHaveLength(1);
    });

    it('aborts the signal at the time limit and retries the attempt', async () => {
      const env = await publish(envelope('test.slow', { ms: 5000 }));
      const started = Date.now();
      const { response } = await pollOnce(sdk, res.queueUrl, handlerWith());

      expect(Date.now() - started).toBeLessThan(2500);
      expect(response.batchItemFailures).toHaveLength(1);
      expect(await stateOf(env.id)).toMatchObject({
        status: 'retrying',
        lastError: { type: 'TaskTimeLimitError', message: `task "test.slow" (${env.id}) did not finish within its time limit of 1000 ms` },
      });
    });

    it('dead-letters a non-idempotent task that hit its time limit instead of running it again', async () => {
      const env = await publish(envelope('test.fragile', {}));
      await pollOnce(sdk, res.queueUrl, handlerWith());

      expect(deadAttributes(await onlyDeadLetter())).toMatchObject({
        reason: 'non-retryable',
        detail: `TaskTimeLimitError: task "test.fragile" (${env.id}) did not finish within its time limit of 1000 ms`,
      });
      expect(await stateOf(env.id)).toMatchObject({ status: 'dead', deadReason: 'non-retryable' });
      expect(runs).toHaveLength(1);
    });

    it('dead-letters a task whose earlier receives ended without an outcome once its attempts are spent, without running it', async () => {
      const env = await publish(envelope('test.echo', { n: 1 }));
      await burnReceives(sdk, res.queueUrl, 3);
      await pollOnce(sdk, res.queueUrl, handlerWith());

      expect(runs).toEqual([]);
      expect(deadAttributes(await onlyDeadLetter())).toMatchObject({
        reason: 'attempts-exhausted',
        detail: 'task "test.echo" used 3 of 3 attempts without an outcome (earlier receives ended without one)',
        attempts: '3',
      });
      expect(await stateOf(env.id)).toMatchObject({ status: 'dead', deadReason: 'attempts-exhausted', attempts: 3 });
    });
  });

  describe('the batch', () => {
    useEmulatorResources();

    it('sends a message the invocation has no time left for back as a fresh delayed copy, attempts unchanged, without running it', async () => {
      const env = await publish(envelope('test.echo', { n: 1 }, { attempts: 1 }));
      const { response } = await pollOnce(sdk, res.queueUrl, handlerWith({ releaseDelaySeconds: 2 }), 1, contextRunningOut(60_000, 10_000));
      const sentAtMs = Date.now();

      expect(response.batchItemFailures).toEqual([]);
      expect(runs).toEqual([]);
      expect(await stateOf(env.id)).toBeUndefined();
      expect(await queueCounts(sdk, res.queueUrl)).toEqual({ visible: 0, inFlight: 0, delayed: 1 });
      const { message, atMs } = await nextMessage(res.queueUrl, 5000);
      expect(bodyOf(message)).toEqual(env);
      expect(message?.Attributes?.['ApproximateReceiveCount']).toBe('1');
      expect(atMs - sentAtMs).toBeGreaterThanOrEqual(1000);
      expect(await receive(sdk, res.dlqUrl)).toEqual([]);
    });

    it('dead-letters a task whose time limit can never fit in the invocation, with a clear detail, and only that one', async () => {
      const neverFits = await publish(envelope('test.echo', { n: 1 }));
      await pollOnce(sdk, res.queueUrl, handlerWith(), 1, lambdaContext(20_000));
      const timeUsedUp = await publish(envelope('test.echo', { n: 2 }));
      await pollOnce(sdk, res.queueUrl, handlerWith(), 1, contextRunningOut(60_000, 10_000));

      const dead = await onlyDeadLetter();
      expect(bodyOf(dead)).toEqual(neverFits);
      expect(deadAttributes(dead).reason).toBe('non-retryable');
      expect(deadAttributes(dead).detail).toMatch(
        /^task "test\.echo" has a time limit of 30000 ms, which with the 2000 ms safety margin exceeds this consumer's whole invocation budget \(\d+ ms\): it can never start here; raise the function timeout or lower the time limit, then redrive$/,
      );
      expect(await stateOf(neverFits.id)).toMatchObject({ status: 'dead', deadReason: 'non-retryable' });
      expect(await stateOf(timeUsedUp.id)).toBeUndefined();
      expect(await queueCounts(sdk, res.queueUrl)).toEqual({ visible: 0, inFlight: 0, delayed: 1 });
      expect(runs).toEqual([]);
    });

    it('keeps outcomes independent: one failing AWS call fails only its own message', async () => {
      const good = await publish(envelope('test.echo', { n: 1 }));
      const bad = await publish(envelope('test.echo', { n: 2 }));
      const clients = isolatedRuntimeClients();
      clients.dynamodb.middlewareStack.add(
        (next) => async (args) => {
          if (JSON.stringify(args.input).includes(bad.id)) {
            throw Object.assign(new Error('Rate of requests exceeds the allowed throughput'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });
          }
          return next(args);
        },
        { step: 'initialize', name: 'throttleOneTask' },
      );
      try {
        const messages = [...(await receive(sdk, res.queueUrl, 1)), ...(await receive(sdk, res.queueUrl, 1))];
        expect(messages).toHaveLength(2);
        const badMessage = messages.find((message) => message.Body === serializeEnvelope(bad));
        const response = await deliver(sdk, res.queueUrl, messages, handlerWith({ clients }));

        expect(response.batchItemFailures).toEqual([{ itemIdentifier: badMessage?.MessageId }]);
        expect(runs.map((run) => run.payload)).toEqual([{ n: 1 }]);
        expect(await stateOf(good.id)).toMatchObject({ status: 'succeeded' });
        expect(await stateOf(bad.id)).toBeUndefined();
        await makeVisible(sdk, res.queueUrl, badMessage as Message);
        expect((await receive(sdk, res.queueUrl, 1)).map((message) => message.MessageId)).toEqual([badMessage?.MessageId]);
      } finally {
        clients.destroy();
      }
    });

    it('runs at most `concurrency` messages at once', async () => {
      let running = 0;
      let peak = 0;
      const gate = defineTask({
        name: 'test.gate',
        schema: z.object({}),
        stateTracking: 'off',
        handler: async () => {
          running += 1;
          peak = Math.max(peak, running);
          await new Promise((resolve) => setTimeout(resolve, 20));
          running -= 1;
        },
      });
      const records = Array.from({ length: 12 }, () => sqsRecord(envelope('test.gate', {})));
      const response = await handlerWith({ tasks: [gate], concurrency: 3 })(sqsEvent(...records), lambdaContext());

      expect(response.batchItemFailures).toEqual([]);
      expect(peak).toBe(3);
    });
  });

  describe('configuration', () => {
    const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/bosun-test-default';
    const configured = (overrides: Partial<CreateTaskHandlerOptions>) => () =>
      createTaskHandler({
        tasks: [echo, flaky],
        clients: sdk,
        queueName: 'default',
        queueUrl: QUEUE_URL,
        queueUrls: { default: QUEUE_URL },
        maxReceiveCount: 5,
        ...quietTelemetry(),
        ...overrides,
      });

    it('rejects a task allowed more attempts than the queue’s max receive count', () => {
      expect(configured({ maxReceiveCount: 2 })).toThrow(
        new TaskHandlerConfigInvalidError('task "test.echo": maxAttempts must be at most the queue\'s max receive count 2 (given 3)'),
      );
    });

    it('rejects two tasks with one name', () => {
      expect(configured({ tasks: [echo, echo] })).toThrow(new TaskHandlerConfigInvalidError('task names must be unique (given "test.echo" twice)'));
    });

    it('rejects an empty task list', () => {
      expect(configured({ tasks: [] })).toThrow(new TaskHandlerConfigInvalidError('tasks must list at least one task (given none)'));
    });

    it.each([
      ['maxDelaySeconds', { maxDelaySeconds: 901 }, 'maxDelaySeconds must be an integer between 1 and 900 (given 901)'],
      ['concurrency', { concurrency: 0 }, 'concurrency must be an integer between 1 and 1000 (given 0)'],
      ['pauseDelaySeconds', { pauseDelaySeconds: 0 }, 'pauseDelaySeconds must be an integer between 1 and 900 (given 0)'],
      ['releaseDelaySeconds', { releaseDelaySeconds: 1.5 }, 'releaseDelaySeconds must be an integer between 0 and 900 (given 1.5)'],
      ['maxReceiveCount', { maxReceiveCount: 1001 }, 'maxReceiveCount must be an integer between 1 and 1000 (given 1001)'],
    ])('rejects %s out of range', (_field, overrides, message) => {
      expect(configured(overrides)).toThrow(new TaskHandlerConfigInvalidError(message));
    });

    it('rejects a custom destination named like a Bosun queue', () => {
      const clash = { name: 'default', deliver: async () => undefined };
      expect(configured({ destinations: [clash] })).toThrow(new TaskHandlerConfigInvalidError('destination names must differ from every Bosun queue name (given "default", which is also a queue)'));
      expect(configured({ destinations: [clash] })).toThrow(TaskHandlerConfigInvalidError);
    });
  });
});
