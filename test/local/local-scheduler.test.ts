import {
  CreateScheduleCommand,
  DeleteScheduleCommand,
  GetScheduleCommand,
  ListSchedulesCommand,
  SchedulerClient,
} from '@aws-sdk/client-scheduler';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { LOCAL_CREDENTIALS } from '../../lib/contract';
import { type LocalScheduleClock, LocalScheduler } from '../../local/local-scheduler';
import { createQueue, deleteQueue } from '../sdk/support/fixtures';
import { emulatorClients } from '../support/emulator-env';

// The local scheduler against fauxqs over loopback, driven by the real @aws-sdk/client-scheduler and a hand-moved clock.
const raw = emulatorClients();
let queueUrl: string;
let queueArn: string;
let nowMs = Date.parse('2026-11-29T08:00:00Z');
const clock: LocalScheduleClock = { now: () => nowMs };
let scheduler: LocalScheduler;
let client: SchedulerClient;

beforeAll(async () => {
  queueUrl = await createQueue(raw.sqs, 'local-scheduler');
  queueArn = `arn:aws:sqs:us-east-1:000000000000:${queueUrl.split('/').at(-1)!}`;
  scheduler = new LocalScheduler({ sqs: raw.sqs, region: 'us-east-1', accountId: '000000000000', queueUrls: new Map([[queueArn, queueUrl]]), clock });
  client = new SchedulerClient({ region: 'us-east-1', endpoint: await scheduler.listen(), credentials: LOCAL_CREDENTIALS });
});

afterAll(async () => {
  client.destroy();
  await scheduler.stop();
  await deleteQueue(raw.sqs, queueUrl);
  raw.sqs.destroy();
  raw.s3.destroy();
  raw.dynamodb.destroy();
});

async function receiveAll(): Promise<string[]> {
  const { Messages } = await raw.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
  return (Messages ?? []).map((message) => message.Body!);
}

const create = (name: string, expression: string, extra: Record<string, unknown> = {}) =>
  client.send(
    new CreateScheduleCommand({
      Name: name,
      GroupName: 'bosun-test-eta',
      ScheduleExpression: expression,
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: { Arn: queueArn, RoleArn: 'arn:aws:iam::000000000000:role/r', Input: '{"at":"<aws.scheduler.scheduled-time>"}' },
      ...extra,
    }),
  );

describe('LocalScheduler', () => {
  it('creates a one-time schedule, fires it once at its local time with the context keywords replaced, and deletes it', async () => {
    const { ScheduleArn } = await create('eta.one', 'at(2026-11-29T10:30:00)', { ScheduleExpressionTimezone: 'Europe/Paris', ActionAfterCompletion: 'DELETE' });
    expect(ScheduleArn).toBe('arn:aws:scheduler:us-east-1:000000000000:schedule/bosun-test-eta/eta.one');
    const described = await client.send(new GetScheduleCommand({ GroupName: 'bosun-test-eta', Name: 'eta.one' }));
    expect(described).toMatchObject({ ScheduleExpression: 'at(2026-11-29T10:30:00)', ActionAfterCompletion: 'DELETE', Target: { Arn: queueArn } });

    nowMs = Date.parse('2026-11-29T09:29:59Z'); // 10:29:59 in Paris
    expect(await scheduler.tick()).toEqual([]);
    nowMs = Date.parse('2026-11-29T09:30:00Z');
    expect((await scheduler.tick()).map((f) => f.scheduledTime)).toEqual(['2026-11-29T09:30:00Z']);

    expect(await receiveAll()).toEqual(['{"at":"2026-11-29T09:30:00Z"}']);
    await expect(client.send(new GetScheduleCommand({ GroupName: 'bosun-test-eta', Name: 'eta.one' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });

  it('lists, refuses a second schedule of the same name, and deletes', async () => {
    await create('eta.two', 'at(2027-01-01T00:00:00)');
    await expect(create('eta.two', 'at(2027-01-01T00:00:00)')).rejects.toMatchObject({ name: 'ConflictException' });
    const listed = await client.send(new ListSchedulesCommand({ GroupName: 'bosun-test-eta' }));
    expect(listed.Schedules?.map((s) => s.Name)).toEqual(['eta.two']);
    await client.send(new DeleteScheduleCommand({ GroupName: 'bosun-test-eta', Name: 'eta.two' }));
    await expect(client.send(new DeleteScheduleCommand({ GroupName: 'bosun-test-eta', Name: 'eta.two' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });

  it('rejects what Scheduler would: a bad expression, a target that is not a queue of the platform', async () => {
    await expect(create('bad.cron', 'cron(0 3 * * *)')).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringMatching(/a cron expression has six fields/),
    });
    await expect(
      client.send(
        new CreateScheduleCommand({
          Name: 'bad.target',
          ScheduleExpression: 'rate(1 hour)',
          FlexibleTimeWindow: { Mode: 'OFF' },
          Target: { Arn: 'arn:aws:sqs:us-east-1:000000000000:elsewhere', RoleArn: 'r' },
        }),
      ),
    ).rejects.toMatchObject({ name: 'ValidationException', message: expect.stringMatching(/is not a queue of the local platform/) });
  });

  it("dead-letters a firing it cannot deliver as Scheduler does: the input as the body, Scheduler's attributes", async () => {
    // GIVEN a schedule whose target queue was deleted, with a DLQ
    const [doomedUrl, dlqUrl] = await Promise.all([createQueue(raw.sqs, 'local-scheduler-doomed'), createQueue(raw.sqs, 'local-scheduler-dlq')]);
    const arnOf = (url: string): string => `arn:aws:sqs:us-east-1:000000000000:${url.split('/').at(-1)!}`;
    try {
      await deleteQueue(raw.sqs, doomedUrl);
      scheduler.add({
        name: 'doomed',
        groupName: 'bosun-test-periodic',
        expression: 'rate(5 minutes)',
        timeZone: 'UTC',
        enabled: true,
        target: { arn: arnOf(doomedUrl), url: doomedUrl },
        input: '{"at":"<aws.scheduler.scheduled-time>","id":"<aws.scheduler.execution-id>"}',
        deadLetter: { arn: arnOf(dlqUrl), url: dlqUrl },
        actionAfterCompletion: 'NONE',
        startDateMs: nowMs,
        creationDateMs: nowMs,
      });

      // WHEN it fires
      const firing = await scheduler.fire('bosun-test-periodic', 'doomed', Date.parse('2026-11-29T12:05:00Z'));

      // THEN the firing is not delivered, and its DLQ holds the input with why, which firing, and the retries
      expect(firing.delivered).toBe(false);
      const { Messages } = await raw.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: dlqUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageAttributeNames: ['All'] }),
      );
      expect(Messages).toHaveLength(1);
      const [dead] = Messages!;
      expect(dead!.Body).toBe(`{"at":"2026-11-29T12:05:00Z","id":"${firing.executionId}"}`);
      const attributes = Object.fromEntries(Object.entries(dead!.MessageAttributes ?? {}).map(([name, value]) => [name, value.StringValue]));
      expect(attributes).toEqual({
        ERROR_CODE: expect.stringMatching(/QueueDoesNotExist|NonExistentQueue/),
        ERROR_MESSAGE: expect.any(String),
        EXECUTION_ID: firing.executionId,
        SCHEDULE_ARN: 'arn:aws:scheduler:us-east-1:000000000000:schedule/bosun-test-periodic/doomed',
        RETRY_ATTEMPTS: '2',
        TARGET_ARN: arnOf(doomedUrl),
      });
    } finally {
      scheduler.delete('bosun-test-periodic', 'doomed');
      await deleteQueue(raw.sqs, dlqUrl);
    }
  });
});
