import { DeleteQueueCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { MessageAttribute, parseEnvelope } from '../../lib/contract';
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
} from './support';

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
      expect(parseEnvelope(message.Body!)).toEqual({ ...flaky, attempts: 0 });
      expect(Object.keys(message.MessageAttributes ?? {}).sort()).toEqual([MessageAttribute.TASK_ID, MessageAttribute.TASK_NAME]);
      expect(await queueDepth(platform, platform.queues.default.dlqUrl)).toEqual({ visible: 1, inFlight: 0 });
      const flakyState = await getTaskState(platform, flaky.id);
      expect(flakyState).toMatchObject({ status: 'queued' });
      expect(flakyState).not.toHaveProperty('deadTaskName');
      expect(flakyState).not.toHaveProperty('deadAt');
      expect(await getTaskState(platform, rejected.id)).toMatchObject({ status: 'dead', deadTaskName: 'demo.reject' });
    });

    it('keeps the message in the DLQ and the state dead when the send fails, and exits 1', async () => {
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
      });
    });

    it('redrives at most --max messages and reports a task that was not dead', async () => {
      for (const suffix of ['D1', 'D2', 'D3']) {
        await sendDeadMessage(platform, platform.queues.bulk.dlqUrl, anEnvelope({ id: `01JD7X3Q4J8ZP7N3R5W6Y9K2${suffix}` }), {
          reason: 'attempts-exhausted',
          detail: 'failed',
          attempts: 3,
        });
      }

      const result = await bosun(['dlq', 'redrive', 'bulk', '--max', '2', '--data-dir', platform.dataDir, '--json']);

      expect(result.code).toBe(0);
      const summary = JSON.parse(result.stdout) as { redriven: number; stateNotDead: { status: string }[] };
      expect(summary.redriven).toBe(2);
      expect(summary.stateNotDead.map((entry) => entry.status)).toEqual(['missing', 'missing']);
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
