/**
 * Move benchmark (`npm run bench:mover`).
 *
 * Moves the same number of messages from one fauxqs queue to another, in one process, with:
 * 1. a raw loop: `concurrency` loops of ReceiveMessage (10, every attribute) → SendMessageBatch (body and attributes
 *    copied) → DeleteMessageBatch, nothing else: the floor any mover pays;
 * 2. `bosun move` (`moveQueue`, the CLI's code path on the move engine) of Bosun envelopes: pass-through, ETA rule,
 *    snapshot, report — the baseline it must keep up with is (1), target ≥ 0.9×;
 * 3. `bosun move --wrap-as` of plain JSON bodies: each published through the producer SDK with its dedup gate record
 *    (a DynamoDB transaction per batch), for what a migration from a non-Bosun queue costs.
 * A warm-up round of 1,000 messages per variant is not counted. Variants are interleaved per round and the median
 * round is reported: messages per second (wall time of the move),
 * requests per message (SQS, and DynamoDB), and CPU per message of this process (`process.cpuUsage`, user + system;
 * the emulators run in child processes and are not counted). Then what that means for 340,000 messages a minute
 * against AWS.
 *
 * Run with `node --expose-gc` (the npm script does) so garbage is collected before each measurement.
 *
 * Options: --messages <n> (default 10000) --concurrency <n> (default 16) --rounds <n> (default 3)
 */
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SQSClient,
  SendMessageBatchCommand,
} from '@aws-sdk/client-sqs';
import Table from 'cli-table3';
import { createCliClients } from '../cli/clients';
import { moveQueue } from '../cli/move';
import { platformFromOutputs } from '../cli/platform';
import { ENVELOPE_VERSION, MessageAttribute, StackOutput, TaskTable, queueOutputKey, serializeEnvelope } from '../lib/contract';
import { newTaskId } from '../lib/sdk/task-id';
import { LOCAL_CREDENTIALS, startEmulators } from '../local/emulators';

/** The issue's target: `bosun move` at ≥ 0.9× the raw loop's messages per second. */
const TARGET_RATIO = 0.9;
/** The field report's rate: 340,000 messages a minute. */
const FIELD_MESSAGES_PER_MINUTE = 340_000;
/** Latency of one SQS call against AWS from the same region, ms (the issue's assumption). */
const AWS_CALL_MS = 20;
const PAYLOAD_BYTES = 512;
/** Messages per variant of the uncounted warm-up round. */
const WARM_UP_MESSAGES = 1_000;

interface Args {
  readonly messages: number;
  readonly concurrency: number;
  readonly rounds: number;
}

function parseArgs(argv: readonly string[]): Args {
  const value = (name: string, fallback: number): number => {
    const at = argv.indexOf(`--${name}`);
    if (at < 0) return fallback;
    const parsed = Number(argv[at + 1]);
    if (!Number.isInteger(parsed) || parsed < 1) throw new Error(`--${name} must be a whole number above 0 (given ${argv[at + 1]})`);
    return parsed;
  };
  return { messages: value('messages', 10_000), concurrency: value('concurrency', 16), rounds: value('rounds', 3) };
}

interface Sample {
  readonly variant: string;
  readonly moved: number;
  readonly messagesPerSecond: number;
  readonly sqsRequestsPerMessage: number;
  readonly dynamoDbRequestsPerMessage: number;
  readonly cpuMicrosPerMessage: number;
  readonly sqsRequestsPerSecond: number;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/** Counts the requests a client sends, per client. */
function countRequests(client: { middlewareStack: SQSClient['middlewareStack'] }, counter: { count: number }): void {
  client.middlewareStack.add(
    (next) => async (args) => {
      counter.count += 1;
      return next(args);
    },
    { step: 'initialize', name: 'benchCountRequests' },
  );
}

async function fill(sqs: SQSClient, url: string, messages: number, plain: boolean): Promise<void> {
  const payload = { data: 'x'.repeat(PAYLOAD_BYTES) };
  const calls: Promise<unknown>[] = [];
  for (let start = 0; start < messages; start += 10) {
    const entries = Array.from({ length: Math.min(10, messages - start) }, (_, index) => {
      const id = newTaskId();
      const attributes: Record<string, MessageAttributeValue> = plain
        ? { tenant: { DataType: 'String', StringValue: 'acme' } }
        : {
            [MessageAttribute.TASK_NAME]: { DataType: 'String', StringValue: 'orders.sync' },
            [MessageAttribute.TASK_ID]: { DataType: 'String', StringValue: id },
            [MessageAttribute.ENVELOPE_VERSION]: { DataType: 'Number', StringValue: String(ENVELOPE_VERSION) },
            [MessageAttribute.ROUTE]: { DataType: 'String', StringValue: 'default' },
          };
      const body = plain
        ? JSON.stringify({ n: start + index, ...payload })
        : serializeEnvelope({
            v: ENVELOPE_VERSION,
            id,
            task: 'orders.sync',
            payload,
            attempts: 0,
            route: { destination: 'default', ruleId: null },
            publishedAt: new Date().toISOString(),
          });
      return { Id: String(index), MessageBody: body, MessageAttributes: attributes };
    });
    calls.push(sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: entries })));
    if (calls.length >= 32) await Promise.all(calls.splice(0));
  }
  await Promise.all(calls);
  // The move's snapshot is every message sent before its start, to the millisecond.
  await new Promise((resolve) => setTimeout(resolve, 5));
}

/**
 * A received message's attributes as a send takes them: data type and value only. (Passing the received objects as
 * they are also sends their empty `StringListValues`/`BinaryListValues`, which costs the raw loop CPU the move does not
 * pay, and would flatter the move.)
 */
function plainAttributes(message: Message): Record<string, MessageAttributeValue> {
  const attributes: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    attributes[name] = {
      DataType: value.DataType,
      ...(value.StringValue === undefined ? {} : { StringValue: value.StringValue }),
      ...(value.BinaryValue === undefined ? {} : { BinaryValue: value.BinaryValue }),
    };
  }
  return attributes;
}

/** The raw loop: receive → send-batch → delete-batch, `concurrency` of them, until a receive comes back empty. */
async function rawMove(sqs: SQSClient, sourceUrl: string, targetUrl: string, concurrency: number): Promise<number> {
  let moved = 0;
  const loop = async (): Promise<void> => {
    for (;;) {
      const received = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: sourceUrl,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: 300,
          WaitTimeSeconds: 1,
          MessageAttributeNames: ['All'],
          MessageSystemAttributeNames: ['All'],
        }),
      );
      const messages = received.Messages ?? [];
      if (messages.length === 0) return;
      const sent = await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: targetUrl,
          Entries: messages.map((message, index) => ({ Id: String(index), MessageBody: message.Body ?? '', MessageAttributes: plainAttributes(message) })),
        }),
      );
      const accepted = (sent.Successful ?? []).map((entry) => messages[Number(entry.Id)]!);
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: sourceUrl,
          Entries: accepted.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle })),
        }),
      );
      moved += accepted.length;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, () => loop()));
  return moved;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const emulators = await startEmulators();
  const region = emulators.region;
  const admin = new SQSClient({ region, endpoint: emulators.sqsEndpoint, credentials: LOCAL_CREDENTIALS });
  const adminDynamoDb = new DynamoDBClient({ region, endpoint: emulators.dynamoDbEndpoint, credentials: LOCAL_CREDENTIALS });
  const tableName = 'bosun-bench-mover-tasks';
  const samples: Sample[] = [];
  try {
    await adminDynamoDb.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: TaskTable.PARTITION_KEY, AttributeType: 'S' }],
        KeySchema: [{ AttributeName: TaskTable.PARTITION_KEY, KeyType: 'HASH' }],
      }),
    );
    const variants = ['raw loop', 'bosun move (envelopes)', 'bosun move --wrap-as (plain JSON)'] as const;
    // Round -1 is the warm-up (JIT, sockets), not counted.
    for (let round = -1; round < args.rounds; round += 1) {
      const messages = round < 0 ? WARM_UP_MESSAGES : args.messages;
      // The order rotates each round, so no variant always follows the one that left the most garbage behind.
      const order = variants.map((_, index) => variants[(index + Math.max(0, round)) % variants.length]!);
      for (const variant of order) {
        const name = `bosun-bench-mover-${round + 1}-${variants.indexOf(variant)}`;
        const sourceUrl = (await admin.send(new CreateQueueCommand({ QueueName: `${name}-source` }))).QueueUrl!;
        const targetUrl = (await admin.send(new CreateQueueCommand({ QueueName: `${name}-target` }))).QueueUrl!;
        const platform = platformFromOutputs(
          {
            [StackOutput.QUEUE_NAMES]: JSON.stringify(['target']),
            [StackOutput.TABLE_NAME]: tableName,
            [queueOutputKey('target', StackOutput.QUEUE_URL_SUFFIX)]: targetUrl,
          },
          {
            target: 'local',
            region,
            endpoints: { sqs: emulators.sqsEndpoint, s3: emulators.s3Endpoint, dynamodb: emulators.dynamoDbEndpoint },
            source: 'bench',
          },
        );
        const clients = createCliClients(platform);
        const sqsRequests = { count: 0 };
        const dynamoDbRequests = { count: 0 };
        countRequests(clients.sqs, sqsRequests);
        countRequests(clients.dynamodb as unknown as SQSClient, dynamoDbRequests);
        const plain = variant === 'bosun move --wrap-as (plain JSON)';
        await fill(admin, sourceUrl, messages, plain);

        // Collect the fill's garbage now, so it is not charged to the variant measured next.
        (globalThis as { gc?: () => void }).gc?.();
        const cpuBefore = process.cpuUsage();
        const startedAt = process.hrtime.bigint();
        let moved: number;
        if (variant === 'raw loop') {
          moved = await rawMove(clients.sqs, sourceUrl, targetUrl, args.concurrency);
        } else {
          const result = await moveQueue(platform, clients, {
            source: sourceUrl,
            to: 'target',
            concurrency: args.concurrency,
            ...(plain ? { wrapAs: 'orders.legacy' } : {}),
          });
          if (result.failed > 0 || result.unknownOutcomes.length > 0) throw new Error(`${variant}: ${JSON.stringify(result.failedByReason)}`);
          moved = result.moved;
        }
        const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
        const cpu = process.cpuUsage(cpuBefore);
        const left = await admin.send(new GetQueueAttributesCommand({ QueueUrl: sourceUrl, AttributeNames: ['ApproximateNumberOfMessages'] }));
        if (moved !== messages || left.Attributes?.ApproximateNumberOfMessages !== '0') {
          throw new Error(`${variant} moved ${moved} of ${messages} (left in the source: ${left.Attributes?.ApproximateNumberOfMessages})`);
        }
        if (round >= 0) samples.push({
          variant,
          moved,
          messagesPerSecond: moved / seconds,
          sqsRequestsPerMessage: sqsRequests.count / moved,
          dynamoDbRequestsPerMessage: dynamoDbRequests.count / moved,
          cpuMicrosPerMessage: (cpu.user + cpu.system) / moved,
          sqsRequestsPerSecond: sqsRequests.count / seconds,
        });
        clients.destroy();
        await admin.send(new DeleteQueueCommand({ QueueUrl: sourceUrl }));
        await admin.send(new DeleteQueueCommand({ QueueUrl: targetUrl }));
        process.stdout.write(`${round < 0 ? 'warm-up' : `round ${round + 1}/${args.rounds}`} ${variant}: ${Math.round(moved / seconds)} msg/s\n`);
      }
    }
  } finally {
    admin.destroy();
    adminDynamoDb.destroy();
    await emulators.stop();
  }

  const summary = (variant: string): Sample => {
    const mine = samples.filter((sample) => sample.variant === variant);
    const pick = (key: keyof Omit<Sample, 'variant'>): number => median(mine.map((sample) => sample[key]));
    return {
      variant,
      moved: pick('moved'),
      messagesPerSecond: pick('messagesPerSecond'),
      sqsRequestsPerMessage: pick('sqsRequestsPerMessage'),
      dynamoDbRequestsPerMessage: pick('dynamoDbRequestsPerMessage'),
      cpuMicrosPerMessage: pick('cpuMicrosPerMessage'),
      sqsRequestsPerSecond: pick('sqsRequestsPerSecond'),
    };
  };
  const raw = summary('raw loop');
  const rows = ['raw loop', 'bosun move (envelopes)', 'bosun move --wrap-as (plain JSON)'].map(summary);
  const table = new Table({
    head: ['variant', 'msg/s', 'vs raw', 'SQS req/msg', 'DynamoDB req/msg', 'SQS req/s', 'CPU µs/msg'],
    style: { head: [], border: [] },
  });
  for (const row of rows) {
    table.push([
      row.variant,
      Math.round(row.messagesPerSecond),
      `${(row.messagesPerSecond / raw.messagesPerSecond).toFixed(2)}×`,
      row.sqsRequestsPerMessage.toFixed(3),
      row.dynamoDbRequestsPerMessage.toFixed(3),
      Math.round(row.sqsRequestsPerSecond),
      row.cpuMicrosPerMessage.toFixed(1),
    ]);
  }
  process.stdout.write(
    `\n${args.messages} messages (${PAYLOAD_BYTES}-byte payloads) per variant and round, concurrency ${args.concurrency}, ` +
      `median of ${args.rounds} interleaved rounds, fauxqs + DynamoDB Local on loopback\n${table.toString()}\n`,
  );
  const move = rows[1] as Sample;
  const ratio = move.messagesPerSecond / raw.messagesPerSecond;
  process.stdout.write(`bosun move / raw loop: ${ratio.toFixed(2)}× (target ≥ ${TARGET_RATIO}×: ${ratio >= TARGET_RATIO ? 'met' : 'NOT met'})\n\n`);

  const perSecond = FIELD_MESSAGES_PER_MINUTE / 60;
  for (const row of rows.slice(1)) {
    const requestsPerSecond = perSecond * row.sqsRequestsPerMessage;
    const inFlight = (requestsPerSecond * AWS_CALL_MS) / 1000;
    const cores = (perSecond * row.cpuMicrosPerMessage) / 1e6;
    process.stdout.write(
      `${row.variant} at ${FIELD_MESSAGES_PER_MINUTE.toLocaleString('en-US')} msg/min (${Math.round(perSecond)} msg/s) against AWS: ` +
        `${Math.round(requestsPerSecond)} SQS requests/s` +
        `${row.dynamoDbRequestsPerMessage > 0 ? ` + ${Math.round(perSecond * row.dynamoDbRequestsPerMessage)} DynamoDB requests/s` : ''}; ` +
        `at ${AWS_CALL_MS} ms per call that is ${Math.ceil(inFlight)} SQS requests in flight (--concurrency ${Math.ceil(inFlight)}, ` +
        `one call in flight per loop)${row.dynamoDbRequestsPerMessage > 0 ? ' plus the SDK publish time' : ''}; ` +
        `${cores.toFixed(2)} cores at the CPU per message measured here\n`,
    );
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
