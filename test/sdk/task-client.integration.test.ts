import { GetObjectCommand } from '@aws-sdk/client-s3';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { MessageAttribute, type RoutingDocument, type TaskEnvelope, parseEnvelope } from '../../lib/contract';
import { sqsForwardingDestination, type ForwardedTaskMessage } from '../../lib/aws/destinations';
import {
  AwsCallFailedError,
  DestinationUnknownError,
  PayloadInvalidError,
  PayloadTooLargeError,
  TaskKilledError,
  TaskWaitTimeoutError,
} from '../../lib/sdk/errors';
import { staticRoutingSource } from '../../lib/aws/routing-sources';
import { ClaimCheckStore } from '../../lib/aws/claim-check';
import { type TaskClientOptions, createTaskClient } from '../../lib/sdk/task-client';
import { dedupTaskId } from '../../lib/sdk/task-id';
import { emulatorClients } from '../support/emulator-env';
import {
  createBucket,
  createQueue,
  createTable,
  deleteQueue,
  deleteTable,
  emptyAndDeleteBucket,
  listKeys,
  payloadOfBytes,
  receiveAll,
  sdkClientsForEmulators,
} from './support/fixtures';

const raw = emulatorClients();
const clients = sdkClientsForEmulators();
const KIB = 1024;

let defaultQueue: string;
let bulkQueue: string;
let legacyQueue: string;
let table: string;
let bucket: string;

beforeAll(async () => {
  [defaultQueue, bulkQueue, legacyQueue, table, bucket] = await Promise.all([
    createQueue(raw.sqs, 'default'),
    createQueue(raw.sqs, 'bulk'),
    createQueue(raw.sqs, 'legacy'),
    createTable(raw.dynamodb, 'tasks'),
    createBucket(raw.s3, 'claims'),
  ]);
});

afterAll(async () => {
  await Promise.all([deleteQueue(raw.sqs, defaultQueue), deleteQueue(raw.sqs, bulkQueue), deleteQueue(raw.sqs, legacyQueue)]);
  await deleteTable(raw.dynamodb, table);
  await emptyAndDeleteBucket(raw.s3, bucket);
  raw.sqs.destroy();
  raw.s3.destroy();
  raw.dynamodb.destroy();
});

function client(extra: Partial<TaskClientOptions> = {}) {
  return createTaskClient({
    queueUrls: { default: defaultQueue, bulk: bulkQueue },
    bucket,
    tableName: table,
    clients,
    region: 'us-east-1',
    logger: { warn: () => undefined, info: () => undefined },
    ...extra,
  });
}

function routing(doc: Omit<RoutingDocument, 'version'>) {
  return staticRoutingSource({ version: 1, ...doc });
}

async function stateOf(taskId: string): Promise<Record<string, unknown> | undefined> {
  const response = await clients.dynamodb.send(new GetCommand({ TableName: table, Key: { taskId }, ConsistentRead: true }));
  return response.Item;
}

const emailSend = {
  name: 'email.send',
  schema: z.object({ to: z.string().email(), subject: z.string().min(1) }),
};

describe('publish', () => {
  it('sends a small payload inline with attributes and records queued state', async () => {
    const bosun = client({ tasks: [emailSend] });
    const result = await bosun.publish(emailSend, { to: 'a@example.com', subject: 'Hi' }, { context: { tenant: 't-1' }, traceId: 'trace-123' });
    expect(result).toEqual({
      taskId: expect.stringMatching(/^[0-7][0-9A-HJKMNP-TV-Z]{25}$/),
      destination: 'default',
      ruleId: null,
      status: 'queued',
      claimChecked: false,
      duplicate: false,
      paused: false,
    });
    const [message] = await receiveAll(raw.sqs, defaultQueue, 1);
    const envelope = parseEnvelope(message?.Body as string);
    expect(envelope).toEqual<TaskEnvelope>({
      v: 1,
      id: result.taskId,
      task: 'email.send',
      payload: { to: 'a@example.com', subject: 'Hi' },
      attempts: 0,
      route: { destination: 'default', ruleId: null },
      context: { tenant: 't-1', region: 'us-east-1' },
      publishedAt: expect.any(String),
      traceId: 'trace-123',
    });
    expect(message?.MessageAttributes?.[MessageAttribute.TASK_NAME]?.StringValue).toBe('email.send');
    expect(message?.MessageAttributes?.[MessageAttribute.TASK_ID]?.StringValue).toBe(result.taskId);
    expect(message?.MessageAttributes?.[MessageAttribute.ROUTE]?.StringValue).toBe('default');
    expect(await stateOf(result.taskId)).toMatchObject({
      taskId: result.taskId,
      taskName: 'email.send',
      status: 'queued',
      queue: 'default',
      attempts: 0,
      route: { destination: 'default', ruleId: null },
      expiresAt: expect.any(Number),
    });
  });

  it('stores a 300 KiB payload in S3 and sends a reference', async () => {
    const bosun = client();
    const payload = payloadOfBytes(300 * KIB);
    const result = await bosun.publish('report.render', payload);
    expect(result.claimChecked).toBe(true);
    const [message] = await receiveAll(raw.sqs, defaultQueue, 1);
    const envelope = parseEnvelope(message?.Body as string);
    expect(envelope.payload).toBeUndefined();
    expect(envelope.claimCheck).toEqual({
      bucket,
      key: expect.stringMatching(new RegExp(`^claim-checks/${result.taskId}/[0-9a-f]{32}$`)),
      bytes: 300 * KIB,
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    const text = await new ClaimCheckStore({ s3: clients.s3, bucket }).fetch(envelope.claimCheck!, { taskId: result.taskId, taskName: 'report.render' });
    expect(JSON.parse(text)).toEqual(payload);
  });

  it('keeps an envelope of exactly the threshold inline and claim-checks one byte more', async () => {
    const bosun = client({ trackState: false, claimCheckThresholdBytes: 4 * KIB });
    const probe = await bosun.publish('report.render', { data: '' }, { traceId: 'x' });
    const [probeMessage] = await receiveAll(raw.sqs, defaultQueue, 1);
    const emptyBytes = Buffer.byteLength(probeMessage?.Body as string);
    expect(probe.claimChecked).toBe(false);
    const fits = await bosun.publish('report.render', { data: 'y'.repeat(4 * KIB - emptyBytes) }, { traceId: 'x' });
    const over = await bosun.publish('report.render', { data: 'y'.repeat(4 * KIB - emptyBytes + 1) }, { traceId: 'x' });
    const messages = await receiveAll(raw.sqs, defaultQueue, 2);
    const byId = new Map(messages.map((m) => [parseEnvelope(m.Body as string).id, m]));
    expect(Buffer.byteLength(byId.get(fits.taskId)?.Body as string)).toBe(4 * KIB);
    expect(fits.claimChecked).toBe(false);
    expect(over.claimChecked).toBe(true);
    expect(parseEnvelope(byId.get(over.taskId)?.Body as string).claimCheck?.bytes).toBe(4 * KIB - emptyBytes + 1 + JSON.stringify({ data: '' }).length);
  });

  it('publishes a dedup key once and returns the same task id', async () => {
    const bosun = client();
    const first = await bosun.publish('email.send', { to: 'b@example.com' }, { dedupKey: 'order-42' });
    const second = await bosun.publish('email.send', { to: 'b@example.com' }, { dedupKey: 'order-42' });
    expect(second).toEqual({ ...first, duplicate: true });
    const messages = await receiveAll(raw.sqs, defaultQueue, 2, 2500);
    expect(messages).toHaveLength(1);
    expect(parseEnvelope(messages[0]?.Body as string)).toMatchObject({ id: first.taskId, dedupKey: 'order-42' });
  });

  it('delays a near ETA with DelaySeconds and schedules a far one', async () => {
    const bosun = client({ maxDelaySeconds: 2 });
    const near = await bosun.publish('email.send', {}, { delaySeconds: 2 });
    const far = await bosun.publish('email.send', {}, { eta: new Date(Date.now() + 2 * 60 * 60 * 1000) });
    expect(near.status).toBe('queued');
    expect(far.status).toBe('scheduled');
    expect(await receiveAll(raw.sqs, defaultQueue, 1, 1000)).toHaveLength(0);
    const messages = await receiveAll(raw.sqs, defaultQueue, 2, 6000);
    const envelopes = new Map(messages.map((m) => [parseEnvelope(m.Body as string).id, parseEnvelope(m.Body as string)]));
    expect(envelopes.get(near.taskId)?.eta).toBe(near.eta);
    expect(envelopes.get(far.taskId)?.eta).toBe(far.eta);
    expect(await stateOf(far.taskId)).toMatchObject({ status: 'scheduled', eta: far.eta });
  });

  it('hands a task the flags route to a custom destination over to it', async () => {
    const legacy = sqsForwardingDestination({ name: 'legacy', queueUrl: legacyQueue, sqs: clients.sqs });
    const bosun = client({
      destinations: [legacy],
      routing: routing({
        defaultDestination: 'default',
        rules: [{ id: 'audit-stays-legacy', tasks: ['audit.*'], regions: ['ca-central-1'], destination: 'legacy' }],
      }),
    });
    const moved = await bosun.publish('audit.consume-event', { event: 7 }, { region: 'ca-central-1' });
    const stayed = await bosun.publish('audit.consume-event', { event: 8 }, { region: 'eu-west-1' });
    expect(moved).toMatchObject({ destination: 'legacy', ruleId: 'audit-stays-legacy', status: 'rerouted' });
    expect(stayed).toMatchObject({ destination: 'default', ruleId: null, status: 'queued' });
    const [forwarded] = await receiveAll(raw.sqs, legacyQueue, 1);
    expect(JSON.parse(forwarded?.Body as string)).toEqual<ForwardedTaskMessage>({
      task: 'audit.consume-event',
      id: moved.taskId,
      payload: { event: 7 },
      publishedAt: expect.any(String),
      ruleId: 'audit-stays-legacy',
      context: { region: 'ca-central-1' },
    });
    expect(await stateOf(moved.taskId)).toMatchObject({ status: 'rerouted', queue: 'legacy' });
    await receiveAll(raw.sqs, defaultQueue, 1);
  });

  it('rejects a killed task with a clear error and sends nothing', async () => {
    const bosun = client({ routing: routing({ defaultDestination: 'default', rules: [], killed: ['reports.*'] }) });
    await expect(bosun.publish('reports.daily', {})).rejects.toThrow(
      new TaskKilledError('reports.daily', 'task "reports.daily" matches the killed list: publishing it is rejected'),
    );
    await expect(bosun.publish('reports.daily', {})).rejects.toThrow(
      'publishing task "reports.daily" is rejected by the routing flags: task "reports.daily" matches the killed list: publishing it is rejected',
    );
    const switchedOff = client({ routing: routing({ defaultDestination: 'default', rules: [], killSwitch: true }) });
    await expect(switchedOff.publish('email.send', {})).rejects.toThrow(
      'publishing task "email.send" is rejected by the routing flags: the kill switch is on: publishing of every task is rejected',
    );
    expect(await receiveAll(raw.sqs, defaultQueue, 1, 1200)).toHaveLength(0);
  });

  it('rejects an invalid payload with the schema issues before anything is written', async () => {
    const bosun = client({ tasks: [emailSend] });
    const error = await bosun.publish('email.send', { to: 'not-an-address', subject: '' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PayloadInvalidError);
    expect((error as PayloadInvalidError).message).toBe(
      'payload of task "email.send" does not match its schema: to: Invalid email address; subject: Too small: expected string to have >=1 characters',
    );
    expect((error as PayloadInvalidError).issues.map((issue) => issue.path)).toEqual([['to'], ['subject']]);
    await expect(bosun.publish('email.sned', {})).rejects.toThrow('task "email.sned" is not one of this client\'s tasks (known: email.send)');
    expect(await receiveAll(raw.sqs, defaultQueue, 1, 1200)).toHaveLength(0);
  });

  it('rejects a payload above the hard limit before any write', async () => {
    const bosun = client({ maxPayloadBytes: 512 * KIB });
    const keysBefore = await listKeys(raw.s3, bucket);
    const error = await bosun.publish('report.render', payloadOfBytes(512 * KIB + 1)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PayloadTooLargeError);
    expect((error as Error).message).toBe('payload of task "report.render" is 524289 bytes; the limit is 524288 bytes');
    expect(await listKeys(raw.s3, bucket)).toEqual(keysBefore);
  });

  it('rejects a destination nobody registered', async () => {
    const bosun = client({ routing: routing({ defaultDestination: 'default', rules: [{ id: 'r1', destination: 'celery' }] }) });
    await expect(bosun.publish('email.send', {})).rejects.toThrow(
      new DestinationUnknownError('email.send', 'celery', 'r1', ['default', 'bulk']),
    );
    await expect(bosun.publish('email.send', {})).rejects.toThrow(
      'task "email.send" routes to destination "celery" (rule "r1"), which is neither a Bosun queue of this client nor a registered custom destination (known: default, bulk)',
    );
  });

  it('wraps an SQS failure with its cause, and removes the state item and the claim-check object', async () => {
    const bosun = createTaskClient({
      queueUrls: { default: `${defaultQueue}-missing` },
      bucket,
      tableName: table,
      clients,
      logger: { warn: () => undefined, info: () => undefined },
    });
    const keysBefore = await listKeys(raw.s3, bucket);
    const error = await bosun.publish('report.render', payloadOfBytes(300 * KIB), { dedupKey: 'lost-1' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsCallFailedError);
    expect((error as AwsCallFailedError).operation).toBe('SendMessage');
    expect((error as AwsCallFailedError).cause).toBeInstanceOf(Error);
    expect(await listKeys(raw.s3, bucket)).toEqual(keysBefore);
    expect(await stateOf(dedupTaskId('report.render', 'lost-1'))).toBeUndefined();
  });
});

describe('publishBatch', () => {
  it('sends 25 mixed-size tasks in batches of at most 10 entries and 1 MiB, reporting each', async () => {
    const bosun = client();
    const sizes = Array.from({ length: 25 }, (_, i) => (i % 5 === 0 ? 300 * KIB : i % 5 === 1 ? 200 * KIB : 100));
    const items = sizes.map((bytes, i) => ({ task: 'report.render', payload: { i, ...payloadOfBytes(bytes) } }));
    const result = await bosun.publishBatch(items);
    expect(result.failed).toBe(0);
    expect(result.succeeded).toBe(25);
    expect(result.outcomes.map((o) => o.index)).toEqual(sizes.map((_, i) => i));
    const claimChecked = result.outcomes.filter((o) => o.ok && o.result.claimChecked).length;
    expect(claimChecked).toBe(5);
    // 20 inline messages: 5 of ~200 KiB plus 15 small, so at least 2 calls by count and by bytes.
    expect(result.sqsCalls).toBeGreaterThanOrEqual(3);
    const messages = await receiveAll(raw.sqs, defaultQueue, 25, 10_000);
    expect(messages).toHaveLength(25);
    const ids = new Set(messages.map((m) => parseEnvelope(m.Body as string).id));
    expect(ids).toEqual(new Set(result.outcomes.map((o) => (o.ok ? o.result.taskId : ''))));
  });

  it('reports invalid items and publishes the rest', async () => {
    const bosun = client({ tasks: [emailSend] });
    const result = await bosun.publishBatch([
      { task: 'email.send', payload: { to: 'a@example.com', subject: 'ok' } },
      { task: 'email.send', payload: { to: 'nope', subject: 'bad' } },
      { task: 'email.send', payload: { to: 'c@example.com', subject: 'dup' }, options: { dedupKey: 'k' } },
      { task: 'email.send', payload: { to: 'c@example.com', subject: 'dup' }, options: { dedupKey: 'k' } },
    ]);
    expect(result.succeeded).toBe(3);
    expect(result.failed).toBe(1);
    const bad = result.outcomes[1];
    expect(bad?.ok).toBe(false);
    expect(bad?.ok === false && bad.error).toBeInstanceOf(PayloadInvalidError);
    const [, , third, fourth] = result.outcomes;
    expect(third?.ok && fourth?.ok && fourth.result.taskId === third.result.taskId && fourth.result.duplicate).toBe(true);
    expect(await receiveAll(raw.sqs, defaultQueue, 3, 2500)).toHaveLength(2);
  });
});

describe('getTask and waitForTask', () => {
  it('reads the state and times out with the last status', async () => {
    const bosun = client();
    const { taskId } = await bosun.publish('email.send', {});
    await expect(bosun.getTask(taskId)).resolves.toMatchObject({ taskId, status: 'queued' });
    await expect(bosun.getTask('01JNOTHERE0000000000000000')).resolves.toBeUndefined();
    await expect(bosun.waitForTask(taskId, { timeoutMs: 300, pollIntervalMs: 100 })).rejects.toThrow(
      new TaskWaitTimeoutError(taskId, 300, 'queued'),
    );
    await receiveAll(raw.sqs, defaultQueue, 1);
  });
});

describe('claim-check objects', () => {
  it('are readable by the key the envelope names', async () => {
    const bosun = client({ trackState: false });
    await bosun.publish('report.render', payloadOfBytes(257 * KIB));
    const [message] = await receiveAll(raw.sqs, defaultQueue, 1);
    const ref = parseEnvelope(message?.Body as string).claimCheck;
    const object = await raw.s3.send(new GetObjectCommand({ Bucket: bucket, Key: ref?.key }));
    expect(object.ContentLength).toBe(257 * KIB);
  });
});
