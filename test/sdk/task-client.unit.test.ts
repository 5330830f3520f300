import { SQSClient, SendMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { z } from 'zod';
import { parseEnvelope } from '../../lib/contract';
import { AwsCallFailedError, TaskClientConfigError } from '../../lib/sdk/errors';
import { createTaskClient, taskClientOptionsFromOutputs } from '../../lib/sdk/task-client';

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

  it('gives up after the bounded number of retries and fails those items, never dropping one', async () => {
    mock.on(SendMessageBatchCommand).rejects(Object.assign(new Error('socket hang up'), { name: 'TimeoutError' }));
    const result = await clientWith(sqs, { batchRetries: 2 }).publishBatch(
      Array.from({ length: 12 }, (_, i) => ({ task: 'email.send', payload: { i } })),
    );
    expect(result.outcomes).toHaveLength(12);
    expect(result.failed).toBe(12);
    // 2 chunks (10 + 2), each tried once and retried twice.
    expect(result.sqsCalls).toBe(6);
    expect(result.outcomes.every((o) => !o.ok && o.error instanceof AwsCallFailedError && o.error.cause instanceof Error)).toBe(true);
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
    expect(() => taskClientOptionsFromOutputs({ QueueNames: '["default"]' })).toThrow('stack outputs have no DefaultQueueUrl for queue "default"');
    expect(() => taskClientOptionsFromOutputs({ Stage: 'dev' })).toThrow('stack outputs have no QueueNames (given keys: Stage)');
  });
});
