import { leaseToken } from '../../lib/aws/task-state-store';
import { type TestPlatform, anEnvelope, bosun, createTestPlatform, getTaskState, stateStore } from './support';

describe('bosun task cancel', () => {
  let platform: TestPlatform;

  beforeAll(async () => {
    platform = await createTestPlatform('cancel');
  });

  afterAll(async () => {
    await platform.destroy();
  });

  /** A task whose consumer claimed it and ended the attempt with `transition` (or still runs it). */
  async function claimedTask(id: string, end?: 'succeed' | 'retry'): Promise<void> {
    const state = stateStore(platform);
    const token = leaseToken(`msg-${id}`);
    const task = anEnvelope({ id, task: 'email.send' });
    await state.acquire({ task, purpose: 'claim', token, leaseUntilMs: Date.now() + 60_000, queue: 'default', attempt: 1, redriven: false });
    if (end === 'succeed') await state.close(id, token, { transition: 'succeed' });
    if (end === 'retry') await state.close(id, token, { transition: 'retry', error: { type: 'E', message: 'm' } });
  }

  it('cancels a queued task, says what it was, and its next delivery is acknowledged without running', async () => {
    const envelope = anEnvelope({ id: '01JD7X3Q4J8ZP7N3R5W6Y9K4A1', task: 'email.send' });
    await stateStore(platform).create({ task: envelope, status: 'queued', queue: 'default', dedupKey: 'order-1' });

    const result = await bosun(['task', 'cancel', envelope.id, '--data-dir', platform.dataDir]);

    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      `cancelled task ${envelope.id}: it was queued (email.send, queue default, 0 attempt(s) used)\n` +
        'every later delivery of it is acknowledged without running\n',
    );
    expect(await getTaskState(platform, envelope.id)).toMatchObject({ status: 'cancelled', dedupKey: 'order-1' });
    const delivery = await stateStore(platform).acquire({
      task: envelope, purpose: 'claim', token: leaseToken('msg-later'), leaseUntilMs: Date.now() + 60_000, queue: 'default', attempt: 1, redriven: false,
    });
    expect(delivery.kind).toBe('terminal');
  });

  it('cancels a retrying task and prints the previous state with --json', async () => {
    await claimedTask('01JD7X3Q4J8ZP7N3R5W6Y9K4A2', 'retry');

    const result = await bosun(['task', 'cancel', '01JD7X3Q4J8ZP7N3R5W6Y9K4A2', '--json', '--data-dir', platform.dataDir]);

    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ taskId: '01JD7X3Q4J8ZP7N3R5W6Y9K4A2', cancelled: true, previous: { status: 'retrying', attempts: 1 } });
  });

  it('cancels a task that has no state yet, so a copy still on its way is not run', async () => {
    const result = await bosun(['task', 'cancel', '01JD7X3Q4J8ZP7N3R5W6Y9K4A3', '--data-dir', platform.dataDir]);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain('it had no state recorded yet (not yet claimed by a consumer, or an unknown id)');
    expect(await getTaskState(platform, '01JD7X3Q4J8ZP7N3R5W6Y9K4A3')).toMatchObject({ status: 'cancelled' });
  });

  it('refuses a running task with exit status 1 and says it is running', async () => {
    await claimedTask('01JD7X3Q4J8ZP7N3R5W6Y9K4A4');

    const result = await bosun(['task', 'cancel', '01JD7X3Q4J8ZP7N3R5W6Y9K4A4', '--data-dir', platform.dataDir]);

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^error: task 01JD7X3Q4J8ZP7N3R5W6Y9K4A4 cannot be cancelled: it is running \(attempt 1\), leased until \S+Z; try again once the lease ends\n$/,
    );
    expect(await getTaskState(platform, '01JD7X3Q4J8ZP7N3R5W6Y9K4A4')).toMatchObject({ status: 'running' });
  });

  it('refuses a finished task with exit status 1 and names how it finished', async () => {
    await claimedTask('01JD7X3Q4J8ZP7N3R5W6Y9K4A5', 'succeed');

    const result = await bosun(['task', 'cancel', '01JD7X3Q4J8ZP7N3R5W6Y9K4A5', '--json', '--data-dir', platform.dataDir]);

    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toEqual({
      error: {
        name: 'CliTaskCancelRefusedError',
        message: 'task 01JD7X3Q4J8ZP7N3R5W6Y9K4A5 cannot be cancelled: it has already finished (succeeded)',
      },
    });
    expect(await getTaskState(platform, '01JD7X3Q4J8ZP7N3R5W6Y9K4A5')).toMatchObject({ status: 'succeeded' });
  });

  it('has --help, and `task <id>` still shows a task', async () => {
    await claimedTask('01JD7X3Q4J8ZP7N3R5W6Y9K4A6', 'succeed');

    const help = await bosun(['task', 'cancel', '--help']);
    const show = await bosun(['task', '01JD7X3Q4J8ZP7N3R5W6Y9K4A6', '--data-dir', platform.dataDir]);

    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: bosun task cancel');
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/│ status\s+│ succeeded\s+│/);
  });
});
