import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context, SQSEvent, SQSMessageAttributes, SQSRecord } from 'aws-lambda';
import { ENVELOPE_VERSION, serializeEnvelope, type TaskEnvelope } from '../../../lib/contract';

let sequence = 0;

/** A valid envelope for `task`, with overrides. Ids are unique per call. */
export function envelope(task: string, payload: unknown, overrides: Partial<TaskEnvelope> = {}): TaskEnvelope {
  sequence += 1;
  return {
    v: ENVELOPE_VERSION,
    id: `01JTEST${String(sequence).padStart(19, '0')}`,
    task,
    payload,
    attempts: 0,
    route: { destination: 'default', ruleId: null },
    publishedAt: new Date(Date.now() - 1000).toISOString(),
    ...overrides,
  };
}

/** An SQS record as the event source mapping delivers it. */
export function sqsRecord(
  body: string | TaskEnvelope,
  options: { receiveCount?: number; messageId?: string; messageAttributes?: SQSMessageAttributes } = {},
): SQSRecord {
  sequence += 1;
  const messageId = options.messageId ?? `msg-${sequence}`;
  return {
    messageId,
    receiptHandle: `rh-${messageId}`,
    body: typeof body === 'string' ? body : serializeEnvelope(body),
    attributes: {
      ApproximateReceiveCount: String(options.receiveCount ?? 1),
      SentTimestamp: String(Date.now()),
      SenderId: 'test',
      ApproximateFirstReceiveTimestamp: String(Date.now()),
    },
    messageAttributes: options.messageAttributes ?? {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:bosun-test-default',
    awsRegion: 'us-east-1',
  };
}

/** An SQS event of the given records. */
export function sqsEvent(...records: SQSRecord[]): SQSEvent {
  return { Records: records };
}

/** A Lambda context whose invocation has `remainingMs` left at creation. */
export function lambdaContext(remainingMs = 60_000): Context {
  const deadline = Date.now() + remainingMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'bosun-test-consumer',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:bosun-test-consumer',
    memoryLimitInMB: '512',
    awsRequestId: 'req-1',
    logGroupName: '/aws/lambda/bosun-test-consumer',
    logStreamName: 'stream',
    getRemainingTimeInMillis: () => deadline - Date.now(),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** A logger that prints nothing, and metrics that print nothing, for tests that assert on AWS calls. */
export function quietTelemetry(): { logger: Logger; metrics: Metrics } {
  const logger = new Logger({ serviceName: 'bosun-test', logLevel: 'SILENT' });
  const metrics = new Metrics({ namespace: 'BosunTest', serviceName: 'bosun-test' });
  jest.spyOn(metrics, 'publishStoredMetrics').mockImplementation(() => {
    metrics.clearMetrics();
    metrics.clearDimensions();
    return metrics;
  });
  return { logger, metrics };
}
