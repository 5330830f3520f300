import { GetObjectCommand } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { MAX_ETA_SECONDS, MessageAttribute, type RoutingDocument, type TaskEnvelope, parseEnvelope } from '../../lib/contract';
import { TaskStateStore, leaseToken } from '../../lib/aws/task-state-store';
import { LOCAL_CREDENTIALS } from '../../local/emulators';
import { sqsForwardingDestination, type ForwardedTaskMessage } from '../../lib/aws/destinations';
import {
  AwsCallFailedError,
  DestinationUnknownError,
  EtaTooFarError,
  PayloadInvalidError,
  PayloadTooLargeError,
  PublishOutcomeUnknownError,
  TaskKilledError,
  TaskWaitTimeoutError,
} from '../../lib/sdk/errors';
import { staticRoutingSource } from '../../lib/aws/routing-sources';
import { ClaimCheckStore } from '../../lib/aws/claim-check';
import { type TaskClientOptions, createTaskClient } from '../../lib/sdk/task-client';
import { dedupTaskId } from '../../lib/sdk/task-id';
import { emulatorClients, emulatorEndpoints } from '../support/emulator-env';
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
  it('sends a small payload inline with attributes and writes no state: the consumer\'s claim creates it', async () => {
    const bosun = client({ tasks: [emailSend] });
    const result = await bosun.publish(emailSend, { to: 'a@example.com', subject: 'Hi' }, { context: { tenant: 't-1' }, traceId: 'trace-123' });
    expect(result).toEqual({
      taskId: expect.stringMatching(/^[0-7][0-9A-HJKMNP-TV-Z]{25}$/),
      destination: 'default',
      ruleId: null,
      status: 'queued',
      claimChecked: false,
      duplicate: false,
      resent: false,
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
    expect(await stateOf(result.taskId)).toBeUndefined();
  });

  it('records a dedup-keyed task as queued before sending it: the dedup gate', async () => {
    const bosun = client();
    const result = await bosun.publish('email.send', { to: 'c@example.com' }, { dedupKey: 'gate-1' });
    expect(await stateOf(result.taskId)).toMatchObject({
      taskId: result.taskId,
      taskName: 'email.send',
      status: 'queued',
      queue: 'default',
      attempts: 0,
      link: 0,
      dedupKey: 'gate-1',
      route: { destination: 'default', ruleId: null },
      expiresAt: expect.any(Number),
    });
    await receiveAll(raw.sqs, defaultQueue, 1);
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

  it('re-sends a repeated dedup key while no consumer has touched the task, and sends nothing once one has', async () => {
    const bosun = client();
    const first = await bosun.publish('email.send', { to: 'b@example.com' }, { dedupKey: 'order-42' });
    const second = await bosun.publish('email.send', { to: 'b@example.com', n: 2 }, { dedupKey: 'order-42' });
    expect(second).toEqual({ ...first, duplicate: true, resent: true });
    const copies = await receiveAll(raw.sqs, defaultQueue, 2);
    expect(copies.map((m) => parseEnvelope(m.Body as string)).map((e) => [e.id, e.link ?? 0, e.payload])).toEqual(
      expect.arrayContaining([
        [first.taskId, 0, { to: 'b@example.com' }],
        [first.taskId, 0, { to: 'b@example.com', n: 2 }],
      ]),
    );

    // A consumer claims it: the record is no longer untouched.
    const store = new TaskStateStore({ dynamodb: clients.dynamodb, tableName: table });
    const claimed = await store.acquire({
      task: { id: first.taskId, task: 'email.send', route: { destination: 'default', ruleId: null }, publishedAt: new Date().toISOString() },
      purpose: 'claim',
      token: leaseToken('m-1'),
      leaseUntilMs: Date.now() + 60_000,
      queue: 'default',
      attempt: 1,
      redriven: false,
    });
    expect(claimed.kind).toBe('acquired');
    const third = await bosun.publish('email.send', { to: 'b@example.com' }, { dedupKey: 'order-42' });
    expect(third).toMatchObject({ taskId: first.taskId, duplicate: true, resent: false, status: 'running' });
    expect(await receiveAll(raw.sqs, defaultQueue, 1, 1500)).toHaveLength(0);
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
    expect(await stateOf(near.taskId)).toBeUndefined();
  });

  it('rejects an ETA or a delay beyond MAX_ETA_SECONDS, naming the task, the ETA and the limit, and writes nothing', async () => {
    const bosun = client();
    const now = Date.parse('2026-06-01T00:00:00.000Z');
    const clocked = client({ now: () => now });
    const error = await clocked.publish('report.render', {}, { dedupKey: 'too-far', delaySeconds: MAX_ETA_SECONDS + 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EtaTooFarError);
    expect((error as Error).message).toBe(
      'ETA of task "report.render" is 2026-07-01T00:00:01.000Z, 2592001 s from now; the furthest accepted is 2592000 s (30 days) from now, because claim-checked payloads are kept only that long plus the DLQ retention',
    );
    await expect(bosun.publish('report.render', {}, { eta: new Date(Date.now() + 31 * 86_400_000) })).rejects.toThrow(
      /^ETA of task "report.render" is .*; the furthest accepted is 2592000 s \(30 days\) from now/,
    );
    expect(await stateOf(dedupTaskId('report.render', 'too-far'))).toBeUndefined();
    expect(await receiveAll(raw.sqs, defaultQueue, 1, 1200)).toHaveLength(0);
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

  it('records a hand-over at publish only once the destination took it: none when its delivery outcome is unknown', async () => {
    let answer: 'ok' | 'lost' = 'lost';
    const delivered: string[] = [];
    const flakyLegacy = {
      name: 'legacy',
      deliver: (delivery: { envelope: { id: string } }): Promise<void> => {
        if (answer === 'lost') return Promise.reject(Object.assign(new Error('socket hang up'), { name: 'TimeoutError' }));
        delivered.push(delivery.envelope.id);
        return Promise.resolve();
      },
    };
    const bosun = client({ destinations: [flakyLegacy], routing: routing({ defaultDestination: 'legacy', rules: [] }) });
    const error = await bosun.publish('audit.consume', { n: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PublishOutcomeUnknownError);
    expect(await stateOf((error as PublishOutcomeUnknownError).taskId as string)).toBeUndefined();

    answer = 'ok';
    const handed = await bosun.publish('audit.consume', { n: 2 });
    expect(delivered).toEqual([handed.taskId]);
    expect(await stateOf(handed.taskId)).toMatchObject({ status: 'rerouted', queue: 'legacy' });

    // With a dedup key the gate record comes first and says queued; a repeat after an unknown outcome delivers again.
    answer = 'lost';
    const gated = await bosun.publish('audit.consume', { n: 3 }, { dedupKey: 'hand-over-1' }).catch((e: unknown) => e);
    expect(gated).toBeInstanceOf(PublishOutcomeUnknownError);
    const gatedId = (gated as PublishOutcomeUnknownError).taskId as string;
    expect(await stateOf(gatedId)).toMatchObject({ status: 'queued', queue: 'legacy', attempts: 0 });
    answer = 'ok';
    const repeat = await bosun.publish('audit.consume', { n: 3 }, { dedupKey: 'hand-over-1' });
    expect(repeat).toMatchObject({ taskId: gatedId, duplicate: true, resent: true });
    expect(delivered).toEqual([handed.taskId, gatedId]);
    expect(await stateOf(gatedId)).toMatchObject({ status: 'rerouted', queue: 'legacy' });
    // A third publish finds it handed over: nothing more is delivered.
    expect(await bosun.publish('audit.consume', { n: 3 }, { dedupKey: 'hand-over-1' })).toMatchObject({ duplicate: true, resent: false });
    expect(delivered).toHaveLength(2);
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

  it('undoes a publish SQS rejected with a 4xx: discards the state record and deletes the claim-check object', async () => {
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
    expect(error).not.toBeInstanceOf(PublishOutcomeUnknownError);
    expect((error as AwsCallFailedError).operation).toBe('SendMessage');
    expect((error as AwsCallFailedError).cause).toBeInstanceOf(Error);
    expect(await listKeys(raw.s3, bucket)).toEqual(keysBefore);
    expect(await stateOf(dedupTaskId('report.render', 'lost-1'))).toBeUndefined();
  });
});

/**
 * An SQS client, retries off, whose `operation` calls reach SQS and are carried out, but whose responses are lost on
 * the way back: the caller sees a network-style error although the message is in the queue.
 */
function sqsLosingResponsesOf(operation: 'SendMessage' | 'SendMessageBatch'): SQSClient {
  const endpoints = emulatorEndpoints();
  const sqs = new SQSClient({ region: endpoints.region, endpoint: endpoints.sqsEndpoint, credentials: LOCAL_CREDENTIALS, maxAttempts: 1 });
  sqs.middlewareStack.add(
    (next, context) => async (args) => {
      const output = await next(args);
      if (context.commandName === `${operation}Command`) throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
      return output;
    },
    { step: 'initialize', name: 'loseResponse' },
  );
  return sqs;
}

describe('a send with an unknown outcome (defect 2)', () => {
  let queue: string;
  const lossy: SQSClient[] = [];
  beforeAll(async () => {
    queue = await createQueue(raw.sqs, 'lost');
  });
  afterAll(async () => {
    await deleteQueue(raw.sqs, queue);
    for (const sqs of lossy) sqs.destroy();
  });
  function lossyClient(operation: 'SendMessage' | 'SendMessageBatch', extra: Partial<TaskClientOptions> = {}) {
    const sqs = sqsLosingResponsesOf(operation);
    lossy.push(sqs);
    return client({ queueUrls: { default: queue }, clients: { ...clients, sqs }, ...extra });
  }

  it('keeps the state record and the claim-check object, and a publish again with the same dedup key re-sends the task', async () => {
    const taskId = dedupTaskId('report.render', 'lost-response-1');
    const payload = payloadOfBytes(300 * KIB);
    const error = await lossyClient('SendMessage').publish('report.render', payload, { dedupKey: 'lost-response-1' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PublishOutcomeUnknownError);
    expect(error).toBeInstanceOf(AwsCallFailedError);
    expect((error as Error).name).toBe('PublishOutcomeUnknownError');
    expect((error as Error).message).toBe(
      `publish of task ${taskId} (report.render) has an unknown outcome: SQS SendMessage got no certain answer (TimeoutError: socket hang up), ` +
        'so the message may or may not have been accepted; its state record and claim-checked payload (if any) were kept; ' +
        'publishing again with the same dedupKey is safe: the task is re-sent only while no consumer has touched it, and runs once',
    );
    expect(await stateOf(taskId)).toMatchObject({ status: 'queued', attempts: 0, dedupKey: 'lost-response-1' });
    const [accepted] = await receiveAll(raw.sqs, queue, 1);
    const firstReference = parseEnvelope(accepted?.Body as string).claimCheck;
    expect(await listKeys(raw.s3, bucket)).toContain(firstReference?.key);

    const again = await client({ queueUrls: { default: queue } }).publish('report.render', payload, { dedupKey: 'lost-response-1' });
    expect(again).toMatchObject({ taskId, duplicate: true, resent: true, status: 'queued', claimChecked: true });
    const [resent] = await receiveAll(raw.sqs, queue, 1);
    expect(parseEnvelope(resent?.Body as string)).toMatchObject({ id: taskId, dedupKey: 'lost-response-1' });
    expect(await stateOf(taskId)).toMatchObject({ status: 'queued', attempts: 0 });
    const text = await new ClaimCheckStore({ s3: clients.s3, bucket }).fetch(firstReference!, { taskId, taskName: 'report.render' });
    expect(JSON.parse(text)).toEqual(payload);
  });

  it('reports every batch item whose SendMessageBatch response was lost as an unknown outcome and keeps its record', async () => {
    const result = await lossyClient('SendMessageBatch', { batchRetries: 0 }).publishBatch([
      { task: 'email.send', payload: { i: 1 }, options: { dedupKey: 'lost-batch-1' } },
      { task: 'email.send', payload: { i: 2 } },
    ]);
    expect(result).toMatchObject({ succeeded: 0, failed: 2, sqsCalls: 1 });
    expect(result.outcomes.map((o) => (o.ok ? 'ok' : o.error.name))).toEqual(['PublishOutcomeUnknownError', 'PublishOutcomeUnknownError']);
    expect(await stateOf(dedupTaskId('email.send', 'lost-batch-1'))).toMatchObject({ status: 'queued' });
    expect(await receiveAll(raw.sqs, queue, 2)).toHaveLength(2);
  });

  it('undoes batch items SQS rejected with a 4xx: no record, no claim-check object', async () => {
    const keysBefore = await listKeys(raw.s3, bucket);
    const bosun = client({ queueUrls: { default: `${queue}-missing` }, batchRetries: 0 });
    const result = await bosun.publishBatch([
      { task: 'report.render', payload: payloadOfBytes(300 * KIB), options: { dedupKey: 'rejected-batch-1' } },
      { task: 'email.send', payload: {}, options: { dedupKey: 'rejected-batch-2' } },
    ]);
    expect(result).toMatchObject({ succeeded: 0, failed: 2 });
    for (const outcome of result.outcomes) {
      expect(outcome.ok === false && outcome.error).toBeInstanceOf(AwsCallFailedError);
      expect(outcome.ok === false && outcome.error).not.toBeInstanceOf(PublishOutcomeUnknownError);
    }
    expect(await stateOf(dedupTaskId('report.render', 'rejected-batch-1'))).toBeUndefined();
    expect(await stateOf(dedupTaskId('email.send', 'rejected-batch-2'))).toBeUndefined();
    expect(await listKeys(raw.s3, bucket)).toEqual(keysBefore);
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
    for (const id of ids) expect(await stateOf(id)).toBeUndefined();
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

describe('publishBatch and the dedup gate', () => {
  it('writes the records of 25 dedup-keyed tasks in one transaction: 20 new tasks sent, 5 keys published before reported as duplicates', async () => {
    const bosun = client();
    const store = new TaskStateStore({ dynamodb: clients.dynamodb, tableName: table });
    const keys = Array.from({ length: 25 }, (_, i) => `batch-gate-${i}`);
    const before = [2, 7, 12, 17, 22];
    // Five keys were published before, and a consumer has claimed each (three still run, two succeeded).
    for (const [n, i] of before.entries()) {
      const { taskId } = await bosun.publish('email.send', { i }, { dedupKey: keys[i] as string });
      const token = leaseToken(`m-${i}`);
      await store.acquire({
        task: { id: taskId, task: 'email.send', route: { destination: 'default', ruleId: null }, publishedAt: new Date().toISOString() },
        purpose: 'claim',
        token,
        leaseUntilMs: Date.now() + 60_000,
        queue: 'default',
        attempt: 1,
        redriven: false,
      });
      if (n >= 3) await store.close(taskId, token, { transition: 'succeed', result: { ok: true } });
    }
    expect(await receiveAll(raw.sqs, defaultQueue, 5)).toHaveLength(5);

    const spy = jest.spyOn(clients.dynamodb, 'send');
    const result = await bosun.publishBatch(keys.map((dedupKey, i) => ({ task: 'email.send', payload: { i }, options: { dedupKey } })));
    const transactions = spy.mock.calls
      .map(([command]) => command as unknown)
      .filter((command): command is TransactWriteCommand => command instanceof TransactWriteCommand)
      .map((command) => command.input.TransactItems?.length);
    spy.mockRestore();

    // One transaction for all 25, cancelled by the 5 existing records; then one for the 20 new ones.
    expect(transactions).toEqual([25, 20]);
    expect(result).toMatchObject({ succeeded: 25, failed: 0, sqsCalls: 2 });
    const duplicates = result.outcomes.filter((o) => o.ok && o.result.duplicate);
    expect(duplicates.map((o) => o.index)).toEqual(before);
    expect(duplicates.map((o) => (o.ok ? [o.result.status, o.result.resent] : []))).toEqual([
      ['running', false],
      ['running', false],
      ['running', false],
      ['succeeded', false],
      ['succeeded', false],
    ]);
    const fresh = result.outcomes.filter((o) => o.ok && !o.result.duplicate).map((o) => (o.ok ? o.result.taskId : ''));
    expect(fresh).toHaveLength(20);
    const messages = await receiveAll(raw.sqs, defaultQueue, 25, 3000);
    expect(new Set(messages.map((m) => parseEnvelope(m.Body as string).id))).toEqual(new Set(fresh));
    for (const taskId of fresh) expect(await stateOf(taskId)).toMatchObject({ status: 'queued', attempts: 0 });
  });
});

describe('getTask and waitForTask', () => {
  it('reads undefined for a task no consumer has claimed yet, and waitForTask polls through it', async () => {
    const bosun = client();
    const { taskId } = await bosun.publish('email.send', {});
    await expect(bosun.getTask(taskId)).resolves.toBeUndefined();
    await expect(bosun.waitForTask(taskId, { timeoutMs: 300, pollIntervalMs: 100 })).rejects.toThrow(
      `task ${taskId} did not finish within 300 ms (last status: no state item yet: no consumer has claimed the task)`,
    );
    const keyed = await bosun.publish('email.send', {}, { dedupKey: 'read-me' });
    await expect(bosun.getTask(keyed.taskId)).resolves.toMatchObject({ taskId: keyed.taskId, status: 'queued' });
    await expect(bosun.waitForTask(keyed.taskId, { timeoutMs: 300, pollIntervalMs: 100 })).rejects.toThrow(
      new TaskWaitTimeoutError(keyed.taskId, 300, 'queued'),
    );
    await receiveAll(raw.sqs, defaultQueue, 2);
  });

  it('returns the terminal state once a consumer finishes a task that had no record at publish', async () => {
    const bosun = client();
    const { taskId } = await bosun.publish('email.send', {});
    const store = new TaskStateStore({ dynamodb: clients.dynamodb, tableName: table });
    const token = leaseToken('m-2');
    const waiting = bosun.waitForTask(taskId, { timeoutMs: 5000, pollIntervalMs: 50 });
    await new Promise((resolve) => setTimeout(resolve, 150));
    await store.acquire({
      task: { id: taskId, task: 'email.send', route: { destination: 'default', ruleId: null }, publishedAt: new Date().toISOString() },
      purpose: 'claim',
      token,
      leaseUntilMs: Date.now() + 60_000,
      queue: 'default',
      attempt: 1,
      redriven: false,
    });
    await store.close(taskId, token, { transition: 'succeed', result: { ok: true } });
    await expect(waiting).resolves.toMatchObject({ taskId, status: 'succeeded', result: { ok: true } });
    await receiveAll(raw.sqs, defaultQueue, 1);
  });
});

describe('cancel', () => {
  it('cancels a task not claimed yet (no record), a scheduled one, and refuses one that is running', async () => {
    const bosun = client();
    const plain = await bosun.publish('email.send', {}, { delaySeconds: 600 });
    await expect(bosun.cancel(plain.taskId)).resolves.toEqual({ kind: 'cancelled', previous: undefined });
    await expect(bosun.getTask(plain.taskId)).resolves.toMatchObject({ status: 'cancelled', finishedAt: expect.any(String) });

    const far = await bosun.publish('email.send', {}, { delaySeconds: 7200 });
    const cancelled = await bosun.cancel(far.taskId);
    expect(cancelled).toMatchObject({ kind: 'cancelled', previous: { status: 'scheduled' } });

    const running = await bosun.publish('email.send', {}, { delaySeconds: 600, dedupKey: 'busy' });
    const store = new TaskStateStore({ dynamodb: clients.dynamodb, tableName: table });
    await store.acquire({
      task: { id: running.taskId, task: 'email.send', route: { destination: 'default', ruleId: null }, publishedAt: new Date().toISOString() },
      purpose: 'claim',
      token: leaseToken('m-3'),
      leaseUntilMs: Date.now() + 60_000,
      queue: 'default',
      attempt: 1,
      redriven: false,
    });
    await expect(bosun.cancel(running.taskId)).resolves.toMatchObject({ kind: 'refused', item: { status: 'running' } });
    await expect(bosun.cancel(far.taskId)).resolves.toMatchObject({ kind: 'refused', item: { status: 'cancelled' } });
  });

  it('needs the task-state table', async () => {
    const bosun = client({ tableName: undefined, trackState: false });
    await expect(bosun.cancel('01JNOTHERE0000000000000000')).rejects.toThrow('cancel needs the task-state table, but no tableName was given');
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
