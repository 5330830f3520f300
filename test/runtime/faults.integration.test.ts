import { GetObjectCommand } from '@aws-sdk/client-s3';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import {
  MessageAttribute,
  defaultRoutingDocument,
  parseEnvelope,
  serializeEnvelope,
  taskResultKey,
  type CustomDelivery,
  type RoutingDocument,
  type TaskEnvelope,
  type TaskStateItem,
} from '../../lib/contract';
import { ClaimCheckStore } from '../../lib/aws/claim-check';
import { TaskStateStore, leaseToken } from '../../lib/aws/task-state-store';
import { createTaskHandler, defineTask, type CreateTaskHandlerOptions } from '../../lib/runtime';
import { sdkClientsForEmulators } from '../support/emulator-env';
import { envelope, lambdaContext, quietTelemetry, sqsEvent, sqsRecord } from './support/factories';
import { createResources, deleteResources, harnessClients, pollOnce, receive, sendBody, type RuntimeResources } from './support/emulator-harness';

/**
 * Regression tests of the faults issue 8 lists, each against the emulators: what a user would observe (the task
 * state, the DLQ, the queue, how often the handler ran), never the text of an expression or a mock's call list.
 */

const { sdk, raw } = harnessClients();
let resources: RuntimeResources;
const runs: Array<{ taskId: string; attempt: number }> = [];
const delivered: CustomDelivery[] = [];

const work = defineTask({
  name: 'it.work',
  schema: z.object({ n: z.number() }),
  maxAttempts: 3,
  handler: (payload, ctx) => {
    runs.push({ taskId: ctx.taskId, attempt: ctx.attempt });
    return { doubled: payload.n * 2 };
  },
});
const bigResult = defineTask({
  name: 'it.big-result',
  schema: z.object({}),
  handler: (_payload, ctx) => {
    runs.push({ taskId: ctx.taskId, attempt: ctx.attempt });
    return { text: 'r'.repeat(64 * 1024) };
  },
});
const bigintResult = defineTask({
  name: 'it.bigint-result',
  schema: z.object({}),
  handler: (_payload, ctx) => {
    runs.push({ taskId: ctx.taskId, attempt: ctx.attempt });
    return { total: 10n };
  },
});
const other = defineTask({ name: 'it.other', schema: z.object({}), handler: () => 'other' });

function routing(destination: string): { current: () => Promise<RoutingDocument> } {
  const document: RoutingDocument = { ...defaultRoutingDocument('default'), defaultDestination: destination };
  return { current: () => Promise.resolve(document) };
}

function handlerWith(overrides: Partial<CreateTaskHandlerOptions> = {}) {
  return createTaskHandler({
    tasks: [work, bigResult, bigintResult, other],
    clients: sdk,
    queueName: 'default',
    queueUrl: resources.queueUrl,
    dlqUrl: resources.dlqUrl,
    queueUrls: { default: resources.queueUrl, other: resources.otherQueueUrl },
    destinations: [{ name: 'legacy', deliver: (delivery) => Promise.resolve(void delivered.push(delivery)) }],
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

function store(): TaskStateStore {
  return new TaskStateStore({ dynamodb: sdk.dynamodb, tableName: resources.tableName });
}

/** Holds `task` as another delivery would while running it: a live lease of a different message. */
async function holdAsAnotherRunner(env: TaskEnvelope): Promise<string> {
  const token = leaseToken('msg-runner');
  const lease = await store().acquire({
    task: env,
    purpose: 'claim',
    token,
    leaseUntilMs: Date.now() + 60_000,
    queue: 'default',
    attempt: 1,
    redriven: false,
  });
  expect(lease.kind).toBe('acquired');
  return token;
}

beforeEach(async () => {
  runs.length = 0;
  delivered.length = 0;
  resources = await createResources(raw, 'faults');
});

afterEach(async () => {
  await deleteResources(raw, resources);
});

afterAll(() => {
  raw.sqs.destroy();
  raw.s3.destroy();
  raw.dynamodb.destroy();
});

describe('1. large results', () => {
  it('stores a result above the inline limit under task-results/ and records the task succeeded with the reference', async () => {
    const env = await publish(envelope('it.big-result', {}));
    await pollOnce(sdk, resources.queueUrl, handlerWith());

    expect(runs).toHaveLength(1);
    const state = await stateOf(env.id);
    expect(state).toMatchObject({ status: 'succeeded', resultRef: { bucket: resources.bucketName, key: taskResultKey(env.id) } });
    const object = await sdk.s3.send(new GetObjectCommand({ Bucket: resources.bucketName, Key: taskResultKey(env.id) }));
    expect(JSON.parse(await object.Body!.transformToString())).toEqual({ text: 'r'.repeat(64 * 1024) });
  });

  it.each([
    {
      case: 'a result that is not JSON-serializable',
      task: 'it.bigint-result',
      overrides: {},
      reason: /^the result is not JSON-serializable \(TypeError: .*BigInt/,
    },
    {
      case: 'a large result with no claim-check bucket',
      task: 'it.big-result',
      overrides: { bucketName: undefined },
      reason: /^the result is \d+ bytes, over the \d+-byte inline limit, and no claim-check bucket is configured$/,
    },
    {
      case: 'a large result whose S3 write fails',
      task: 'it.big-result',
      overrides: { bucketName: 'bosun-no-such-bucket' },
      reason: /^the \d+-byte result could not be written to s3:\/\/bosun-no-such-bucket\/task-results\/.* \(NoSuchBucket: /,
    },
  ])('records $case as succeeded with resultNotStored, runs it once and leaves the queue empty', async ({ task, overrides, reason }) => {
    const env = await publish(envelope(task, {}));
    await pollOnce(sdk, resources.queueUrl, handlerWith(overrides));

    expect(runs).toHaveLength(1);
    const state = await stateOf(env.id);
    expect(state).toMatchObject({ status: 'succeeded', resultNotStored: { reason: expect.stringMatching(reason) } });
    expect(state?.result).toBeUndefined();
    expect(state?.resultRef).toBeUndefined();
    expect(state?.resultNotStored?.reason).not.toContain('rrrr');
    expect(await receive(sdk, resources.queueUrl)).toHaveLength(0);
  });
});

describe('3. the payload outlives every copy of the message', () => {
  it('a copy arriving after a hand-over still finds its claim-checked payload and is acknowledged unrun', async () => {
    const claimChecks = new ClaimCheckStore({ s3: sdk.s3, bucket: resources.bucketName });
    const base = envelope('it.work', undefined);
    const ref = await claimChecks.put(base.id, JSON.stringify({ n: 1 }));
    const { payload: _payload, ...rest } = base;
    await publish({ ...rest, claimCheck: ref });
    await pollOnce(sdk, resources.queueUrl, handlerWith({ routing: routing('legacy') }));
    expect(delivered).toHaveLength(1);
    expect((await stateOf(base.id))?.status).toBe('rerouted');

    await publish({ ...rest, claimCheck: ref });
    await pollOnce(sdk, resources.queueUrl, handlerWith({ routing: routing('legacy') }));
    expect(delivered).toHaveLength(1);
    expect((await stateOf(base.id))?.status).toBe('rerouted');
    expect(await receive(sdk, resources.dlqUrl, 0)).toEqual([]);
  });
});

describe('4. no side effect before the claim', () => {
  it('a finished task redelivered after a flag flip is not handed to the legacy system', async () => {
    const env = await publish(envelope('it.work', { n: 1 }));
    await pollOnce(sdk, resources.queueUrl, handlerWith());
    expect((await stateOf(env.id))?.status).toBe('succeeded');

    await publish(env);
    await pollOnce(sdk, resources.queueUrl, handlerWith({ routing: routing('legacy') }));
    expect(delivered).toEqual([]);
    expect((await stateOf(env.id))?.status).toBe('succeeded');
  });

  it('a finished task redelivered past its attempts is acknowledged, not dead-lettered', async () => {
    const env = await publish(envelope('it.work', { n: 1 }));
    await pollOnce(sdk, resources.queueUrl, handlerWith());
    const handler = handlerWith();
    const response = await handler(sqsEvent(sqsRecord(env, { receiveCount: 4 })), lambdaContext(60_000));

    expect(response.batchItemFailures).toEqual([]);
    expect(await receive(sdk, resources.dlqUrl, 0)).toEqual([]);
    expect((await stateOf(env.id))?.status).toBe('succeeded');
  });
});

describe('5. a move never overwrites a live claim', () => {
  it('a copy forwarded to another queue while the task runs leaves the runner its claim, and its success lands', async () => {
    const env = envelope('it.work', { n: 1 });
    const token = await holdAsAnotherRunner(env);
    await publish(env);
    await pollOnce(sdk, resources.queueUrl, handlerWith({ routing: routing('other') }));

    expect(await receive(sdk, resources.otherQueueUrl, 0)).toEqual([]);
    expect(await stateOf(env.id)).toMatchObject({ status: 'running', leaseToken: token });
    expect(await store().close(env.id, token, { transition: 'succeed', result: 2 })).toBe('applied');
    expect((await stateOf(env.id))?.status).toBe('succeeded');
  });

  it('a moved copy that arrives before its sender recorded the move is kept, and runs once the move is recorded', async () => {
    const env = envelope('it.work', { n: 1 });
    const token = await holdAsAnotherRunner(env);
    // The sender (holding the lease at link 0) has just sent link 1 here and not yet closed its lease.
    await publish({ ...env, link: 1 });
    const first = await pollOnce(sdk, resources.queueUrl, handlerWith());
    expect(first.response.batchItemFailures).toHaveLength(1);
    expect(runs).toEqual([]);

    expect(await store().close(env.id, token, { transition: 'move', link: 1, queue: 'default', route: env.route })).toBe('applied');
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    await pollOnce(sdk, resources.queueUrl, handlerWith(), 3);
    expect(runs).toHaveLength(1);
    expect((await stateOf(env.id))?.status).toBe('succeeded');
  });

  it('a duplicate ETA hop while the task runs neither resets it to scheduled nor starts another chain', async () => {
    const env = envelope('it.work', { n: 1 }, { eta: new Date(Date.now() + 3_600_000).toISOString() });
    const token = await holdAsAnotherRunner(env);
    await publish(env);
    await pollOnce(sdk, resources.queueUrl, handlerWith());

    expect(await stateOf(env.id)).toMatchObject({ status: 'running', leaseToken: token });
    expect(await receive(sdk, resources.queueUrl, 0)).toEqual([]);
  });

  it('of two copies of one ETA link, only one sends the next link', async () => {
    const env = envelope('it.work', { n: 1 }, { eta: new Date(Date.now() + 3_600_000).toISOString() });
    await publish(env);
    await publish(env);
    const { received } = await pollOnce(sdk, resources.queueUrl, handlerWith({ maxDelaySeconds: 1 }));
    expect(received).toBe(2);

    const next = await receive(sdk, resources.queueUrl, 3);
    expect(next.map((message) => parseEnvelope(message.Body ?? '').link)).toEqual([1]);
    expect(await stateOf(env.id)).toMatchObject({ status: 'scheduled', link: 1 });
  });
});

describe('5b. attempts are counted by the state', () => {
  it('a second copy of a task that already failed an attempt runs the next attempt, not a second first one', async () => {
    const failFirst = defineTask({
      name: 'it.fail-first',
      schema: z.object({}),
      maxAttempts: 2,
      backoff: { baseSeconds: 30, capSeconds: 30 },
      handler: (_payload, ctx) => {
        runs.push({ taskId: ctx.taskId, attempt: ctx.attempt });
        if (ctx.attempt === 1) throw new Error('first attempt fails');
        return 'ok';
      },
    });
    const env = await publish(envelope('it.fail-first', {}));
    await pollOnce(sdk, resources.queueUrl, handlerWith({ tasks: [failFirst] }));
    expect((await stateOf(env.id))?.status).toBe('retrying');

    // Another copy (a repeated dedup key re-sent it while nobody had touched it yet) arrives during the backoff.
    await publish(env);
    await pollOnce(sdk, resources.queueUrl, handlerWith({ tasks: [failFirst] }));
    expect(runs).toEqual([
      { taskId: env.id, attempt: 1 },
      { taskId: env.id, attempt: 2 },
    ]);
    expect(await stateOf(env.id)).toMatchObject({ status: 'succeeded', attempts: 2 });
  });
});

describe('6. a closing write that fails does not lose the outcome', () => {
  it('a success whose state write keeps failing travels with a copy; the next delivery records it and nothing runs twice', async () => {
    const flaky = sdkClientsForEmulators();
    let failSucceededWrites = true;
    flaky.dynamodb.middlewareStack.add(
      (next, context) => async (args) => {
        const input = JSON.stringify((args as { input?: unknown }).input ?? {});
        if (failSucceededWrites && context.commandName === 'UpdateItemCommand' && input.includes('"succeeded"')) {
          throw Object.assign(new Error('Rate of requests exceeds the allowed throughput.'), {
            name: 'ThrottlingException',
            $metadata: { httpStatusCode: 400 },
          });
        }
        return next(args);
      },
      { step: 'initialize', name: 'failSucceededWrites' },
    );
    const env = await publish(envelope('it.work', { n: 1 }));
    await pollOnce(sdk, resources.queueUrl, handlerWith({ clients: flaky }));
    expect(runs).toHaveLength(1);
    expect((await stateOf(env.id))?.status).toBe('running');

    failSucceededWrites = false;
    await pollOnce(sdk, resources.queueUrl, handlerWith({ clients: flaky }));
    expect(runs).toHaveLength(1);
    expect(await stateOf(env.id)).toMatchObject({ status: 'succeeded', result: { doubled: 2 } });
    expect(await receive(sdk, resources.queueUrl, 0)).toEqual([]);
    flaky.dynamodb.destroy();
    flaky.sqs.destroy();
    flaky.s3.destroy();
  });
});

describe('6b. a DLQ copy whose send fails', () => {
  it('does not give the task up to another copy: the outcome travels, then the state says dead and the DLQ has the copy', async () => {
    const flaky = sdkClientsForEmulators();
    let failDeadLetterSends = true;
    flaky.sqs.middlewareStack.add(
      (next, context) => async (args) => {
        const input = (args as { input?: { QueueUrl?: string } }).input;
        if (failDeadLetterSends && context.commandName === 'SendMessageCommand' && input?.QueueUrl === resources.dlqUrl) {
          throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
        }
        return next(args);
      },
      { step: 'initialize', name: 'failDeadLetterSends' },
    );
    const env = await publish(envelope('it.other', { not: 'valid' }, { task: 'it.unregistered' }));
    await pollOnce(sdk, resources.queueUrl, handlerWith({ clients: flaky }));
    expect(await receive(sdk, resources.dlqUrl, 0)).toEqual([]);

    failDeadLetterSends = false;
    await pollOnce(sdk, resources.queueUrl, handlerWith({ clients: flaky }));
    const [dead] = await receive(sdk, resources.dlqUrl, 1);
    expect(dead?.MessageAttributes?.[MessageAttribute.DEAD_REASON]?.StringValue).toBe('unknown-task');
    const body = parseEnvelope(dead?.Body ?? '');
    expect(body).toMatchObject({ id: env.id, task: env.task, payload: env.payload });
    expect(body.outcome).toBeUndefined();
    expect(await stateOf(env.id)).toMatchObject({ status: 'dead', deadReason: 'unknown-task' });
    expect(await receive(sdk, resources.queueUrl, 0)).toEqual([]);
    flaky.dynamodb.destroy();
    flaky.sqs.destroy();
    flaky.s3.destroy();
  });
});

describe('6c. a hand-over whose delivery fails', () => {
  it('is carried by a copy of the message: the next delivery records rerouted, then delivers; nothing runs in Bosun', async () => {
    let failing = true;
    const legacy = {
      name: 'legacy',
      deliver: (delivery: CustomDelivery): Promise<void> => {
        if (failing) return Promise.reject(Object.assign(new Error('socket hang up'), { name: 'TimeoutError' }));
        delivered.push(delivery);
        return Promise.resolve();
      },
    };
    const env = await publish(envelope('it.work', { n: 5 }));
    await pollOnce(sdk, resources.queueUrl, handlerWith({ routing: routing('legacy'), destinations: [legacy] }));
    expect(delivered).toEqual([]);

    failing = false;
    // The flag flips back meanwhile: the carried hand-over still completes, and the task does not also run here.
    await pollOnce(sdk, resources.queueUrl, handlerWith({ routing: routing('default'), destinations: [legacy] }));
    expect(delivered.map((delivery) => [delivery.envelope.id, delivery.payload])).toEqual([[env.id, { n: 5 }]]);
    expect(runs).toEqual([]);
    expect(await stateOf(env.id)).toMatchObject({ status: 'rerouted', queue: 'legacy' });
    expect(await receive(sdk, resources.queueUrl, 0)).toEqual([]);
  });

  it('a task delivered less than a second before its ETA starts no earlier than its ETA', async () => {
    const started: number[] = [];
    const timed = defineTask({ name: 'it.timed', schema: z.object({}), handler: () => void started.push(Date.now()) });
    const eta = new Date(Date.now() + 700);
    const env = await publish(envelope('it.timed', {}, { eta: eta.toISOString() }));
    await pollOnce(sdk, resources.queueUrl, handlerWith({ tasks: [timed] }));
    expect(started).toHaveLength(1);
    expect(started[0]).toBeGreaterThanOrEqual(eta.getTime());
    const state = await stateOf(env.id);
    expect(state?.status).toBe('succeeded');
    expect(Date.parse(state?.startedAt ?? '')).toBeGreaterThanOrEqual(eta.getTime());
  });

  it('a hand-over whose delivery died before it was recorded is completed by the next delivery, not run here after the flags flip back', async () => {
    const env = await publish(envelope('it.work', { n: 6 }));
    // An earlier delivery leased the task to hand it over to legacy, and died (killed, or out of time) before it
    // recorded the hand-over: the legacy system may have the task already.
    const lease = await store().acquire({
      task: env,
      purpose: 'lease',
      token: leaseToken('msg-killed'),
      leaseUntilMs: Date.now() + 300,
      queue: 'default',
      attempt: 1,
      redriven: false,
      handingOver: { destination: 'legacy', ruleId: null },
    });
    expect(lease.kind).toBe('acquired');
    await new Promise((resolve) => setTimeout(resolve, 400));

    // The flags flip back to Bosun meanwhile: the next delivery completes the hand-over instead of running the task.
    await pollOnce(sdk, resources.queueUrl, handlerWith({ routing: routing('default') }));
    await pollOnce(sdk, resources.queueUrl, handlerWith({ routing: routing('default') }));
    expect(runs).toEqual([]);
    expect(delivered.map((delivery) => [delivery.envelope.id, delivery.payload])).toEqual([[env.id, { n: 6 }]]);
    expect(await stateOf(env.id)).toMatchObject({ status: 'rerouted', queue: 'legacy' });
    expect(await receive(sdk, resources.queueUrl, 0)).toEqual([]);
  });
});

describe('7 and 9. every delivery ends with a reason: no receive is burned, SQS never moves a task without one', () => {
  it('a task whose earlier receives ended without an outcome is dead-lettered with the reason before any read', async () => {
    const refusingReads = { fetch: () => Promise.reject(Object.assign(new Error('Access Denied'), { name: 'AccessDenied' })) };
    const base = envelope('it.work', undefined);
    const ref = await new ClaimCheckStore({ s3: sdk.s3, bucket: resources.bucketName }).put(base.id, JSON.stringify({ n: 1 }));
    const { payload: _payload, ...rest } = base;
    const env = { ...rest, claimCheck: ref };
    const handler = handlerWith({ claimChecks: refusingReads });
    const first = await handler(sqsEvent(sqsRecord(env, { receiveCount: 1 })), lambdaContext(60_000));
    expect(first.batchItemFailures).toHaveLength(1);
    const last = await handler(sqsEvent(sqsRecord(env, { receiveCount: 4 })), lambdaContext(60_000));

    expect(last.batchItemFailures).toEqual([]);
    const [dead] = await receive(sdk, resources.dlqUrl, 1);
    expect(dead?.MessageAttributes?.[MessageAttribute.DEAD_REASON]?.StringValue).toBe('attempts-exhausted');
    expect(await stateOf(env.id)).toMatchObject({ status: 'dead', deadReason: 'attempts-exhausted' });
  });

  it('a message with no time left in the invocation goes back as a fresh copy with its attempts unchanged', async () => {
    const env = await publish(envelope('it.work', { n: 1 }));
    const [message] = await receive(sdk, resources.queueUrl, 1);
    const handler = handlerWith({ releaseDelaySeconds: 0 });
    // The invocation had a whole minute, but other messages used it up before this one's turn.
    const context = { ...lambdaContext(60_000), getRemainingTimeInMillis: jest.fn().mockReturnValueOnce(60_000).mockReturnValue(500) };
    const response = await handler(sqsEvent(sqsRecord(message?.Body ?? '', { receiveCount: 1 })), context);

    expect(response.batchItemFailures).toEqual([]);
    expect(runs).toEqual([]);
    const copies = await receive(sdk, resources.queueUrl, 8);
    expect(copies.map((copy) => parseEnvelope(copy.Body ?? ''))).toEqual([expect.objectContaining({ id: env.id, attempts: 0 })]);
  });

  it('on the last receive SQS allows, a runnable task is sent as a fresh copy instead of being risked', async () => {
    const env = envelope('it.work', { n: 1 });
    const handler = handlerWith();
    const response = await handler(sqsEvent(sqsRecord(env, { receiveCount: resources.maxReceiveCount })), lambdaContext(60_000));

    expect(response.batchItemFailures).toEqual([]);
    expect(runs).toEqual([]);
    // With maxReceiveCount 5 and 3 attempts, receive 5 means 5 attempts used: the budget check dead-letters first.
    const [dead] = await receive(sdk, resources.dlqUrl, 1);
    expect(dead?.MessageAttributes?.[MessageAttribute.DEAD_REASON]?.StringValue).toBe('attempts-exhausted');
  });

  it('a queue whose max receive count equals the attempts still gets every attempt, through a fresh copy', async () => {
    const env = envelope('it.work', { n: 1 }, { attempts: 0 });
    const handler = handlerWith({ maxReceiveCount: 3 });
    await handler(sqsEvent(sqsRecord(env, { receiveCount: 3 })), lambdaContext(60_000));

    expect(runs).toEqual([]);
    expect(await stateOf(env.id)).toMatchObject({ link: 1 });
    // The copy's first receive is the third attempt: it runs.
    await pollOnce(sdk, resources.queueUrl, handlerWith({ maxReceiveCount: 3 }));
    expect(runs).toEqual([{ taskId: env.id, attempt: 3 }]);
    expect(await stateOf(env.id)).toMatchObject({ status: 'succeeded', link: 1 });
  });
});

describe('8. a claim-checked payload outlives every wait Bosun accepts', () => {
  it('a claim-checked task that would still wait past 30 days after its publish goes to the DLQ while its payload exists', async () => {
    const claimChecks = new ClaimCheckStore({ s3: sdk.s3, bucket: resources.bucketName });
    const publishedAt = new Date(Date.now() - 10 * 86_400_000).toISOString();
    const base = envelope('it.work', undefined, { publishedAt, eta: new Date(Date.now() + 25 * 86_400_000).toISOString() });
    const { payload: _payload, ...rest } = base;
    await publish({ ...rest, claimCheck: await claimChecks.put(base.id, JSON.stringify({ n: 1 })) });
    await pollOnce(sdk, resources.queueUrl, handlerWith());

    const [dead] = await receive(sdk, resources.dlqUrl, 1);
    expect(dead?.MessageAttributes?.[MessageAttribute.DEAD_REASON]?.StringValue).toBe('non-retryable');
    expect(dead?.MessageAttributes?.[MessageAttribute.DEAD_DETAIL]?.StringValue).toContain('30 days after its publish');
    expect(await stateOf(base.id)).toMatchObject({ status: 'dead' });
  });
});

describe('11. trust boundaries', () => {
  it('a message carrying the id of a task of another name cannot mark that task dead', async () => {
    const victim = await publish(envelope('it.work', { n: 1 }));
    await pollOnce(sdk, resources.queueUrl, handlerWith());
    expect((await stateOf(victim.id))?.status).toBe('succeeded');

    await publish({ ...envelope('it.other', { unexpected: true }), id: victim.id });
    await pollOnce(sdk, resources.queueUrl, handlerWith());
    const [dead] = await receive(sdk, resources.dlqUrl, 1);
    expect(dead?.MessageAttributes?.[MessageAttribute.DEAD_REASON]?.StringValue).toBe('malformed-message');
    expect(await stateOf(victim.id)).toMatchObject({ status: 'succeeded', taskName: 'it.work' });
  });

  it('a claim-check reference outside the task’s own prefix in the platform bucket is not fetched', async () => {
    const env = envelope('it.work', undefined);
    const { payload: _payload, ...rest } = env;
    const foreign = { bucket: 'someone-elses-bucket', key: `claim-checks/${env.id}/x`, bytes: 10, sha256: 'a'.repeat(64) };
    const reads: unknown[] = [];
    await publish({ ...rest, claimCheck: foreign });
    await pollOnce(sdk, resources.queueUrl, handlerWith({ claimChecks: { fetch: (ref) => Promise.resolve(String(reads.push(ref))) } }));

    expect(reads).toEqual([]);
    const [dead] = await receive(sdk, resources.dlqUrl, 1);
    expect(dead?.MessageAttributes?.[MessageAttribute.DEAD_REASON]?.StringValue).toBe('malformed-message');
    expect(dead?.MessageAttributes?.[MessageAttribute.DEAD_DETAIL]?.StringValue).toContain(`claim-checks/${env.id}/`);
  });
});
