import type { RequestCount } from './fault-proxy';

/** us-east-1 list prices the report uses, in dollars (checked 2026). */
export const PRICES = {
  /** SQS standard queue, per request (each started 64 KiB of a request is one request). */
  sqsPerRequest: 0.4 / 1e6,
  /** DynamoDB on-demand, per write request unit; counted per write call (items ≤ 1 KiB assumed). */
  dynamoDbPerWrite: 0.625 / 1e6,
  /** DynamoDB on-demand, per read request unit; counted per read call (strongly consistent ≤ 4 KiB assumed). */
  dynamoDbPerRead: 0.125 / 1e6,
  /** S3 Standard PUT, COPY, POST, LIST. */
  s3PerPut: 0.005 / 1000,
  /** S3 Standard GET, HEAD and every other request (DELETE is free). */
  s3PerGet: 0.0004 / 1000,
  /** Lambda requests (GB-seconds left out: the local workers do not measure them). */
  lambdaPerRequest: 0.2 / 1e6,
  /** CloudWatch Logs ingestion, per GB of log bytes. */
  logsPerGb: 0.5,
} as const;

const DYNAMODB_WRITES: ReadonlySet<string> = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']);
const S3_PUT_TIER: ReadonlySet<string> = new Set(['PutObject', 'CopyObject', 'PostObject', 'ListObjectsV2', 'ListObjects', 'DeleteObjects', 'CreateBucket']);
const S3_FREE: ReadonlySet<string> = new Set(['DeleteObject']);

/** One line of the cost table: requests per task and dollars per million tasks. */
export interface CostLine {
  readonly item: string;
  /** Calls (or billing units, or bytes for logs) per published task. */
  readonly perTask: number;
  readonly unit: string;
  readonly dollarsPerMillionTasks: number;
}

/** The cost part of the report. */
export interface CostReport {
  readonly lines: readonly CostLine[];
  readonly totalDollarsPerMillionTasks: number;
  readonly notes: readonly string[];
}

/**
 * Prices the requests the proxy forwarded (every caller: producer, consumers, the event source mapping), the Lambda
 * invocations and the function log bytes, per published task.
 *
 * @example
 * const cost = priceRun(proxy.counts(), { tasks: 20_000, lambdaInvocations: 4_000, logBytes: 16_000_000 });
 */
export function priceRun(
  counts: readonly RequestCount[],
  run: { readonly tasks: number; readonly lambdaInvocations: number; readonly logBytes: number },
): CostReport {
  const tasks = Math.max(1, run.tasks);
  let sqsCalls = 0;
  let sqsUnits = 0;
  let writes = 0;
  let reads = 0;
  let s3Puts = 0;
  let s3Gets = 0;
  let s3Free = 0;
  for (const count of counts) {
    if (count.service === 'sqs') {
      sqsCalls += count.forwarded;
      sqsUnits += count.billedUnits;
    } else if (count.service === 'dynamodb') {
      if (DYNAMODB_WRITES.has(count.operation)) writes += count.billedUnits;
      else reads += count.forwarded;
    } else if (S3_PUT_TIER.has(count.operation)) s3Puts += count.forwarded;
    else if (S3_FREE.has(count.operation)) s3Free += count.forwarded;
    else s3Gets += count.forwarded;
  }
  const line = (item: string, amount: number, unit: string, price: number): CostLine => ({
    item,
    perTask: amount / tasks,
    unit,
    dollarsPerMillionTasks: (amount / tasks) * price * 1e6,
  });
  const lines = [
    line('SQS requests (64 KiB units)', sqsUnits, 'requests', PRICES.sqsPerRequest),
    line('DynamoDB writes', writes, 'write units', PRICES.dynamoDbPerWrite),
    line('DynamoDB reads', reads, 'calls', PRICES.dynamoDbPerRead),
    line('S3 PUT/LIST', s3Puts, 'requests', PRICES.s3PerPut),
    line('S3 GET/HEAD', s3Gets, 'requests', PRICES.s3PerGet),
    line('S3 DELETE (free)', s3Free, 'requests', 0),
    line('Lambda invocations', run.lambdaInvocations, 'invocations', PRICES.lambdaPerRequest),
    line('CloudWatch Logs ingestion', run.logBytes, 'bytes', PRICES.logsPerGb / 1024 ** 3),
  ];
  return {
    lines,
    totalDollarsPerMillionTasks: lines.reduce((sum, entry) => sum + entry.dollarsPerMillionTasks, 0),
    notes: [
      `SQS: ${sqsCalls} calls, ${sqsUnits} billed 64 KiB units; throttled calls the proxy answered itself are not billed.`,
      'DynamoDB: approximate, one unit per written item (two per item of a transaction; items assumed ≤ 1 KiB written, ≤ 4 KiB read).',
      'Lambda: requests only; GB-seconds are left out (the local workers do not measure billed duration).',
      'Logs: bytes of the function logs written during the run, at ingestion price (storage left out).',
    ],
  };
}
