import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { QUEUE_MOVER_AWS_ACCESS } from '../../lib/contract';
import { moveMessages } from '../../lib/aws/queue-mover';
import { emulatorClients } from '../support/emulator-env';
import { createQueue, deleteQueue } from '../sdk/support/fixtures';

/**
 * What the move engine really calls, recorded from its SQS client while it moves messages between two queues on the
 * emulator (some filtered out, so it also hands messages back), compared with QUEUE_MOVER_AWS_ACCESS — the list the
 * operator grants (`grantMoveFrom`, `grantRedrive`) are built from.
 */

interface Call {
  readonly action: string;
  readonly queueUrl: string;
}

const raw = emulatorClients();
const recorded: SQSClient = emulatorClients().sqs;
const calls: Call[] = [];
recorded.middlewareStack.add(
  (next, context) => async (args) => {
    const name = (context.commandName ?? '').replace(/Command$/, '').replace(/Batch$/, '');
    calls.push({ action: `sqs:${name}`, queueUrl: String((args.input as { QueueUrl?: string }).QueueUrl) });
    return next(args);
  },
  { step: 'initialize', name: 'recordMoverCalls' },
);

let source: string;
let destination: string;

beforeAll(async () => {
  [source, destination] = await Promise.all([createQueue(raw.sqs, 'mover-source'), createQueue(raw.sqs, 'mover-destination')]);
  for (let start = 0; start < 30; start += 10) {
    await raw.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: source,
        Entries: Array.from({ length: 10 }, (_, i) => ({ Id: String(i), MessageBody: JSON.stringify({ n: start + i }) })),
      }),
    );
  }
  await new Promise((resolve) => setTimeout(resolve, 1100));
  await moveMessages({
    sqs: recorded,
    sourceUrl: source,
    filter: (message) => (JSON.parse(message.Body ?? '{}') as { n: number }).n % 3 !== 0,
    decide: async (messages) => messages.map((message) => ({ kind: 'send', queueUrl: destination, body: message.Body ?? '' })),
    concurrency: 2,
    holdSeconds: 30,
  });
}, 60_000);

afterAll(async () => {
  await Promise.all([deleteQueue(raw.sqs, source), deleteQueue(raw.sqs, destination)]);
  raw.sqs.destroy();
  recorded.destroy();
});

describe('the AWS calls of the move engine', () => {
  it('touch the source only with the source actions, and use every one of them', () => {
    const onSource = calls.filter((call) => call.queueUrl === source);
    expect([...new Set(onSource.map((call) => call.action))].sort()).toEqual([...QUEUE_MOVER_AWS_ACCESS.source].sort());
  });

  it('touch the destination only with the destination actions, and no other queue', () => {
    const onDestination = calls.filter((call) => call.queueUrl === destination);
    expect([...new Set(onDestination.map((call) => call.action))].sort()).toEqual([...QUEUE_MOVER_AWS_ACCESS.destination].sort());
    expect(calls.every((call) => call.queueUrl === source || call.queueUrl === destination)).toBe(true);
  });
});
