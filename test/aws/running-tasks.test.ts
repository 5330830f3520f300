import { CreateTableCommand, DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { RUNNING_INDEX_SHARDS, TaskTable, runningShardKey } from '../../lib/contract';
import { TaskStateStore, leaseToken, type AcquireInput, type TaskIdentity } from '../../lib/aws/task-state-store';
import { emulatorClients, sdkClientsForEmulators, uniqueName } from '../support/emulator-env';

const raw = emulatorClients();
const sdk = sdkClientsForEmulators();
const tableName = uniqueName('running');
let clock = Date.parse('2026-11-29T10:00:00.000Z');
const store = new TaskStateStore({ dynamodb: sdk.dynamodb, tableName, now: () => clock, sleep: async () => undefined });
let counter = 0;

function task(name = 'report.render'): TaskIdentity {
  counter += 1;
  return {
    id: `01RUN${String(counter).padStart(21, '0')}`,
    task: name,
    route: { destination: 'default', ruleId: null },
    publishedAt: '2026-11-29T09:59:00.000Z',
  };
}

async function claim(identity: TaskIdentity, overrides: Partial<AcquireInput> = {}): Promise<string> {
  const token = leaseToken(`msg-${identity.id}`);
  const result = await store.acquire({
    task: identity,
    purpose: 'claim',
    token,
    leaseUntilMs: clock + 30_000,
    queue: 'default',
    attempt: 1,
    redriven: false,
    ...overrides,
  });
  expect(result.kind).toBe('acquired');
  return token;
}

const runningIds = async (queue: string): Promise<string[]> => (await store.listRunning(queue)).map((running) => running.taskId).sort();

beforeAll(async () => {
  // The table as TaskStateTable defines it (keys and the running index; the construct test pins the template).
  await raw.dynamodb.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: TaskTable.PARTITION_KEY, AttributeType: 'S' },
        { AttributeName: TaskTable.RUNNING_SHARD, AttributeType: 'S' },
        { AttributeName: TaskTable.LEASE_UNTIL_MS, AttributeType: 'N' },
      ],
      KeySchema: [{ AttributeName: TaskTable.PARTITION_KEY, KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [
        {
          IndexName: TaskTable.RUNNING_INDEX,
          KeySchema: [
            { AttributeName: TaskTable.RUNNING_SHARD, KeyType: 'HASH' },
            { AttributeName: TaskTable.LEASE_UNTIL_MS, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['taskName', 'status', 'queue', 'attempts', 'startedAt', 'interruptible'] },
        },
      ],
    }),
  );
});

afterAll(async () => {
  await raw.dynamodb.send(new DeleteTableCommand({ TableName: tableName }));
  raw.dynamodb.destroy();
  sdk.dynamodb.destroy();
});

describe('runningShardKey', () => {
  it('puts a task in one of the queue\'s shards, the same one every time, and spreads ids over all of them', () => {
    const ids = Array.from({ length: 400 }, (_, index) => `01JD${String(index).padStart(22, '0')}`);
    const shards = new Set(ids.map((id) => runningShardKey('default', id)));
    expect(runningShardKey('default', ids[0]!)).toBe(runningShardKey('default', ids[0]!));
    expect([...shards].sort()).toEqual(Array.from({ length: RUNNING_INDEX_SHARDS }, (_, shard) => `default#${shard}`).sort());
  });
});

describe('listRunning (drain)', () => {
  it('lists the claimed tasks of a queue with their name, attempt, start and whether they are interruptible', async () => {
    const plain = task('report.render');
    const napping = task('demo.nap');
    const elsewhere = task('email.send');
    await claim(plain);
    await claim(napping, { interruptible: true });
    await claim(elsewhere, { queue: 'bulk' });

    const running = await store.listRunning('default');

    expect(running.map((entry) => entry.taskId).sort()).toEqual([plain.id, napping.id].sort());
    expect(running.find((entry) => entry.taskId === plain.id)).toEqual({
      taskId: plain.id,
      taskName: 'report.render',
      queue: 'default',
      attempts: 1,
      startedAt: new Date(clock).toISOString(),
      leaseUntilMs: clock + 30_000,
      interruptible: false,
    });
    expect(running.find((entry) => entry.taskId === napping.id)?.interruptible).toBe(true);
    expect(await runningIds('bulk')).toContain(elsewhere.id);
    for (const identity of [plain, napping]) {
      await store.close(identity.id, (await store.get(identity.id))!.leaseToken!, { transition: 'release' });
    }
  });

  it('finds every running task of a queue, whichever shard it landed in', async () => {
    const queue = uniqueName('q');
    const identities = Array.from({ length: 40 }, () => task());
    for (const identity of identities) await claim(identity, { queue });
    expect(await runningIds(queue)).toEqual(identities.map((identity) => identity.id).sort());
  });

  it.each([
    ['succeed', { transition: 'succeed', result: { ok: true } }],
    ['retry', { transition: 'retry', error: { type: 'Error', message: 'boom' } }],
    ['release', { transition: 'release' }],
  ] as const)('no longer lists a task once its lease ends (%s)', async (_name, close) => {
    const queue = uniqueName('q');
    const identity = task();
    const token = await claim(identity, { queue });
    expect(await runningIds(queue)).toEqual([identity.id]);

    await store.close(identity.id, token, close);

    expect(await runningIds(queue)).toEqual([]);
  });

  it('does not list a running task whose lease expired (its invocation died), nor one a later delivery only leased', async () => {
    const queue = uniqueName('q');
    const identity = task();
    await claim(identity, { queue, leaseUntilMs: clock + 1_000 });
    clock += 2_000;
    expect(await runningIds(queue)).toEqual([]);

    // A delivery that leases it for a side effect (a hold) is not a run: the item leaves the index for good.
    await store.acquire({
      task: identity,
      purpose: 'lease',
      token: leaseToken('msg-hold'),
      leaseUntilMs: clock + 10_000,
      queue,
      attempt: 2,
      redriven: false,
    });
    expect((await store.get(identity.id))?.status).toBe('running');
    expect(await store.listRunning(queue, clock - 60_000)).toEqual([]);
  });
});
