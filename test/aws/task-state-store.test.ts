import { CreateTableCommand, DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { TASK_TRANSITIONS, TASK_TRANSITION_NAMES, TaskTable, type TaskStateItem } from '../../lib/contract';
import { AwsCallFailedError } from '../../lib/aws/errors';
import { TaskStateStore, leaseToken, type AcquireInput, type CreateInput, type TaskIdentity } from '../../lib/aws/task-state-store';
import { emulatorClients, sdkClientsForEmulators, uniqueName } from '../support/emulator-env';

const raw = emulatorClients();
const sdk = sdkClientsForEmulators();
const tableName = uniqueName('state');
let clock = Date.parse('2026-11-29T10:00:00.000Z');
const store = new TaskStateStore({ dynamodb: sdk.dynamodb, tableName, now: () => clock, sleep: async () => undefined });
let counter = 0;

function task(overrides: Partial<TaskIdentity> = {}): TaskIdentity {
  counter += 1;
  return {
    id: `01TASK${String(counter).padStart(20, '0')}`,
    task: 'email.send',
    route: { destination: 'default', ruleId: null },
    publishedAt: '2026-11-29T09:59:00.000Z',
    ...overrides,
  };
}

function acquireInput(identity: TaskIdentity, overrides: Partial<AcquireInput> = {}): AcquireInput {
  return {
    task: identity,
    purpose: 'claim',
    token: leaseToken('msg-1'),
    leaseUntilMs: clock + 30_000,
    queue: 'default',
    attempt: 1,
    redriven: false,
    ...overrides,
  };
}

async function item(taskId: string): Promise<TaskStateItem | undefined> {
  const output = await sdk.dynamodb.send(new GetCommand({ TableName: tableName, Key: { taskId }, ConsistentRead: true }));
  return output.Item as TaskStateItem | undefined;
}

/** Brings a fresh task to `status` through the adapter's own transitions, and returns it with the last lease token. */
async function taskIn(status: 'queued' | 'scheduled' | 'retrying' | 'running' | 'succeeded' | 'dead' | 'rerouted' | 'cancelled'): Promise<{ identity: TaskIdentity; token: string }> {
  const identity = task();
  const token = leaseToken('msg-setup');
  if (status === 'queued' || status === 'scheduled' || status === 'rerouted') {
    await store.create({ task: identity, status, queue: 'default' });
    return { identity, token };
  }
  if (status === 'cancelled') {
    await store.cancel(identity.id);
    return { identity, token };
  }
  await store.acquire(acquireInput(identity, { token }));
  if (status === 'retrying') await store.close(identity.id, token, { transition: 'retry', error: { type: 'Error', message: 'boom' } });
  if (status === 'succeeded') await store.close(identity.id, token, { transition: 'succeed', result: { ok: true } });
  if (status === 'dead') {
    await store.close(identity.id, token, { transition: 'deadLetter', reason: 'attempts-exhausted', error: { type: 'Error', message: 'boom' }, attempts: 3 });
  }
  return { identity, token };
}

beforeAll(async () => {
  await raw.dynamodb.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: TaskTable.PARTITION_KEY, AttributeType: 'S' }],
      KeySchema: [{ AttributeName: TaskTable.PARTITION_KEY, KeyType: 'HASH' }],
    }),
  );
});

afterAll(async () => {
  await raw.dynamodb.send(new DeleteTableCommand({ TableName: tableName }));
  raw.dynamodb.destroy();
  sdk.dynamodb.destroy();
});

describe('the transition table', () => {
  it('names who makes every transition and what it needs', () => {
    for (const name of TASK_TRANSITION_NAMES) {
      const rule = TASK_TRANSITIONS[name];
      expect(rule.from.length).toBeGreaterThan(0);
      expect(rule.by.length).toBeGreaterThan(0);
      expect(rule.summary.length).toBeGreaterThan(10);
    }
    // Only the runtime runs tasks; only a redrive reopens one.
    expect(TASK_TRANSITIONS.claim.by).toEqual(['runtime']);
    expect(TASK_TRANSITIONS.reopen.by).toEqual(['cli']);
    expect(TASK_TRANSITIONS.rebury).toMatchObject({ from: ['queued'], to: ['dead'], by: ['cli'] });
  });
});

describe('create (SDK)', () => {
  it('writes the first record once; a second create with the id finds the first and writes nothing', async () => {
    const identity = task({ eta: '2026-11-30T00:00:00.000Z' });
    expect(await store.create({ task: identity, status: 'scheduled', queue: 'default', dedupKey: 'k' })).toEqual({ kind: 'created' });
    const second = await store.create({ task: identity, status: 'queued', queue: 'bulk' });
    expect(second.kind).toBe('exists');
    expect(await item(identity.id)).toMatchObject({ status: 'scheduled', queue: 'default', dedupKey: 'k', attempts: 0, link: 0 });
  });

  it('discard removes an untouched record and refuses one a consumer has leased', async () => {
    const untouched = task();
    await store.create({ task: untouched, status: 'queued', queue: 'default' });
    expect(await store.discard(untouched.id, 'queued')).toBe(true);
    expect(await item(untouched.id)).toBeUndefined();

    const claimed = task();
    await store.create({ task: claimed, status: 'queued', queue: 'default' });
    await store.acquire(acquireInput(claimed));
    expect(await store.discard(claimed.id, 'queued')).toBe(false);
    expect((await item(claimed.id))?.status).toBe('running');
  });
});

describe('createMany (SDK, a batch of publish records)', () => {
  const createInput = (identity: TaskIdentity, overrides: Partial<CreateInput> = {}): CreateInput => ({
    task: identity,
    status: 'queued',
    queue: 'default',
    dedupKey: `key-${identity.id}`,
    ...overrides,
  });
  /** Counts the TransactWriteItems calls (and the puts in each) the store makes while `run` runs. */
  async function transactions(run: () => Promise<unknown>): Promise<number[]> {
    const spy = jest.spyOn(sdk.dynamodb, 'send');
    try {
      await run();
      return spy.mock.calls
        .map(([command]) => command as unknown)
        .filter((command): command is TransactWriteCommand => command instanceof TransactWriteCommand)
        .map((command) => command.input.TransactItems?.length ?? 0);
    } finally {
      spy.mockRestore();
    }
  }

  it('writes new records in one transaction, each the record create writes', async () => {
    const [a, b, c] = [task({ eta: '2026-11-30T00:00:00.000Z' }), task(), task()] as [TaskIdentity, TaskIdentity, TaskIdentity];
    let results: unknown;
    const calls = await transactions(async () => {
      results = await store.createMany([
        createInput(a, { status: 'scheduled' }),
        createInput(b),
        createInput(c, { status: 'rerouted', queue: 'legacy', dedupKey: undefined }),
      ]);
    });
    expect(calls).toEqual([3]);
    expect(results).toEqual([{ kind: 'created' }, { kind: 'created' }, { kind: 'created' }]);
    const single = task();
    await store.create(createInput(single, { status: 'scheduled', task: { ...single, eta: a.eta } }));
    const { taskId: _a, dedupKey: _ka, ...shapeA } = (await item(a.id)) as TaskStateItem;
    const { taskId: _s, dedupKey: _ks, ...shapeSingle } = (await item(single.id)) as TaskStateItem;
    expect(shapeA).toEqual(shapeSingle);
    expect(await item(b.id)).toMatchObject({ status: 'queued', attempts: 0, link: 0, dedupKey: `key-${b.id}` });
    expect(await item(c.id)).toMatchObject({ status: 'rerouted', queue: 'legacy', finishedAt: expect.any(String) });
  });

  it('reports existing records with what they hold, in input order, and writes the rest', async () => {
    const running = await taskIn('running');
    const queued = task();
    await store.create(createInput(queued, { queue: 'bulk' }));
    const [fresh1, fresh2] = [task(), task()];
    let results: Awaited<ReturnType<TaskStateStore['createMany']>> = [];
    const calls = await transactions(async () => {
      results = await store.createMany([createInput(fresh1!), createInput(running.identity), createInput(fresh2!), createInput(queued)]);
    });
    // The first transaction is cancelled by the two existing items; the second writes the two new ones.
    expect(calls).toEqual([4, 2]);
    expect(results.map((r) => r.kind)).toEqual(['created', 'exists', 'created', 'exists']);
    expect(results[1]).toEqual({ kind: 'exists', item: await item(running.identity.id) });
    expect(results[1]).toMatchObject({ item: { status: 'running', attempts: 1, leaseToken: running.token } });
    expect(results[3]).toMatchObject({ kind: 'exists', item: { status: 'queued', queue: 'bulk', attempts: 0 } });
    expect(await item(fresh1!.id)).toMatchObject({ status: 'queued' });
    expect(await item(fresh2!.id)).toMatchObject({ status: 'queued' });
  });

  it('writes nothing when every record exists', async () => {
    const existing = [task(), task(), task()];
    for (const identity of existing) await store.create(createInput(identity, { status: 'scheduled' }));
    let results: Awaited<ReturnType<TaskStateStore['createMany']>> = [];
    const calls = await transactions(async () => {
      results = await store.createMany(existing.map((identity) => createInput(identity)));
    });
    expect(calls).toEqual([3]);
    expect(results.map((r) => (r.kind === 'exists' ? r.item.status : r.kind))).toEqual(['scheduled', 'scheduled', 'scheduled']);
  });

  it('writes 100 records in one transaction and 150 in two', async () => {
    const hundred = Array.from({ length: 100 }, () => createInput(task()));
    let results: Awaited<ReturnType<TaskStateStore['createMany']>> = [];
    expect(await transactions(async () => (results = await store.createMany(hundred)))).toEqual([100]);
    expect(results.every((r) => r.kind === 'created')).toBe(true);
    expect(await item(hundred[99]!.task.id)).toMatchObject({ status: 'queued' });

    const more = Array.from({ length: 150 }, () => createInput(task()));
    expect(await transactions(async () => (results = await store.createMany(more)))).toEqual([100, 50]);
    expect(results).toHaveLength(150);
    expect(results.every((r) => r.kind === 'created')).toBe(true);
  });

  it('writes an id given twice once, and reports the repeat as existing', async () => {
    const [a, b] = [task(), task()];
    let results: Awaited<ReturnType<TaskStateStore['createMany']>> = [];
    const calls = await transactions(async () => {
      results = await store.createMany([createInput(a!), createInput(b!), createInput(a!, { queue: 'bulk' })]);
    });
    // DynamoDB refuses two operations on one item in a transaction: the repeat goes through create after it.
    expect(calls).toEqual([2]);
    expect(results.map((r) => r.kind)).toEqual(['created', 'created', 'exists']);
    expect(results[2]).toMatchObject({ item: { taskId: a!.id, queue: 'default' } });
  });

  describe('cancellation reasons the emulator does not produce', () => {
    const cancelled = (reasons: readonly object[]): Error =>
      Object.assign(new Error('Transaction cancelled'), { name: 'TransactionCanceledException', CancellationReasons: reasons });
    /** A store over a client that answers each call from `answers` (an error is thrown), then reads from DynamoDB Local. */
    function scripted(answers: (Error | undefined)[]): { store: TaskStateStore; sent: unknown[] } {
      const sent: unknown[] = [];
      const dynamodb = {
        send: async (command: unknown) => {
          if (!(command instanceof TransactWriteCommand)) return sdk.dynamodb.send(command as GetCommand);
          sent.push(command.input.TransactItems?.map((t) => t.Put?.Item?.['taskId']));
          const answer = answers.shift();
          if (answer !== undefined) throw answer;
          return {};
        },
      } as unknown as DynamoDBDocumentClient;
      return { store: new TaskStateStore({ dynamodb, tableName, now: () => clock, sleep: async () => undefined }), sent };
    }

    it('retries items cancelled by a conflict, and reads an existing record the reason did not carry', async () => {
      const existing = task();
      await store.create(createInput(existing, { status: 'scheduled' }));
      const [a, b] = [task(), task()];
      const { store: fake, sent } = scripted([
        cancelled([{ Code: 'TransactionConflict' }, { Code: 'None' }, { Code: 'ConditionalCheckFailed' }]),
        cancelled([{ Code: 'TransactionConflict' }, { Code: 'None' }]),
      ]);
      const results = await fake.createMany([createInput(a!), createInput(b!), createInput(existing)]);
      expect(sent).toEqual([[a!.id, b!.id, existing.id], [a!.id, b!.id], [a!.id, b!.id]]);
      expect(results).toEqual([{ kind: 'created' }, { kind: 'created' }, { kind: 'exists', item: await item(existing.id) }]);
    });

    it('gives up after 5 transactions in a row that resolve nothing, and on any other reason', async () => {
      const conflict = cancelled([{ Code: 'TransactionConflict' }, { Code: 'None' }]);
      const busy = scripted(Array.from({ length: 5 }, () => conflict));
      await expect(busy.store.createMany([createInput(task()), createInput(task())])).rejects.toThrow(AwsCallFailedError);
      expect(busy.sent).toHaveLength(5);

      const invalid = scripted([cancelled([{ Code: 'None' }, { Code: 'ValidationError', Message: 'Item size has exceeded the maximum allowed size' }])]);
      await expect(invalid.store.createMany([createInput(task()), createInput(task())])).rejects.toThrow(/TransactWriteItems for task .* failed/);
      expect(invalid.sent).toHaveLength(1);
    });
  });
});

describe('handedOver (SDK)', () => {
  it('makes an untouched queued gate record rerouted, and refuses one a consumer took', async () => {
    const gate = task();
    await store.create({ task: gate, status: 'queued', queue: 'legacy', dedupKey: 'k1' });
    expect(await store.handedOver(gate.id, 'legacy')).toBe(true);
    expect(await item(gate.id)).toMatchObject({ status: 'rerouted', queue: 'legacy' });

    const claimed = task();
    await store.create({ task: claimed, status: 'queued', queue: 'default', dedupKey: 'k2' });
    await store.acquire(acquireInput(claimed));
    expect(await store.handedOver(claimed.id, 'legacy')).toBe(false);
    expect((await item(claimed.id))?.status).toBe('running');
  });
});

describe('claim (runtime)', () => {
  it.each([
    ['queued', 1],
    ['scheduled', 1],
    ['retrying', 2],
  ] as const)('takes a %s task and marks it running at the next attempt the state counts (%i), whatever the message says', async (status, next) => {
    const { identity } = await taskIn(status);
    const result = await store.acquire(acquireInput(identity, { attempt: 5 }));
    expect(result).toMatchObject({ kind: 'acquired', attempt: next });
    expect(await item(identity.id)).toMatchObject({ status: 'running', attempts: next, queue: 'default' });
  });

  it('creates the item of a task the publish did not record', async () => {
    const identity = task();
    const result = await store.acquire(acquireInput(identity, { attempt: 2 }));
    // No record yet: the message's own count (its second receive) seeds the state's.
    expect(result).toEqual({ kind: 'acquired', previous: undefined, attempt: 2 });
    expect(await item(identity.id)).toMatchObject({ status: 'running', taskName: 'email.send', attempts: 2, createdAt: identity.publishedAt });
  });

  it.each(['succeeded', 'dead', 'rerouted', 'cancelled'] as const)('refuses a %s task as terminal', async (status) => {
    const { identity } = await taskIn(status);
    const result = await store.acquire(acquireInput(identity, { token: leaseToken('msg-dup') }));
    expect(result.kind).toBe('terminal');
    expect((await item(identity.id))?.status).toBe(status);
  });

  it('lets a redriven DLQ copy take a dead task', async () => {
    const { identity } = await taskIn('dead');
    const result = await store.acquire(acquireInput(identity, { token: leaseToken('msg-redriven'), redriven: true }));
    expect(result.kind).toBe('acquired');
    expect(await item(identity.id)).toMatchObject({ status: 'running' });
    expect((await item(identity.id))?.deadReason).toBeUndefined();
  });

  it('refuses while another delivery holds a live lease, and says whether it was this same message', async () => {
    const { identity } = await taskIn('running');
    const other = await store.acquire(acquireInput(identity, { token: leaseToken('msg-other') }));
    expect(other).toMatchObject({ kind: 'leased', sameMessage: false });
    const same = await store.acquire(acquireInput(identity, { token: leaseToken('msg-setup') }));
    expect(same).toMatchObject({ kind: 'leased', sameMessage: true });
  });

  it('takes over a running task whose lease expired, reporting the interrupted attempt', async () => {
    const { identity } = await taskIn('running');
    clock += 60_000;
    const result = await store.acquire(acquireInput(identity, { token: leaseToken('msg-again'), attempt: 2 }));
    expect(result.kind).toBe('acquired');
    expect(result.kind === 'acquired' ? result.previous?.status : undefined).toBe('running');
  });

  it('refuses a message that claims the id of a task of another name', async () => {
    const { identity } = await taskIn('queued');
    const result = await store.acquire(acquireInput({ ...identity, task: 'report.render' }, { token: leaseToken('msg-forged') }));
    expect(result.kind).toBe('foreign');
    expect(await item(identity.id)).toMatchObject({ status: 'queued', taskName: 'email.send' });
  });

  it('refuses an older link of the message chain as stale', async () => {
    const { identity, token } = await taskIn('running');
    await store.close(identity.id, token, { transition: 'hop', link: 1, eta: '2026-12-01T00:00:00.000Z' });
    const stale = await store.acquire(acquireInput({ ...identity, link: 0 }, { token: leaseToken('msg-old-link') }));
    expect(stale.kind).toBe('stale');
    const live = await store.acquire(acquireInput({ ...identity, link: 1 }, { token: leaseToken('msg-new-link'), purpose: 'lease' }));
    expect(live.kind).toBe('acquired');
  });

  it('recognises its own earlier write when a retried request meets it (lost response)', async () => {
    const identity = task();
    const input = acquireInput(identity);
    await store.acquire(input);
    expect(await store.acquire(input)).toEqual({ kind: 'acquired', previous: undefined, attempt: 1 });
  });
});

describe('lease (runtime) and the closing transitions', () => {
  it('keeps the status of a leased task and creates a queued item when none existed', async () => {
    const { identity } = await taskIn('scheduled');
    await store.acquire(acquireInput(identity, { purpose: 'lease' }));
    expect(await item(identity.id)).toMatchObject({ status: 'scheduled', attempts: 0 });
    const fresh = task();
    await store.acquire(acquireInput(fresh, { purpose: 'lease' }));
    expect(await item(fresh.id)).toMatchObject({ status: 'queued', attempts: 0 });
  });

  it('records the hand-over a lease is for, which the next acquire reports and a redrive reopen clears', async () => {
    const { identity } = await taskIn('queued');
    const route = { destination: 'legacy', ruleId: 'r1' };
    await store.acquire(acquireInput(identity, { purpose: 'lease', token: leaseToken('msg-killed'), leaseUntilMs: clock - 1, handingOver: route }));
    expect(await item(identity.id)).toMatchObject({ status: 'queued', handingOver: route });
    const next = await store.acquire(acquireInput(identity, { purpose: 'claim', token: leaseToken('msg-next'), leaseUntilMs: clock - 1 }));
    expect(next).toMatchObject({ kind: 'acquired', previous: { handingOver: route } });

    // Were such a task dead-lettered anyway, a redrive starts it afresh: no hand-over left to complete.
    const token = leaseToken('msg-last');
    await store.acquire(acquireInput(identity, { purpose: 'claim', token }));
    await store.close(identity.id, token, { transition: 'deadLetter', reason: 'attempts-exhausted', error: { type: 'Error', message: 'x' }, attempts: 3 });
    expect(await item(identity.id)).toMatchObject({ status: 'dead', handingOver: route });
    await store.reopen(identity.id);
    expect((await item(identity.id))?.handingOver).toBeUndefined();
  });

  it('succeed records the result and ends the lease; retrying the same write reports applied', async () => {
    const { identity, token } = await taskIn('running');
    expect(await store.close(identity.id, token, { transition: 'succeed', result: { messageId: 'm-1' } })).toBe('applied');
    expect(await store.close(identity.id, token, { transition: 'succeed', result: { messageId: 'm-1' } })).toBe('applied');
    const stored = await item(identity.id);
    expect(stored).toMatchObject({ status: 'succeeded', result: { messageId: 'm-1' } });
    expect(stored?.leaseUntilMs).toBeUndefined();
  });

  it('succeed stores a large result by reference alone (no inline result attribute)', async () => {
    const { identity, token } = await taskIn('running');
    const resultRef = { bucket: 'b', key: `task-results/${identity.id}.json`, bytes: 40_000 };
    expect(await store.close(identity.id, token, { transition: 'succeed', resultRef })).toBe('applied');
    const stored = await item(identity.id);
    expect(stored?.resultRef).toEqual(resultRef);
    expect(stored?.result).toBeUndefined();
  });

  it('refuses every closing write of a lease that was taken over', async () => {
    const { identity, token } = await taskIn('running');
    clock += 60_000;
    const takeover = leaseToken('msg-takeover');
    await store.acquire(acquireInput(identity, { token: takeover, attempt: 2 }));
    for (const input of [
      { transition: 'succeed' } as const,
      { transition: 'retry', error: { type: 'E', message: 'm' } } as const,
      { transition: 'deadLetter', reason: 'non-retryable', error: { type: 'E', message: 'm' }, attempts: 1 } as const,
      { transition: 'hop', link: 1, eta: '2026-12-01T00:00:00.000Z' } as const,
      { transition: 'move', link: 1, queue: 'bulk', route: { destination: 'bulk', ruleId: 'r' } } as const,
      { transition: 'hold', link: 1 } as const,
      { transition: 'handOver', queue: 'legacy', route: { destination: 'legacy', ruleId: 'r' } } as const,
      { transition: 'release' } as const,
    ]) {
      expect(await store.close(identity.id, token, input)).toBe('refused');
    }
    expect(await item(identity.id)).toMatchObject({ status: 'running', attempts: 2, leaseToken: takeover });
  });

  it('retry, deadLetter, hop, move, hold, handOver and release each leave the documented state', async () => {
    const error = { type: 'Error', message: 'boom' };
    const cases = [
      [{ transition: 'retry', error }, { status: 'retrying', lastError: error }],
      [{ transition: 'deadLetter', reason: 'attempts-exhausted', error, attempts: 3 }, { status: 'dead', deadReason: 'attempts-exhausted', deadTaskName: 'email.send', attempts: 3 }],
      [{ transition: 'hop', link: 1, eta: '2026-12-01T00:00:00.000Z' }, { status: 'scheduled', link: 1, eta: '2026-12-01T00:00:00.000Z' }],
      [{ transition: 'move', link: 1, queue: 'bulk', route: { destination: 'bulk', ruleId: 'to-bulk' } }, { status: 'queued', queue: 'bulk', link: 1 }],
      [{ transition: 'hold', link: 1 }, { status: 'running', link: 1 }],
      [{ transition: 'handOver', queue: 'legacy', route: { destination: 'legacy', ruleId: 'r' } }, { status: 'rerouted', queue: 'legacy' }],
      [{ transition: 'release' }, { status: 'running' }],
    ] as const;
    for (const [input, expected] of cases) {
      const { identity, token } = await taskIn('running');
      expect(await store.close(identity.id, token, input)).toBe('applied');
      const stored = await item(identity.id);
      expect(stored).toMatchObject(expected);
      expect(stored?.leaseUntilMs).toBeUndefined();
    }
  });

  it('extend moves the end of the holder\'s lease and keeps it; another token cannot', async () => {
    const { identity, token } = await taskIn('running');
    const until = clock + 300_000;
    expect(await store.close(identity.id, leaseToken('msg-other'), { transition: 'extend', leaseUntilMs: until })).toBe('refused');
    expect(await store.close(identity.id, token, { transition: 'extend', leaseUntilMs: until })).toBe('applied');
    expect(await store.close(identity.id, token, { transition: 'extend', leaseUntilMs: until })).toBe('applied');
    expect(await item(identity.id)).toMatchObject({ status: 'running', leaseToken: token, leaseUntilMs: until });
    clock += 60_000;
    expect((await store.acquire(acquireInput(identity, { token: leaseToken('msg-late') }))).kind).toBe('leased');
  });

  it('refuses succeed and retry on a task that is not running', async () => {
    const identity = task();
    const token = leaseToken('msg-lease');
    await store.acquire(acquireInput(identity, { token, purpose: 'lease' }));
    expect(await store.close(identity.id, token, { transition: 'succeed' })).toBe('refused');
    expect(await store.close(identity.id, token, { transition: 'retry', error: { type: 'E', message: 'm' } })).toBe('refused');
    expect((await item(identity.id))?.status).toBe('queued');
  });
});

describe('reopen (CLI redrive)', () => {
  it('makes a dead task queued with fresh attempts and a new link', async () => {
    const { identity, token } = await taskIn('dead');
    const result = await store.reopen(identity.id);
    expect(result).toEqual({ kind: 'reopened', link: 1, leaseToken: token });
    const stored = await item(identity.id);
    expect(stored).toMatchObject({ status: 'queued', attempts: 0, link: 1 });
    expect(stored?.deadTaskName).toBeUndefined();
  });

  it.each(['queued', 'running', 'succeeded'] as const)('refuses a %s task', async (status) => {
    const { identity } = await taskIn(status);
    const result = await store.reopen(identity.id);
    expect(result.kind).toBe('refused');
    expect(result.kind === 'refused' ? result.item?.status : undefined).toBe(status);
  });
});

describe('rebury (CLI redrive whose send certainly failed)', () => {
  const dead = { reason: 'attempts-exhausted', attempts: 3 } as const;

  it('makes a reopened task dead again with the link it had, so a copy moved back by SQS can still lease it', async () => {
    const { identity } = await taskIn('dead');
    const reopened = await store.reopen(identity.id);
    if (reopened.kind !== 'reopened') throw new Error('setup: reopen refused');

    expect(await store.rebury(identity.id, { ...reopened, ...dead })).toEqual({ kind: 'reburied' });
    expect(await store.rebury(identity.id, { ...reopened, ...dead })).toEqual({ kind: 'reburied' });

    expect(await item(identity.id)).toMatchObject({
      status: 'dead',
      link: 0,
      attempts: 3,
      deadReason: 'attempts-exhausted',
      deadTaskName: 'email.send',
    });
    const moved = await store.acquire(acquireInput({ ...identity, link: 0 }, { token: leaseToken('msg-moved'), redriven: true }));
    expect(moved.kind).toBe('acquired');
  });

  it('is refused once a delivery took the reopened task, even if it gave the lease back', async () => {
    const { identity } = await taskIn('dead');
    const reopened = await store.reopen(identity.id);
    if (reopened.kind !== 'reopened') throw new Error('setup: reopen refused');
    const token = leaseToken('msg-redriven-copy');
    await store.acquire(acquireInput({ ...identity, link: reopened.link }, { token, purpose: 'lease' }));
    await store.close(identity.id, token, { transition: 'release' });

    const result = await store.rebury(identity.id, { ...reopened, ...dead });

    expect(result.kind).toBe('refused');
    expect(await item(identity.id)).toMatchObject({ status: 'queued', link: 1, attempts: 0 });
  });

  it('is refused on a running task and on a link the reopen did not return', async () => {
    const { identity } = await taskIn('dead');
    const reopened = await store.reopen(identity.id);
    if (reopened.kind !== 'reopened') throw new Error('setup: reopen refused');

    expect((await store.rebury(identity.id, { ...reopened, link: reopened.link + 1, ...dead })).kind).toBe('refused');
    await store.acquire(acquireInput({ ...identity, link: reopened.link }, { token: leaseToken('msg-run') }));
    expect((await store.rebury(identity.id, { ...reopened, ...dead })).kind).toBe('refused');
    expect(await item(identity.id)).toMatchObject({ status: 'running', link: 1 });
  });
});

describe('cancel (SDK, CLI)', () => {
  it.each(['queued', 'scheduled', 'retrying'] as const)('cancels a %s task; its next delivery is terminal', async (status) => {
    const { identity } = await taskIn(status);
    expect((await store.cancel(identity.id)).kind).toBe('cancelled');
    expect((await store.acquire(acquireInput(identity, { token: leaseToken('msg-after') }))).kind).toBe('terminal');
  });

  it('cancels a task that has no record yet', async () => {
    const identity = task();
    expect(await store.cancel(identity.id)).toEqual({ kind: 'cancelled', previous: undefined });
    expect((await store.acquire(acquireInput(identity))).kind).toBe('terminal');
  });

  it.each(['running', 'succeeded', 'dead'] as const)('refuses a %s task', async (status) => {
    const { identity } = await taskIn(status);
    const result = await store.cancel(identity.id);
    expect(result.kind).toBe('refused');
    expect((await item(identity.id))?.status).toBe(status);
  });
});
