import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { celeryDestination } from '../../lib/aws/destinations';
import { decodeCeleryMessage, type CeleryTaskMapping } from '../../lib/celery';
import { MessageAttribute, defaultRoutingDocument, serializeEnvelope, type RoutingDocument, type TaskStateItem } from '../../lib/contract';
import { createTaskHandler, defineTask, type CreateTaskHandlerOptions } from '../../lib/runtime';
import { createTaskClient } from '../../lib/sdk/task-client';
import { PayloadInvalidError, TaskClientConfigError } from '../../lib/sdk/errors';
import { dedupTaskId } from '../../lib/sdk/task-id';
import { envelope, quietTelemetry } from '../runtime/support/factories';
import { createResources, deleteResources, harnessClients, pollOnce, pollUntil, receive, sendBody, type RuntimeResources } from '../runtime/support/emulator-harness';

const { sdk, raw } = harnessClients();
const FIXTURES = join(__dirname, 'fixtures');
let resources: RuntimeResources;
const runs: Array<{ taskId: string; task: string; payload: unknown; attempt: number }> = [];

const add = defineTask({
  name: 'math.add',
  schema: z.object({ x: z.number(), y: z.number() }),
  handler: (payload, ctx) => {
    runs.push({ taskId: ctx.taskId, task: ctx.taskName, payload, attempt: ctx.attempt });
    return payload.x + payload.y;
  },
});
const greet = defineTask({
  name: 'greet',
  schema: z.object({ name: z.string(), greeting: z.string().default('hello') }),
  handler: (payload, ctx) => {
    runs.push({ taskId: ctx.taskId, task: ctx.taskName, payload, attempt: ctx.attempt });
    return `${payload.greeting}, ${payload.name}`;
  },
});
const mapping: CeleryTaskMapping[] = [
  { task: 'math.add', celeryTask: 'app.add', args: ['x', 'y'] },
  { task: 'greet', celeryTask: 'app.greet', args: ['name'] },
];

function sampleBody(file: string): string {
  return (JSON.parse(readFileSync(join(FIXTURES, file), 'utf8')) as { sqs_received_message: { Body: string } }).sqs_received_message.Body;
}

function variantBody(name: string): string {
  for (const line of readFileSync(join(FIXTURES, '06-more-formats.jsonl'), 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    const entry = JSON.parse(line) as { variant: string; sqs_received_message: { Body: string } };
    if (entry.variant === name) return entry.sqs_received_message.Body;
  }
  throw new Error(`no sample ${name}`);
}

/** A Celery 5.6 message as kombu writes it (raw-JSON envelope, plain body), with headers changed. */
function celeryMessage(headers: Record<string, unknown>, body: unknown = [[2, 3], {}, { callbacks: null, errbacks: null, chain: null, chord: null }]): string {
  return JSON.stringify({
    body: Buffer.from(JSON.stringify(body)).toString('base64'),
    'content-encoding': 'utf-8',
    'content-type': 'application/json',
    headers: { lang: 'py', task: 'app.add', id: `c-${Math.random().toString(16).slice(2)}`, retries: 0, eta: null, ...headers },
    properties: { body_encoding: 'base64', delivery_info: { exchange: '', routing_key: 'celery' } },
  });
}

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

beforeEach(async () => {
  runs.length = 0;
  resources = await createResources(raw, 'celery');
});

afterEach(async () => {
  await deleteResources(raw, resources);
});

afterAll(() => {
  raw.sqs.destroy();
  raw.s3.destroy();
  raw.dynamodb.destroy();
});

describe('Celery intake', () => {
  it('runs the mapped Bosun task for the messages Celery 5.6 sent, under the Celery task id', async () => {
    await sendBody(sdk, resources.queueUrl, sampleBody('01-delay.json'));
    await sendBody(sdk, resources.queueUrl, sampleBody('04-kwargs.json'));
    await pollUntil(sdk, resources.queueUrl, handlerWith(), async () => runs.length === 2, 10_000);

    expect(runs).toEqual(
      expect.arrayContaining([
        { taskId: '45169c5f-627a-427b-869a-4d1e8fffe936', task: 'math.add', payload: { x: 2, y: 3 }, attempt: 1 },
        { taskId: 'b8fdea66-df9d-497f-a9b2-de8525783d34', task: 'greet', payload: { name: 'bob', greeting: 'hi' }, attempt: 1 },
      ]),
    );
    expect(await stateOf('45169c5f-627a-427b-869a-4d1e8fffe936')).toMatchObject({ status: 'succeeded', result: 5, taskName: 'math.add' });
    expect(await receive(sdk, resources.dlqUrl)).toEqual([]);
  });

  it('reads compressed bodies and protocol 1', async () => {
    await sendBody(sdk, resources.queueUrl, variantBody('v2-json-zlib'));
    // Protocol 1, add(2, 3) with a countdown whose eta has long passed: it runs now.
    await sendBody(sdk, resources.queueUrl, variantBody('v1-countdown'));
    await pollUntil(sdk, resources.queueUrl, handlerWith(), async () => runs.length === 2, 10_000);
    expect(runs.map((run) => run.taskId).sort()).toEqual(['ac5c90c6-6287-4d6d-a095-8f1ffe9a786e', 'c7ce5b75-97a8-4c37-91a4-dff4b4a3f6f0']);
    expect(runs.map((run) => run.payload)).toEqual([{ x: 2, y: 3 }, { x: 2, y: 3 }]);
  });

  it('holds a Celery eta in Bosun (a hop, not a worker\'s memory) and runs the task when due', async () => {
    const id = 'eta-0f3a2b';
    const eta = new Date(Date.now() + 3_000).toISOString().replace('Z', '+00:00');
    await sendBody(sdk, resources.queueUrl, celeryMessage({ id, eta }));
    const handler = handlerWith();
    await pollOnce(sdk, resources.queueUrl, handler);
    expect(runs).toEqual([]);
    expect(await stateOf(id)).toMatchObject({ status: 'scheduled', eta: new Date(Date.parse(eta)).toISOString() });
    const done = await pollUntil(sdk, resources.queueUrl, handler, async () => runs.length === 1, 10_000);
    expect(done).toBe(true);
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(eta));
    expect(runs[0]).toMatchObject({ taskId: id, payload: { x: 2, y: 3 } });
  });

  it('counts Celery retries as attempts already used', async () => {
    await sendBody(sdk, resources.queueUrl, celeryMessage({ id: 'retried-1', retries: 2 }));
    await pollUntil(sdk, resources.queueUrl, handlerWith(), async () => runs.length === 1, 5_000);
    expect(runs[0]).toMatchObject({ taskId: 'retried-1', attempt: 3 });
  });

  it.each([
    ['pickle', () => variantBody('v2-pickle'), 'malformed-message', /\(unsupported-serializer\): .*pickle, which Bosun never decodes/],
    ['bzip2', () => variantBody('v2-json-bzip2'), 'malformed-message', /\(unsupported-compression\): Celery message compression "application\/x-bz2" is not supported/],
    ['a chain', () => variantBody('v2-chain'), 'malformed-message', /\(workflow-unsupported\): .*carries chain: Bosun runs single tasks/],
    ['a 2-element body', () => celeryMessage({}, [[2, 3], {}]), 'malformed-message', /must be a list of 3, \[args, kwargs, embed\]/],
    ['an unmapped Celery task', () => celeryMessage({ task: 'app.unknown' }), 'unknown-task', /Celery task "app.unknown" has no Bosun mapping \(mapped: app.add, app.greet\)/],
    ['arguments the mapping cannot take', () => celeryMessage({}, [[1, 2, 3], {}, null]), 'invalid-payload', /called with 3 positional argument\(s\) but its mapping names 2 \(x, y\)/],
    ['an expired task', () => variantBody('v1-expires'), 'non-retryable', /expired at 2026-11-29T04:47:39.976Z before it could run/],
    ['a body that is neither', () => 'not a task at all', 'malformed-message', /\(not-celery\)/],
  ])('dead-letters %s with the reason, keeping the Celery message as it was', async (_name, body, reason, detail) => {
    const sent = body();
    await sendBody(sdk, resources.queueUrl, sent);
    await pollOnce(sdk, resources.queueUrl, handlerWith());
    const [dead] = await receive(sdk, resources.dlqUrl, 1);
    expect(dead?.MessageAttributes?.[MessageAttribute.DEAD_REASON]?.StringValue).toBe(reason);
    expect(dead?.MessageAttributes?.[MessageAttribute.DEAD_DETAIL]?.StringValue).toMatch(detail);
    expect(dead?.Body).toBe(sent);
    expect(runs).toEqual([]);
    expect(await receive(sdk, resources.queueUrl, 0)).toEqual([]);
  });

  it('refuses a mapping to a task the consumer does not run', () => {
    expect(() => handlerWith({ celery: { tasks: [{ task: 'nope', celeryTask: 'app.nope' }] } })).toThrow(
      'celery.tasks must map Celery tasks to tasks this consumer runs (given "nope", not among math.add, greet)',
    );
  });
});

describe('celeryDestination', () => {
  it('hands a task the flag routes to Celery over as a protocol-2 message with the Bosun id, and runs it in Bosun again once the flag is back', async () => {
    let document: RoutingDocument = { ...defaultRoutingDocument('default'), rules: [{ id: 'add-on-celery', tasks: ['math.add'], destination: 'celery' }] };
    const routing = { current: async () => document };
    const celery = celeryDestination({ name: 'celery', queueUrl: resources.otherQueueUrl, queueName: 'celery', sqs: sdk.sqs, tasks: mapping, holdQueue: 'default' });
    const producer = createTaskClient({ queueUrls: { default: resources.queueUrl }, tableName: resources.tableName, bucket: resources.bucketName, clients: sdk, routing, destinations: [celery], logger: { warn: () => undefined, info: () => undefined } });
    const handler = handlerWith({ routing, destinations: [celery] });

    const toCelery = await producer.publish('math.add', { x: 4, y: 5 });
    expect(toCelery).toMatchObject({ destination: 'celery', status: 'rerouted' });
    const [message] = await receive(sdk, resources.otherQueueUrl, 1);
    expect(message?.MessageAttributes).toBeUndefined();
    expect(decodeCeleryMessage(message?.Body as string)).toEqual({ protocol: 2, task: 'app.add', id: toCelery.taskId, args: [4, 5], kwargs: {}, retries: 0, routingKey: 'celery' });
    expect(await stateOf(toCelery.taskId)).toMatchObject({ status: 'rerouted', queue: 'celery' });

    document = defaultRoutingDocument('default');
    const inBosun = await producer.publish('math.add', { x: 1, y: 1 });
    await pollUntil(sdk, resources.queueUrl, handler, async () => runs.length === 1, 5_000);
    expect(runs).toEqual([{ taskId: inBosun.taskId, task: 'math.add', payload: { x: 1, y: 1 }, attempt: 1 }]);
    expect(await receive(sdk, resources.otherQueueUrl, 0)).toEqual([]);
  });

  it('sends an ETA within 900 s as the SQS delay, never as an eta header', async () => {
    const routing = { current: async () => ({ ...defaultRoutingDocument('celery'), rules: [] }) };
    const celery = celeryDestination({ name: 'celery', queueUrl: resources.otherQueueUrl, sqs: sdk.sqs, tasks: mapping });
    const producer = createTaskClient({ queueUrls: { default: resources.queueUrl }, clients: sdk, routing, destinations: [celery], logger: { warn: () => undefined, info: () => undefined } });
    const published = await producer.publish('greet', { name: 'ann' }, { delaySeconds: 2 });
    expect(await receive(sdk, resources.otherQueueUrl, 0)).toEqual([]);
    const started = Date.now();
    let message;
    while (message === undefined && Date.now() - started < 6_000) [message] = await receive(sdk, resources.otherQueueUrl, 1);
    const envelope = JSON.parse(Buffer.from(message?.Body as string, 'base64').toString('utf8')) as { headers: Record<string, unknown>; properties: Record<string, unknown> };
    expect(envelope.headers).toMatchObject({ task: 'app.greet', id: published.taskId, eta: null });
    expect(envelope.properties).toMatchObject({ delivery_info: { exchange: '', routing_key: resources.otherQueueUrl.split('/').pop() } });
    expect(decodeCeleryMessage(message?.Body as string)).toMatchObject({ args: ['ann'], kwargs: {} });
  });

  it('keeps a task due beyond 900 s on Bosun\'s scheduled path and hands it to Celery when due', async () => {
    // 1 real second is 900 simulated seconds, and each hop is capped at 1 s: the same hops as 900 s hops in AWS.
    const start = Date.now();
    const now = () => start + (Date.now() - start) * 900;
    const routing = { current: async () => ({ ...defaultRoutingDocument('default'), rules: [{ id: 'celery', tasks: ['math.*'], destination: 'celery' }] }) };
    const celery = celeryDestination({ name: 'celery', queueUrl: resources.otherQueueUrl, sqs: sdk.sqs, tasks: mapping, holdQueue: 'default', now });
    const producer = createTaskClient({ queueUrls: { default: resources.queueUrl }, tableName: resources.tableName, clients: sdk, routing, destinations: [celery], now, maxDelaySeconds: 1, logger: { warn: () => undefined, info: () => undefined } });
    const eta = new Date(start + 3_600_000).toISOString();
    const published = await producer.publish('math.add', { x: 7, y: 8 }, { eta });
    expect(published).toMatchObject({ destination: 'celery', status: 'scheduled' });
    expect(await stateOf(published.taskId)).toMatchObject({ status: 'scheduled', queue: 'default', eta });
    expect(await receive(sdk, resources.otherQueueUrl, 0)).toEqual([]);

    const handler = handlerWith({ routing, destinations: [celery], now, maxDelaySeconds: 1 });
    const handed = await pollUntil(sdk, resources.queueUrl, handler, async () => (await stateOf(published.taskId))?.status === 'rerouted', 20_000);
    expect(handed).toBe(true);
    expect(now()).toBeGreaterThanOrEqual(Date.parse(eta));
    const [message] = await receive(sdk, resources.otherQueueUrl, 1);
    const decoded = decodeCeleryMessage(message?.Body as string);
    expect(decoded).toMatchObject({ task: 'app.add', id: published.taskId, args: [7, 8] });
    expect(decoded.eta).toBeUndefined();
    expect(runs).toEqual([]);
  });

  it('refuses at publish a task the Celery mapping cannot take, writing and sending nothing', async () => {
    const routing = { current: async () => ({ ...defaultRoutingDocument('celery'), rules: [] }) };
    const celery = celeryDestination({ name: 'celery', queueUrl: resources.otherQueueUrl, sqs: sdk.sqs, tasks: mapping });
    const producer = createTaskClient({ queueUrls: { default: resources.queueUrl }, tableName: resources.tableName, clients: sdk, routing, destinations: [celery], logger: { warn: () => undefined, info: () => undefined } });
    const unmapped = await producer.publish('math.sub', { x: 1 }, { dedupKey: 'sub-1' }).catch((e: unknown) => e);
    expect(unmapped).toBeInstanceOf(PayloadInvalidError);
    expect((unmapped as Error).message).toBe(
      'task "math.sub" routes to destination "celery", which cannot take it: Bosun task "math.sub" has no Celery mapping (mapped: math.add, greet)',
    );
    await expect(producer.publish('math.add', [1, 2])).rejects.toThrow(/must be a JSON object to become keyword arguments of Celery task "app.add" \(given an array\)/);
    expect(await stateOf(dedupTaskId('math.sub', 'sub-1'))).toBeUndefined();
    expect(await receive(sdk, resources.otherQueueUrl, 0)).toEqual([]);
  });

  it('dead-letters a queued task the flag now hands to Celery when the mapping cannot take it, instead of retrying the hand-over', async () => {
    const celery = celeryDestination({ name: 'celery', queueUrl: resources.otherQueueUrl, sqs: sdk.sqs, tasks: [{ task: 'math.add', celeryTask: 'app.add', args: ['x'] }] });
    const routing = { current: async () => ({ ...defaultRoutingDocument('default'), rules: [{ id: 'greet-to-celery', tasks: ['greet'], destination: 'celery' }] }) };
    const env = envelope('greet', { name: 'ann' });
    await sendBody(sdk, resources.queueUrl, serializeEnvelope(env));
    await pollOnce(sdk, resources.queueUrl, handlerWith({ routing, destinations: [celery] }));
    const [dead] = await receive(sdk, resources.dlqUrl, 1);
    expect(dead?.MessageAttributes?.[MessageAttribute.DEAD_DETAIL]?.StringValue).toBe(
      'routing hands task "greet" to destination "celery", which cannot take it: Bosun task "greet" has no Celery mapping (mapped: math.add); fix the rule or the destination, then redrive',
    );
    expect(await stateOf(env.id)).toMatchObject({ status: 'dead', deadReason: 'non-retryable' });
    expect(await receive(sdk, resources.otherQueueUrl, 0)).toEqual([]);
  });

  it('refuses at publish a task due beyond 900 s when the destination has no hold queue, sending nothing', async () => {
    const routing = { current: async () => ({ ...defaultRoutingDocument('celery'), rules: [] }) };
    const celery = celeryDestination({ name: 'celery', queueUrl: resources.otherQueueUrl, sqs: sdk.sqs, tasks: mapping });
    const producer = createTaskClient({ queueUrls: { default: resources.queueUrl }, clients: sdk, routing, destinations: [celery], logger: { warn: () => undefined, info: () => undefined } });
    const error = await producer.publish('math.add', { x: 1, y: 2 }, { delaySeconds: 3600 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskClientConfigError);
    expect((error as Error).message).toBe(
      'task "math.add" routes to destination "celery" with an ETA 3600 s away, beyond the 900 s it may be handed; the destination names no holdQueue for the task to wait on',
    );
    expect(await receive(sdk, resources.otherQueueUrl, 0)).toEqual([]);
    expect(await receive(sdk, resources.queueUrl, 0)).toEqual([]);
  });
});
