/**
 * Producer benchmark: tasks/s and CPU per task of the SDK's `publish` (one by one) and `publishBatch`, next to a raw
 * `@aws-sdk/client-sqs` `SendMessage` loop and `SendMessageBatch` loop, same payloads, same run, against the fauxqs
 * SQS emulator and DynamoDB Local (started here). `publishBatch` runs three ways: state tracking off; state tracking
 * on with plain tasks (the write rule gives them no record at publish: the consumer's claim creates it); and state
 * tracking on with a dedup key per task (each needs its conditional put, the dedup gate: `publishBatch` writes up to
 * 100 of them in one `TransactWriteItems` call). CPU is this process's
 * `process.cpuUsage()` (user + system): the emulators run in child processes, so their work is not counted.
 *
 * Run: `npm run bench:producer` (options: `--tasks N` per round (2000), `--rounds R` (7), `--payload-bytes B` (512)).
 * Targets, judged on each mode's least-disturbed round (min), with the median printed beside it: publishBatch ≤ 1.1 ×
 * raw SendMessageBatch CPU per task; publish ≤ 1.1 × raw SendMessage; state-on publishBatch ≤ 2 × state-off
 * publishBatch (issue 8, "the cost of state").
 */
import { CreateTableCommand, DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, DeleteQueueCommand, PurgeQueueCommand, SQSClient, SendMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import Table from 'cli-table3';
import { LOCAL_CREDENTIALS, startEmulators } from '../local/emulators';
import { ENVELOPE_VERSION, MessageAttribute, TaskTable, type TaskEnvelope, serializeEnvelope } from '../lib/contract';
import { createAwsClients } from '../lib/aws/clients';
import { newTaskId } from '../lib/sdk/task-id';
import { type TaskClient, createTaskClient } from '../lib/sdk/task-client';

interface Args {
  readonly tasks: number;
  readonly rounds: number;
  readonly payloadBytes: number;
}

function parseArgs(argv: readonly string[]): Args {
  const value = (flag: string, fallback: number): number => {
    const index = argv.indexOf(flag);
    if (index === -1) return fallback;
    const parsed = Number(argv[index + 1]);
    if (!Number.isInteger(parsed) || parsed <= 0) throw new Error(`${flag} must be a positive integer (given ${argv[index + 1]})`);
    return parsed;
  };
  return { tasks: value('--tasks', 2000), rounds: value('--rounds', 7), payloadBytes: value('--payload-bytes', 512) };
}

interface Measurement {
  readonly wallMs: number;
  readonly cpuMicros: number;
  readonly tasks: number;
}

async function measure(tasks: number, run: () => Promise<void>): Promise<Measurement> {
  const startWall = process.hrtime.bigint();
  const startCpu = process.cpuUsage();
  await run();
  const cpu = process.cpuUsage(startCpu);
  const wallMs = Number(process.hrtime.bigint() - startWall) / 1e6;
  return { wallMs, cpuMicros: cpu.user + cpu.system, tasks };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

function payloadFor(i: number, bytes: number): { to: string; subject: string; body: string } {
  const base = { to: `user-${i}@example.com`, subject: `Order ${i} confirmed`, body: '' };
  return { ...base, body: 'x'.repeat(Math.max(0, bytes - JSON.stringify(base).length)) };
}

type Mode =
  | 'raw SendMessage'
  | 'SDK publish'
  | 'raw SendMessageBatch'
  | 'raw SendMessageBatch, same bytes'
  | 'SDK publishBatch'
  | 'SDK publishBatch, state on'
  | 'SDK publishBatch, state on, dedup keys';

/**
 * What the SDK sends for one task, built by hand: the same envelope body and message attributes. The "same bytes" raw
 * loop sends these, so its gap to `publishBatch` is the SDK's own work, and its gap to the bare raw loop is the cost of
 * the envelope's extra bytes (SigV4 hashing and JSON serialization scale with them).
 */
function envelopeEntry(taskName: string, payload: unknown): { body: string; attributes: Record<string, { DataType: string; StringValue: string }> } {
  const envelope: TaskEnvelope = {
    v: ENVELOPE_VERSION,
    id: newTaskId(),
    task: taskName,
    payload,
    attempts: 0,
    route: { destination: 'default', ruleId: null },
    publishedAt: new Date().toISOString(),
  };
  return {
    body: serializeEnvelope(envelope),
    attributes: {
      [MessageAttribute.TASK_NAME]: { DataType: 'String', StringValue: taskName },
      [MessageAttribute.TASK_ID]: { DataType: 'String', StringValue: envelope.id },
      [MessageAttribute.ENVELOPE_VERSION]: { DataType: 'Number', StringValue: String(ENVELOPE_VERSION) },
      [MessageAttribute.ROUTE]: { DataType: 'String', StringValue: 'default' },
    },
  };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const emulators = await startEmulators();
  const region = emulators.region;
  const raw = new SQSClient({ region, endpoint: emulators.sqsEndpoint, credentials: LOCAL_CREDENTIALS });
  const rawDynamoDb = new DynamoDBClient({ region, endpoint: emulators.dynamoDbEndpoint, credentials: LOCAL_CREDENTIALS });
  const tuned = createAwsClients({
    region,
    credentials: LOCAL_CREDENTIALS,
    env: { AWS_ENDPOINT_URL_SQS: emulators.sqsEndpoint, AWS_ENDPOINT_URL_DYNAMODB: emulators.dynamoDbEndpoint },
  });
  const tableName = 'bosun-bench-producer-tasks';
  try {
    const created = await raw.send(new CreateQueueCommand({ QueueName: 'bosun-bench-producer' }));
    const queueUrl = created.QueueUrl as string;
    await rawDynamoDb.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: TaskTable.PARTITION_KEY, AttributeType: 'S' }],
        KeySchema: [{ AttributeName: TaskTable.PARTITION_KEY, KeyType: 'HASH' }],
      }),
    );
    const client: TaskClient = createTaskClient({
      queueUrls: { default: queueUrl },
      clients: { sqs: tuned.sqs },
      trackState: false,
      region,
    });
    const stateClient: TaskClient = createTaskClient({
      queueUrls: { default: queueUrl },
      clients: { sqs: tuned.sqs, dynamodb: tuned.dynamodb },
      tableName,
      region,
    });
    // Dedup keys must be new on every run: a repeated key would take the duplicate path instead of the dedup gate.
    let dedupRun = 0;
    const payloads = Array.from({ length: args.tasks }, (_, i) => payloadFor(i, args.payloadBytes));
    const taskName = 'email.send';

    const runs: Record<Mode, () => Promise<void>> = {
      'raw SendMessage': async () => {
        for (const payload of payloads) {
          await raw.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify({ task: taskName, payload }) }));
        }
      },
      'SDK publish': async () => {
        for (const payload of payloads) await client.publish(taskName, payload);
      },
      'raw SendMessageBatch': async () => {
        for (let start = 0; start < payloads.length; start += 10) {
          const entries = payloads.slice(start, start + 10).map((payload, i) => ({
            Id: String(i),
            MessageBody: JSON.stringify({ task: taskName, payload }),
          }));
          await raw.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
        }
      },
      'raw SendMessageBatch, same bytes': async () => {
        for (let start = 0; start < payloads.length; start += 10) {
          const entries = payloads.slice(start, start + 10).map((payload, i) => {
            const { body, attributes } = envelopeEntry(taskName, payload);
            return { Id: String(i), MessageBody: body, MessageAttributes: attributes };
          });
          await raw.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
        }
      },
      'SDK publishBatch': async () => {
        const items = payloads.map((payload) => ({ task: taskName, payload }));
        const result = await client.publishBatch(items);
        if (result.failed > 0) throw new Error(`publishBatch failed ${result.failed} of ${items.length} items`);
      },
      'SDK publishBatch, state on': async () => {
        const items = payloads.map((payload) => ({ task: taskName, payload }));
        const result = await stateClient.publishBatch(items);
        if (result.failed > 0) throw new Error(`publishBatch (state on) failed ${result.failed} of ${items.length} items`);
      },
      'SDK publishBatch, state on, dedup keys': async () => {
        dedupRun += 1;
        const items = payloads.map((payload, i) => ({ task: taskName, payload, options: { dedupKey: `run-${dedupRun}-${i}` } }));
        const result = await stateClient.publishBatch(items);
        if (result.failed > 0) throw new Error(`publishBatch (dedup keys) failed ${result.failed} of ${items.length} items`);
        if (result.outcomes.some((o) => o.ok && o.result.duplicate)) throw new Error('publishBatch (dedup keys) met a duplicate: keys must be new');
      },
    };
    const modes = Object.keys(runs) as Mode[];

    // Warm up every path (JIT, sockets, SDK middleware caches) before measuring: two passes each.
    for (let pass = 0; pass < 2; pass += 1) {
      for (const mode of modes) await runs[mode]();
      await raw.send(new PurgeQueueCommand({ QueueUrl: queueUrl }));
    }

    const results = new Map<Mode, Measurement[]>(modes.map((mode) => [mode, []]));
    for (let round = 0; round < args.rounds; round += 1) {
      // Alternate the order, so garbage one mode leaves behind is not always collected during the same other mode.
      const order = round % 2 === 0 ? modes : [...modes].reverse();
      for (const mode of order) {
        results.get(mode)?.push(await measure(args.tasks, runs[mode]));
        await raw.send(new PurgeQueueCommand({ QueueUrl: queueUrl }));
      }
    }

    const summary = new Map(
      modes.map((mode) => {
        const list = results.get(mode) ?? [];
        const cpu = list.map((m) => m.cpuMicros / m.tasks);
        return [
          mode,
          {
            tasksPerSecond: median(list.map((m) => (m.tasks / m.wallMs) * 1000)),
            cpuMin: Math.min(...cpu),
            cpuMedian: median(cpu),
          },
        ] as const;
      }),
    );
    // Each mode against its baseline, with the target its CPU ratio must meet (none for the raw loops).
    const judged: Record<Mode, { readonly baseline: Mode; readonly target?: number }> = {
      'raw SendMessage': { baseline: 'raw SendMessage' },
      'SDK publish': { baseline: 'raw SendMessage', target: 1.1 },
      'raw SendMessageBatch': { baseline: 'raw SendMessageBatch' },
      'raw SendMessageBatch, same bytes': { baseline: 'raw SendMessageBatch' },
      'SDK publishBatch': { baseline: 'raw SendMessageBatch', target: 1.1 },
      'SDK publishBatch, state on': { baseline: 'SDK publishBatch', target: 2 },
      'SDK publishBatch, state on, dedup keys': { baseline: 'SDK publishBatch', target: 2 },
    };
    const table = new Table({
      head: ['mode', 'tasks/s (median)', 'CPU µs/task min', 'CPU µs/task median', 'against', 'ratio (min)', 'ratio (median)', 'target (min)'],
    });
    for (const mode of modes) {
      const { baseline, target } = judged[mode];
      const own = summary.get(mode);
      const base = summary.get(baseline);
      if (own === undefined || base === undefined) continue;
      const ratioMin = own.cpuMin / base.cpuMin;
      const ratioMedian = own.cpuMedian / base.cpuMedian;
      const isBaseline = baseline === mode;
      table.push([
        mode,
        own.tasksPerSecond.toFixed(0),
        own.cpuMin.toFixed(1),
        own.cpuMedian.toFixed(1),
        isBaseline ? '' : baseline,
        isBaseline ? 'baseline' : `${ratioMin.toFixed(2)}×`,
        isBaseline ? 'baseline' : `${ratioMedian.toFixed(2)}×`,
        target === undefined ? '' : `≤ ${target.toFixed(2)}×: ${ratioMin <= target ? 'met' : 'MISSED'}`,
      ]);
    }
    const sameBytes = summary.get('raw SendMessageBatch, same bytes');
    const sdkBatch = summary.get('SDK publishBatch');
    if (sameBytes !== undefined && sdkBatch !== undefined) {
      table.push([
        'publishBatch vs same-bytes raw batch',
        '',
        '',
        '',
        '',
        `${(sdkBatch.cpuMin / sameBytes.cpuMin).toFixed(2)}×`,
        `${(sdkBatch.cpuMedian / sameBytes.cpuMedian).toFixed(2)}×`,
        '(the SDK\'s own work)',
      ]);
    }
    console.log(
      `Producer benchmark: ${args.tasks} tasks × ${args.rounds} interleaved rounds per mode, ${args.payloadBytes}-byte payloads, fauxqs SQS and DynamoDB Local on loopback, Node ${process.version}.\n` +
        'State tracking is off except in the "state on" rows; the CPU ratio state-on / state-off per task is the "ratio" of those rows.\n' +
        'CPU is this process only (user + system). Other load on the machine only ever adds CPU time, so the target is judged on the least-disturbed (min) round; the median is shown beside it.',
    );
    console.log(table.toString());
    await raw.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
    await rawDynamoDb.send(new DeleteTableCommand({ TableName: tableName }));
  } finally {
    raw.destroy();
    rawDynamoDb.destroy();
    await emulators.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
