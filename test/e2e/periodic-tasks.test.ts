import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
import * as path from 'node:path';
import {
  StackOutput,
  TaskAttribute,
  type TaskStateItem,
  etaScheduleGroupName,
  etaScheduleName,
  periodicScheduleGroupName,
} from '../../lib/contract';
import { LOCAL_CREDENTIALS } from '../../local/emulators';
import { dedupTaskId } from '../../lib/sdk';
import { AwsCallFailedError, PublishOutcomeUnknownError } from '../../lib/sdk/errors';
import { taskClientOptionsFromPlatform } from '../../lib/sdk/platform-options';
import { type TaskClient, createTaskClient } from '../../lib/sdk/task-client';
import { type LocalScheduleClock } from '../../local/local-scheduler';
import { createPlatformTaskClient } from '../../local/platform-client';
import { bosun } from '../cli/support';
import { LOCAL_STAGE, type RunningLocalPlatform, startLocalPlatform } from '../../local/local-platform';

// A local platform of the default definition whose scheduler runs on a clock the tests move by hand: the default
// platform's periodic tasks (nightly-digest at 03:00 Europe/Paris, heartbeat every 5 minutes) fire in seconds.
const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
const DATA_DIR = path.join(PROJECT_ROOT, '.bosun', 'e2e-schedules');
const GROUP = periodicScheduleGroupName(LOCAL_STAGE);
// 02:55 UTC is 03:55 in Paris: nightly-digest is due at 02:00 UTC the next day (Paris is UTC+1 in November).
let nowMs = Date.parse('2026-11-29T01:55:00Z');
const clock: LocalScheduleClock = { now: () => nowMs };

let platform: RunningLocalPlatform;
let client: TaskClient;

jest.setTimeout(180_000);

beforeAll(async () => {
  platform = await startLocalPlatform({
    projectRoot: PROJECT_ROOT,
    dataDir: DATA_DIR,
    scheduleClock: clock,
    // ETA hops of 2 s: a far-ETA firing that arrives early is delayed in seconds, and 2 s is the ETA schedule threshold.
    maxDelaySeconds: 2,
    visibilityTimeoutSeconds: 2,
    maxConcurrency: 2,
    functionTimeoutSeconds: 20,
  });
  client = createPlatformTaskClient(platform);
}, 180_000);

afterAll(async () => {
  await platform?.stop();
});

async function waitForStatus(taskId: string, status: string, timeoutMs = 60_000): Promise<TaskStateItem> {
  const deadline = Date.now() + timeoutMs;
  let item: TaskStateItem | undefined;
  while (Date.now() < deadline) {
    item = await client.getTask(taskId);
    if (item?.status === status) return item;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`task ${taskId} did not reach ${status} (last status: ${item?.status ?? 'none'})`);
}

/** Ids of every task-state item of a task name (the table holds only this suite's tasks). */
async function taskIdsOf(taskName: string): Promise<string[]> {
  const dynamodb = new DynamoDBClient({
    region: platform.description.region,
    credentials: LOCAL_CREDENTIALS,
    endpoint: platform.description.endpoints.dynamodb,
  });
  try {
    const { Items } = await dynamodb.send(
      new ScanCommand({
        TableName: platform.description.outputs[StackOutput.TABLE_NAME],
        FilterExpression: '#name = :name',
        ExpressionAttributeNames: { '#name': TaskAttribute.TASK_NAME },
        ExpressionAttributeValues: { ':name': { S: taskName } },
        ConsistentRead: true,
      }),
    );
    return (Items ?? []).map((item) => item[TaskAttribute.TASK_ID]!.S!).sort();
  } finally {
    dynamodb.destroy();
  }
}

const defaultConsumer = () => platform.consumers.find((consumer) => consumer.queueName.endsWith('-default'))!;

describe('periodic tasks on the local platform', () => {
  it('reads the schedules from the template', () => {
    expect(platform.scheduler.list().map((s) => [s.groupName, s.name, s.expression, s.timeZone])).toEqual([
      [GROUP, 'nightly-digest', 'cron(0 3 * * ? *)', 'Europe/Paris'],
      [GROUP, 'heartbeat', 'rate(5 minutes)', 'UTC'],
    ]);
  });

  it('fires each schedule at its times, in its time zone, each firing a distinct task that runs once', async () => {
    nowMs = Date.parse('2026-11-29T02:05:30Z');
    const firings = await platform.scheduler.tick();
    expect(firings.map((f) => `${f.name}@${f.scheduledTime}`).sort()).toEqual([
      'heartbeat@2026-11-29T02:00:00Z',
      'heartbeat@2026-11-29T02:05:00Z',
      'nightly-digest@2026-11-29T02:00:00Z',
    ]);
    const digest = await waitForStatus('nightly-digest@2026-11-29T02:00:00Z', 'succeeded');
    expect(digest).toMatchObject({ taskName: 'email.send', attempts: 1, result: { messageId: 'msg-nightly-digest@2026-11-29T02:00:00Z' } });
    for (const id of ['heartbeat@2026-11-29T02:00:00Z', 'heartbeat@2026-11-29T02:05:00Z']) {
      expect(await waitForStatus(id, 'succeeded')).toMatchObject({ taskName: 'demo.flaky', attempts: 1, result: { succeededOnAttempt: 1 } });
    }
    // Nothing more is due until the next heartbeat.
    expect(await platform.scheduler.tick()).toEqual([]);
  });

  it('runs a duplicate firing of the same scheduled time once', async () => {
    const id = 'heartbeat@2026-11-29T02:05:00Z';
    const before = await waitForStatus(id, 'succeeded');
    const deletedBefore = defaultConsumer().stats().messagesDeleted;
    // WHEN Scheduler delivers the 02:05 firing a second time (another execution id, same scheduled time)
    const duplicate = await platform.scheduler.fire(GROUP, 'heartbeat', Date.parse('2026-11-29T02:05:00Z'));
    expect(duplicate.delivered).toBe(true);
    const deadline = Date.now() + 30_000;
    while (defaultConsumer().stats().messagesDeleted === deletedBefore && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // THEN the message was consumed (other deletes may land in the same window) and the task did not run again
    expect(defaultConsumer().stats().messagesDeleted).toBeGreaterThan(deletedBefore);
    const after = await client.getTask(id);
    expect(after).toMatchObject({ status: 'succeeded', attempts: 1, startedAt: before.startedAt, finishedAt: before.finishedAt });
    expect(await taskIdsOf('demo.flaky')).toEqual(['heartbeat@2026-11-29T02:00:00Z', 'heartbeat@2026-11-29T02:05:00Z']);
  });
});

describe('far ETAs through one-time schedules on the local platform', () => {
  const ETA_GROUP = etaScheduleGroupName(LOCAL_STAGE);

  it('publishes a far ETA as a one-time schedule that fires early, and the consumer holds the task until its ETA', async () => {
    const eta = new Date(Math.ceil((Date.now() + 8_000) / 1000) * 1000);
    const published = await client.publish('email.send', { to: 'ada@example.com', subject: 'later' }, { eta });
    expect(published).toMatchObject({ status: 'scheduled', eta: eta.toISOString() });
    const schedule = platform.scheduler.get(ETA_GROUP, etaScheduleName(published.taskId));
    expect(schedule).toMatchObject({
      expression: `at(${eta.toISOString().slice(0, 19)})`,
      timeZone: 'UTC',
      actionAfterCompletion: 'DELETE',
      target: { arn: expect.stringMatching(/:bosun-local-default$/) },
    });
    expect(await client.getTask(published.taskId)).toMatchObject({ status: 'scheduled', attempts: 0 });

    // WHEN Scheduler fires the schedule ahead of the ETA (it fires within the minute, possibly before)
    const firing = await platform.scheduler.fire(ETA_GROUP, etaScheduleName(published.taskId), eta.getTime());
    expect(firing.delivered).toBe(true);
    const firedAt = Date.now();
    expect(firedAt).toBeLessThan(eta.getTime() - 2_000);

    // THEN the schedule is gone and the task runs once, not before its ETA
    expect(platform.scheduler.get(ETA_GROUP, etaScheduleName(published.taskId))).toBeUndefined();
    const done = await waitForStatus(published.taskId, 'succeeded');
    // The runtime counts an ETA less than 1 s away as due (SQS delays are whole seconds): that is its only slack.
    expect(Date.parse(done.startedAt!)).toBeGreaterThanOrEqual(eta.getTime() - 1_000);
    expect(done.attempts).toBe(1);
  });

  it('cancels a scheduled task: its state says cancelled and its schedule is deleted', async () => {
    const eta = new Date(Date.now() + 24 * 3600 * 1000);
    const { taskId, status } = await client.publish('email.send', { to: 'ada@example.com', subject: 'tomorrow' }, { eta });
    expect(status).toBe('scheduled');
    expect(platform.scheduler.get(ETA_GROUP, etaScheduleName(taskId))).toBeDefined();

    const outcome = await client.cancel(taskId);

    expect(outcome).toMatchObject({ kind: 'cancelled', previous: { status: 'scheduled' } });
    expect(platform.scheduler.get(ETA_GROUP, etaScheduleName(taskId))).toBeUndefined();
    expect(await client.getTask(taskId)).toMatchObject({ status: 'cancelled' });
  });

  it('bosun task cancel deletes a scheduled task\'s schedule, and bosun schedules --eta lists it before', async () => {
    const eta = new Date(Date.now() + 3 * 24 * 3600 * 1000);
    const { taskId } = await client.publish('email.send', { to: 'ada@example.com', subject: 'in three days' }, { eta });
    const listed = await bosun(['schedules', '--eta', '--json', '--count', '1', '--data-dir', DATA_DIR]);
    const schedules = (JSON.parse(listed.stdout) as { schedules: Array<{ name: string; kind: string; nextFirings: string[] }> }).schedules;
    expect(schedules).toContainEqual(expect.objectContaining({ name: etaScheduleName(taskId), kind: 'eta', nextFirings: [`${eta.toISOString().slice(0, 19)}.000Z`] }));
    expect(schedules).toContainEqual(expect.objectContaining({ name: 'nightly-digest', kind: 'periodic' }));

    const cancelled = await bosun(['task', 'cancel', taskId, '--data-dir', DATA_DIR]);

    expect(cancelled.code).toBe(0);
    expect(cancelled.stdout).toMatch(/its one-time schedule was deleted\n$/);
    expect(platform.scheduler.get(ETA_GROUP, etaScheduleName(taskId))).toBeUndefined();
  });

  it('bosun move --wrap-as puts a far ETA on a one-time schedule too, as a publish does, not on an SQS hop chain', async () => {
    const sqs = new SQSClient({ region: platform.description.region, credentials: LOCAL_CREDENTIALS, endpoint: platform.description.endpoints.sqs });
    try {
      const { QueueUrl: source } = await sqs.send(new CreateQueueCommand({ QueueName: 'e2e-move-far-eta-source' }));
      const eta = new Date(Date.now() + 2 * 24 * 3600 * 1000).toISOString();
      const sent = await sqs.send(new SendMessageCommand({ QueueUrl: source, MessageBody: JSON.stringify({ to: 'ada@example.com', subject: 'later', eta }) }));

      const moved = await bosun(['move', source!, '--to', 'default', '--wrap-as', 'email.send', '--eta-field', 'eta', '--json', '--data-dir', DATA_DIR]);

      expect(moved.code).toBe(0);
      expect(JSON.parse(moved.stdout)).toMatchObject({ moved: 1, wrapped: 1, scheduled: 1, failed: 0 });
      const taskId = dedupTaskId('email.send', `move:${sent.MessageId!}`);
      expect(await client.getTask(taskId)).toMatchObject({ status: 'scheduled', eta });
      expect(platform.scheduler.get(ETA_GROUP, etaScheduleName(taskId))).toBeDefined();
    } finally {
      sqs.destroy();
    }
  });

  it('keeps near ETAs on SQS delays: no schedule for an ETA within one hop', async () => {
    const { taskId, status } = await client.publish('email.send', { to: 'ada@example.com', subject: 'soon' }, { delaySeconds: 1 });
    expect(status).toBe('queued');
    expect(platform.scheduler.get(ETA_GROUP, etaScheduleName(taskId))).toBeUndefined();
    await waitForStatus(taskId, 'succeeded');
  });

  describe('publishBatch', () => {
    const due = (ms: number): Date => new Date(Math.ceil((Date.now() + ms) / 1000) * 1000);

    it('puts far ETAs on one-time schedules and batches the near ones; each far task runs once, at its ETA', async () => {
      const received = defaultConsumer().stats().messagesReceived;
      const eta = due(8_000);
      const big = 'x'.repeat(10_000);
      const { outcomes, succeeded, failed } = await client.publishBatch([
        { task: 'email.send', payload: { to: 'a@example.com', subject: 'now' } },
        { task: 'email.send', payload: { to: 'b@example.com', subject: 'later' }, options: { eta } },
        { task: 'email.send', payload: { to: 'c@example.com', subject: 'soon' }, options: { delaySeconds: 1 } },
        { task: 'email.send', payload: { to: 'd@example.com', subject: 'later, large', body: big }, options: { eta, dedupKey: `batch-far-${eta.getTime()}` } },
      ]);
      expect({ succeeded, failed }).toEqual({ succeeded: 4, failed: 0 });
      const results = outcomes.map((outcome) => (outcome.ok ? outcome.result : undefined));
      expect(results.map((r) => [r?.status, r?.claimChecked])).toEqual([
        ['queued', false],
        ['scheduled', false],
        ['queued', false],
        // Over Scheduler's 8192-character input: by claim check, as publish does.
        ['scheduled', true],
      ]);
      const [now, far, soon, farLarge] = results.map((r) => r!.taskId) as [string, string, string, string];
      for (const id of [far, farLarge]) {
        expect(platform.scheduler.get(ETA_GROUP, etaScheduleName(id))).toMatchObject({ expression: `at(${eta.toISOString().slice(0, 19)})`, actionAfterCompletion: 'DELETE' });
        expect(await client.getTask(id)).toMatchObject({ status: 'scheduled', eta: eta.toISOString(), attempts: 0 });
      }
      for (const id of [now, soon]) expect(platform.scheduler.get(ETA_GROUP, etaScheduleName(id))).toBeUndefined();

      // The near tasks run from the queue; the far ones were not also sent (a sent far ETA would arrive within one
      // 2 s hop and be received again and again).
      await waitForStatus(now, 'succeeded');
      await waitForStatus(soon, 'succeeded');
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      expect(defaultConsumer().stats().messagesReceived - received).toBe(2);

      for (const id of [far, farLarge]) expect((await platform.scheduler.fire(ETA_GROUP, etaScheduleName(id), eta.getTime())).delivered).toBe(true);
      for (const id of [far, farLarge]) {
        const done = await waitForStatus(id, 'succeeded');
        expect(done.attempts).toBe(1);
        expect(Date.parse(done.startedAt!)).toBeGreaterThanOrEqual(eta.getTime() - 1_000);
      }
    });

    it('reports a far ETA whose schedule Scheduler refused per entry, undone, while the rest is published', async () => {
      // GIVEN a client whose ETA schedules target a queue the scheduler does not know: CreateSchedule answers 400
      const options = taskClientOptionsFromPlatform({ platformFile: platform.platformFile });
      const refused = createTaskClient({
        ...options,
        etaSchedules: { ...options.etaSchedules!, queueArns: { default: 'arn:aws:sqs:us-east-1:000000000000:no-such-queue' } },
      });
      const eta = due(3_600_000);
      const { outcomes, succeeded, failed } = await refused.publishBatch([
        { task: 'email.send', payload: { to: 'a@example.com', subject: 'now' } },
        { task: 'email.send', payload: { to: 'b@example.com', subject: 'in an hour' }, options: { eta } },
        { task: 'email.send', payload: { to: 'c@example.com', subject: 'in an hour, deduplicated' }, options: { eta, dedupKey: `refused-${eta.getTime()}` } },
      ]);

      expect({ succeeded, failed }).toEqual({ succeeded: 1, failed: 2 });
      const [now, ...far] = outcomes;
      expect(now).toMatchObject({ ok: true, result: { status: 'queued' } });
      for (const outcome of far) {
        expect(outcome).toMatchObject({ ok: false, taskName: 'email.send', taskId: expect.any(String) });
        const error = (outcome as { error: Error }).error;
        expect(error).toBeInstanceOf(AwsCallFailedError);
        expect(error).not.toBeInstanceOf(PublishOutcomeUnknownError);
        expect(error.message).toMatch(/^Scheduler CreateSchedule for task .* failed: ValidationException: Target.Arn .*no-such-queue is not a queue of the local platform/);
        // A certain refusal is undone: no record (the dedup key is free again), no schedule.
        const taskId = (outcome as { taskId: string }).taskId;
        expect(await client.getTask(taskId)).toBeUndefined();
        expect(platform.scheduler.get(ETA_GROUP, etaScheduleName(taskId))).toBeUndefined();
      }
      await waitForStatus((now as { result: { taskId: string } }).result.taskId, 'succeeded');
    });
  });
});

describe("the schedules' DLQ on the local platform", () => {
  const ETA_GROUP = etaScheduleGroupName(LOCAL_STAGE);
  const firedAt = '2026-11-29T03:00:00Z';

  /** Points a schedule at a queue that does not exist (as if its queue were deleted): its firings cannot be delivered. */
  function breakTarget(groupName: string, name: string): void {
    const schedule = platform.scheduler.get(groupName, name)!;
    const goneUrl = schedule.target.url.replace(/[^/]+$/, 'bosun-local-gone');
    platform.scheduler.add({ ...schedule, target: { ...schedule.target, url: goneUrl, arn: schedule.target.arn.replace(/[^:]+$/, 'bosun-local-gone') } });
  }

  const status = async () => JSON.parse((await bosun(['status', '--json', '--no-tasks', '--data-dir', DATA_DIR])).stdout) as { schedulesDlq?: { depth: number } };

  it('dead-letters undeliverable firings with Scheduler\'s attributes, shows them in status and peek, and redrives each to its task\'s queue', async () => {
    expect((await status()).schedulesDlq).toMatchObject({ depth: 0 });

    // GIVEN a periodic firing and a far ETA's firing that cannot reach their queue
    breakTarget(GROUP, 'heartbeat');
    const eta = new Date(Math.ceil((Date.now() + 6_000) / 1000) * 1000);
    const far = await client.publish('email.send', { to: 'ada@example.com', subject: 'undeliverable' }, { eta });
    breakTarget(ETA_GROUP, etaScheduleName(far.taskId));
    const periodic = await platform.scheduler.fire(GROUP, 'heartbeat', Date.parse(firedAt));
    const etaFiring = await platform.scheduler.fire(ETA_GROUP, etaScheduleName(far.taskId), eta.getTime());
    expect([periodic.delivered, etaFiring.delivered]).toEqual([false, false]);

    // THEN bosun status counts them, and bosun dlq peek schedules says what they are
    expect((await status()).schedulesDlq).toMatchObject({ depth: 2 });
    const peeked = await bosun(['dlq', 'peek', 'schedules', '--json', '--data-dir', DATA_DIR]);
    expect(peeked.code).toBe(0);
    const { messages } = JSON.parse(peeked.stdout) as { messages: Array<Record<string, unknown>> };
    const byTask = new Map(messages.map((message) => [message['taskId'], message]));
    expect(byTask.get(`heartbeat@${firedAt}`)).toMatchObject({
      taskName: 'demo.flaky',
      deadReason: 'schedule-undelivered',
      deadDetail: expect.stringMatching(/^(QueueDoesNotExist|AWS\.SimpleQueueService\.NonExistentQueue)/),
      firing: { schedule: `${GROUP}/heartbeat`, executionId: periodic.executionId, retryAttempts: 2, targetArn: expect.stringMatching(/:bosun-local-gone$/) },
    });
    expect(byTask.get(far.taskId)).toMatchObject({
      taskName: 'email.send',
      deadReason: 'schedule-undelivered',
      firing: { schedule: `${ETA_GROUP}/${etaScheduleName(far.taskId)}`, executionId: etaFiring.executionId },
    });
    const table = await bosun(['dlq', 'peek', 'schedules', '--data-dir', DATA_DIR]);
    expect(table.stdout).toMatch(/^The schedules' DLQ: about 2 message\(s\); showing 2\n/);

    // WHEN they are redriven: each goes to its task's queue (default), and runs once
    const redriven = await bosun(['dlq', 'redrive', 'schedules', '--json', '--data-dir', DATA_DIR]);
    expect(redriven.code).toBe(0);
    const result = JSON.parse(redriven.stdout) as { redriven: number; firings: string[]; byDestination: Record<string, number>; failures: unknown[] };
    expect(result).toMatchObject({ redriven: 2, failures: [] });
    expect([...result.firings].sort()).toEqual([far.taskId, `heartbeat@${firedAt}`].sort());
    expect(Object.entries(result.byDestination)).toEqual([[expect.stringMatching(/\/bosun-local-default$/), 2]]);
    expect(await waitForStatus(`heartbeat@${firedAt}`, 'succeeded')).toMatchObject({ taskName: 'demo.flaky', attempts: 1 });
    const done = await waitForStatus(far.taskId, 'succeeded');
    expect(done.attempts).toBe(1);
    expect(Date.parse(done.startedAt!)).toBeGreaterThanOrEqual(eta.getTime() - 1_000);
    expect((await status()).schedulesDlq).toMatchObject({ depth: 0 });
  });
});
