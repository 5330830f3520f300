import { DeleteMessageCommand, DeleteQueueCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { createCliClients } from '../../cli/clients';
import type { RedriveResult } from '../../cli/dlq';
import { leaseToken } from '../../lib/aws/task-state-store';
import { MessageAttribute, type TaskEnvelope, parseEnvelope, serializeEnvelope } from '../../lib/contract';
import {
  type TestPlatform,
  aDeadTask,
  anEnvelope,
  bosun,
  createTestPlatform,
  getTaskState,
  putTaskState,
  queueDepth,
  sendDeadMessage,
  stateStore,
} from './support';

/** Receives what is in a queue now (up to 10 messages), leaving it invisible for a minute. */
async function receiveAll(platform: TestPlatform, url: string): Promise<TaskEnvelope[]> {
  const received = await platform.clients.sqs.send(
    new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 60 }),
  );
  return (received.Messages ?? []).map((message) => parseEnvelope(message.Body!));
}

describe('bosun dlq', () => {
  let platform: TestPlatform;

  beforeEach(async () => {
    platform = await createTestPlatform('dlq');
  });

  afterEach(async () => {
    await platform.destroy();
  });

  describe('peek', () => {
    it('shows task name, id, reason and attempts without removing the messages or printing payloads', async () => {
      const envelope = anEnvelope({ id: '01JD7X3Q4J8ZP7N3R5W6Y9K2A1', task: 'demo.flaky', payload: { secret: 'hunter2' } });
      await sendDeadMessage(platform, platform.queues.default.dlqUrl, envelope, {
        reason: 'attempts-exhausted',
        detail: 'task "demo.flaky" failed 3 of 3 attempts',
        attempts: 3,
      });

      const text = await bosun(['dlq', 'peek', 'default', '--data-dir', platform.dataDir]);
      const json = await bosun(['dlq', 'peek', 'default', '--data-dir', platform.dataDir, '--json']);

      expect(text.code).toBe(0);
      expect(text.stdout).toContain('demo.flaky');
      expect(text.stdout).toContain('01JD7X3Q4J8ZP7N3R5W6Y9K2A1');
      expect(text.stdout).toContain('attempts-exhausted');
      expect(text.stdout).not.toContain('hunter2');
      expect(json.code).toBe(0);
      const result = JSON.parse(json.stdout) as { messages: Record<string, unknown>[] };
      expect(result.messages).toHaveLength(1);
      expect(result.messages[0]).toMatchObject({
        taskName: 'demo.flaky',
        taskId: '01JD7X3Q4J8ZP7N3R5W6Y9K2A1',
        deadReason: 'attempts-exhausted',
        deadDetail: 'task "demo.flaky" failed 3 of 3 attempts',
        attempts: 3,
      });
      expect(result.messages[0]).not.toHaveProperty('payload');
      expect(await queueDepth(platform, platform.queues.default.dlqUrl)).toEqual({ visible: 1, inFlight: 0 });
    });

    it('prints the payload only with --show-payload', async () => {
      await sendDeadMessage(platform, platform.queues.default.dlqUrl, anEnvelope({ payload: { to: 'x@example.com' } }), {
        reason: 'non-retryable',
        detail: 'rejected',
        attempts: 1,
      });

      const result = await bosun(['dlq', 'peek', 'default', '--data-dir', platform.dataDir, '--show-payload', '--json']);

      expect(JSON.parse(result.stdout)).toMatchObject({ messages: [{ payload: { to: 'x@example.com' } }] });
    });

    it('fails with exit status 1 naming the known queues for an unknown queue', async () => {
      const result = await bosun(['dlq', 'peek', 'nope', '--data-dir', platform.dataDir]);

      expect(result.code).toBe(1);
      expect(result.stderr).toBe('error: queue "nope" is not a queue of this platform (queues: default, bulk)\n');
    });

    it("says how to get the schedules' DLQ when the platform's outputs do not name it", async () => {
      const result = await bosun(['dlq', 'peek', 'schedules', '--data-dir', platform.dataDir]);

      expect(result.code).toBe(1);
      expect(result.stderr).toBe(
        "error: this platform's outputs name no schedules DLQ (SchedulesDlqUrl): deploy (or restart the local platform) with this version of Bosun\n",
      );
    });
  });

  describe('redrive', () => {
    it('sends only the chosen task back with a fresh set of attempts, reopens its state and leaves the others', async () => {
      const flaky = anEnvelope({ id: '01JD7X3Q4J8ZP7N3R5W6Y9K2B1', task: 'demo.flaky', attempts: 2 });
      const rejected = anEnvelope({ id: '01JD7X3Q4J8ZP7N3R5W6Y9K2B2', task: 'demo.reject' });
      await putTaskState(platform, aDeadTask(flaky));
      await putTaskState(platform, aDeadTask(rejected));
      await sendDeadMessage(platform, platform.queues.default.dlqUrl, flaky, {
        reason: 'attempts-exhausted',
        detail: 'failed',
        attempts: 5,
        sourceQueue: platform.queues.default.url,
      });
      await sendDeadMessage(platform, platform.queues.default.dlqUrl, rejected, {
        reason: 'non-retryable',
        detail: 'rejected',
        attempts: 1,
      });

      const result = await bosun([
        'dlq', 'redrive', 'default', '--task', 'demo.flaky', '--rate', '20', '--data-dir', platform.dataDir, '--json',
      ]);

      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ redriven: 1, skipped: 1, stateReset: 1, failures: [] });
      const received = await platform.clients.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: platform.queues.default.url,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 1,
          MessageAttributeNames: ['All'],
        }),
      );
      expect(received.Messages).toHaveLength(1);
      const message = received.Messages![0]!;
      expect(parseEnvelope(message.Body!)).toEqual({ ...flaky, attempts: 0, link: 1 });
      expect(Object.keys(message.MessageAttributes ?? {}).sort()).toEqual([MessageAttribute.TASK_ID, MessageAttribute.TASK_NAME]);
      expect(await queueDepth(platform, platform.queues.default.dlqUrl)).toEqual({ visible: 1, inFlight: 0 });
      const flakyState = await getTaskState(platform, flaky.id);
      expect(flakyState).toMatchObject({ status: 'queued', attempts: 0, link: 1 });
      expect(flakyState).not.toHaveProperty('deadTaskName');
      expect(flakyState).not.toHaveProperty('deadAt');
      expect(await getTaskState(platform, rejected.id)).toMatchObject({ status: 'dead', deadTaskName: 'demo.reject' });
    });

    it('redrives only the messages of the chosen dead reason and sent time, through the same filter as the console', async () => {
      const exhausted = anEnvelope({ id: '01JD7X3Q4J8ZP7N3R5W6Y9K2R1', task: 'demo.flaky' });
      const rejected = anEnvelope({ id: '01JD7X3Q4J8ZP7N3R5W6Y9K2R2', task: 'demo.flaky' });
      await putTaskState(platform, aDeadTask(exhausted));
      await putTaskState(platform, aDeadTask(rejected));
      const before = new Date(Date.now() - 1000).toISOString();
      await sendDeadMessage(platform, platform.queues.default.dlqUrl, exhausted, { reason: 'attempts-exhausted', detail: 'failed', attempts: 3 });
      await sendDeadMessage(platform, platform.queues.default.dlqUrl, rejected, { reason: 'non-retryable', detail: 'rejected', attempts: 1 });

      const tooLate = await bosun(['dlq', 'redrive', 'default', '--until', before, '--data-dir', platform.dataDir, '--json']);
      const byReason = await bosun(['dlq', 'redrive', 'default', '--reason', 'non-retryable', '--since', before, '--data-dir', platform.dataDir, '--json']);
      const badTime = await bosun(['dlq', 'redrive', 'default', '--since', 'yesterday', '--data-dir', platform.dataDir]);

      expect(JSON.parse(tooLate.stdout)).toMatchObject({ redriven: 0, skipped: 2 });
      expect(JSON.parse(byReason.stdout)).toMatchObject({ redriven: 1, skipped: 1, stateReset: 1, failures: [] });
      expect(await getTaskState(platform, rejected.id)).toMatchObject({ status: 'queued' });
      expect(await getTaskState(platform, exhausted.id)).toMatchObject({ status: 'dead' });
      expect(badTime.code).toBe(2);
      expect(badTime.stderr).toContain('expected an ISO-8601 date-time with a zone, for example 2026-01-31T12:00:00Z (given "yesterday")');
    });

    it('keeps the message in the DLQ and makes the state dead again when SQS refuses the send, and exits 1', async () => {
      const envelope = anEnvelope({ id: '01JD7X3Q4J8ZP7N3R5W6Y9K2C1' });
      await putTaskState(platform, aDeadTask(envelope));
      await sendDeadMessage(platform, platform.queues.default.dlqUrl, envelope, {
        reason: 'attempts-exhausted',
        detail: 'failed',
        attempts: 3,
      });
      await platform.clients.sqs.send(new DeleteQueueCommand({ QueueUrl: platform.queues.default.url }));

      const result = await bosun(['dlq', 'redrive', 'default', '--data-dir', platform.dataDir, '--json']);

      expect(result.code).toBe(1);
      const summary = JSON.parse(result.stdout) as { redriven: number; failures: { taskId: string }[] };
      expect(summary.redriven).toBe(0);
      expect(summary.failures).toEqual([expect.objectContaining({ taskId: envelope.id })]);
      expect(await queueDepth(platform, platform.queues.default.dlqUrl)).toEqual({ visible: 1, inFlight: 0 });
      expect(await getTaskState(platform, envelope.id)).toMatchObject({
        status: 'dead',
        deadTaskName: envelope.task,
        deadReason: 'attempts-exhausted',
        attempts: 3,
        link: 0,
      });
    });

    it('redrives at most --max messages and reports the tasks that had no state', async () => {
      for (const suffix of ['D1', 'D2', 'D3']) {
        await sendDeadMessage(platform, platform.queues.bulk.dlqUrl, anEnvelope({ id: `01JD7X3Q4J8ZP7N3R5W6Y9K2${suffix}` }), {
          reason: 'attempts-exhausted',
          detail: 'failed',
          attempts: 3,
        });
      }

      const result = await bosun(['dlq', 'redrive', 'bulk', '--max', '2', '--data-dir', platform.dataDir, '--json']);

      expect(result.code).toBe(0);
      const summary = JSON.parse(result.stdout) as RedriveResult;
      expect(summary.redriven).toBe(2);
      expect(summary.stateMissing).toHaveLength(2);
      expect(await queueDepth(platform, platform.queues.bulk.dlqUrl)).toEqual({ visible: 1, inFlight: 0 });
      expect((await queueDepth(platform, platform.queues.bulk.url)).visible).toBe(2);
    });

    it('says how many dead messages it could not see because they were in flight', async () => {
      await sendDeadMessage(platform, platform.queues.default.dlqUrl, anEnvelope(), { reason: 'non-retryable', detail: 'x', attempts: 1 });
      await platform.clients.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: platform.queues.default.dlqUrl, VisibilityTimeout: 30, WaitTimeSeconds: 1 }),
      );

      const result = await bosun(['dlq', 'redrive', 'default', '--data-dir', platform.dataDir]);

      expect(result.code).toBe(0);
      expect(result.stdout).toContain(
        'not seen: 1 message(s) were in flight in the DLQ (a peek or another redrive); run again once they are visible',
      );
    });

    it('with --concurrency 4 sends one copy per task across its parallel loops, and deletes the duplicate DLQ copies', async () => {
      // GIVEN 30 dead tasks, each dead-lettered twice (a DLQ send retried after a lost response)
      const envelopes = Array.from({ length: 30 }, (_, index) =>
        anEnvelope({ id: `01JD7X3Q4J8ZP7N3R5W6Y9K4${String(index).padStart(2, '0')}`, task: 'demo.flaky' }),
      );
      for (const envelope of envelopes) {
        await putTaskState(platform, aDeadTask(envelope));
        for (let copy = 0; copy < 2; copy += 1) {
          await sendDeadMessage(platform, platform.queues.default.dlqUrl, envelope, { reason: 'attempts-exhausted', detail: 'failed', attempts: 3 });
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 5));

      const result = await bosun(['dlq', 'redrive', 'default', '--concurrency', '4', '--rate', '1000', '--data-dir', platform.dataDir, '--json']);

      expect(result.code).toBe(0);
      const summary = JSON.parse(result.stdout) as RedriveResult;
      expect(summary).toMatchObject({ redriven: 30, stateReset: 30, failures: [], unknownOutcomes: [], leftForNextRun: 0 });
      expect(summary.redundant).toHaveLength(30);
      expect(await queueDepth(platform, platform.queues.default.dlqUrl)).toEqual({ visible: 0, inFlight: 0 });
      const sent: TaskEnvelope[] = [];
      for (let batch = await receiveAll(platform, platform.queues.default.url); batch.length > 0; batch = await receiveAll(platform, platform.queues.default.url)) {
        sent.push(...batch);
      }
      expect(sent.map((copy) => copy.id).sort()).toEqual(envelopes.map((envelope) => envelope.id).sort());
      expect(new Set(sent.map((copy) => copy.link))).toEqual(new Set([1]));
    });

    it('works from a snapshot: a task that dies again during the redrive is redriven once, and the run ends', async () => {
      // GIVEN 12 dead tasks (more than one receive brings) whose consumer dead-letters every copy again at once
      const state = stateStore(platform);
      const envelopes = Array.from({ length: 12 }, (_, index) =>
        anEnvelope({ id: `01JD7X3Q4J8ZP7N3R5W6Y9K3${String(index).padStart(2, '0')}`, task: 'demo.doomed' }),
      );
      for (const envelope of envelopes) {
        await putTaskState(platform, aDeadTask(envelope));
        await sendDeadMessage(platform, platform.queues.default.dlqUrl, envelope, { reason: 'non-retryable', detail: 'no', attempts: 1 });
      }
      const copies = new Map<string, number>();
      let running = true;
      const consumer = (async () => {
        for (;;) {
          const received = await platform.clients.sqs.send(
            new ReceiveMessageCommand({ QueueUrl: platform.queues.default.url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
          );
          const messages = received.Messages ?? [];
          if (messages.length === 0 && !running) return;
          for (const message of messages) {
            const envelope = parseEnvelope(message.Body!);
            copies.set(envelope.id, (copies.get(envelope.id) ?? 0) + 1);
            const token = leaseToken(message.MessageId!);
            await state.acquire({ task: envelope, purpose: 'claim', token, leaseUntilMs: Date.now() + 30_000, queue: 'default', attempt: 1, redriven: false });
            await state.close(envelope.id, token, { transition: 'deadLetter', reason: 'non-retryable', error: { type: 'E', message: 'no' }, attempts: 1 });
            // A cap, so the run of a redrive that never ends ends anyway and the test can fail with the count.
            if ((copies.get(envelope.id) ?? 0) < 3) {
              await sendDeadMessage(platform, platform.queues.default.dlqUrl, envelope, { reason: 'non-retryable', detail: 'no', attempts: 1 });
            }
            await platform.clients.sqs.send(new DeleteMessageCommand({ QueueUrl: platform.queues.default.url, ReceiptHandle: message.ReceiptHandle }));
          }
        }
      })();

      // WHEN
      const result = await bosun(['dlq', 'redrive', 'default', '--rate', '10', '--data-dir', platform.dataDir, '--json']);
      running = false;
      await consumer;

      // THEN every task went back once, the run ended, and the deaths during the run wait in the DLQ for the next one
      expect(result.code).toBe(0);
      const summary = JSON.parse(result.stdout) as RedriveResult;
      expect(summary).toMatchObject({ snapshot: 12, redriven: 12, stateReset: 12, failures: [] });
      expect(summary.leftForNextRun).toBeGreaterThan(0);
      expect([...copies.values()]).toEqual(Array.from({ length: 12 }, () => 1));
      expect(await queueDepth(platform, platform.queues.default.dlqUrl)).toEqual({ visible: 12, inFlight: 0 });
      expect(await getTaskState(platform, envelopes[0]!.id)).toMatchObject({ status: 'dead', link: 1 });
    }, 60_000);

    it('leaves the state queued and the message in the DLQ when the send outcome is unknown; the next run sends it again', async () => {
      const envelope = anEnvelope({ id: '01JD7X3Q4J8ZP7N3R5W6Y9K2G1', task: 'demo.flaky' });
      await putTaskState(platform, aDeadTask(envelope));
      await sendDeadMessage(platform, platform.queues.default.dlqUrl, envelope, { reason: 'attempts-exhausted', detail: 'failed', attempts: 3 });
      // SQS takes the message but the answer is lost on the way back.
      const losingAnswers = (target: Parameters<typeof createCliClients>[0]): ReturnType<typeof createCliClients> => {
        const clients = createCliClients(target);
        clients.sqs.middlewareStack.add(
          (next, context) => async (args) => {
            const output = await next(args);
            if (context.commandName === 'SendMessageBatchCommand') throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
            return output;
          },
          { step: 'initialize', name: 'loseSendAnswers' },
        );
        return clients;
      };

      const first = await bosun(['dlq', 'redrive', 'default', '--data-dir', platform.dataDir, '--json'], { createClients: losingAnswers });

      expect(first.code).toBe(1);
      const firstSummary = JSON.parse(first.stdout) as RedriveResult;
      expect(firstSummary).toMatchObject({ redriven: 0, failures: [], unknownOutcomes: [expect.objectContaining({ taskId: envelope.id })] });
      expect(await getTaskState(platform, envelope.id)).toMatchObject({ status: 'queued', attempts: 0, link: 1 });
      expect(await queueDepth(platform, platform.queues.default.dlqUrl)).toEqual({ visible: 1, inFlight: 0 });
      expect((await queueDepth(platform, platform.queues.default.url)).visible).toBe(1);

      const second = await bosun(['dlq', 'redrive', 'default', '--data-dir', platform.dataDir]);

      expect(second.code).toBe(0);
      expect(second.stdout).toContain(`sent again (still queued from an earlier redrive whose send had an unknown outcome): 1 (${envelope.id})`);
      expect(await queueDepth(platform, platform.queues.default.dlqUrl)).toEqual({ visible: 0, inFlight: 0 });
      expect((await receiveAll(platform, platform.queues.default.url)).map((copy) => copy.link)).toEqual([1, 1]);
      expect(await getTaskState(platform, envelope.id)).toMatchObject({ status: 'queued', link: 1 });
    });

    it('deletes the DLQ copies of tasks that are finished or alive without sending them, and lists them', async () => {
      const state = stateStore(platform);
      const succeeded = anEnvelope({ id: '01JD7X3Q4J8ZP7N3R5W6Y9K2H1', task: 'email.send' });
      const retrying = anEnvelope({ id: '01JD7X3Q4J8ZP7N3R5W6Y9K2H2', task: 'email.send' });
      for (const [envelope, transition] of [[succeeded, 'succeed'], [retrying, 'retry']] as const) {
        const token = leaseToken(`msg-${envelope.id}`);
        await state.acquire({ task: envelope, purpose: 'claim', token, leaseUntilMs: Date.now() + 30_000, queue: 'default', attempt: 1, redriven: false });
        await state.close(envelope.id, token, transition === 'succeed' ? { transition } : { transition, error: { type: 'E', message: 'm' } });
        await sendDeadMessage(platform, platform.queues.default.dlqUrl, envelope, { reason: 'attempts-exhausted', detail: 'failed', attempts: 3 });
      }

      const json = await bosun(['dlq', 'redrive', 'default', '--data-dir', platform.dataDir, '--json']);

      expect(json.code).toBe(0);
      const summary = JSON.parse(json.stdout) as RedriveResult;
      expect(summary.redriven).toBe(0);
      expect(summary.redundant.map(({ taskId, status }) => ({ taskId, status })).sort((a, b) => a.taskId.localeCompare(b.taskId))).toEqual([
        { taskId: succeeded.id, status: 'succeeded' },
        { taskId: retrying.id, status: 'retrying' },
      ]);
      expect(await queueDepth(platform, platform.queues.default.dlqUrl)).toEqual({ visible: 0, inFlight: 0 });
      expect(await queueDepth(platform, platform.queues.default.url)).toEqual({ visible: 0, inFlight: 0 });
      expect(await getTaskState(platform, succeeded.id)).toMatchObject({ status: 'succeeded' });
    });

    it('sends one copy of a task that was dead-lettered twice (a retried DLQ send) and deletes the second; a later death stays', async () => {
      const twice = anEnvelope({ id: '01JD7X3Q4J8ZP7N3R5W6Y9K2J1', task: 'demo.flaky' });
      const diedAgain = anEnvelope({ id: '01JD7X3Q4J8ZP7N3R5W6Y9K2J2', task: 'demo.flaky' });
      for (const envelope of [twice, diedAgain]) await putTaskState(platform, aDeadTask(envelope));
      await sendDeadMessage(platform, platform.queues.default.dlqUrl, twice, { reason: 'attempts-exhausted', detail: 'failed', attempts: 3 });
      await sendDeadMessage(platform, platform.queues.default.dlqUrl, twice, { reason: 'attempts-exhausted', detail: 'failed', attempts: 3 });
      await sendDeadMessage(platform, platform.queues.default.dlqUrl, diedAgain, { reason: 'attempts-exhausted', detail: 'failed', attempts: 3 });
      // The redriven copy of an earlier redrive (link 1) that died again, which the clocks placed before this run's start.
      await sendDeadMessage(platform, platform.queues.default.dlqUrl, { ...diedAgain, link: 1 }, { reason: 'attempts-exhausted', detail: 'failed', attempts: 3 });

      const json = await bosun(['dlq', 'redrive', 'default', '--data-dir', platform.dataDir, '--json']);

      expect(json.code).toBe(0);
      const summary = JSON.parse(json.stdout) as RedriveResult;
      expect(summary.redriven).toBe(2);
      expect(await queueDepth(platform, platform.queues.default.url)).toEqual({ visible: 2, inFlight: 0 });
      // The second copy of the same death is always deleted. Of the two deaths of the other task, SQS hands out either
      // first: the older death's copy after the newer one was sent is redundant; the newer after the older is left.
      const redundantIds = summary.redundant.map(({ taskId }) => taskId);
      expect(redundantIds.filter((id) => id === twice.id)).toHaveLength(1);
      const diedAgainDeleted = redundantIds.filter((id) => id === diedAgain.id).length;
      expect(summary.leftForNextRun).toBe(1 - diedAgainDeleted);
      expect(await queueDepth(platform, platform.queues.default.dlqUrl)).toEqual({ visible: 1 - diedAgainDeleted, inFlight: 0 });
    });

    it('says so in the summary for people when it deletes a redundant copy', async () => {
      const envelope = anEnvelope({ id: '01JD7X3Q4J8ZP7N3R5W6Y9K2H3' });
      await stateStore(platform).cancel(envelope.id);
      await sendDeadMessage(platform, platform.queues.default.dlqUrl, envelope, { reason: 'non-retryable', detail: 'x', attempts: 1 });

      const result = await bosun(['dlq', 'redrive', 'default', '--data-dir', platform.dataDir]);

      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`redundant DLQ copies deleted, their tasks alive or finished: 1 (${envelope.id} cancelled)`);
    });

    it('sends back the copy of a live task that SQS moved to the DLQ itself (no Bosun.DeadReason): it is the only one', async () => {
      const state = stateStore(platform);
      const envelope = anEnvelope({ id: '01JD7X3Q4J8ZP7N3R5W6Y9K2J1', task: 'email.send', attempts: 1 });
      const token = leaseToken('msg-moved');
      await state.acquire({ task: envelope, purpose: 'claim', token, leaseUntilMs: Date.now() + 30_000, queue: 'default', attempt: 2, redriven: false });
      await state.close(envelope.id, token, { transition: 'retry', error: { type: 'E', message: 'm' } });
      await platform.clients.sqs.send(
        new SendMessageCommand({
          QueueUrl: platform.queues.default.dlqUrl,
          MessageBody: serializeEnvelope(envelope),
          MessageAttributes: { [MessageAttribute.TASK_ID]: { DataType: 'String', StringValue: envelope.id } },
        }),
      );

      const result = await bosun(['dlq', 'redrive', 'default', '--data-dir', platform.dataDir, '--json']);

      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ redriven: 1, movedBySqs: [envelope.id], redundant: [] });
      expect(await receiveAll(platform, platform.queues.default.url)).toEqual([{ ...envelope, attempts: 0 }]);
    });

    it('rejects --concurrency 0 as a usage error', async () => {
      const result = await bosun(['dlq', 'redrive', 'default', '--concurrency', '0', '--data-dir', platform.dataDir]);

      expect(result.code).toBe(2);
      expect(result.stderr).toContain('--concurrency must be a whole number from 1 to 100 (given 0)');
    });

    it('rejects a non-positive --rate as a usage error', async () => {
      const result = await bosun(['dlq', 'redrive', 'default', '--rate', '0', '--data-dir', platform.dataDir]);

      expect(result.code).toBe(2);
      expect(result.stderr).toContain("option '--rate <n>' argument '0' is invalid. expected a number greater than 0 (given \"0\")");
    });
  });
});

describe('bosun dlq redrive (source queue)', () => {
  let platform: TestPlatform;

  beforeAll(async () => {
    platform = await createTestPlatform('src');
  });

  afterAll(async () => {
    await platform.destroy();
  });

  it('sends a message back to the platform queue its Bosun.SourceQueue names, matched by queue name', async () => {
    const envelope = anEnvelope({ id: '01JD7X3Q4J8ZP7N3R5W6Y9K2F1', task: 'report.render' });
    const bulkName = platform.queues.bulk.url.split('/').pop()!;
    await sendDeadMessage(platform, platform.queues.default.dlqUrl, envelope, {
      reason: 'attempts-exhausted',
      detail: 'failed',
      attempts: 3,
      sourceQueue: `https://sqs.us-east-1.amazonaws.com/123456789012/${bulkName}`,
    });

    const result = await bosun(['dlq', 'redrive', 'default', '--data-dir', platform.dataDir, '--json']);

    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ redriven: 1, byDestination: { [platform.queues.bulk.url]: 1 } });
    expect((await queueDepth(platform, platform.queues.bulk.url)).visible).toBe(1);
    expect((await queueDepth(platform, platform.queues.default.url)).visible).toBe(0);
  });
});
