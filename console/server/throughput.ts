import { GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { ScanCommand, type ScanCommandOutput } from '@aws-sdk/lib-dynamodb';
import type { CliClients } from '../../cli/clients';
import type { Platform } from '../../cli/platform';
import { METRICS_NAMESPACE } from '../../lib/contract';
import { TaskMetric } from '../../lib/runtime/runtime-telemetry';
import { THROUGHPUT_BUCKETS, THROUGHPUT_BUCKET_SECONDS, type Throughput, type ThroughputBucket } from './api-types';

const BUCKET_MS = THROUGHPUT_BUCKET_SECONDS * 1000;
/** Most task items one local throughput reading scans (the table of a local platform is small). */
export const THROUGHPUT_SCAN_LIMIT = 20_000;

/** The outcomes a throughput bucket counts. */
type Outcome = 'succeeded' | 'retried' | 'dead' | 'rerouted';

/** The runtime metric that counts each outcome (per task name, summed over every task name). */
const OUTCOME_METRICS: Readonly<Record<Outcome, string>> = {
  succeeded: TaskMetric.SUCCEEDED,
  retried: TaskMetric.RETRIED,
  dead: TaskMetric.DEAD,
  rerouted: TaskMetric.REROUTED,
};

/** Empty buckets of the hour ending with the minute of `nowMs`, oldest first. */
function emptyBuckets(nowMs: number): { start: number; counts: Record<Outcome, number> }[] {
  const lastStart = Math.floor(nowMs / BUCKET_MS) * BUCKET_MS;
  return Array.from({ length: THROUGHPUT_BUCKETS }, (_, index) => ({
    start: lastStart - (THROUGHPUT_BUCKETS - 1 - index) * BUCKET_MS,
    counts: { succeeded: 0, retried: 0, dead: 0, rerouted: 0 },
  }));
}

function toBuckets(buckets: ReturnType<typeof emptyBuckets>): ThroughputBucket[] {
  return buckets.map(({ start, counts }) => ({ start: new Date(start).toISOString(), ...counts }));
}

function add(buckets: ReturnType<typeof emptyBuckets>, atMs: number, outcome: Outcome, count = 1): void {
  const first = buckets[0]?.start ?? 0;
  const index = Math.floor((atMs - first) / BUCKET_MS);
  const bucket = buckets[index];
  if (bucket !== undefined) bucket.counts[outcome] += count;
}

/**
 * Tasks per minute by outcome over the last hour from the runtime's CloudWatch metrics (`TaskSucceeded`,
 * `TaskRetried`, `TaskDead`, `TaskRerouted`, summed over every task name with a `SEARCH` expression), in one
 * `GetMetricData` call.
 *
 * @example
 * const throughput = await cloudWatchThroughput(clients.cloudwatch, Date.now());
 */
export async function cloudWatchThroughput(cloudwatch: NonNullable<CliClients['cloudwatch']>, nowMs: number): Promise<Throughput> {
  const buckets = emptyBuckets(nowMs);
  const outcomes = Object.keys(OUTCOME_METRICS) as Outcome[];
  const response = await cloudwatch.send(
    new GetMetricDataCommand({
      StartTime: new Date(buckets[0]?.start ?? nowMs),
      EndTime: new Date((buckets[buckets.length - 1]?.start ?? nowMs) + BUCKET_MS),
      MetricDataQueries: outcomes.map((outcome) => ({
        Id: outcome,
        Expression: `SUM(SEARCH('{${METRICS_NAMESPACE},service,taskName} MetricName="${OUTCOME_METRICS[outcome]}"', 'Sum', ${THROUGHPUT_BUCKET_SECONDS}))`,
        Label: outcome,
      })),
    }),
  );
  for (const result of response.MetricDataResults ?? []) {
    const outcome = outcomes.find((candidate) => candidate === result.Id);
    if (outcome === undefined) continue;
    (result.Timestamps ?? []).forEach((timestamp, index) => add(buckets, timestamp.getTime(), outcome, result.Values?.[index] ?? 0));
  }
  return {
    bucketSeconds: THROUGHPUT_BUCKET_SECONDS,
    source: `CloudWatch metrics of the consumers (namespace ${METRICS_NAMESPACE}: ${Object.values(OUTCOME_METRICS).join(', ')}, summed over every task name)`,
    buckets: toBuckets(buckets),
  };
}

/**
 * Tasks per minute by outcome over the last hour from the task-state table, for the local platform (which has no
 * CloudWatch): each task counts once, at its latest state change — succeeded and rerouted at `finishedAt`, dead at
 * `deadAt`, and retried when it waits for a retry now, at its last update. A task that retried and then succeeded
 * counts as succeeded only; the source says so.
 *
 * @example
 * const throughput = await taskTableThroughput(platform, clients, Date.now());
 */
export async function taskTableThroughput(platform: Platform, clients: CliClients, nowMs: number): Promise<Throughput> {
  const buckets = emptyBuckets(nowMs);
  const since = new Date(buckets[0]?.start ?? nowMs).toISOString();
  let items = 0;
  let startKey: ScanCommandOutput['LastEvaluatedKey'];
  do {
    const page: ScanCommandOutput = await clients.dynamodb.send(
      new ScanCommand({
        TableName: platform.tableName,
        ProjectionExpression: '#status, #updatedAt, #finishedAt, #deadAt',
        FilterExpression: '#updatedAt >= :since',
        ExpressionAttributeNames: { '#status': 'status', '#updatedAt': 'updatedAt', '#finishedAt': 'finishedAt', '#deadAt': 'deadAt' },
        ExpressionAttributeValues: { ':since': since },
        ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
      }),
    );
    items += page.ScannedCount ?? 0;
    for (const item of page.Items ?? []) {
      const at = (field: string): number => Date.parse(String(item[field] ?? item['updatedAt']));
      switch (item['status']) {
        case 'succeeded':
          add(buckets, at('finishedAt'), 'succeeded');
          break;
        case 'rerouted':
          add(buckets, at('finishedAt'), 'rerouted');
          break;
        case 'dead':
          add(buckets, at('deadAt'), 'dead');
          break;
        case 'retrying':
          add(buckets, at('updatedAt'), 'retried');
          break;
        default:
          break;
      }
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined && items < THROUGHPUT_SCAN_LIMIT);
  const truncated = startKey === undefined ? '' : ` (first ${items} items only)`;
  return {
    bucketSeconds: THROUGHPUT_BUCKET_SECONDS,
    source:
      `task-state table ${platform.tableName}${truncated}: each task once, at its latest state change ` +
      '(succeeded and rerouted when finished, dead when dead-lettered, retried while it waits for a retry); ' +
      'a task that retried and then succeeded counts as succeeded only. The local platform has no CloudWatch.',
    buckets: toBuckets(buckets),
  };
}

/**
 * Tasks per minute by outcome for the overview: CloudWatch for a deployed platform, the task-state table locally.
 *
 * @example
 * const throughput = await readThroughput(platform, clients);
 */
export function readThroughput(platform: Platform, clients: CliClients, nowMs: number = Date.now()): Promise<Throughput> {
  return clients.cloudwatch === undefined ? taskTableThroughput(platform, clients, nowMs) : cloudWatchThroughput(clients.cloudwatch, nowMs);
}
