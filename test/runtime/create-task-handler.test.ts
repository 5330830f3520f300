import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  SQSClient,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { z } from 'zod';
import {
  MessageAttribute,
  defaultRoutingDocument,
  type CustomDelivery,
  type RoutingDocument,
  type TaskEnvelope,
} from '../../lib/contract';
import {
  TaskHandlerConfigInvalidError,
  TaskNonRetryableError,
  createTaskHandler,
  defineTask,
  type CreateTaskHandlerOptions,
  type TaskContext,
} from '../../lib/runtime';
import { ClaimCheckCorruptError, ClaimCheckMissingError } from '../../lib/sdk/errors';
import { envelope, lambdaContext, quietTelemetry, sqsEvent, sqsRecord } from './support/factories';

const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/bosun-test-default';
const DLQ_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/bosun-test-default-dlq';
const BULK_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/bosun-test-bulk';
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

const sqs = new SQSClient({ region: 'us-east-1', credentials });
const s3 = new S3Client({ region: 'us-east-1', credentials });
const dynamodb = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1', credentials }));
const sqsMock = mockClient(sqs);
const s3Mock = mockClient(s3);
const ddbMock = mockClient(dynamodb);

const calls: Array<{ payload: unknown; ctx: TaskContext }> = [];
const echo = defineTask({
  name: 'test.echo',
  schema: z.object({ n: z.number() }),
  maxAttempts: 3,
  backoff: { baseSeconds: 4, capSeconds: 60 },
  handler: (payload, ctx) => {
    calls.push({ payload, ctx });
    return { doubled: payload.n * 2 };
  },
});
let failWith: Error | undefined;
const flaky = defineTask({
  name: 'test.flaky',
  schema: z.object({}),
  maxAttempts: 3,
  backoff: { baseSeconds: 4, capSeconds: 60 },
  handler: () => {
    if (failWith !== undefined) throw failWith;
    return 'ok';
  },
});
const slow = defineTask({
  name: 'test.slow',
  schema: z.object({ ms: z.number() }),
  timeLimitSeconds: 1,
  maxAttempts: 3,
  handler: (payload, ctx) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(resolve, payload.ms);
      ctx.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        reject(new Error('aborted by signal'));
      });
    }),
});
const fragile = defineTask({
  name: 'test.fragile',
  schema: z.object({}),
  idempotent: false,
  timeLimitSeconds: 1,
  handler: () => new Promise(() => undefined),
});
const untracked = defineTask({ name: 'test.untracked', schema: z.object({}), stateTracking: 'off', handler: () => 'ok' });

function handlerWith(overrides: Partial<CreateTaskHandlerOptions> = {}) {
  return createTaskHandler({
    tasks: [echo, flaky, slow, fragile, untracked],
    clients: { sqs, s3, dynamodb },
    queueName: 'default',
    queueUrl: QUEUE_URL,
    dlqUrl: DLQ_URL,
    queueUrls: { default: QUEUE_URL, bulk: BULK_URL },
    maxReceiveCount: 5,
    tableName: 'bosun-test-tasks',
    bucketName: 'bosun-test-claim-checks',
    random: () => 0.5,
    ...quietTelemetry(),
    ...overrides,
  });
}

function sentTo(url: string): Array<{ body: string; attributes: Record<string, { StringValue?: string }>; delay?: number }> {
  return sqsMock
    .commandCalls(SendMessageCommand)
    .filter((call) => call.args[0].input.QueueUrl === url)
    .map((call) => ({
      body: call.args[0].input.MessageBody as string,
      attributes: (call.args[0].input.MessageAttributes ?? {}) as Record<string, { StringValue?: string }>,
      ...(call.args[0].input.DelaySeconds === undefined ? {} : { delay: call.args[0].input.DelaySeconds }),
    }));
}

function stateUpdates(): Array<Record<string, unknown>> {
  return ddbMock.commandCalls(UpdateCommand).map((call) => call.args[0].input.ExpressionAttributeValues ?? {});
}

function statusesWritten(): unknown[] {
  return stateUpdates().map((values) => values[':running'] !== undefined && values[':attempt'] !== undefined && values[':leaseUntilMs'] !== undefined ? 'running' : (values[':succeeded'] !== undefined && values[':runningStatus'] !== undefined ? 'succeeded' : values[':status'] ?? (values[':dead'] !== undefined && values[':reason'] !== undefined ? 'dead' : values[':retrying'] !== undefined && values[':error'] !== undefined ? 'retrying' : 'other')));
}

beforeEach(() => {
  sqsMock.reset();
  s3Mock.reset();
  ddbMock.reset();
  sqsMock.onAnyCommand().resolves({});
  s3Mock.onAnyCommand().resolves({});
  ddbMock.onAnyCommand().resolves({});
  calls.length = 0;
  failWith = undefined;
});

describe('createTaskHandler', () => {
  describe('success', () => {
    it('runs the task with its validated payload and records running then succeeded with the inline result', async () => {
      const env = envelope('test.echo', { n: 21 });
      const response = await handlerWith()(sqsEvent(sqsRecord(env)), lambdaContext());

      expect(response).toEqual({ batchItemFailures: [] });
      expect(calls).toHaveLength(1);
      expect(calls[0]?.payload).toEqual({ n: 21 });
      expect(calls[0]?.ctx).toMatchObject({ taskId: env.id, taskName: 'test.echo', attempt: 1, maxAttempts: 3 });
      expect(statusesWritten()).toEqual(['running', 'succeeded']);
      expect(stateUpdates()[1]?.[':result']).toEqual({ doubled: 42 });
      expect(sqsMock).not.toHaveReceivedCommand(SendMessageCommand);
    });

    it('stores a result larger than the inline limit in S3 and records a reference', async () => {
      const env = envelope('test.echo', { n: 1 });
      await handlerWith({ resultInlineLimitBytes: 5 })(sqsEvent(sqsRecord(env)), lambdaContext());

      expect(s3Mock).toHaveReceivedCommandWith(PutObjectCommand, {
        Bucket: 'bosun-test-claim-checks',
        Key: `task-results/${env.id}.json`,
      });
      expect(stateUpdates()[1]?.[':resultRef']).toEqual({
        bucket: 'bosun-test-claim-checks',
        key: `task-results/${env.id}.json`,
        bytes: Buffer.byteLength('{"doubled":2}'),
      });
    });

    it('writes no task state for a task with state tracking off', async () => {
      const response = await handlerWith()(sqsEvent(sqsRecord(envelope('test.untracked', {}))), lambdaContext());

      expect(response.batchItemFailures).toEqual([]);
      expect(ddbMock).not.toHaveReceivedCommand(UpdateCommand);
    });
  });

  describe('poison messages', () => {
    it('sends a body that is not JSON to the DLQ at once with the reason, then deletes it from the source', async () => {
      const record = sqsRecord('{not json');
      const response = await handlerWith()(sqsEvent(record), lambdaContext());

      expect(response.batchItemFailures).toEqual([]);
      const [dead] = sentTo(DLQ_URL);
      expect(dead?.body).toBe('{not json');
      expect(dead?.attributes[MessageAttribute.DEAD_REASON]?.StringValue).toBe('malformed-message');
      expect(dead?.attributes[MessageAttribute.DEAD_DETAIL]?.StringValue).toBe('message body is not valid JSON (9 characters)');
      expect(dead?.attributes[MessageAttribute.ATTEMPTS]?.StringValue).toBe('1');
      expect(dead?.attributes[MessageAttribute.SOURCE_QUEUE]?.StringValue).toBe(QUEUE_URL);
      expect(sqsMock).toHaveReceivedCommandWith(DeleteMessageCommand, { QueueUrl: QUEUE_URL, ReceiptHandle: record.receiptHandle });
      const order = sqsMock.calls().map((call) => call.args[0].constructor.name);
      expect(order).toEqual(['SendMessageCommand', 'DeleteMessageCommand']);
    });

    it('dead-letters an unsupported envelope version as unsupported-version', async () => {
      const body = JSON.stringify({ ...envelope('test.echo', { n: 1 }), v: 99 });
      await handlerWith()(sqsEvent(sqsRecord(body)), lambdaContext());

      const [dead] = sentTo(DLQ_URL);
      expect(dead?.attributes[MessageAttribute.DEAD_REASON]?.StringValue).toBe('unsupported-version');
      expect(dead?.attributes[MessageAttribute.DEAD_DETAIL]?.StringValue).toBe('envelope version 99 is not supported (supported: 1)');
    });

    it('dead-letters an unknown task name and records the task as dead in the sparse index', async () => {
      const env = envelope('test.nobody', {});
      await handlerWith()(sqsEvent(sqsRecord(env)), lambdaContext());

      const [dead] = sentTo(DLQ_URL);
      expect(dead?.attributes[MessageAttribute.DEAD_REASON]?.StringValue).toBe('unknown-task');
      expect(dead?.attributes[MessageAttribute.DEAD_DETAIL]?.StringValue).toBe(
        'task "test.nobody" is not registered with this consumer (registered: test.echo, test.flaky, test.slow, test.fragile, test.untracked)',
      );
      expect(stateUpdates()[0]).toMatchObject({ ':dead': 'dead', ':reason': 'unknown-task', ':taskName': 'test.nobody' });
    });

    it('dead-letters a payload that fails the schema, naming the field but not the value', async () => {
      const env = envelope('test.echo', { n: 'secret-value' });
      await handlerWith()(sqsEvent(sqsRecord(env)), lambdaContext());

      const [dead] = sentTo(DLQ_URL);
      expect(dead?.attributes[MessageAttribute.DEAD_REASON]?.StringValue).toBe('invalid-payload');
      expect(dead?.attributes[MessageAttribute.DEAD_DETAIL]?.StringValue).toBe(
        'payload of task "test.echo" failed its schema: n: Invalid input: expected number, received string',
      );
      expect(JSON.stringify(dead?.attributes)).not.toContain('secret-value');
      expect(calls).toHaveLength(0);
    });

    it('keeps the message in the queue when the DLQ send fails, and does not delete it', async () => {
      sqsMock.on(SendMessageCommand).rejects(new Error('SQS unavailable'));
      const record = sqsRecord('{not json');
      const response = await handlerWith()(sqsEvent(record), lambdaContext());

      expect(response.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
      expect(sqsMock).not.toHaveReceivedCommand(DeleteMessageCommand);
    });
  });

  describe('claim checks', () => {
    const ref = { bucket: 'bosun-test-claim-checks', key: 'claim-checks/x/abc', bytes: 8, sha256: 'a'.repeat(64) };
    const claimEnvelope = (): TaskEnvelope => {
      const { payload: _payload, ...rest } = envelope('test.echo', undefined);
      return { ...rest, claimCheck: ref };
    };

    it('runs the task with the fetched payload and deletes the object after success', async () => {
      const deleted: string[] = [];
      const claimChecks = { fetch: async () => '{"n":4}', delete: async (r: typeof ref) => void deleted.push(r.key) };
      await handlerWith({ claimChecks })(sqsEvent(sqsRecord(claimEnvelope())), lambdaContext());

      expect(calls[0]?.payload).toEqual({ n: 4 });
      expect(deleted).toEqual([ref.key]);
    });

    it.each([
      ['claim-check-missing', () => new ClaimCheckMissingError({ taskId: 't', taskName: 'test.echo', bucket: ref.bucket, key: ref.key })],
      [
        'claim-check-corrupt',
        () =>
          new ClaimCheckCorruptError({
            taskId: 't',
            taskName: 'test.echo',
            bucket: ref.bucket,
            key: ref.key,
            expectedBytes: 8,
            actualBytes: 9,
            expectedSha256: 'a'.repeat(64),
            actualSha256: 'b'.repeat(64),
          }),
      ],
    ])('dead-letters the task as %s and keeps the object', async (reason, error) => {
      const deleted: string[] = [];
      const claimChecks = { fetch: () => Promise.reject(error()), delete: async (r: typeof ref) => void deleted.push(r.key) };
      const response = await handlerWith({ claimChecks })(sqsEvent(sqsRecord(claimEnvelope())), lambdaContext());

      expect(response.batchItemFailures).toEqual([]);
      expect(sentTo(DLQ_URL)[0]?.attributes[MessageAttribute.DEAD_REASON]?.StringValue).toBe(reason);
      expect(calls).toHaveLength(0);
      expect(deleted).toEqual([]);
    });

    it('retries later when S3 fails for another reason', async () => {
      const claimChecks = { fetch: () => Promise.reject(new Error('S3 timeout')), delete: async () => undefined };
      const record = sqsRecord(claimEnvelope());
      const response = await handlerWith({ claimChecks })(sqsEvent(record), lambdaContext());

      expect(response.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
      expect(sentTo(DLQ_URL)).toEqual([]);
    });
  });

  describe('ETA', () => {
    it('re-sends a task whose ETA is beyond the delay cap with the capped delay, keeping id and attempts', async () => {
      const eta = new Date(Date.now() + 3600_000).toISOString();
      const env = envelope('test.echo', { n: 1 }, { eta, attempts: 2 });
      const record = sqsRecord(env, { receiveCount: 1 });
      const response = await handlerWith({ maxDelaySeconds: 900 })(sqsEvent(record), lambdaContext());

      expect(response.batchItemFailures).toEqual([]);
      const [resent] = sentTo(QUEUE_URL);
      expect(resent?.delay).toBe(900);
      expect(JSON.parse(resent?.body ?? '{}')).toEqual({ ...env, attempts: 2 });
      expect(sqsMock).toHaveReceivedCommandWith(DeleteMessageCommand, { ReceiptHandle: record.receiptHandle });
      expect(statusesWritten()).toEqual(['scheduled']);
      expect(calls).toHaveLength(0);
    });

    it('uses the remaining time as the delay when it is under the cap', async () => {
      const eta = new Date(Date.now() + 30_500).toISOString();
      await handlerWith()(sqsEvent(sqsRecord(envelope('test.echo', { n: 1 }, { eta }))), lambdaContext());

      expect(sentTo(QUEUE_URL)[0]?.delay).toBe(31);
    });

    it('runs a task whose ETA has passed', async () => {
      const eta = new Date(Date.now() - 10).toISOString();
      await handlerWith()(sqsEvent(sqsRecord(envelope('test.echo', { n: 1 }, { eta }))), lambdaContext());

      expect(calls).toHaveLength(1);
    });
  });

  describe('route re-check', () => {
    const source = (doc: RoutingDocument) => ({ current: async () => doc });
    const toLegacy: RoutingDocument = {
      ...defaultRoutingDocument('default'),
      rules: [{ id: 'back-to-legacy', tasks: ['test.*'], destination: 'legacy' }],
    };

    it('hands the task to a custom destination with its payload and records it rerouted', async () => {
      const deliveries: CustomDelivery[] = [];
      const legacy = { name: 'legacy', deliver: async (d: CustomDelivery) => void deliveries.push(d) };
      const env = envelope('test.echo', { n: 3 });
      const response = await handlerWith({ routing: source(toLegacy), destinations: [legacy] })(sqsEvent(sqsRecord(env)), lambdaContext());

      expect(response.batchItemFailures).toEqual([]);
      expect(calls).toHaveLength(0);
      expect(deliveries).toHaveLength(1);
      expect(deliveries[0]?.payload).toEqual({ n: 3 });
      expect(deliveries[0]?.envelope.route).toEqual({ destination: 'legacy', ruleId: 'back-to-legacy' });
      expect(stateUpdates()[0]).toMatchObject({ ':status': 'rerouted', ':queue': 'legacy' });
    });

    it('forwards the task to another Bosun queue and records it queued there', async () => {
      const doc = { ...defaultRoutingDocument('bulk') };
      const env = envelope('test.echo', { n: 3 });
      await handlerWith({ routing: source(doc) })(sqsEvent(sqsRecord(env)), lambdaContext());

      const [forwarded] = sentTo(BULK_URL);
      expect(JSON.parse(forwarded?.body ?? '{}')).toMatchObject({ id: env.id, route: { destination: 'bulk', ruleId: null } });
      expect(stateUpdates()[0]).toMatchObject({ ':status': 'queued', ':queue': 'bulk' });
    });

    it('dead-letters a task routed to a destination nobody registered', async () => {
      await handlerWith({ routing: source(toLegacy) })(sqsEvent(sqsRecord(envelope('test.echo', { n: 3 }))), lambdaContext());

      expect(sentTo(DLQ_URL)[0]?.attributes[MessageAttribute.DEAD_DETAIL]?.StringValue).toBe(
        'routing sends task "test.echo" to "legacy", which is neither a Bosun queue nor a registered destination',
      );
    });

    it('holds a paused task back with the pause delay instead of running or dead-lettering it', async () => {
      const paused = { ...defaultRoutingDocument('default'), paused: ['test.echo'] };
      const env = envelope('test.echo', { n: 3 });
      const response = await handlerWith({ routing: source(paused), pauseDelaySeconds: 120 })(sqsEvent(sqsRecord(env, { receiveCount: 2 })), lambdaContext());

      expect(response.batchItemFailures).toEqual([]);
      expect(calls).toHaveLength(0);
      expect(sentTo(DLQ_URL)).toEqual([]);
      const [held] = sentTo(QUEUE_URL);
      expect(held?.delay).toBe(120);
      expect(JSON.parse(held?.body ?? '{}')).toMatchObject({ id: env.id, attempts: 1 });
    });

    it('runs the task when the route still points at this queue', async () => {
      await handlerWith({ routing: source(defaultRoutingDocument('default')) })(sqsEvent(sqsRecord(envelope('test.echo', { n: 3 }))), lambdaContext());

      expect(calls).toHaveLength(1);
    });
  });

  describe('claiming', () => {
    const conditionFailed = () => new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

    it('acknowledges a duplicate delivery of a finished task without running it', async () => {
      ddbMock.on(UpdateCommand).rejects(conditionFailed());
      ddbMock.on(GetCommand).resolves({ Item: { taskId: 'x', status: 'succeeded' } });
      const response = await handlerWith()(sqsEvent(sqsRecord(envelope('test.echo', { n: 1 }))), lambdaContext());

      expect(response.batchItemFailures).toEqual([]);
      expect(calls).toHaveLength(0);
    });

    it('releases a task running elsewhere under a live lease until the lease ends, without running it', async () => {
      ddbMock.on(UpdateCommand).rejects(conditionFailed());
      ddbMock.on(GetCommand).resolves({ Item: { taskId: 'x', status: 'running', leaseUntilMs: Date.now() + 20_000 } });
      const record = sqsRecord(envelope('test.echo', { n: 1 }));
      const response = await handlerWith()(sqsEvent(record), lambdaContext());

      expect(response.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
      expect(calls).toHaveLength(0);
      const visibility = sqsMock.commandCalls(ChangeMessageVisibilityCommand)[0]?.args[0].input.VisibilityTimeout;
      expect(visibility).toBeGreaterThanOrEqual(19);
      expect(visibility).toBeLessThanOrEqual(20);
    });

    it('dead-letters a non-idempotent task whose earlier attempt was interrupted', async () => {
      ddbMock.on(UpdateCommand).rejectsOnce(conditionFailed()).resolves({});
      ddbMock.on(GetCommand).resolves({ Item: { taskId: 'x', status: 'running', leaseUntilMs: Date.now() - 1 } });
      await handlerWith()(sqsEvent(sqsRecord(envelope('test.fragile', {}), { receiveCount: 2 })), lambdaContext());

      expect(sentTo(DLQ_URL)[0]?.attributes[MessageAttribute.DEAD_REASON]?.StringValue).toBe('non-retryable');
    });

    it('lets a redriven message (carrying the dead reason) re-open a dead task', async () => {
      const record = sqsRecord(envelope('test.echo', { n: 1 }), {
        messageAttributes: {
          [MessageAttribute.DEAD_REASON]: { dataType: 'String', stringValue: 'attempts-exhausted', stringListValues: [], binaryListValues: [] },
        },
      });
      await handlerWith()(sqsEvent(record), lambdaContext());

      const claim = ddbMock.commandCalls(UpdateCommand)[0]?.args[0].input;
      expect(claim?.ConditionExpression).toContain('#status = :dead');
      expect(calls).toHaveLength(1);
    });
  });

  describe('failures', () => {
    it('sets the visibility to the backoff delay, reports the failure and records retrying with the error', async () => {
      failWith = new Error('downstream said 503');
      const record = sqsRecord(envelope('test.flaky', {}), { receiveCount: 2 });
      const response = await handlerWith()(sqsEvent(record), lambdaContext());

      expect(response.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
      // attempt 2, base 4 s → ceiling 8 s; random 0.5 → 4 s
      expect(sqsMock).toHaveReceivedCommandWith(ChangeMessageVisibilityCommand, { ReceiptHandle: record.receiptHandle, VisibilityTimeout: 4 });
      expect(stateUpdates()[1]).toMatchObject({ ':retrying': 'retrying', ':error': { type: 'Error', message: 'downstream said 503' } });
    });

    it('sends the task to the DLQ as attempts-exhausted on its last attempt, keeping the original body', async () => {
      failWith = new Error('still broken');
      const env = envelope('test.flaky', {}, { attempts: 1 });
      const record = sqsRecord(env, { receiveCount: 2 });
      const response = await handlerWith()(sqsEvent(record), lambdaContext());

      expect(response.batchItemFailures).toEqual([]);
      const [dead] = sentTo(DLQ_URL);
      expect(dead?.body).toBe(record.body);
      expect(dead?.attributes[MessageAttribute.DEAD_REASON]?.StringValue).toBe('attempts-exhausted');
      expect(dead?.attributes[MessageAttribute.DEAD_DETAIL]?.StringValue).toBe('Error: still broken');
      expect(dead?.attributes[MessageAttribute.ATTEMPTS]?.StringValue).toBe('3');
      expect(stateUpdates().at(-1)).toMatchObject({ ':dead': 'dead', ':reason': 'attempts-exhausted', ':attempts': 3 });
    });

    it('dead-letters on the queue’s last receive even when the task allows more attempts', async () => {
      failWith = new Error('boom');
      await handlerWith({ maxReceiveCount: 3 })(sqsEvent(sqsRecord(envelope('test.flaky', {}), { receiveCount: 3 })), lambdaContext());

      expect(sentTo(DLQ_URL)[0]?.attributes[MessageAttribute.DEAD_REASON]?.StringValue).toBe('attempts-exhausted');
    });

    it('dead-letters a non-retryable error on the first attempt', async () => {
      failWith = new TaskNonRetryableError('account closed');
      await handlerWith()(sqsEvent(sqsRecord(envelope('test.flaky', {}))), lambdaContext());

      const [dead] = sentTo(DLQ_URL);
      expect(dead?.attributes[MessageAttribute.DEAD_REASON]?.StringValue).toBe('non-retryable');
      expect(dead?.attributes[MessageAttribute.DEAD_DETAIL]?.StringValue).toBe('TaskNonRetryableError: account closed');
    });

    it('aborts the signal at the time limit and retries the attempt', async () => {
      const record = sqsRecord(envelope('test.slow', { ms: 5000 }));
      const started = Date.now();
      const response = await handlerWith()(sqsEvent(record), lambdaContext());

      expect(Date.now() - started).toBeLessThan(2500);
      expect(response.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
      expect(stateUpdates()[1]).toMatchObject({ ':error': { type: 'TaskTimeLimitError' } });
    });

    it('dead-letters a non-idempotent task that hit its time limit instead of running it again', async () => {
      await handlerWith()(sqsEvent(sqsRecord(envelope('test.fragile', {}))), lambdaContext());

      const [dead] = sentTo(DLQ_URL);
      expect(dead?.attributes[MessageAttribute.DEAD_REASON]?.StringValue).toBe('non-retryable');
      expect(dead?.attributes[MessageAttribute.DEAD_DETAIL]?.StringValue).toMatch(/^TaskTimeLimitError: task "test.fragile" \(.+\) did not finish within its time limit of 1000 ms$/);
    });

    it('dead-letters a task whose earlier receives ended without an outcome once its attempts are spent', async () => {
      await handlerWith()(sqsEvent(sqsRecord(envelope('test.echo', { n: 1 }), { receiveCount: 4 })), lambdaContext());

      expect(calls).toHaveLength(0);
      expect(sentTo(DLQ_URL)[0]?.attributes[MessageAttribute.DEAD_REASON]?.StringValue).toBe('attempts-exhausted');
    });
  });

  describe('the batch', () => {
    it('releases a message the invocation has no time left for, without running it', async () => {
      const record = sqsRecord(envelope('test.echo', { n: 1 }));
      const response = await handlerWith()(sqsEvent(record), lambdaContext(20_000));

      expect(response.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
      expect(calls).toHaveLength(0);
      expect(sqsMock).toHaveReceivedCommandWith(ChangeMessageVisibilityCommand, { VisibilityTimeout: 5 });
    });

    it('says loudly when a task’s time limit can never fit in the invocation, and only then', async () => {
      const telemetry = quietTelemetry();
      const errors = jest.spyOn(telemetry.logger, 'error');
      const neverFits = sqsRecord(envelope('test.echo', { n: 1 }));
      await handlerWith(telemetry)(sqsEvent(neverFits), lambdaContext(20_000));
      const timeUsedUp = sqsRecord(envelope('test.echo', { n: 2 }));
      const budgetThenLittle = jest.fn().mockReturnValueOnce(60_000).mockReturnValue(10_000);
      const response = await handlerWith(telemetry)(sqsEvent(timeUsedUp), {
        ...lambdaContext(),
        getRemainingTimeInMillis: budgetThenLittle,
      });

      expect(response.batchItemFailures).toEqual([{ itemIdentifier: timeUsedUp.messageId }]);
      expect(calls).toHaveLength(0);
      expect(errors).toHaveBeenCalledTimes(1);
      expect(errors.mock.calls[0]?.[0]).toMatch(/exceeds this invocation's whole budget \(\d+ ms\), so it can never start on this consumer; raise the function timeout or lower the time limit/);
    });

    it('keeps outcomes independent: one failing AWS call fails only its own message', async () => {
      const good = sqsRecord(envelope('test.echo', { n: 1 }));
      const bad = sqsRecord(envelope('test.echo', { n: 2 }));
      ddbMock.on(UpdateCommand).callsFake((input: { Key: { taskId: string } }) => {
        if (input.Key.taskId === (JSON.parse(bad.body) as TaskEnvelope).id) throw new Error('DynamoDB throttled');
        return {};
      });
      const response = await handlerWith()(sqsEvent(good, bad), lambdaContext());

      expect(response.batchItemFailures).toEqual([{ itemIdentifier: bad.messageId }]);
      expect(calls.map((c) => c.payload)).toEqual([{ n: 1 }]);
    });

    it('runs at most `concurrency` messages at once', async () => {
      let running = 0;
      let peak = 0;
      const gate = defineTask({
        name: 'test.gate',
        schema: z.object({}),
        stateTracking: 'off',
        handler: async () => {
          running += 1;
          peak = Math.max(peak, running);
          await new Promise((resolve) => setTimeout(resolve, 20));
          running -= 1;
        },
      });
      const records = Array.from({ length: 12 }, () => sqsRecord(envelope('test.gate', {})));
      const response = await handlerWith({ tasks: [gate], concurrency: 3 })(sqsEvent(...records), lambdaContext());

      expect(response.batchItemFailures).toEqual([]);
      expect(peak).toBe(3);
    });
  });

  describe('configuration', () => {
    it('rejects a task allowed more attempts than the queue’s max receive count', () => {
      expect(() => handlerWith({ maxReceiveCount: 2 })).toThrow(
        new TaskHandlerConfigInvalidError('task "test.echo": maxAttempts must be at most the queue\'s max receive count 2 (given 3)'),
      );
    });

    it('rejects two tasks with one name', () => {
      expect(() => handlerWith({ tasks: [echo, echo] })).toThrow('task names must be unique (given "test.echo" twice)');
    });

    it('rejects a delay cap above SQS’s 900 s', () => {
      expect(() => handlerWith({ maxDelaySeconds: 901 })).toThrow('maxDelaySeconds must be an integer between 1 and 900 (given 901)');
    });
  });
});
