import { GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { ListEventSourceMappingsCommand } from '@aws-sdk/client-lambda';
import { GetQueueAttributesCommand, type QueueAttributeName } from '@aws-sdk/client-sqs';
import { ScanCommand, type ScanCommandOutput } from '@aws-sdk/lib-dynamodb';
import type { Command } from 'commander';
import * as fs from 'node:fs';
import { TASK_STATUSES, type TaskStatus } from '../lib/contract';
import { parseNonNegativeInteger } from './arguments';
import type { CliClients } from './clients';
import { formatDuration, renderJson, renderTable } from './output';
import type { Platform } from './platform';
import { type CliSession, type TargetOptions, addTargetOptions } from './program';

/** Default most task items `bosun status` reads to count tasks by status. */
export const DEFAULT_SCAN_LIMIT = 100_000;

/** Statuses of a task that waits in a queue to run (not `scheduled`, which waits on purpose). */
const WAITING_STATUSES: ReadonlySet<string> = new Set<TaskStatus>(['queued', 'retrying']);

/** Depths of one queue and its DLQ. */
export interface QueueStatus {
  readonly name: string;
  readonly url: string;
  /** Messages available to receive (`ApproximateNumberOfMessages`). */
  readonly visible: number;
  /** Messages received and not yet deleted (`ApproximateNumberOfMessagesNotVisible`). */
  readonly inFlight: number;
  /** Messages sent with a delay that has not passed (`ApproximateNumberOfMessagesDelayed`). */
  readonly delayed: number;
  /**
   * Age of the oldest task the table says is waiting in this queue (status `queued`/`retrying`, ETA passed), in
   * milliseconds; absent when none waits or the table was not read. SQS exposes this age only as a CloudWatch metric.
   */
  readonly oldestWaitingAgeMs?: number;
  /** Id of that oldest waiting task. */
  readonly oldestWaitingTaskId?: string;
  /**
   * SQS's own `ApproximateAgeOfOldestMessage` (CloudWatch, the latest one-minute maximum of the last
   * {@link OLDEST_MESSAGE_LOOKBACK_MINUTES} minutes), in seconds; AWS target only, absent when CloudWatch has no point.
   */
  readonly oldestMessageAgeSeconds?: number;
  /** The DLQ's URL and depth (visible + in flight + delayed, and the first two apart), when the queue has a DLQ. */
  readonly dlq?: { readonly url: string; readonly depth: number; readonly visible: number; readonly inFlight: number };
  /**
   * Whether consumers take tasks from the queue, from its event source mappings (`ListEventSourceMappings`):
   * `enabled`, `paused` (every mapping `Disabled`, as `bosun pause` leaves it), `no consumer` (no mapping), the
   * mappings' states while they change (`Disabling`, `Enabling`, … lowercased), or `unknown (<error>)` when Lambda
   * could not be asked. Absent when there is no mapping API (a local platform started before it existed).
   */
  readonly consumption?: string;
  /** The event source mappings read, with Lambda's state of each. */
  readonly mappings?: readonly { readonly uuid: string; readonly state: string }[];
}

/** Task counts from the task-state table. */
export interface TaskCounts {
  /** Whether the table was read (`--no-tasks` skips it). */
  readonly scanned: boolean;
  /** Items read. */
  readonly items: number;
  /** Whether the scan stopped at the limit before the end of the table. */
  readonly truncated: boolean;
  /** Count per status; every known status is present, unknown statuses are added as found. */
  readonly byStatus: Readonly<Record<string, number>>;
}

/** IAM enforcement of a local platform, as `bosun status` reports it. */
export interface IamStatus {
  readonly enforced: boolean;
  /** Calls IAM denied since the platform started (lines of the denial log). */
  readonly denials: number;
  /** The denial log (one JSON object per denied call). */
  readonly denialLog?: string;
}

/** What `bosun status` reports. */
export interface StatusReport {
  readonly target: Platform['target'];
  readonly stage: string;
  readonly region: string;
  readonly queues: readonly QueueStatus[];
  /**
   * The schedules' DLQ — firings of periodic tasks and far ETAs that Scheduler could not deliver — with its depth
   * (visible + in flight), when the outputs name it (`bosun dlq peek schedules` shows them).
   */
  readonly schedulesDlq?: { readonly url: string; readonly depth: number };
  readonly tasks: TaskCounts;
  /** IAM enforcement, for a local platform that reports it. */
  readonly iam?: IamStatus;
}

/** Counts the denials in a local platform's denial log (a missing file: none yet). */
function iamStatus(iam: NonNullable<Platform['iam']>): IamStatus {
  let denials = 0;
  if (iam.denialLog !== undefined) {
    try {
      denials = fs.readFileSync(iam.denialLog, 'utf8').split('\n').filter((line) => line.trim() !== '').length;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return { enforced: iam.enforced, denials, ...(iam.denialLog === undefined ? {} : { denialLog: iam.denialLog }) };
}

/** Options of {@link collectStatus}. */
export interface CollectStatusOptions {
  /** Read the table for task counts and waiting ages. @default true */
  readonly scanTasks?: boolean;
  /** Most items to read. @default 100000 */
  readonly scanLimit?: number;
  /** Clock, epoch ms. @default Date.now */
  readonly now?: () => number;
}

/** How far back `bosun status` looks for the latest `ApproximateAgeOfOldestMessage` point (SQS publishes every minute). */
export const OLDEST_MESSAGE_LOOKBACK_MINUTES = 10;

/** The queue name at the end of an SQS queue URL (`https://sqs.<region>.amazonaws.com/<account>/<name>`). */
function queueNameOfUrl(url: string): string {
  return url.slice(url.lastIndexOf('/') + 1);
}

/**
 * Latest `ApproximateAgeOfOldestMessage` (seconds) of each queue URL, in one `GetMetricData` call (SQS exposes the age
 * only as a CloudWatch metric, not as a queue attribute).
 */
async function oldestMessageAges(clients: CliClients, urls: readonly string[], now: number): Promise<Map<string, number>> {
  const ages = new Map<string, number>();
  if (clients.cloudwatch === undefined || urls.length === 0) return ages;
  const response = await clients.cloudwatch.send(
    new GetMetricDataCommand({
      StartTime: new Date(now - OLDEST_MESSAGE_LOOKBACK_MINUTES * 60_000),
      EndTime: new Date(now),
      ScanBy: 'TimestampDescending',
      MetricDataQueries: urls.map((url, index) => ({
        Id: `q${index}`,
        MetricStat: {
          Metric: {
            Namespace: 'AWS/SQS',
            MetricName: 'ApproximateAgeOfOldestMessage',
            Dimensions: [{ Name: 'QueueName', Value: queueNameOfUrl(url) }],
          },
          Period: 60,
          Stat: 'Maximum',
        },
      })),
    }),
  );
  for (const result of response.MetricDataResults ?? []) {
    const index = Number(result.Id?.slice(1));
    const url = urls[index];
    const latest = result.Values?.[0];
    if (url !== undefined && latest !== undefined) ages.set(url, latest);
  }
  return ages;
}

const DEPTH_ATTRIBUTES: QueueAttributeName[] = [
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
  // The ARN event source mappings are listed by: read in the same call.
  'QueueArn',
];

async function queueDepths(
  clients: CliClients,
  url: string,
): Promise<{ visible: number; inFlight: number; delayed: number; arn: string | undefined }> {
  const response = await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: DEPTH_ATTRIBUTES }));
  const read = (name: QueueAttributeName): number => Number(response.Attributes?.[name] ?? 0);
  return {
    visible: read('ApproximateNumberOfMessages'),
    inFlight: read('ApproximateNumberOfMessagesNotVisible'),
    delayed: read('ApproximateNumberOfMessagesDelayed'),
    arn: response.Attributes?.QueueArn,
  };
}

/**
 * A queue's consumption state from its event source mappings (`ListEventSourceMappings` by the queue's ARN, which
 * IAM cannot scope to a resource). A refused or failed call is reported in the state, not thrown: the rest of the
 * status is still worth showing.
 */
async function consumptionOf(
  clients: CliClients,
  arn: string | undefined,
): Promise<Pick<QueueStatus, 'consumption' | 'mappings'>> {
  const lambda = clients.lambda;
  if (lambda === undefined) return {};
  if (arn === undefined) return { consumption: 'unknown (the queue reported no ARN)' };
  const mappings: { uuid: string; state: string }[] = [];
  try {
    let marker: string | undefined;
    do {
      const page = await lambda.send(new ListEventSourceMappingsCommand({ EventSourceArn: arn, ...(marker === undefined ? {} : { Marker: marker }) }));
      mappings.push(...(page.EventSourceMappings ?? []).map((mapping) => ({ uuid: mapping.UUID ?? '', state: mapping.State ?? 'unknown' })));
      marker = page.NextMarker;
    } while (marker !== undefined);
  } catch (error) {
    return { consumption: `unknown (${(error as Error).name})` };
  }
  const states = [...new Set(mappings.map((mapping) => mapping.state))];
  const only = states.length === 1 ? states[0] : undefined;
  let consumption: string;
  if (mappings.length === 0) consumption = 'no consumer';
  else if (only === 'Enabled') consumption = 'enabled';
  else if (only === 'Disabled') consumption = 'paused';
  else consumption = states.map((state) => state.toLowerCase()).join(', ');
  return { consumption, mappings };
}

interface ScanResult {
  readonly counts: TaskCounts;
  /** Oldest waiting task per queue name: [waiting since, task id]. */
  readonly oldest: ReadonlyMap<string, readonly [number, string]>;
}

async function scanTasks(clients: CliClients, tableName: string, limit: number, now: number): Promise<ScanResult> {
  const byStatus: Record<string, number> = Object.fromEntries(TASK_STATUSES.map((status) => [status, 0]));
  const oldest = new Map<string, [number, string]>();
  let items = 0;
  let startKey: ScanCommandOutput['LastEvaluatedKey'];
  do {
    const page: ScanCommandOutput = await clients.dynamodb.send(
      new ScanCommand({
        TableName: tableName,
        ProjectionExpression: '#id, #status, #queue, #createdAt, #eta',
        ExpressionAttributeNames: {
          '#id': 'taskId',
          '#status': 'status',
          '#queue': 'queue',
          '#createdAt': 'createdAt',
          '#eta': 'eta',
        },
        Limit: Math.max(1, Math.min(1000, limit - items)),
        ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
      }),
    );
    for (const item of page.Items ?? []) {
      items += 1;
      const status = typeof item['status'] === 'string' ? item['status'] : 'unknown';
      byStatus[status] = (byStatus[status] ?? 0) + 1;
      if (!WAITING_STATUSES.has(status) || typeof item['queue'] !== 'string') continue;
      const createdAt = Date.parse(String(item['createdAt']));
      const eta = typeof item['eta'] === 'string' ? Date.parse(item['eta']) : Number.NaN;
      if (!Number.isNaN(eta) && eta > now) continue;
      const since = Math.max(Number.isNaN(createdAt) ? now : createdAt, Number.isNaN(eta) ? 0 : eta);
      const current = oldest.get(item['queue']);
      if (current === undefined || since < current[0]) oldest.set(item['queue'], [since, String(item['taskId'])]);
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined && items < limit);
  return { counts: { scanned: true, items, truncated: startKey !== undefined, byStatus }, oldest };
}

/**
 * Reads the depths of every queue and DLQ (`GetQueueAttributes`) and, unless disabled, counts the tasks by status
 * with a paginated scan of the task-state table (a few attributes per item; cost grows with the table, hence the
 * limit).
 *
 * @example
 * const report = await collectStatus(platform, clients);
 */
export async function collectStatus(
  platform: Platform,
  clients: CliClients,
  options: CollectStatusOptions = {},
): Promise<StatusReport> {
  const now = (options.now ?? Date.now)();
  const scan =
    options.scanTasks === false
      ? undefined
      : await scanTasks(clients, platform.tableName, options.scanLimit ?? DEFAULT_SCAN_LIMIT, now);
  const ages = await oldestMessageAges(
    clients,
    platform.queues.map((queue) => queue.url),
    now,
  );
  const queues = await Promise.all(
    platform.queues.map(async (queue): Promise<QueueStatus> => {
      const { arn, ...depths } = await queueDepths(clients, queue.url);
      const dlqDepths = queue.dlqUrl === undefined ? undefined : await queueDepths(clients, queue.dlqUrl);
      const oldest = scan?.oldest.get(queue.name);
      return {
        name: queue.name,
        url: queue.url,
        ...depths,
        ...(await consumptionOf(clients, arn ?? queue.arn)),
        ...(oldest === undefined ? {} : { oldestWaitingAgeMs: Math.max(0, now - oldest[0]), oldestWaitingTaskId: oldest[1] }),
        ...(ages.has(queue.url) ? { oldestMessageAgeSeconds: ages.get(queue.url) as number } : {}),
        ...(queue.dlqUrl === undefined || dlqDepths === undefined
          ? {}
          : {
              dlq: {
                url: queue.dlqUrl,
                depth: dlqDepths.visible + dlqDepths.inFlight + dlqDepths.delayed,
                visible: dlqDepths.visible,
                inFlight: dlqDepths.inFlight,
              },
            }),
      };
    }),
  );
  const schedulesDlq =
    platform.schedulesDlqUrl === undefined ? undefined : await queueDepths(clients, platform.schedulesDlqUrl);
  return {
    target: platform.target,
    stage: platform.stage,
    region: platform.region,
    queues,
    ...(schedulesDlq === undefined || platform.schedulesDlqUrl === undefined
      ? {}
      : { schedulesDlq: { url: platform.schedulesDlqUrl, depth: schedulesDlq.visible + schedulesDlq.inFlight + schedulesDlq.delayed } }),
    tasks: scan?.counts ?? { scanned: false, items: 0, truncated: false, byStatus: {} },
    ...(platform.iam === undefined ? {} : { iam: iamStatus(platform.iam) }),
  };
}

/**
 * Renders a status report for people: a queue table, then task counts.
 *
 * @example
 * io.write(renderStatus(report, io.columns));
 */
export function renderStatus(report: StatusReport, width?: number): string {
  const iam =
    report.iam === undefined
      ? ''
      : report.iam.enforced
        ? `IAM: enforced from the template; ${report.iam.denials} call(s) denied${report.iam.denials > 0 && report.iam.denialLog !== undefined ? ` (see ${report.iam.denialLog})` : ''}\n`
        : 'IAM: not enforced (started with --no-iam)\n';
  const heading = `Bosun ${report.target} platform, stage ${report.stage}, ${report.region}\n${iam}`;
  const withMetric = report.target === 'aws';
  const queueTable = renderTable(
    [
      'queue',
      'visible',
      'in flight',
      'delayed',
      ...(withMetric ? ['oldest message (SQS)'] : []),
      'oldest waiting task',
      'DLQ depth',
      'consumers',
    ],
    report.queues.map((queue) => [
      queue.name,
      queue.visible,
      queue.inFlight,
      queue.delayed,
      ...(withMetric
        ? [queue.oldestMessageAgeSeconds === undefined ? '-' : formatDuration(queue.oldestMessageAgeSeconds * 1000)]
        : []),
      report.tasks.scanned ? (queue.oldestWaitingAgeMs === undefined ? '-' : formatDuration(queue.oldestWaitingAgeMs)) : 'n/a',
      queue.dlq?.depth ?? 'no DLQ',
      queue.consumption ?? 'n/a',
    ]),
    width,
  );
  const schedules =
    report.schedulesDlq === undefined
      ? ''
      : `schedules DLQ depth: ${report.schedulesDlq.depth}${report.schedulesDlq.depth > 0 ? ' firing(s) Scheduler could not deliver (bosun dlq peek schedules)' : ''}\n`;
  if (!report.tasks.scanned) return `${heading}${queueTable}${schedules}tasks: not counted (--no-tasks)\n`;
  const statusRows = Object.entries(report.tasks.byStatus).map(([status, count]) => [status, count]);
  const note = report.tasks.truncated
    ? `counted the first ${report.tasks.items} tasks only (raise --scan-limit to count more)\n`
    : `${report.tasks.items} tasks in the table\n`;
  return `${heading}${queueTable}${schedules}${renderTable(['status', 'tasks'], statusRows, width)}${note}`;
}

interface StatusOptions extends TargetOptions {
  readonly tasks: boolean;
  readonly scanLimit: number;
}

/**
 * Registers `bosun status`.
 *
 * @example
 * registerStatusCommand(program, session);
 */
export function registerStatusCommand(program: Command, session: CliSession): void {
  addTargetOptions(
    program
      .command('status')
      .description(
        "Show each queue (visible, in flight, delayed, age of the oldest waiting task, consumers enabled or paused), each DLQ depth, the schedules' DLQ depth, and task counts by status.",
      )
      .option('--no-tasks', 'skip reading the task table (no counts, no waiting ages)')
      .option('--scan-limit <n>', 'most task items to read for the counts', parseNonNegativeInteger, DEFAULT_SCAN_LIMIT),
  ).action(async (options: StatusOptions) => {
    await session.withTarget(options, async ({ platform, clients, io, json }) => {
      const report = await collectStatus(platform, clients, { scanTasks: options.tasks, scanLimit: options.scanLimit });
      io.write(json ? renderJson(report) : renderStatus(report, io.columns));
    });
  });
}
