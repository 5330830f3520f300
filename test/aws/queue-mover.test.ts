import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
  SendMessageBatchCommand,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { type MoveDecision, moveMessages } from '../../lib/aws/queue-mover';

const SOURCE = 'https://sqs.eu-west-1.amazonaws.com/123456789012/legacy';
const TARGET = 'https://sqs.eu-west-1.amazonaws.com/123456789012/bosun-dev-default';
const START_MS = Date.parse('2026-11-29T09:00:00.000Z');

const sqs = new SQSClient({ region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
const sqsMock = mockClient(sqs);

/** A source message SQS received `agoMs` before the run's start. */
function aMessage(n: number, agoMs = 60_000): Message {
  return {
    MessageId: `m${n}`,
    ReceiptHandle: `handle-${n}`,
    Body: `{"n":${n}}`,
    Attributes: { SentTimestamp: String(START_MS - agoMs) },
  };
}

/** A source queue that hands out `messages` once, in batches of up to 10, then nothing. */
function sourceHolding(messages: readonly Message[]): void {
  const left = [...messages];
  sqsMock.on(ReceiveMessageCommand).callsFake(() => ({ Messages: left.splice(0, 10) }));
  sqsMock.on(GetQueueAttributesCommand).resolves({
    Attributes: { ApproximateNumberOfMessages: String(messages.length), ApproximateNumberOfMessagesNotVisible: '0' },
  });
}

/** Receipt handles of the source messages the run deleted. */
function deletedHandles(): string[] {
  return sqsMock
    .commandCalls(DeleteMessageBatchCommand)
    .flatMap((call) => call.args[0].input.Entries ?? [])
    .map((entry) => entry.ReceiptHandle ?? '');
}

/** Receipt handles the run made visible again at the end. */
function releasedHandles(): string[] {
  return sqsMock
    .commandCalls(ChangeMessageVisibilityBatchCommand)
    .flatMap((call) => call.args[0].input.Entries ?? [])
    .map((entry) => entry.ReceiptHandle ?? '');
}

const sendAll = async (messages: readonly Message[]): Promise<MoveDecision[]> =>
  messages.map((message) => ({ kind: 'send', queueUrl: TARGET, body: message.Body ?? '' }));

beforeEach(() => {
  sqsMock.reset();
  sqsMock.on(DeleteMessageBatchCommand).callsFake((input: { Entries: { Id: string }[] }) => ({
    Successful: input.Entries.map((entry) => ({ Id: entry.Id })),
  }));
  sqsMock.on(ChangeMessageVisibilityBatchCommand).resolves({});
});

describe('moveMessages', () => {
  it('deletes from the source exactly the messages whose copy SQS accepted; a refused entry is undone and kept', async () => {
    sourceHolding([aMessage(1), aMessage(2), aMessage(3)]);
    sqsMock.on(SendMessageBatchCommand).resolves({
      Successful: [{ Id: '0', MessageId: 'c1', MD5OfMessageBody: 'x' }, { Id: '2', MessageId: 'c3', MD5OfMessageBody: 'x' }],
      Failed: [{ Id: '1', SenderFault: true, Code: 'InvalidParameterValue', Message: 'bad attribute' }],
    });
    const undone: string[] = [];

    const result = await moveMessages({
      sqs,
      sourceUrl: SOURCE,
      concurrency: 1,
      now: () => START_MS,
      decide: async (messages) =>
        messages.map((message) => ({
          kind: 'send',
          queueUrl: TARGET,
          body: message.Body ?? '',
          taskId: `task-${message.MessageId}`,
          undo: async () => {
            undone.push(message.MessageId ?? '');
            return ' (undone)';
          },
        })),
    });

    expect(deletedHandles()).toEqual(['handle-1', 'handle-3']);
    expect(undone).toEqual(['m2']);
    expect(result).toMatchObject({ moved: 2, failures: [{ messageId: 'm2', taskId: 'task-m2', error: 'InvalidParameterValue: bad attribute (undone)', reason: 'InvalidParameterValue' }] });
    expect(releasedHandles()).toEqual(['handle-2']);
  });

  it('keeps every message of a send with no answer, undoes nothing, and reports the outcome unknown', async () => {
    sourceHolding([aMessage(1), aMessage(2)]);
    sqsMock.on(SendMessageBatchCommand).rejects(Object.assign(new Error('socket hang up'), { name: 'TimeoutError' }));
    const undone: string[] = [];

    const result = await moveMessages({
      sqs,
      sourceUrl: SOURCE,
      concurrency: 1,
      now: () => START_MS,
      decide: async (messages) =>
        messages.map((message) => ({
          kind: 'send',
          queueUrl: TARGET,
          body: message.Body ?? '',
          unknownNote: ' (sent again next run)',
          undo: async () => {
            undone.push(message.MessageId ?? '');
            return '';
          },
        })),
    });

    expect(deletedHandles()).toEqual([]);
    expect(undone).toEqual([]);
    expect(result.moved).toBe(0);
    expect(result.unknownOutcomes.map((outcome) => outcome.error)).toEqual([
      'TimeoutError: socket hang up (sent again next run)',
      'TimeoutError: socket hang up (sent again next run)',
    ]);
    expect(releasedHandles().sort()).toEqual(['handle-1', 'handle-2']);
  });

  it('undoes and keeps every message of a send SQS refused with a client error on its only attempt', async () => {
    sourceHolding([aMessage(1)]);
    sqsMock
      .on(SendMessageBatchCommand)
      .rejects(Object.assign(new Error('The specified queue does not exist.'), { name: 'QueueDoesNotExist', $metadata: { httpStatusCode: 400, attempts: 1 } }));

    const result = await moveMessages({
      sqs,
      sourceUrl: SOURCE,
      concurrency: 1,
      now: () => START_MS,
      decide: async (messages) => messages.map((message) => ({ kind: 'send', queueUrl: TARGET, body: message.Body ?? '', undo: async () => ' (state dead again)' })),
    });

    expect(deletedHandles()).toEqual([]);
    expect(result.failures).toEqual([
      { messageId: 'm1', error: 'QueueDoesNotExist: The specified queue does not exist. (state dead again)', reason: 'QueueDoesNotExist' },
    ]);
  });

  it('leaves messages sent after the start, and the filtered-out ones, in the source and ends', async () => {
    sourceHolding([aMessage(1), aMessage(2, -5_000), aMessage(3), aMessage(4)]);
    sqsMock.on(SendMessageBatchCommand).callsFake((input: { Entries: { Id: string }[] }) => ({ Successful: input.Entries.map((entry) => ({ Id: entry.Id })) }));

    const result = await moveMessages({
      sqs,
      sourceUrl: SOURCE,
      concurrency: 2,
      now: () => START_MS,
      filter: (message) => message.MessageId !== 'm3',
      decide: sendAll,
    });

    expect(deletedHandles().sort()).toEqual(['handle-1', 'handle-4']);
    expect(releasedHandles().sort()).toEqual(['handle-2', 'handle-3']);
    expect(result).toMatchObject({ moved: 2, filteredOut: 1, leftForNextRun: 1, seen: 3 });
  });

  it('counts a copy whose source message could not be deleted as moved and reports it', async () => {
    sourceHolding([aMessage(1), aMessage(2)]);
    sqsMock.on(SendMessageBatchCommand).callsFake((input: { Entries: { Id: string }[] }) => ({ Successful: input.Entries.map((entry) => ({ Id: entry.Id })) }));
    sqsMock.on(DeleteMessageBatchCommand).resolves({
      Successful: [{ Id: '0' }],
      Failed: [{ Id: '1', SenderFault: true, Code: 'ReceiptHandleIsInvalid', Message: 'expired' }],
    });

    const result = await moveMessages({ sqs, sourceUrl: SOURCE, concurrency: 1, now: () => START_MS, decide: sendAll });

    expect(result.moved).toBe(2);
    expect(result.deleteFailures).toEqual([{ messageId: 'm2', error: 'ReceiptHandleIsInvalid: expired', reason: 'ReceiptHandleIsInvalid' }]);
  });

  it('in a dry run sends and deletes nothing and puts every message back', async () => {
    sourceHolding([aMessage(1), aMessage(2)]);

    const result = await moveMessages({ sqs, sourceUrl: SOURCE, concurrency: 1, dryRun: true, now: () => START_MS, decide: sendAll });

    expect(result.moved).toBe(2);
    expect(sqsMock.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
    expect(deletedHandles()).toEqual([]);
    expect(releasedHandles().sort()).toEqual(['handle-1', 'handle-2']);
  });

  it('rejects a concurrency outside 1–100 before touching the queue', async () => {
    await expect(moveMessages({ sqs, sourceUrl: SOURCE, concurrency: 0, decide: sendAll })).rejects.toThrow(
      'concurrency must be a whole number from 1 to 100 (given 0)',
    );
    expect(sqsMock.calls()).toHaveLength(0);
  });
});
