import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, type Message, ReceiveMessageCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import type { MoveResult } from '../../cli/move';
import { MessageAttribute, parseEnvelope } from '../../lib/contract';
import { uniqueName } from '../support/emulator-env';
import { type TestPlatform, bosun, createTestPlatform, queueDepth } from './support';

const FIXTURES = join(__dirname, '..', 'celery', 'fixtures');

function variant(name: string): string {
  for (const line of readFileSync(join(FIXTURES, '06-more-formats.jsonl'), 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    const entry = JSON.parse(line) as { variant: string; sqs_received_message: { Body: string } };
    if (entry.variant === name) return entry.sqs_received_message.Body;
  }
  throw new Error(`no sample ${name}`);
}

/** A Celery 5.6 protocol-2 message as kombu writes it on SQS (base64 envelope, base64 body). */
function celery(task: string, id: string, args: unknown[], kwargs: Record<string, unknown>, eta: string | null = null): string {
  const envelope = {
    body: Buffer.from(JSON.stringify([args, kwargs, { callbacks: null, errbacks: null, chain: null, chord: null }])).toString('base64'),
    'content-encoding': 'utf-8',
    'content-type': 'application/json',
    headers: { lang: 'py', task, id, eta, retries: 0, root_id: id, parent_id: null, argsrepr: '()', kwargsrepr: '{}' },
    properties: { correlation_id: id, delivery_mode: 2, delivery_info: { exchange: '', routing_key: 'celery' }, priority: 0, body_encoding: 'base64' },
  };
  return Buffer.from(JSON.stringify(envelope)).toString('base64');
}

async function drain(platform: TestPlatform, url: string): Promise<Message[]> {
  const messages: Message[] = [];
  for (;;) {
    const received = await platform.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, VisibilityTimeout: 60, MessageAttributeNames: ['All'] }));
    if ((received.Messages ?? []).length === 0) return messages;
    messages.push(...received.Messages!);
  }
}

describe('bosun move --transform celery', () => {
  let platform: TestPlatform;
  let celeryUrl: string;

  beforeEach(async () => {
    platform = await createTestPlatform('move-celery');
    celeryUrl = (await platform.clients.sqs.send(new CreateQueueCommand({ QueueName: uniqueName('celery') }))).QueueUrl!;
  });

  afterEach(async () => {
    await platform.clients.sqs.send(new DeleteQueueCommand({ QueueUrl: celeryUrl })).catch(() => undefined);
    await platform.destroy();
  });

  it('moves a Celery backlog into Bosun envelopes under the Celery ids, ETAs kept, and leaves what it cannot run in the source with the reason', async () => {
    const now = Date.now();
    const soon = new Date(now + 120_000).toISOString().replace('Z', '+00:00');
    const far = new Date(now + 3 * 3_600_000).toISOString().replace('Z', '+00:00');
    const bodies = [
      celery('app.add', 'aaaaaaaa-0000-4000-8000-000000000001', [2, 3], {}),
      celery('app.greet', 'aaaaaaaa-0000-4000-8000-000000000002', ['bob'], { greeting: 'hi' }, soon),
      celery('app.add', 'aaaaaaaa-0000-4000-8000-000000000003', [4], { y: 5 }, far),
      variant('v2-pickle'),
      variant('v2-chain'),
      celery('app.unmapped', 'aaaaaaaa-0000-4000-8000-000000000004', [], {}),
    ];
    await platform.clients.sqs.send(new SendMessageBatchCommand({ QueueUrl: celeryUrl, Entries: bodies.map((body, index) => ({ Id: String(index), MessageBody: body })) }));
    await new Promise((resolve) => setTimeout(resolve, 5));

    const result = await bosun([
      'move', celeryUrl, '--to', 'default', '--transform', 'celery',
      '--celery-task', 'app.add=math.add:x,y', '--celery-task', 'app.greet=greet:name',
      '--data-dir', platform.dataDir, '--json',
    ]);

    const summary = JSON.parse(result.stdout) as MoveResult;
    expect(result.code).toBe(1);
    expect(summary).toMatchObject({ moved: 3, celery: 3, passedThrough: 0, delayed: 1, scheduled: 1, failed: 3 });
    expect(summary.failedByReason).toEqual({
      'Celery message refused (unsupported-serializer)': 1,
      'Celery message refused (workflow-unsupported)': 1,
      'Celery task app.unmapped has no --celery-task mapping': 1,
    });
    const copies = (await drain(platform, platform.queues.default.url)).map((copy) => ({ envelope: parseEnvelope(copy.Body!), attributes: copy.MessageAttributes }));
    expect(copies).toHaveLength(1);
    expect(copies[0]?.envelope).toMatchObject({ v: 1, id: 'aaaaaaaa-0000-4000-8000-000000000001', task: 'math.add', payload: { x: 2, y: 3 }, attempts: 0, route: { destination: 'default', ruleId: null } });
    expect(copies[0]?.attributes?.[MessageAttribute.TASK_NAME]?.StringValue).toBe('math.add');
    const delayed = await platform.clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: platform.queues.default.url, AttributeNames: ['ApproximateNumberOfMessagesDelayed'] }));
    expect(delayed.Attributes?.ApproximateNumberOfMessagesDelayed).toBe('2');
    // What could not move stays in the Celery queue, for a Celery worker or an operator.
    expect(await queueDepth(platform, celeryUrl)).toEqual({ visible: 3, inFlight: 0 });
  });

  it('samples converted messages in a dry run with their ETA handling, moving nothing', async () => {
    const far = new Date(Date.now() + 2 * 3_600_000).toISOString();
    await platform.clients.sqs.send(new SendMessageBatchCommand({ QueueUrl: celeryUrl, Entries: [{ Id: '0', MessageBody: celery('app.add', 'bbbbbbbb-0000-4000-8000-000000000001', [1, 2], {}, far) }] }));
    await new Promise((resolve) => setTimeout(resolve, 5));
    const result = await bosun(['move', celeryUrl, '--to', 'default', '--transform', 'celery', '--celery-task', 'app.add=math.add:x,y', '--dry-run', '--data-dir', platform.dataDir, '--json']);
    const summary = JSON.parse(result.stdout) as MoveResult;
    expect(result.code).toBe(0);
    expect(summary.samples).toEqual([
      { messageId: expect.any(String) as string, taskName: 'math.add', taskId: 'bbbbbbbb-0000-4000-8000-000000000001', transform: 'celery', delaySeconds: 900, scheduled: true, eta: new Date(Date.parse(far)).toISOString() },
    ]);
    expect(await queueDepth(platform, celeryUrl)).toEqual({ visible: 1, inFlight: 0 });
  });

  it.each([
    [['--transform', 'rabbit', '--celery-task', 'app.a=a'], '--transform must be celery (given "rabbit")'],
    [['--transform', 'celery'], '--transform celery needs at least one --celery-task'],
    [['--celery-task', 'app.a=a'], '--celery-task applies with --transform celery; add --transform celery'],
    [['--transform', 'celery', '--celery-task', 'app.a'], 'expected <celery task>=<bosun task>[:<arg>,<arg>…], for example app.add=math.add:x,y (given "app.a")'],
    [['--transform', 'celery', '--celery-task', 'app.a=a', '--celery-task', 'app.a=b'], 'Celery task "app.a" is mapped twice'],
  ])('refuses %j with exit 2 and says what is allowed', async (args, message) => {
    const result = await bosun(['move', celeryUrl, '--to', 'default', ...args, '--data-dir', platform.dataDir]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
  });
});
