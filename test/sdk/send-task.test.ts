import { SQSClient, SendMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { AwsCallFailedError } from '../../lib/aws/errors';
import { PublishOutcomeUnknownError } from '../../lib/sdk/errors';
import { TaskPreparer } from '../../lib/sdk/prepare-task';
import { TaskSender, isCertainRejection } from '../../lib/sdk/send-task';
import { defaultRoutingDocument } from '../../lib/contract';

const QUEUE = 'https://sqs.us-east-1.amazonaws.com/123456789012/bosun-dev-default';

/** An AWS SDK service error as the SDK throws it after an HTTP response with `status`. */
function answered(status: number, name = 'ServiceError'): Error {
  return Object.assign(new Error(`answered ${status}`), { name, $metadata: { httpStatusCode: status, attempts: 1 } });
}

/** An error thrown with no response at all. */
function lost(name = 'TimeoutError'): Error {
  return Object.assign(new Error('socket hang up'), { name, $metadata: { attempts: 1 } });
}

const preparer = new TaskPreparer({
  queueUrls: { default: QUEUE },
  customDestinations: new Map(),
  tasks: undefined,
  region: 'us-east-1',
  thresholdBytes: 256 * 1024,
  maxPayloadBytes: 1024 * 1024,
  maxDelaySeconds: 900,
  claimChecks: undefined,
  now: Date.now,
});
const task = (i: number) => preparer.prepare('email.send', { i }, {}, defaultRoutingDocument('default'));

describe('isCertainRejection', () => {
  it.each([
    ['a 400 validation error', answered(400, 'InvalidParameterValue'), true],
    ['a 403 access denied', answered(403, 'AccessDenied'), true],
    ['throttling on the only try (400)', answered(400, 'ThrottlingException'), true],
    [
      'a 400 after the SDK retried (an earlier try may have been accepted)',
      Object.assign(new Error('throttled'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400, attempts: 3 } }),
      false,
    ],
    ['a 499', answered(499), true],
    ['a 500', answered(500, 'InternalError'), false],
    ['a 503', answered(503, 'ServiceUnavailable'), false],
    ['a timeout with no response', lost('TimeoutError'), false],
    ['a reset connection', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), false],
    ['a 400 wrapped as the cause of an AwsCallFailedError', new AwsCallFailedError('SQS', 'SendMessage', 't', answered(400)), true],
    ['a timeout wrapped as the cause of an AwsCallFailedError', new AwsCallFailedError('SQS', 'SendMessage', 't', lost()), false],
    ['a string', 'boom', false],
    ['undefined', undefined, false],
  ])('%s', (_label, error, certain) => {
    expect(isCertainRejection(error)).toBe(certain);
  });
});

describe('TaskSender.send', () => {
  const sqs = new SQSClient({ region: 'us-east-1' });
  const mock = mockClient(sqs);
  const sender = new TaskSender({ sqs, batchRetries: 2, sleep: async () => undefined });
  afterEach(() => mock.reset());

  it('throws AwsCallFailedError when SQS answered 4xx', async () => {
    mock.on(SendMessageCommand).rejects(answered(400, 'QueueDoesNotExist'));
    const error = await sender.send(task(1), QUEUE, 'body').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsCallFailedError);
    expect(error).not.toBeInstanceOf(PublishOutcomeUnknownError);
  });

  it.each([
    ['no response', lost()],
    ['a 5xx', answered(500, 'InternalError')],
  ])('throws PublishOutcomeUnknownError on %s, naming the task and not the payload', async (_label, cause) => {
    mock.on(SendMessageCommand).rejects(cause);
    const prepared = preparer.prepare('email.send', { secret: 'do-not-log' }, {}, defaultRoutingDocument('default'));
    const error = await sender.send(prepared, QUEUE, 'body').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PublishOutcomeUnknownError);
    expect(error).toMatchObject({ name: 'PublishOutcomeUnknownError', taskId: prepared.taskId, taskName: 'email.send', service: 'SQS' });
    expect((error as Error).message).toMatch(new RegExp(`^publish of task ${prepared.taskId} \\(email\\.send\\) has an unknown outcome`));
    expect((error as Error).message).not.toContain('do-not-log');
  });
});

describe('TaskSender.deliver (custom destination)', () => {
  const sender = new TaskSender({ sqs: new SQSClient({ region: 'us-east-1' }), batchRetries: 0 });

  it('rethrows an error that carries a 4xx answer, and makes anything else an unknown outcome', async () => {
    const refused = answered(400);
    await expect(sender.deliver(task(1), { name: 'legacy', deliver: () => Promise.reject(refused) })).rejects.toBe(refused);
    const error = await sender.deliver(task(2), { name: 'legacy', deliver: () => Promise.reject(new Error('broker unreachable')) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PublishOutcomeUnknownError);
    expect((error as AwsCallFailedError).operation).toBe('deliver to custom destination "legacy"');
  });
});

describe('TaskSender.sendBatch', () => {
  const sqs = new SQSClient({ region: 'us-east-1' });
  const mock = mockClient(sqs);
  afterEach(() => mock.reset());

  async function run(batchRetries: number) {
    const sender = new TaskSender({ sqs, batchRetries, sleep: async () => undefined });
    const entries = [0, 1].map((index) => ({ index, task: task(index), body: 'b' }));
    const failed: [number, Error][] = [];
    const sent: number[] = [];
    const calls = await sender.sendBatch(
      QUEUE,
      entries,
      async (entry, error) => {
        failed.push([entry.index, error]);
      },
      (entry) => sent.push(entry.index),
    );
    return { calls, failed, sent };
  }

  it('reports an entry SQS listed in Failed as a certain failure', async () => {
    mock.on(SendMessageBatchCommand).resolves({
      Successful: [{ Id: '0', MessageId: 'm', MD5OfMessageBody: 'x' }],
      Failed: [{ Id: '1', SenderFault: true, Code: 'InvalidParameterValue', Message: 'bad' }],
    });
    const { failed, sent } = await run(0);
    expect(sent).toEqual([0]);
    expect(failed.map(([index, error]) => [index, error.name])).toEqual([[1, 'AwsCallFailedError']]);
  });

  it('reports a whole call that got no response as an unknown outcome for every entry', async () => {
    mock.on(SendMessageBatchCommand).rejects(lost());
    const { calls, failed } = await run(1);
    expect(calls).toBe(2);
    expect(failed.map(([index, error]) => [index, error.name])).toEqual([
      [0, 'PublishOutcomeUnknownError'],
      [1, 'PublishOutcomeUnknownError'],
    ]);
  });

  it('keeps an entry unknown when an earlier try may have been accepted, even if the last was refused', async () => {
    mock
      .on(SendMessageBatchCommand)
      .rejectsOnce(lost())
      .resolves({ Successful: [], Failed: [0, 1].map((i) => ({ Id: String(i), SenderFault: true, Code: 'InvalidParameterValue', Message: 'bad' })) });
    const { failed } = await run(1);
    expect(failed.map(([, error]) => error.name)).toEqual(['PublishOutcomeUnknownError', 'PublishOutcomeUnknownError']);
  });

  it('reports a whole call SQS refused with a 4xx on every try as a certain failure', async () => {
    mock.on(SendMessageBatchCommand).rejects(answered(400, 'QueueDoesNotExist'));
    const { failed } = await run(1);
    expect(failed.map(([, error]) => error.name)).toEqual(['AwsCallFailedError', 'AwsCallFailedError']);
  });

  it('reports an entry SQS never settled (in neither list) as an unknown outcome', async () => {
    mock.on(SendMessageBatchCommand).resolves({ Successful: [{ Id: '0', MessageId: 'm', MD5OfMessageBody: 'x' }], Failed: [] });
    const { failed, sent } = await run(1);
    expect(sent).toEqual([0]);
    expect(failed.map(([index, error]) => [index, error.name])).toEqual([[1, 'PublishOutcomeUnknownError']]);
  });
});
