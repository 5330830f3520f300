/**
 * Drain benchmark (`npm run bench:drain`), against DynamoDB Local.
 *
 * 1. What the running index costs the consumer: claim + succeed of one task through `TaskStateStore` (the two writes
 *    every run makes), on a table with the `running-by-queue` index against the same table without it (the baseline),
 *    in interleaved rounds; the median round is reported. Wall time per task over loopback, so the figure is DynamoDB
 *    Local's work, not AWS's latency; the comparison is what matters.
 * 2. What one look of `bosun drain` costs: `listRunning` of a queue (8 shard queries) with 0, 100 and 1,000 tasks
 *    running in it and 1,000 running in another queue.
 */
import { CreateTableCommand, DynamoDBClient, type GlobalSecondaryIndex } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import Table from 'cli-table3';
import { randomUUID } from 'node:crypto';
import { TaskStateStore, leaseToken } from '../lib/aws/task-state-store';
import { LOCAL_CREDENTIALS, TaskTable } from '../lib/contract';
import { startEmulators } from '../local/emulators';

const TASKS_PER_ROUND = 200;
const ROUNDS = 5;
const LOOKS = 5;

const RUNNING_INDEX: GlobalSecondaryIndex = {
  IndexName: TaskTable.RUNNING_INDEX,
  KeySchema: [
    { AttributeName: TaskTable.RUNNING_SHARD, KeyType: 'HASH' },
    { AttributeName: TaskTable.LEASE_UNTIL_MS, KeyType: 'RANGE' },
  ],
  Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['taskName', 'status', 'queue', 'attempts', 'startedAt', 'interruptible'] },
};

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

async function createTable(raw: DynamoDBClient, withIndex: boolean): Promise<string> {
  const tableName = `bench-drain-${withIndex ? 'index' : 'plain'}-${randomUUID().slice(0, 8)}`;
  await raw.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: TaskTable.PARTITION_KEY, AttributeType: 'S' },
        ...(withIndex
          ? [
              { AttributeName: TaskTable.RUNNING_SHARD, AttributeType: 'S' as const },
              { AttributeName: TaskTable.LEASE_UNTIL_MS, AttributeType: 'N' as const },
            ]
          : []),
      ],
      KeySchema: [{ AttributeName: TaskTable.PARTITION_KEY, KeyType: 'HASH' }],
      ...(withIndex ? { GlobalSecondaryIndexes: [RUNNING_INDEX] } : {}),
    }),
  );
  return tableName;
}

let counter = 0;
function identity(): { id: string; task: string; route: { destination: string; ruleId: null }; publishedAt: string } {
  counter += 1;
  return { id: `01BENCH${String(counter).padStart(19, '0')}`, task: 'report.render', route: { destination: 'default', ruleId: null }, publishedAt: new Date().toISOString() };
}

async function claim(store: TaskStateStore, queue: string): Promise<{ id: string; token: string }> {
  const task = identity();
  const token = leaseToken(`msg-${task.id}`);
  await store.acquire({ task, purpose: 'claim', token, leaseUntilMs: Date.now() + 600_000, queue, attempt: 1, redriven: false });
  return { id: task.id, token };
}

async function claimAndSucceed(store: TaskStateStore): Promise<number> {
  const started = process.hrtime.bigint();
  for (let index = 0; index < TASKS_PER_ROUND; index += 1) {
    const { id, token } = await claim(store, 'default');
    await store.close(id, token, { transition: 'succeed', result: { ok: true } });
  }
  return Number(process.hrtime.bigint() - started) / 1e6 / TASKS_PER_ROUND;
}

async function main(): Promise<void> {
  const emulators = await startEmulators({});
  const raw = new DynamoDBClient({ region: emulators.region, credentials: LOCAL_CREDENTIALS, endpoint: emulators.dynamoDbEndpoint });
  const dynamodb = DynamoDBDocumentClient.from(raw);
  try {
    const indexed = new TaskStateStore({ dynamodb, tableName: await createTable(raw, true) });
    const plain = new TaskStateStore({ dynamodb, tableName: await createTable(raw, false) });
    await claimAndSucceed(indexed);
    await claimAndSucceed(plain);
    const withIndex: number[] = [];
    const without: number[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      without.push(await claimAndSucceed(plain));
      withIndex.push(await claimAndSucceed(indexed));
    }
    const consumer = new Table({ head: ['table', 'claim + succeed, ms/task (median of 5 rounds of 200)', 'vs baseline'], style: { head: [], border: [] } });
    consumer.push(['without the running index (baseline)', median(without).toFixed(2), '-']);
    consumer.push(['with the running index', median(withIndex).toFixed(2), `${((median(withIndex) / median(without) - 1) * 100).toFixed(0)} %`]);
    console.log(consumer.toString());

    const looks = new Table({ head: ['tasks running in the queue', 'listRunning, ms per look (median of 5)', 'found'], style: { head: [], border: [] } });
    const queue = `bench-${randomUUID().slice(0, 8)}`;
    for (let index = 0; index < 1000; index += 1) await claim(indexed, `${queue}-other`);
    let running = 0;
    for (const target of [0, 100, 1000]) {
      while (running < target) {
        await claim(indexed, queue);
        running += 1;
      }
      const times: number[] = [];
      let found = 0;
      for (let look = 0; look < LOOKS; look += 1) {
        const started = process.hrtime.bigint();
        found = (await indexed.listRunning(queue)).length;
        times.push(Number(process.hrtime.bigint() - started) / 1e6);
      }
      looks.push([target, median(times).toFixed(1), found]);
    }
    console.log(looks.toString());
    console.log('(1,000 tasks run in another queue throughout: a look reads only its own queue\'s shards)');
  } finally {
    raw.destroy();
    await emulators.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
