import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { LocalOptionError } from '../../local/errors';
import { type BatchOutcome, EventSourcePoller, type EventSourcePollerProps } from '../../local/event-source-poller';
import { LocalFunction } from '../../local/local-function';
import { emulatorClients, emulatorEndpoints, uniqueName } from '../support/emulator-env';

const HANDLER = path.join(__dirname, 'fixtures', 'test-handler.js');
const { sqs } = emulatorClients();
const { region } = emulatorEndpoints();
const created: string[] = [];
const running: Array<{ stop(): Promise<void> }> = [];

interface TestQueue {
  readonly url: string;
  readonly arn: string;
}

async function createQueue(client: SQSClient, label: string, attributes: Record<string, string>): Promise<TestQueue> {
  const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: uniqueName(label), Attributes: attributes }));
  const url = QueueUrl!;
  created.push(url);
  const { Attributes } = await client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  return { url, arn: Attributes!.QueueArn! };
}

async function send(queue: TestQueue, body: object, attributes?: Record<string, string>): Promise<void> {
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: queue.url,
      MessageBody: JSON.stringify(body),
      ...(attributes === undefined
        ? {}
        : {
            MessageAttributes: Object.fromEntries(
              Object.entries(attributes).map(([name, value]) => [name, { DataType: 'String', StringValue: value }]),
            ),
          }),
    }),
  );
}

async function depth(queue: TestQueue): Promise<{ visible: number; inFlight: number }> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queue.url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return {
    visible: Number(Attributes?.ApproximateNumberOfMessages),
    inFlight: Number(Attributes?.ApproximateNumberOfMessagesNotVisible),
  };
}

async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

interface Harness {
  readonly poller: EventSourcePoller;
  readonly events: SQSEvent[];
  readonly outcomes: BatchOutcome[];
  readonly maxInFlight: () => number;
}

function startPoller(
  queue: TestQueue,
  fn: LocalFunction,
  props: Partial<EventSourcePollerProps> = {},
): Harness {
  const events: SQSEvent[] = [];
  const outcomes: BatchOutcome[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const poller = new EventSourcePoller({
    sqs,
    queueUrl: queue.url,
    queueArn: queue.arn,
    region,
    waitTimeSeconds: 1,
    reportBatchItemFailures: true,
    maxConcurrency: 2,
    ...props,
    invoke: async (event) => {
      events.push(event);
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        return await fn.invoke(event);
      } finally {
        inFlight -= 1;
      }
    },
    onBatch: (outcome) => outcomes.push(outcome),
  });
  poller.start();
  running.push(poller);
  return { poller, events, outcomes, maxInFlight: () => maxInFlight };
}

function testFunction(timeoutMs = 5_000): LocalFunction {
  const fn = new LocalFunction({ functionName: 'poller-test', modulePath: HANDLER, env: {}, timeoutMs });
  running.push(fn);
  return fn;
}

afterEach(async () => {
  for (const item of running.splice(0).reverse()) await item.stop();
  for (const url of created.splice(0)) await sqs.send(new DeleteQueueCommand({ QueueUrl: url }));
});

afterAll(() => sqs.destroy());

describe('EventSourcePoller, disabled and enabled (UpdateEventSourceMapping Enabled)', () => {
  it('receives nothing while disabled, lets the invocation under way finish, and receives again once enabled', async () => {
    const queue = await createQueue(sqs, 'disable', { VisibilityTimeout: '30' });
    await send(queue, { action: 'sleep', ms: 1_500 });
    const harness = startPoller(queue, testFunction(), { batchSize: 1, maxConcurrency: 2 });
    await waitFor('the first invocation', () => harness.events[0]);

    harness.poller.disable();
    await waitFor('Disabled', () => (harness.poller.state === 'Disabled' ? true : undefined), 5_000);
    await send(queue, { action: 'ok' });
    await send(queue, { action: 'ok' });
    await waitFor('the invocation under way to finish', () => harness.outcomes[0]);
    await new Promise((resolve) => setTimeout(resolve, 2_500));

    expect(harness.outcomes[0]).toMatchObject({ received: 1, deleted: 1 });
    expect(harness.events).toHaveLength(1);
    expect(await depth(queue)).toEqual({ visible: 2, inFlight: 0 });

    harness.poller.enable();
    expect(harness.poller.state).toBe('Enabled');
    await waitFor('the waiting messages', () => (harness.outcomes.reduce((sum, o) => sum + o.deleted, 0) >= 3 ? true : undefined));
    expect(await depth(queue)).toEqual({ visible: 0, inFlight: 0 });
  });

  it('starts disabled when the mapping is (Enabled: false in the template) and is Disabled at once', async () => {
    const queue = await createQueue(sqs, 'start-disabled', { VisibilityTimeout: '30' });
    await send(queue, { action: 'ok' });
    const harness = startPoller(queue, testFunction(), { enabled: false });

    expect(harness.poller.state).toBe('Disabled');
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(harness.events).toHaveLength(0);

    harness.poller.enable();
    await waitFor('the message', () => harness.outcomes[0]);
  });
});

describe('EventSourcePoller', () => {
  it('deletes the successes of a partial batch response and returns the reported failures to the queue', async () => {
    const queue = await createQueue(sqs, 'partial', { VisibilityTimeout: '30' });
    await send(queue, { action: 'ok' });
    await send(queue, { action: 'fail' });
    await send(queue, { action: 'ok' });
    const harness = startPoller(queue, testFunction(), { batchSize: 10, maximumBatchingWindowSeconds: 1, maxConcurrency: 1 });

    await waitFor('three processed messages', () =>
      harness.outcomes.reduce((sum, o) => sum + o.received, 0) >= 3 ? true : undefined,
    );
    await harness.poller.stop();

    expect(harness.outcomes.reduce((sum, o) => sum + o.deleted, 0)).toBe(2);
    expect(harness.outcomes.reduce((sum, o) => sum + o.returned, 0)).toBe(1);
    expect(await depth(queue)).toEqual({ visible: 0, inFlight: 1 });
  });

  it('gathers messages that arrive within the batching window into one invocation of at most batchSize', async () => {
    const queue = await createQueue(sqs, 'window', { VisibilityTimeout: '30' });
    const harness = startPoller(queue, testFunction(), { batchSize: 4, maximumBatchingWindowSeconds: 2, maxConcurrency: 1 });
    await send(queue, { action: 'ok' });
    await send(queue, { action: 'ok' });
    await new Promise((resolve) => setTimeout(resolve, 400));
    for (let i = 0; i < 4; i += 1) await send(queue, { action: 'ok' });

    await waitFor('six processed messages', () =>
      harness.outcomes.reduce((sum, o) => sum + o.deleted, 0) >= 6 ? true : undefined,
    );

    expect(harness.events.map((event) => event.Records.length)).toEqual([4, 2]);
    expect(harness.events[0]!.Records[0]).toMatchObject({
      eventSource: 'aws:sqs',
      eventSourceARN: queue.arn,
      awsRegion: region,
      attributes: { ApproximateReceiveCount: '1' },
    });
  });

  it('never runs more invocations at once than maxConcurrency', async () => {
    const queue = await createQueue(sqs, 'concurrency', { VisibilityTimeout: '30' });
    for (let i = 0; i < 6; i += 1) await send(queue, { action: 'sleep', ms: 300 });
    const harness = startPoller(queue, testFunction(), { batchSize: 1, maxConcurrency: 2 });

    await waitFor('six processed messages', () =>
      harness.outcomes.reduce((sum, o) => sum + o.deleted, 0) >= 6 ? true : undefined,
    );

    expect(harness.events).toHaveLength(6);
    expect(harness.maxInFlight()).toBe(2);
  });

  it('stops an invocation that overruns the function timeout and redelivers its messages after the visibility timeout', async () => {
    const queue = await createQueue(sqs, 'timeout', { VisibilityTimeout: '1' });
    await send(queue, { action: 'sleep', ms: 60_000 });
    const fn = testFunction(500);
    const harness = startPoller(queue, fn, { batchSize: 1, maxConcurrency: 1 });

    const first = await waitFor('the timed-out batch', () => harness.outcomes[0]);
    expect(first.error?.message).toBe('function poller-test did not finish within its 500 ms timeout; its worker was stopped');
    expect(first).toMatchObject({ received: 1, deleted: 0, returned: 1 });
    expect(fn.workerCount).toBe(0);

    const retried = await waitFor('the redelivery', () => harness.events[1]);
    expect(retried.Records[0]!.attributes.ApproximateReceiveCount).toBe('2');
    expect(retried.Records[0]!.messageId).toBe(harness.events[0]!.Records[0]!.messageId);
  });

  it('fails the whole batch when the function throws, and the redrive policy moves the message to the DLQ with its body and attributes', async () => {
    const dlq = await createQueue(sqs, 'redrive-dlq', {});
    const queue = await createQueue(sqs, 'redrive', {
      VisibilityTimeout: '1',
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 2 }),
    });
    await send(queue, { action: 'throw' }, { 'Bosun.TaskName': 'demo.reject' });
    const harness = startPoller(queue, testFunction(), { batchSize: 1, maxConcurrency: 1 });

    const dead = await waitFor('the message in the DLQ', async () => {
      const { Messages } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: dlq.url, MessageAttributeNames: ['All'], WaitTimeSeconds: 0 }),
      );
      return Messages?.[0];
    });
    await harness.poller.stop();

    expect(harness.outcomes).toHaveLength(2);
    expect(harness.outcomes[0]!.error?.message).toBe(
      'function poller-test failed with Error: test handler was told to throw',
    );
    expect(dead.Body).toBe(JSON.stringify({ action: 'throw' }));
    expect(dead.MessageAttributes?.['Bosun.TaskName']?.StringValue).toBe('demo.reject');
    expect(await depth(queue)).toEqual({ visible: 0, inFlight: 0 });
  });

  it('treats a partial batch response naming an unknown message as a failure of the whole batch', async () => {
    const queue = await createQueue(sqs, 'bogus', { VisibilityTimeout: '30' });
    await send(queue, { action: 'bogus' });
    const harness = startPoller(queue, testFunction(), { batchSize: 1, maxConcurrency: 1 });

    const outcome = await waitFor('the batch', () => harness.outcomes[0]);

    expect(outcome).toMatchObject({ received: 1, deleted: 0, returned: 1 });
    expect(outcome.error?.message).toBe(
      'the partial batch response names a message that is not in the batch; the whole batch failed',
    );
  });

  // Lambda's rules for ReportBatchItemFailures responses: these count as complete success...
  it.each([
    ['an empty batchItemFailures list', { batchItemFailures: [] }],
    ['a null batchItemFailures list', { batchItemFailures: null }],
    ['an empty response', {}],
    ['a null response', null],
  ])('treats %s as a complete success and deletes the batch', async (_label, response) => {
    const queue = await createQueue(sqs, 'partial-ok', { VisibilityTimeout: '30' });
    await send(queue, { action: 'respond', response });
    const harness = startPoller(queue, testFunction(), { batchSize: 1, maxConcurrency: 1 });

    const outcome = await waitFor('the batch', () => harness.outcomes[0]);

    expect(outcome).toEqual({ received: 1, deleted: 1, returned: 0 });
    expect(await depth(queue)).toEqual({ visible: 0, inFlight: 0 });
  });

  // ...and these as complete failure: every message of the batch comes back after the visibility timeout.
  it.each([
    ['an empty string itemIdentifier', { batchItemFailures: [{ itemIdentifier: '' }] }, 'a failure of the partial batch response has no message id (given itemIdentifier ""); the whole batch failed'],
    ['a null itemIdentifier', { batchItemFailures: [{ itemIdentifier: null }] }, 'a failure of the partial batch response has no message id (given itemIdentifier null); the whole batch failed'],
    ['a bad key name', { batchItemFailures: [{ itemId: 'x' }] }, 'a failure of the partial batch response has no message id (given no itemIdentifier); the whole batch failed'],
    ['batchItemFailures that is not a list', { batchItemFailures: 'all of them' }, "the partial batch response's batchItemFailures is not a list (given string); the whole batch failed"],
  ])('treats a partial batch response with %s as a failure of the whole batch', async (_label, response, problem) => {
    const queue = await createQueue(sqs, 'partial-bad', { VisibilityTimeout: '30' });
    await send(queue, { action: 'respond', response });
    const harness = startPoller(queue, testFunction(), { batchSize: 1, maxConcurrency: 1 });

    const outcome = await waitFor('the batch', () => harness.outcomes[0]);

    expect(outcome).toMatchObject({ received: 1, deleted: 0, returned: 1 });
    expect(outcome.error?.message).toBe(problem);
    expect(await depth(queue)).toEqual({ visible: 0, inFlight: 1 });
  });

  it('drains an in-flight invocation on stop and deletes its messages', async () => {
    const queue = await createQueue(sqs, 'drain', { VisibilityTimeout: '30' });
    await send(queue, { action: 'sleep', ms: 800 });
    const harness = startPoller(queue, testFunction(), { batchSize: 1, maxConcurrency: 1 });
    await waitFor('the invocation to start', () => harness.events[0]);

    await harness.poller.stop();

    expect(harness.outcomes).toEqual([{ received: 1, deleted: 1, returned: 0 }]);
    expect(await depth(queue)).toEqual({ visible: 0, inFlight: 0 });
  });

  it('runs 50 poll loops without a MaxListenersExceededWarning, and stop() ends every long poll at once', async () => {
    // In a process of its own: Node's process warnings never reach jest's sandboxed `process`.
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', path.join(__dirname, 'support', 'poll-with-many-loops.ts'), emulatorEndpoints().sqsEndpoint, region, '50'],
      { cwd: path.resolve(__dirname, '..', '..'), timeout: 25_000 },
    );
    const result = JSON.parse(stdout.trim().split('\n').pop()!) as { warnings: string[]; processed: number; stopMs: number };

    expect(result.processed).toBe(1);
    expect(result.warnings).toEqual([]);
    // Each of the 50 loops sits in a 20 s long poll when stop() is called; aborting must end them all now.
    expect(result.stopMs).toBeLessThan(5_000);
  });

  it('rejects settings outside what the event source mapping allows', () => {
    const base = { sqs, queueUrl: 'http://x', queueArn: 'arn', region, invoke: async () => null };
    expect(() => new EventSourcePoller({ ...base, batchSize: 0 })).toThrow(
      new LocalOptionError('batchSize', 'batchSize must be an integer between 1 and 10000 (given 0)'),
    );
    expect(() => new EventSourcePoller({ ...base, maximumBatchingWindowSeconds: 301 })).toThrow(
      'maximumBatchingWindowSeconds must be an integer between 0 and 300 (given 301)',
    );
    expect(() => new EventSourcePoller({ ...base, maxConcurrency: 0 })).toThrow(
      'maxConcurrency must be an integer between 1 and 1000 (given 0)',
    );
  });
});

describe('LocalFunction', () => {
  it('runs the handler in a worker with only the function environment and captures its output', async () => {
    const lines: string[] = [];
    const fn = new LocalFunction({
      functionName: 'env-test',
      modulePath: HANDLER,
      env: { TEST_MARKER: 'from-template' },
      timeoutMs: 5_000,
      log: (line) => lines.push(line),
    });
    running.push(fn);
    process.env['TEST_MARKER'] = 'from-parent';
    try {
      const result = (await fn.invoke({ Records: [{ messageId: 'm1', body: '{"action":"ok"}' }] })) as {
        marker: string;
        remainingMs: number;
      };
      expect(result.marker).toBe('from-template');
      expect(result.remainingMs).toBeGreaterThan(3_000);
      await waitFor('the log line', () => (lines.length > 0 ? lines : undefined));
      expect(lines).toEqual(['processed 1 in env-test']);
    } finally {
      delete process.env['TEST_MARKER'];
    }
  });

  it('starts a fresh worker after a timeout', async () => {
    const fn = testFunction(300);
    await expect(fn.invoke({ Records: [{ messageId: 'm1', body: '{"action":"sleep","ms":5000}' }] })).rejects.toThrow(
      'function poller-test did not finish within its 300 ms timeout; its worker was stopped',
    );
    const result = await fn.invoke({ Records: [{ messageId: 'm2', body: '{"action":"ok"}' }] });
    expect(result).toMatchObject({ batchItemFailures: [] });
    expect(fn.workerCount).toBe(1);
  });
});
