import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
} from '@aws-sdk/client-sqs';
import type { MoveResult } from '../../cli/move';
import { MessageAttribute, type TaskEnvelope, parseEnvelope, serializeEnvelope } from '../../lib/contract';
import { dedupTaskId } from '../../lib/sdk';
import { uniqueName } from '../support/emulator-env';
import { type TestPlatform, anEnvelope, bosun, createTestPlatform, getTaskState, queueDepth } from './support';

/** Receives everything visible in a queue now, leaving it invisible for a minute. */
async function drain(platform: TestPlatform, url: string): Promise<Message[]> {
  const messages: Message[] = [];
  for (;;) {
    const received = await platform.clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        VisibilityTimeout: 60,
        MessageAttributeNames: ['All'],
      }),
    );
    if ((received.Messages ?? []).length === 0) return messages;
    messages.push(...received.Messages!);
  }
}

async function delayedCount(platform: TestPlatform, url: string): Promise<number> {
  const response = await platform.clients.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessagesDelayed'] }),
  );
  return Number(response.Attributes?.ApproximateNumberOfMessagesDelayed ?? 0);
}

function tenant(value: string): SendMessageBatchRequestEntry['MessageAttributes'] {
  return { tenant: { DataType: 'String', StringValue: value } };
}

function envelopeEntry(envelope: TaskEnvelope, attributes: SendMessageBatchRequestEntry['MessageAttributes'] = {}): Omit<SendMessageBatchRequestEntry, 'Id'> {
  return {
    MessageBody: serializeEnvelope(envelope),
    MessageAttributes: {
      [MessageAttribute.TASK_NAME]: { DataType: 'String', StringValue: envelope.task },
      [MessageAttribute.TASK_ID]: { DataType: 'String', StringValue: envelope.id },
      ...attributes,
    },
  };
}

describe('bosun move', () => {
  let platform: TestPlatform;
  let legacyUrl: string;

  /** Sends the entries to the legacy queue; returns their message ids, in order. */
  const fill = async (entries: readonly Omit<SendMessageBatchRequestEntry, 'Id'>[]): Promise<string[]> => {
    const ids: string[] = [];
    for (let start = 0; start < entries.length; start += 10) {
      const response = await platform.clients.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: legacyUrl,
          Entries: entries.slice(start, start + 10).map((entry, index) => ({ ...entry, Id: String(index) })),
        }),
      );
      const sent = [...(response.Successful ?? [])].sort((a, b) => Number(a.Id) - Number(b.Id));
      ids.push(...sent.map((entry) => entry.MessageId!));
    }
    // SentTimestamp has millisecond precision: the move's snapshot starts strictly after the last send.
    await new Promise((resolve) => setTimeout(resolve, 5));
    return ids;
  };

  beforeEach(async () => {
    platform = await createTestPlatform('move');
    legacyUrl = (await platform.clients.sqs.send(new CreateQueueCommand({ QueueName: uniqueName('legacy') }))).QueueUrl!;
  });

  afterEach(async () => {
    await platform.clients.sqs.send(new DeleteQueueCommand({ QueueUrl: legacyUrl })).catch(() => undefined);
    await platform.destroy();
  });

  it('moves Bosun envelopes from a queue URL into a platform queue unchanged, and empties the source', async () => {
    const envelopes = [1, 2, 3].map((n) => anEnvelope({ id: `01JD7X3Q4J8ZP7N3R5W6Y9K2M${n}`, task: 'orders.sync', link: n }));
    await fill(envelopes.map((envelope) => envelopeEntry(envelope, tenant('acme'))));

    const result = await bosun(['move', legacyUrl, '--to', 'bulk', '--data-dir', platform.dataDir, '--json']);

    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ moved: 3, passedThrough: 3, wrapped: 0, failed: 0, snapshot: 3, destination: 'bulk' });
    const copies = await drain(platform, platform.queues.bulk.url);
    expect(copies.map((copy) => parseEnvelope(copy.Body!)).sort((a, b) => a.id.localeCompare(b.id))).toEqual(envelopes);
    expect(copies.map((copy) => copy.MessageAttributes?.['tenant']?.StringValue)).toEqual(['acme', 'acme', 'acme']);
    expect(await queueDepth(platform, legacyUrl)).toEqual({ visible: 0, inFlight: 0 });
  });

  it('keeps ETAs: a wait within one SQS delay becomes DelaySeconds, a longer one goes on the scheduled path', async () => {
    const now = Date.now();
    await fill([
      envelopeEntry(anEnvelope({ id: '01JD7X3Q4J8ZP7N3R5W6Y9K2E1', eta: new Date(now + 120_000).toISOString() })),
      envelopeEntry(anEnvelope({ id: '01JD7X3Q4J8ZP7N3R5W6Y9K2E2', eta: new Date(now + 3 * 3_600_000).toISOString() })),
      envelopeEntry(anEnvelope({ id: '01JD7X3Q4J8ZP7N3R5W6Y9K2E3', eta: new Date(now - 60_000).toISOString() })),
      envelopeEntry(anEnvelope({ id: '01JD7X3Q4J8ZP7N3R5W6Y9K2E4', eta: new Date(now + 40 * 86_400_000).toISOString() })),
    ]);

    const result = await bosun(['move', legacyUrl, '--to', 'default', '--data-dir', platform.dataDir, '--json']);

    const summary = JSON.parse(result.stdout) as MoveResult;
    expect(summary).toMatchObject({ moved: 3, delayed: 1, scheduled: 1, failed: 1 });
    expect(summary.failedByReason).toEqual({ 'EtaTooFarError: ETA more than 2592000 s (30 days) away': 1 });
    expect(summary.failures).toEqual([
      expect.objectContaining({
        taskId: '01JD7X3Q4J8ZP7N3R5W6Y9K2E4',
        error: expect.stringMatching(/^EtaTooFarError: ETA of task "email.send" is .*the furthest accepted is 2592000 s/),
      }),
    ]);
    expect(result.code).toBe(1);
    expect(await delayedCount(platform, platform.queues.default.url)).toBe(2);
    expect((await drain(platform, platform.queues.default.url)).map((copy) => parseEnvelope(copy.Body!).id)).toEqual(['01JD7X3Q4J8ZP7N3R5W6Y9K2E3']);
    expect(await queueDepth(platform, legacyUrl)).toEqual({ visible: 1, inFlight: 0 });
  });

  it('wraps plain JSON bodies as tasks through the SDK with --wrap-as, the ETA read from --eta-field', async () => {
    const eta = new Date(Date.now() + 2 * 3_600_000).toISOString();
    const [farId, nowId] = await fill([
      { MessageBody: JSON.stringify({ order: 1, headers: { eta } }) },
      { MessageBody: JSON.stringify({ order: 2 }) },
    ]);

    const result = await bosun([
      'move', legacyUrl, '--to', 'default', '--wrap-as', 'legacy.job', '--eta-field', 'headers.eta', '--data-dir', platform.dataDir, '--json',
    ]);

    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ moved: 2, wrapped: 2, passedThrough: 0, scheduled: 1, delayed: 0 });
    const copies = (await drain(platform, platform.queues.default.url)).map((copy) => parseEnvelope(copy.Body!));
    expect(copies).toEqual([expect.objectContaining({ task: 'legacy.job', payload: { order: 2 }, attempts: 0 })]);
    expect(copies[0]!.eta).toBeUndefined();
    expect(await delayedCount(platform, platform.queues.default.url)).toBe(1);
    // Each wrapped task's id stands for its source message (the dedup key move:<message id>), so a second run after a
    // crash finds the task instead of publishing a new one; the far ETA has its `scheduled` record, as a publish gives.
    expect(copies[0]!.id).toBe(dedupTaskId('legacy.job', `move:${nowId}`));
    expect(await getTaskState(platform, dedupTaskId('legacy.job', `move:${nowId}`))).toMatchObject({ status: 'queued', taskName: 'legacy.job' });
    expect(await getTaskState(platform, dedupTaskId('legacy.job', `move:${farId}`))).toMatchObject({ status: 'scheduled', eta });
    expect(await queueDepth(platform, legacyUrl)).toEqual({ visible: 0, inFlight: 0 });
  });

  it('leaves what the filters exclude in the source, visible again, and counts it', async () => {
    await fill([
      envelopeEntry(anEnvelope({ id: '01JD7X3Q4J8ZP7N3R5W6Y9K2F1', task: 'orders.sync' }), tenant('acme')),
      envelopeEntry(anEnvelope({ id: '01JD7X3Q4J8ZP7N3R5W6Y9K2F2', task: 'orders.sync' }), tenant('other')),
      envelopeEntry(anEnvelope({ id: '01JD7X3Q4J8ZP7N3R5W6Y9K2F3', task: 'reports.build' }), tenant('acme')),
      { MessageBody: JSON.stringify({ order: 3 }), MessageAttributes: tenant('acme') },
    ]);

    const result = await bosun([
      'move', legacyUrl, '--to', 'bulk', '--task', 'orders.*', '--attribute', 'tenant=acme', '--wrap-as', 'orders.legacy',
      '--data-dir', platform.dataDir, '--json',
    ]);

    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ moved: 2, passedThrough: 1, wrapped: 1, filteredOut: 2 });
    expect(await queueDepth(platform, legacyUrl)).toEqual({ visible: 2, inFlight: 0 });
    const tasks = (await drain(platform, platform.queues.bulk.url)).map((copy) => parseEnvelope(copy.Body!).task).sort();
    expect(tasks).toEqual(['orders.legacy', 'orders.sync']);
  });

  it('keeps bodies it cannot move in the source, says why per reason, and exits 1', async () => {
    await fill([{ MessageBody: JSON.stringify({ order: 1 }) }, { MessageBody: 'not json at all' }, { MessageBody: JSON.stringify({ v: 99, id: 'x' }) }]);

    const result = await bosun(['move', legacyUrl, '--to', 'bulk', '--data-dir', platform.dataDir]);

    expect(result.code).toBe(1);
    expect(result.stdout).toContain('moved 0 message(s)');
    expect(result.stdout).toContain('failed (kept in the source, nothing sent): 3');
    expect(result.stdout).toContain('1 × plain JSON body, not a Bosun envelope: pass --wrap-as <task> to publish it as a task');
    expect(result.stdout).toContain('1 × body is neither a Bosun envelope nor JSON\n');
    expect(result.stdout).toContain('1 × not a valid Bosun envelope: envelope version 99 is not supported');
    expect(result.stdout).not.toContain('order');
    expect(await queueDepth(platform, legacyUrl)).toEqual({ visible: 3, inFlight: 0 });
  });

  it('with --dry-run counts and samples what would move and sends, deletes and writes nothing', async () => {
    const eta = new Date(Date.now() + 300_000).toISOString();
    await fill([
      envelopeEntry(anEnvelope({ id: '01JD7X3Q4J8ZP7N3R5W6Y9K2G1', eta })),
      { MessageBody: JSON.stringify({ order: 1 }) },
    ]);

    const result = await bosun(['move', legacyUrl, '--to', 'bulk', '--wrap-as', 'legacy.job', '--dry-run', '--data-dir', platform.dataDir, '--json']);

    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout) as MoveResult;
    expect(summary).toMatchObject({ dryRun: true, moved: 2, passedThrough: 1, wrapped: 1, delayed: 1 });
    expect(summary.samples).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ taskId: '01JD7X3Q4J8ZP7N3R5W6Y9K2G1', transform: 'pass-through', eta, scheduled: false }),
        expect.objectContaining({ taskName: 'legacy.job', transform: 'wrapped', delaySeconds: 0 }),
      ]),
    );
    expect(await queueDepth(platform, legacyUrl)).toEqual({ visible: 2, inFlight: 0 });
    expect(await queueDepth(platform, platform.queues.bulk.url)).toEqual({ visible: 0, inFlight: 0 });
  });

  it('keeps to --rate across its parallel loops and stops at --max', async () => {
    await fill(Array.from({ length: 30 }, (_, n) => envelopeEntry(anEnvelope({ id: `01JD7X3Q4J8ZP7N3R5W6Y9K3${String(n).padStart(2, '0')}` }))));

    const startedAt = Date.now();
    const result = await bosun(['move', legacyUrl, '--to', 'bulk', '--rate', '20', '--max', '25', '--concurrency', '4', '--data-dir', platform.dataDir, '--json']);
    const elapsedMs = Date.now() - startedAt;

    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ moved: 25, beyondMax: expect.any(Number) });
    // Slots are taken per batch (at most 10): at 20 per second the last batch starts at least (25 - 10) / 20 s after
    // the first; unthrottled, the whole move takes about a tenth of that here.
    expect(elapsedMs).toBeGreaterThanOrEqual(750);
    expect(await queueDepth(platform, legacyUrl)).toEqual({ visible: 5, inFlight: 0 });
  });

  it.each([
    [['--concurrency', '0'], '--concurrency must be a whole number from 1 to 100 (given 0)'],
    [['--concurrency', '101'], '--concurrency must be a whole number from 1 to 100 (given 101)'],
    [['--eta-field', 'eta'], '--eta-field applies to plain JSON bodies, which are moved only with --wrap-as <task>'],
    [['--wrap-as', 'Legacy Job'], '--wrap-as must be a task name of lower-case letters'],
    [['--hold-seconds', '0'], '--hold-seconds must be a whole number of seconds from 1 to 43200 (given 0)'],
  ])('rejects %j as a usage error (exit 2) before touching any queue', async (extra, message) => {
    await fill([envelopeEntry(anEnvelope())]);

    const result = await bosun(['move', legacyUrl, '--to', 'bulk', ...extra, '--data-dir', platform.dataDir]);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(await queueDepth(platform, legacyUrl)).toEqual({ visible: 1, inFlight: 0 });
  });

  it('refuses to move a queue into itself (exit 2), and names the DLQ of a platform queue as <name>:dlq', async () => {
    const same = await bosun(['move', 'bulk', '--to', 'bulk', '--data-dir', platform.dataDir]);
    expect(same.code).toBe(2);
    expect(same.stderr).toContain('<source> and --to name the same queue (bulk)');

    await platform.clients.sqs.send(
      new SendMessageBatchCommand({ QueueUrl: platform.queues.bulk.dlqUrl, Entries: [{ Id: '0', ...envelopeEntry(anEnvelope()) }] }),
    );
    await new Promise((resolve) => setTimeout(resolve, 5));
    const fromDlq = await bosun(['move', 'bulk:dlq', '--to', 'default', '--data-dir', platform.dataDir, '--json']);
    expect(fromDlq.code).toBe(0);
    expect(JSON.parse(fromDlq.stdout)).toMatchObject({ moved: 1, source: platform.queues.bulk.dlqUrl });
  });
});
