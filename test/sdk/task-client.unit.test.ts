import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient, SendMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { DeleteCommand, DynamoDBDocumentClient, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { CreateScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { mockClient } from 'aws-sdk-client-mock';
import { z } from 'zod';
import { MAX_ETA_SECONDS, parseEnvelope } from '../../lib/contract';
import { staticRoutingSource } from '../../lib/aws/routing-sources';
import { AwsCallFailedError, EtaTooFarError, PublishOutcomeUnknownError, TaskClientConfigError } from '../../lib/sdk/errors';
import { needsPublishRecord, recordsAfterSend } from '../../lib/sdk/publish-state';
import { createTaskClient, taskClientOptionsFromOutputs } from '../../lib/sdk/task-client';
import { dedupTaskId } from '../../lib/sdk/task-id';

const QUEUE = 'https://sqs.us-east-1.amazonaws.com/123456789012/bosun-dev-default';
const quiet = { warn: () => undefined, info: () => undefined };

function clientWith(sqs: SQSClient, extra: { batchRetries?: number } = {}) {
  return createTaskClient({ queueUrls: { default: QUEUE }, clients: { sqs }, trackState: false, region: 'us-east-1', logger: quiet, ...extra });
}

describe('publishBatch retries', () => {
  const sqs = new SQSClient({ region: 'us-east-1' });
  const mock = mockClient(sqs);
  afterEach(() => mock.reset());

  it('retries only the entries SQS failed on its side, and reports every item', async () => {
    let call = 0;
    mock.on(SendMessageBatchCommand).callsFake((input: { Entries: { Id: string }[] }) => {
      call += 1;
      if (call === 1) {
        return {
          Successful: input.Entries.filter((e) => e.Id !== '1' && e.Id !== '2').map((e) => ({ Id: e.Id, MessageId: `m-${e.Id}` })),
          Failed: [
            { Id: '1', SenderFault: false, Code: 'InternalError', Message: 'try again' },
            { Id: '2', SenderFault: true, Code: 'InvalidParameterValue', Message: 'bad attribute' },
          ],
        };
      }
      return { Successful: input.Entries.map((e) => ({ Id: e.Id, MessageId: `m-${e.Id}` })), Failed: [] };
    });
    const result = await clientWith(sqs).publishBatch(Array.from({ length: 4 }, (_, i) => ({ task: 'email.send', payload: { i } })));
    expect(result.sqsCalls).toBe(2);
    expect(result.succeeded).toBe(3);
    expect(result.failed).toBe(1);
    const retried = mock.commandCalls(SendMessageBatchCommand)[1]?.args[0].input.Entries ?? [];
    expect(retried.map((e) => e.Id)).toEqual(['1']);
    const failed = result.outcomes[2];
    expect(failed?.ok).toBe(false);
    const error = failed?.ok === false ? failed.error : undefined;
    expect(error).toBeInstanceOf(AwsCallFailedError);
    expect(error?.message).toBe(`SQS SendMessageBatch for task ${failed?.ok === false ? failed.taskId : ''} failed: InvalidParameterValue: bad attribute`);
  });

  it('gives up after the bounded number of retries and fails those items as unknown outcomes, never dropping one', async () => {
    mock.on(SendMessageBatchCommand).rejects(Object.assign(new Error('socket hang up'), { name: 'TimeoutError' }));
    const result = await clientWith(sqs, { batchRetries: 2 }).publishBatch(
      Array.from({ length: 12 }, (_, i) => ({ task: 'email.send', payload: { i } })),
    );
    expect(result.outcomes).toHaveLength(12);
    expect(result.failed).toBe(12);
    // 2 chunks (10 + 2), each tried once and retried twice.
    expect(result.sqsCalls).toBe(6);
    expect(result.outcomes.every((o) => !o.ok && o.error instanceof PublishOutcomeUnknownError && o.error.cause instanceof Error)).toBe(true);
  });

  it('retries an entry SQS reported in neither list', async () => {
    let call = 0;
    mock.on(SendMessageBatchCommand).callsFake((input: { Entries: { Id: string }[] }) => {
      call += 1;
      const entries = call === 1 ? input.Entries.slice(1) : input.Entries;
      return { Successful: entries.map((e) => ({ Id: e.Id, MessageId: 'm' })), Failed: [] };
    });
    const result = await clientWith(sqs).publishBatch([{ task: 'a.b', payload: 1 }, { task: 'a.b', payload: 2 }]);
    expect(result).toMatchObject({ succeeded: 2, failed: 0, sqsCalls: 2 });
  });
});

describe('publish', () => {
  const sqs = new SQSClient({ region: 'us-east-1' });
  const mock = mockClient(sqs);
  afterEach(() => mock.reset());

  it('propagates an X-Ray trace header as AWSTraceHeader and in the envelope', async () => {
    mock.on(SendMessageCommand).resolves({ MessageId: 'm' });
    const trace = 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1';
    await clientWith(sqs).publish('email.send', {}, { traceId: trace });
    const input = mock.commandCalls(SendMessageCommand)[0]?.args[0].input;
    expect(input?.MessageSystemAttributes?.AWSTraceHeader?.StringValue).toBe(trace);
    expect(parseEnvelope(input?.MessageBody as string).traceId).toBe(trace);
  });

  it('infers the payload type from the declaration', async () => {
    mock.on(SendMessageCommand).resolves({ MessageId: 'm' });
    const emailSend = { name: 'email.send' as const, schema: z.object({ to: z.string() }) };
    const client = createTaskClient({ queueUrls: { default: QUEUE }, clients: { sqs }, tasks: [emailSend], logger: quiet });
    await client.publish(emailSend, { to: 'a@example.com' });
    await client.publish('email.send', { to: 'a@example.com' });
    // @ts-expect-error the payload lacks `to`
    await expect(client.publish(emailSend, { subject: 'x' })).rejects.toThrow('payload of task "email.send" does not match its schema');
    // @ts-expect-error not one of the client's task names
    await expect(client.publish('email.sned', {})).rejects.toThrow('task "email.sned" is not one of this client\'s tasks (known: email.send)');
    expect(mock.commandCalls(SendMessageCommand)).toHaveLength(2);
  });
});

describe('createTaskClient options', () => {
  const sqs = new SQSClient({ region: 'us-east-1' });

  it.each([
    [{ claimCheckThresholdBytes: 2 * 1024 * 1024 }, 'claimCheckThresholdBytes must be an integer between 1024 and 1048576 (given 2097152)'],
    [{ maxDelaySeconds: 901 }, 'maxDelaySeconds must be an integer between 1 and 900 (given 901)'],
    [{ trackState: true }, 'trackState is true but no tableName is given; state needs the task-state table'],
    [{ queueUrls: {} }, 'queueUrls must name at least one Bosun queue (given none)'],
    [{ defaultQueue: 'nope' }, 'defaultQueue must be one of the queues (default) (given nope)'],
  ])('rejects %j', (extra, message) => {
    expect(() => createTaskClient({ queueUrls: { default: QUEUE }, clients: { sqs }, ...extra })).toThrow(new TaskClientConfigError('x', message));
  });

  it('rejects a custom destination named like a queue', () => {
    expect(() =>
      createTaskClient({ queueUrls: { default: QUEUE }, clients: { sqs }, destinations: [{ name: 'default', deliver: async () => undefined }] }),
    ).toThrow('custom destination "default" has the name of a Bosun queue; choose another name');
  });
});

describe('taskClientOptionsFromOutputs', () => {
  it('reads queues, bucket, table, AppConfig ids and the legacy queue from stack outputs', () => {
    expect(
      taskClientOptionsFromOutputs({
        QueueNames: '["default","bulk"]',
        DefaultQueueUrl: 'https://q/default',
        BulkQueueUrl: 'https://q/bulk',
        DefaultDlqUrl: 'https://q/default-dlq',
        ClaimCheckBucketName: 'bucket',
        TaskStateTableName: 'table',
        RoutingApplicationId: 'app',
        RoutingEnvironmentId: 'env',
        RoutingProfileId: 'prof',
        LegacyQueueUrl: 'https://q/legacy',
      }),
    ).toEqual({
      queueUrls: { default: 'https://q/default', bulk: 'https://q/bulk' },
      bucket: 'bucket',
      tableName: 'table',
      legacyQueueUrl: 'https://q/legacy',
      appConfig: { applicationId: 'app', environmentId: 'env', profileId: 'prof' },
    });
  });

  it('says which output is missing', () => {
    expect(() => taskClientOptionsFromOutputs({ QueueNames: '["default"]' })).toThrow(TaskClientConfigError);
    expect(() => taskClientOptionsFromOutputs({ QueueNames: '["default"]' })).toThrow(
      'stack outputs: required outputs are missing: DefaultQueueUrl (outputs present: QueueNames)',
    );
    expect(() => taskClientOptionsFromOutputs({ Stage: 'dev' })).toThrow(
      'stack outputs: required outputs are missing: QueueNames (outputs present: Stage)',
    );
  });

  it("takes the platform's claim-check threshold, and rejects one that SQS could not carry", () => {
    const outputs = { QueueNames: '["default"]', DefaultQueueUrl: 'https://q/default' };

    expect(taskClientOptionsFromOutputs({ ...outputs, ClaimCheckThresholdBytes: '131072' }).claimCheckThresholdBytes).toBe(131_072);
    expect(taskClientOptionsFromOutputs(outputs)).not.toHaveProperty('claimCheckThresholdBytes');
    expect(() => taskClientOptionsFromOutputs({ ...outputs, ClaimCheckThresholdBytes: '2097152' })).toThrow(
      'stack outputs: output ClaimCheckThresholdBytes must be a whole number of bytes between 1024 and 1048576 (given "2097152")',
    );
  });
});

describe('the write rule: which publishes write state', () => {
  const sqs = new SQSClient({ region: 'us-east-1' });
  const sqsMock = mockClient(sqs);
  const dynamodb = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
  const dynamoMock = mockClient(dynamodb);
  const legacy = { name: 'legacy', deliver: jest.fn(async () => undefined) };
  const NOW = Date.parse('2026-03-01T12:00:00.000Z');
  const bosun = createTaskClient({
    queueUrls: { default: QUEUE },
    clients: { sqs, dynamodb },
    tableName: 'tasks',
    region: 'us-east-1',
    logger: quiet,
    destinations: [legacy],
    routing: staticRoutingSource({ version: 1, defaultDestination: 'default', rules: [{ id: 'to-legacy', tasks: ['legacy.*'], destination: 'legacy' }] }),
    now: () => NOW,
  });
  beforeEach(() => {
    sqsMock.on(SendMessageCommand).resolves({ MessageId: 'm' });
    sqsMock.on(SendMessageBatchCommand).callsFake((input: { Entries: { Id: string }[] }) => ({
      Successful: input.Entries.map((e) => ({ Id: e.Id, MessageId: 'm', MD5OfMessageBody: 'x' })),
      Failed: [],
    }));
    dynamoMock.on(PutCommand).resolves({});
  });
  afterEach(() => {
    sqsMock.reset();
    dynamoMock.reset();
  });

  it.each([
    ['a plain task', 'nothing', 'email.send', {}, undefined],
    ['a task delayed within one SQS delay', 'nothing', 'email.send', { delaySeconds: 900 }, undefined],
    ['a dedup-keyed task', 'queued', 'email.send', { dedupKey: 'k-1' }, 'queued'],
    ['a task beyond one SQS delay', 'scheduled', 'email.send', { delaySeconds: 901 }, 'scheduled'],
    ['a task handed to a custom destination', 'rerouted', 'legacy.sync', {}, 'rerouted'],
  ] as const)('%s writes %s', async (_label, _written, task, options, status) => {
    const result = await bosun.publish(task, {}, options);
    const puts = dynamoMock.commandCalls(PutCommand);
    if (status === undefined) {
      expect(puts).toHaveLength(0);
    } else {
      expect(puts).toHaveLength(1);
      expect(puts[0]?.args[0].input).toMatchObject({ TableName: 'tasks', Item: { taskId: result.taskId, status } });
    }
    expect(result).toMatchObject({ duplicate: false, resent: false });
  });

  it('writes nothing for a batch of plain tasks, and the records of its dedup-keyed tasks in one transaction', async () => {
    const items = Array.from({ length: 12 }, (_, i) => ({ task: 'email.send', payload: { i }, ...(i < 3 ? { options: { dedupKey: `k-${i}` } } : {}) }));
    const result = await bosun.publishBatch(items);
    expect(result).toMatchObject({ succeeded: 12, failed: 0, sqsCalls: 2 });
    expect(dynamoMock.commandCalls(PutCommand)).toHaveLength(0);
    const transactions = dynamoMock.commandCalls(TransactWriteCommand);
    expect(transactions).toHaveLength(1);
    expect(transactions[0]?.args[0].input.TransactItems?.map((t) => t.Put?.Item?.['dedupKey'])).toEqual(['k-0', 'k-1', 'k-2']);
  });

  it('records a batch one by one when its transaction fails, so each item gets its own outcome', async () => {
    dynamoMock.on(TransactWriteCommand).rejects(Object.assign(new Error('throttled'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }));
    dynamoMock.on(PutCommand).resolves({});
    const items = Array.from({ length: 3 }, (_, i) => ({ task: 'email.send', payload: { i }, options: { dedupKey: `fallback-${i}` } }));
    const result = await bosun.publishBatch(items);
    expect(result).toMatchObject({ succeeded: 3, failed: 0 });
    expect(dynamoMock.commandCalls(TransactWriteCommand)).toHaveLength(1);
    expect(dynamoMock.commandCalls(PutCommand)).toHaveLength(3);
  });

  it('matches needsPublishRecord', () => {
    expect(needsPublishRecord({ dedupKey: undefined, status: 'queued' })).toBe(false);
    expect(needsPublishRecord({ dedupKey: 'k', status: 'queued' })).toBe(true);
    expect(needsPublishRecord({ dedupKey: undefined, status: 'scheduled' })).toBe(true);
    expect(needsPublishRecord({ dedupKey: undefined, status: 'rerouted' })).toBe(false);
    expect(needsPublishRecord({ dedupKey: 'k', status: 'rerouted' })).toBe(true);
    expect(recordsAfterSend({ dedupKey: undefined, status: 'rerouted' })).toBe(true);
    expect(recordsAfterSend({ dedupKey: 'k', status: 'rerouted' })).toBe(false);
    expect(recordsAfterSend({ dedupKey: undefined, status: 'queued' })).toBe(false);
  });

  it('undoes a record only after a certain failure: discard after a 4xx, nothing after a lost response', async () => {
    dynamoMock.on(DeleteCommand).resolves({});
    sqsMock.on(SendMessageCommand).rejectsOnce(Object.assign(new Error('bad'), { name: 'InvalidParameterValue', $metadata: { httpStatusCode: 400 } }));
    await expect(bosun.publish('email.send', {}, { dedupKey: 'refused' })).rejects.toThrow(AwsCallFailedError);
    expect(dynamoMock.commandCalls(DeleteCommand).map((c) => c.args[0].input.Key)).toEqual([{ taskId: dedupTaskId('email.send', 'refused') }]);

    dynamoMock.resetHistory();
    // Rejected on every try: the AWS SDK's own retries see the same lost response.
    sqsMock.on(SendMessageCommand).rejects(Object.assign(new Error('socket hang up'), { name: 'TimeoutError' }));
    await expect(bosun.publish('email.send', {}, { dedupKey: 'lost' })).rejects.toThrow(PublishOutcomeUnknownError);
    expect(dynamoMock.commandCalls(DeleteCommand)).toHaveLength(0);
  });

  it('keeps the rerouted record when a custom destination fails without a 4xx answer', async () => {
    legacy.deliver.mockRejectedValueOnce(new Error('broker unreachable'));
    await expect(bosun.publish('legacy.sync', {})).rejects.toThrow(PublishOutcomeUnknownError);
    expect(dynamoMock.commandCalls(DeleteCommand)).toHaveLength(0);
  });

  it('re-sends a duplicate no consumer touched, with the record\'s link and ETA, and sends nothing for a touched one', async () => {
    const taskId = dedupTaskId('email.send', 'again');
    const eta = new Date(NOW + 3600_000).toISOString();
    const existing = {
      taskId,
      taskName: 'email.send',
      status: 'scheduled',
      queue: 'default',
      attempts: 0,
      link: 0,
      eta,
      route: { destination: 'default', ruleId: null },
      createdAt: '2026-03-01T11:00:00.000Z',
      updatedAt: '2026-03-01T11:00:00.000Z',
    };
    const refused = () => Object.assign(new Error('exists'), { name: 'ConditionalCheckFailedException', Item: marshall(existing) });
    dynamoMock.on(PutCommand).rejects(refused());
    const resent = await bosun.publish('email.send', { n: 2 }, { dedupKey: 'again' });
    expect(resent).toMatchObject({ taskId, duplicate: true, resent: true, status: 'scheduled', eta });
    const sent = sqsMock.commandCalls(SendMessageCommand)[0]?.args[0].input;
    expect(sent?.DelaySeconds).toBe(900);
    expect(parseEnvelope(sent?.MessageBody as string)).toMatchObject({ id: taskId, eta, payload: { n: 2 }, publishedAt: existing.createdAt });

    sqsMock.resetHistory();
    dynamoMock.on(PutCommand).rejects(
      Object.assign(new Error('exists'), { name: 'ConditionalCheckFailedException', Item: marshall({ ...existing, status: 'retrying', attempts: 1, leaseToken: 'm/1' }) }),
    );
    const touched = await bosun.publish('email.send', { n: 3 }, { dedupKey: 'again' });
    expect(touched).toMatchObject({ taskId, duplicate: true, resent: false, status: 'retrying' });
    expect(sqsMock.commandCalls(SendMessageCommand)).toHaveLength(0);
  });
});

describe('the ETA bound', () => {
  const sqs = new SQSClient({ region: 'us-east-1' });
  const mock = mockClient(sqs);
  afterEach(() => mock.reset());
  const NOW = Date.parse('2026-03-01T12:00:00.000Z');

  it('accepts exactly MAX_ETA_SECONDS and rejects one second more, with the task, the ETA and the limit', async () => {
    mock.on(SendMessageCommand).resolves({ MessageId: 'm' });
    const bosun = createTaskClient({ queueUrls: { default: QUEUE }, clients: { sqs }, trackState: false, logger: quiet, now: () => NOW });
    await expect(bosun.publish('email.send', {}, { delaySeconds: MAX_ETA_SECONDS })).resolves.toMatchObject({ eta: '2026-03-31T12:00:00.000Z' });
    const error = await bosun.publish('email.send', {}, { eta: '2026-03-31T12:00:01Z' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EtaTooFarError);
    expect(error).toMatchObject({ name: 'EtaTooFarError', taskName: 'email.send', eta: '2026-03-31T12:00:01.000Z', delaySeconds: MAX_ETA_SECONDS + 1, limitSeconds: MAX_ETA_SECONDS });
    await expect(bosun.publish('email.send', {}, { delaySeconds: 1e12 })).rejects.toThrow(EtaTooFarError);
    expect(mock.commandCalls(SendMessageCommand)).toHaveLength(1);
  });

  it('rejects a batch item beyond the bound and publishes the rest', async () => {
    mock.on(SendMessageBatchCommand).callsFake((input: { Entries: { Id: string }[] }) => ({
      Successful: input.Entries.map((e) => ({ Id: e.Id, MessageId: 'm', MD5OfMessageBody: 'x' })),
      Failed: [],
    }));
    const bosun = createTaskClient({ queueUrls: { default: QUEUE }, clients: { sqs }, trackState: false, logger: quiet, now: () => NOW });
    const result = await bosun.publishBatch([
      { task: 'email.send', payload: 1 },
      { task: 'email.send', payload: 2, options: { delaySeconds: MAX_ETA_SECONDS + 60 } },
    ]);
    expect(result).toMatchObject({ succeeded: 1, failed: 1 });
    expect(result.outcomes[1]).toMatchObject({ ok: false, error: { name: 'EtaTooFarError' } });
  });
});

describe('publishBatch with far-ETA schedules', () => {
  const sqs = new SQSClient({ region: 'us-east-1' });
  const sqsMock = mockClient(sqs);
  const dynamodb = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
  const dynamoMock = mockClient(dynamodb);
  const scheduler = new SchedulerClient({ region: 'us-east-1' });
  const schedulerMock = mockClient(scheduler);
  const NOW = Date.parse('2026-03-01T12:00:00.000Z');
  const bosun = createTaskClient({
    queueUrls: { default: QUEUE },
    clients: { sqs, dynamodb },
    tableName: 'tasks',
    region: 'us-east-1',
    logger: quiet,
    now: () => NOW,
    etaSchedules: {
      groupName: 'bosun-dev-eta',
      roleArn: 'arn:aws:iam::123456789012:role/eta',
      queueArns: { default: 'arn:aws:sqs:us-east-1:123456789012:bosun-dev-default' },
      client: scheduler,
    },
  });
  const sentBodies = (): string[] =>
    sqsMock.commandCalls(SendMessageBatchCommand).flatMap((call) => (call.args[0].input.Entries ?? []).map((entry) => entry.MessageBody ?? ''));
  beforeEach(() => {
    sqsMock.on(SendMessageBatchCommand).callsFake((input: { Entries: { Id: string }[] }) => ({
      Successful: input.Entries.map((e) => ({ Id: e.Id, MessageId: 'm', MD5OfMessageBody: 'x' })),
      Failed: [],
    }));
    dynamoMock.on(TransactWriteCommand).resolves({});
    dynamoMock.on(DeleteCommand).resolves({});
  });
  afterEach(() => {
    sqsMock.reset();
    dynamoMock.reset();
    schedulerMock.reset();
  });

  it('keeps the record of a far ETA whose CreateSchedule outcome is unknown, and sends it nowhere else', async () => {
    // GIVEN Scheduler answers one CreateSchedule with a 500 (it may have created the schedule) and accepts the other
    schedulerMock.on(CreateScheduleCommand).callsFake((input: { Target: { Input: string } }) => {
      if (input.Target.Input.includes('"lost"')) {
        throw Object.assign(new Error('internal'), { name: 'InternalServerException', $metadata: { httpStatusCode: 500 } });
      }
      return { ScheduleArn: 'arn' };
    });
    const eta = new Date(NOW + 2 * 3600 * 1000).toISOString();

    const result = await bosun.publishBatch([
      { task: 'email.send', payload: { n: 'near' } },
      { task: 'email.send', payload: { n: 'lost' }, options: { eta } },
      { task: 'email.send', payload: { n: 'kept' }, options: { eta } },
    ]);

    expect(result).toMatchObject({ succeeded: 2, failed: 1 });
    const [near, lost, kept] = result.outcomes;
    expect(near).toMatchObject({ ok: true, result: { status: 'queued' } });
    expect(kept).toMatchObject({ ok: true, result: { status: 'scheduled', eta } });
    expect(lost).toMatchObject({ ok: false, taskId: expect.any(String) });
    expect((lost as { error: Error }).error).toBeInstanceOf(PublishOutcomeUnknownError);
    // THEN the unknown one keeps its record (a schedule may fire it), and only the near task went to SQS
    expect(dynamoMock.commandCalls(DeleteCommand)).toHaveLength(0);
    expect(sentBodies().map((body) => (parseEnvelope(body) as { payload?: { n?: string } }).payload?.n)).toEqual(['near']);
  });
});
