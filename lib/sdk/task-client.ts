import {
  type MessageAttributeValue,
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import {
  type ClaimCheckReference,
  type CustomDestination,
  ENVELOPE_VERSION,
  Limits,
  MessageAttribute,
  type PayloadOf,
  type RouteDecision,
  type RoutingDocumentSource,
  StackOutput,
  TASK_NAME_PATTERN,
  type TaskDeclaration,
  type TaskEnvelope,
  type TaskStateItem,
  type TaskStatus,
  TaskTable,
  defaultRoutingDocument,
  evaluateRoute,
  isTerminalStatus,
  queueOutputKey,
  serializeEnvelope,
} from '../contract';
import { ClaimCheckStore } from '../aws/claim-check';
import { type AwsClients, createAwsClients } from '../aws/clients';
import { sqsForwardingDestination } from '../aws/destinations';
import {
  AwsCallFailedError,
  DestinationUnknownError,
  PayloadInvalidError,
  PayloadTooLargeError,
  TaskClientConfigError,
  TaskKilledError,
  TaskUnknownError,
  TaskWaitTimeoutError,
} from './errors';
import { type SdkLogger, sdkDefaultLogger } from '../aws/logger';
import { appConfigRoutingSource, fileRoutingSource } from '../aws/routing-sources';
import { choosePayloadPlacement } from './sizing';
import { dedupTaskId, newTaskId } from './task-id';

/** Default time-to-live of a task-state item after its last write: 30 days. */
export const DEFAULT_STATE_TTL_SECONDS = 30 * 24 * 60 * 60;
/** Default number of times `publishBatch` retries the entries SQS failed on its side. */
export const DEFAULT_BATCH_RETRIES = 3;
/** Longest deduplication key accepted. */
export const MAX_DEDUP_KEY_CHARS = 512;
/** State writes and custom deliveries `publishBatch` runs at once. */
const BATCH_CONCURRENCY = 16;
/** First backoff before retrying failed batch entries; doubles per retry. */
const BATCH_RETRY_BASE_MS = 50;
/** Room a claim-check reference takes in the envelope beyond the bucket name and key. */
const CLAIM_CHECK_REFERENCE_OVERHEAD_BYTES = 160;
/** Longest bucket name (63) plus the longest key Bosun writes (`claim-checks/<26>/<32>`), rounded up. */
const MAX_CLAIM_CHECK_LOCATION_BYTES = 256;

/** Where the routing document comes from, when no ready-made source is passed. */
export interface TaskClientAppConfigOptions {
  readonly applicationId: string;
  readonly environmentId: string;
  readonly profileId: string;
  /** See `appConfigRoutingSource`. @default 30 */
  readonly pollIntervalSeconds?: number;
}

/** Options of {@link createTaskClient}. Build them from stack outputs with {@link taskClientOptionsFromOutputs}. */
export interface TaskClientOptions<TTasks extends readonly TaskDeclaration<unknown>[] = readonly TaskDeclaration[]> {
  /** Every Bosun queue the client may publish to: logical name → queue URL. At least one. */
  readonly queueUrls: Readonly<Record<string, string>>;
  /** Claim-check bucket. @default - payloads that need a claim check are rejected */
  readonly bucket?: string;
  /** Task-state table. @default - no state is written and `getTask` is unavailable */
  readonly tableName?: string;
  /**
   * Write `queued` / `scheduled` / `rerouted` state at publish time (conditional put). Needs `tableName`.
   * @default - true when `tableName` is set
   */
  readonly trackState?: boolean;
  /**
   * Task declarations (name + schema, shared with the runtime). When given, only these tasks can be published and
   * every payload is validated before anything is written.
   * @default - any valid task name, payloads not validated
   */
  readonly tasks?: TTasks;
  /** Custom destinations the routing document may name (for example the legacy system). @default - none */
  readonly destinations?: readonly CustomDestination[];
  /** Registers an SQS forwarding destination named `legacy` to this queue URL. @default - none */
  readonly legacyQueueUrl?: string;
  /**
   * Routing source. @default - `routingFile` if set, else AppConfig if `appConfig` is set, else the embedded default
   * (every task to `defaultQueue`)
   */
  readonly routing?: RoutingDocumentSource;
  /** A routing document file (local platform). @default - none */
  readonly routingFile?: string;
  /** AppConfig ids of the routing document. @default - none */
  readonly appConfig?: TaskClientAppConfigOptions;
  /** Queue the embedded default document uses. @default - `default` if it is a queue, else the first queue */
  readonly defaultQueue?: string;
  /** AWS clients to use instead of the shared ones from `createAwsClients`. @default - `createAwsClients({ region })` */
  readonly clients?: Partial<AwsClients>;
  /** Region the publisher runs in, matched by rules' `regions`. @default - `AWS_REGION` */
  readonly region?: string;
  /**
   * Largest envelope sent inline, in bytes, 1 KiB – 1 MiB; larger payloads go to S3.
   * @default 262144 (256 KiB)
   */
  readonly claimCheckThresholdBytes?: number;
  /** Largest payload (UTF-8 JSON bytes) accepted at all. @default 2147483648 (2 GiB) */
  readonly maxPayloadBytes?: number;
  /** Longest single SQS delay, 1–900 seconds; farther ETAs are re-sent by the runtime until due. @default 900 */
  readonly maxDelaySeconds?: number;
  /** Seconds a state item lives after its last write (DynamoDB TTL). @default 2592000 (30 days) */
  readonly stateTtlSeconds?: number;
  /** Times `publishBatch` retries entries SQS failed on its side, 0–10. @default 3 */
  readonly batchRetries?: number;
  /** Where best-effort cleanup failures are logged. @default - a Powertools logger */
  readonly logger?: SdkLogger;
  /** Clock in epoch milliseconds (tests). @default Date.now */
  readonly now?: () => number;
}

/** Options of one publish. */
export interface PublishOptions {
  /** Run no earlier than this many seconds from now (any distance; beyond 900 s the runtime re-sends). Not with `eta`. */
  readonly delaySeconds?: number;
  /** Run no earlier than this time (a `Date` or an ISO-8601 string). Not with `delaySeconds`. */
  readonly eta?: Date | string;
  /**
   * Deduplication key: the same task name and key always give the same task id, and with state tracking on the task
   * is published once; later publishes return the first one's id with `duplicate: true`.
   */
  readonly dedupKey?: string;
  /** Region to route as. @default - `context.region`, else the client's region */
  readonly region?: string;
  /** Routing context attributes (tenant, plan, …), matched by rules and carried in the envelope. */
  readonly context?: Readonly<Record<string, string>>;
  /** Trace id to propagate. An X-Ray header (`Root=1-…`) also goes out as the message's `AWSTraceHeader`. */
  readonly traceId?: string;
}

/** What a publish did. */
export interface PublishResult {
  /** Task id (a ULID, or the id the dedup key stands for). */
  readonly taskId: string;
  /** Destination: a Bosun queue name or a custom destination's name. */
  readonly destination: string;
  /** Rule that chose the destination, or `null` for the default. */
  readonly ruleId: string | null;
  /** State the task is in: `queued`, `scheduled` (ETA beyond one SQS delay) or `rerouted` (custom destination). */
  readonly status: TaskStatus;
  /** Whether the payload went to S3. */
  readonly claimChecked: boolean;
  /** True when the dedup key was already published: nothing was sent this time. */
  readonly duplicate: boolean;
  /** Whether the task is paused by the routing flags (consumers hold it). */
  readonly paused: boolean;
  /** ETA, ISO-8601 UTC, when the task has one. */
  readonly eta?: string;
}

/** One item of {@link TaskClient.publishBatch}. */
export interface PublishBatchItem {
  readonly task: string | TaskDeclaration<unknown>;
  readonly payload: unknown;
  readonly options?: PublishOptions;
}

/** The outcome of one batch item, in input order. */
export type PublishBatchOutcome =
  | { readonly index: number; readonly ok: true; readonly result: PublishResult }
  | { readonly index: number; readonly ok: false; readonly taskName: string; readonly taskId?: string; readonly error: Error };

/** What a batch publish did: one outcome per item, nothing dropped. */
export interface PublishBatchResult {
  readonly outcomes: readonly PublishBatchOutcome[];
  readonly succeeded: number;
  readonly failed: number;
  /** `SendMessageBatch` calls made, retries included. */
  readonly sqsCalls: number;
}

/** Options of {@link TaskClient.waitForTask}. */
export interface WaitForTaskOptions {
  /** Give up after this many milliseconds. */
  readonly timeoutMs: number;
  /** Time between reads. @default 250 */
  readonly pollIntervalMs?: number;
}

/** What {@link TaskClient.explain} evaluates. */
export interface ExplainContext {
  /** Task id to hash for percentage rules. @default - the dedup key's id, else a fresh ULID */
  readonly taskId?: string;
  readonly dedupKey?: string;
  /** @default - `context.region`, else the client's region */
  readonly region?: string;
  readonly context?: Readonly<Record<string, string>>;
}

/** A routing decision with the task id it was made for. */
export interface RouteExplanation extends RouteDecision {
  readonly taskId: string;
}

type TaskNameOf<T extends readonly TaskDeclaration<unknown>[]> = T[number]['name'];
type DeclarationNamed<T extends readonly TaskDeclaration<unknown>[], N> = Extract<T[number], { name: N }>;
/** The payload type of task `N`: inferred when the declarations carry literal names, else `unknown` (validated at run time). */
type PayloadFor<T extends readonly TaskDeclaration<unknown>[], N> = [DeclarationNamed<T, N>] extends [never]
  ? unknown
  : PayloadOf<DeclarationNamed<T, N>>;

/** The producer side of Bosun. Create one per process and reuse it. */
export interface TaskClient<TTasks extends readonly TaskDeclaration<unknown>[] = readonly TaskDeclaration[]> {
  /**
   * Publishes one task: validates, routes, claim-checks a large payload, records state, sends. Nothing is written
   * when validation or routing rejects the task.
   *
   * @throws TaskUnknownError, PayloadInvalidError, PayloadTooLargeError, TaskKilledError, DestinationUnknownError,
   * TaskClientConfigError, AwsCallFailedError
   */
  publish<D extends TaskDeclaration<unknown>>(task: D, payload: PayloadOf<D>, options?: PublishOptions): Promise<PublishResult>;
  publish<N extends TaskNameOf<TTasks>>(task: N, payload: PayloadFor<TTasks, N>, options?: PublishOptions): Promise<PublishResult>;
  /**
   * Publishes many tasks in `SendMessageBatch` calls of ≤ 10 entries and ≤ 1 MiB per queue, retrying entries SQS
   * failed on its side. Never throws for one item: every item gets an outcome.
   */
  publishBatch(items: readonly PublishBatchItem[]): Promise<PublishBatchResult>;
  /** Reads a task's state (strongly consistent). Undefined when the table has no item for the id. */
  getTask(taskId: string): Promise<TaskStateItem | undefined>;
  /** Polls a task's state until it is terminal (succeeded, dead, rerouted, cancelled). */
  waitForTask(taskId: string, options: WaitForTaskOptions): Promise<TaskStateItem>;
  /** Where a task would go right now, and which rule decides. Sends nothing. */
  explain(task: string, context?: ExplainContext): Promise<RouteExplanation>;
}

type Target =
  | { readonly kind: 'queue'; readonly name: string; readonly url: string }
  | { readonly kind: 'custom'; readonly destination: CustomDestination };

/** One batch item on its way: its prepared task, the body to send and its size, and its claim check once stored. */
interface BatchEntry {
  readonly index: number;
  readonly task: PreparedTask;
  readonly body: string;
  readonly bytes: number;
  readonly claimCheck: ClaimCheckReference | undefined;
}

/** A task ready to go: validated, routed, measured. */
interface PreparedTask {
  readonly taskName: string;
  readonly taskId: string;
  readonly dedupKey: string | undefined;
  readonly decision: RouteDecision;
  readonly target: Target;
  readonly status: TaskStatus;
  readonly eta: string | undefined;
  readonly delaySeconds: number;
  readonly payload: unknown;
  readonly payloadJson: string;
  readonly head: Omit<TaskEnvelope, 'payload' | 'claimCheck'>;
  readonly attributes: Record<string, MessageAttributeValue>;
  readonly attributeBytes: number;
  readonly traceHeader: string | undefined;
  /** The inline body, or undefined when the payload must be claim-checked. */
  readonly inlineBody: string | undefined;
  /** UTF-8 bytes of the inline body (exact, or for short bodies an upper bound: 3 bytes per UTF-16 unit). */
  readonly inlineBytes: number;
}

// Read once: the contract's `Limits` namespace and attribute names are property reads on every use otherwise.
const MAX_BATCH_ENTRIES = Limits.SQS_MAX_BATCH_ENTRIES;
const MAX_BATCH_BYTES = Limits.SQS_MAX_BATCH_BYTES;
const ATTRIBUTE_TASK_NAME = MessageAttribute.TASK_NAME;
const ATTRIBUTE_TASK_ID = MessageAttribute.TASK_ID;
const ATTRIBUTE_ENVELOPE_VERSION = MessageAttribute.ENVELOPE_VERSION;
const ATTRIBUTE_ROUTE = MessageAttribute.ROUTE;

/** Bytes of the attribute names, data types and the envelope version value: the part that never varies. */
const ATTRIBUTE_FIXED_BYTES =
  [MessageAttribute.TASK_NAME, MessageAttribute.TASK_ID, MessageAttribute.ENVELOPE_VERSION, MessageAttribute.ROUTE]
    .map((name) => Buffer.byteLength(name, 'utf8'))
    .reduce((a, b) => a + b, 0) +
  'String'.length * 3 +
  'Number'.length +
  String(ENVELOPE_VERSION).length;
/** Texts up to this many UTF-16 units are measured by an upper bound instead of an exact count. */
const ESTIMATE_BELOW_CHARS = 8 * 1024;

/**
 * UTF-8 byte length of a text: exact for long texts; for short ones (≤ 8 Ki units, so ≤ 24 KiB) the upper bound of 3
 * bytes per UTF-16 unit, which can only over-count, so a size check on it never lets an oversized message through.
 */
function utf8Length(text: string): number {
  return text.length <= ESTIMATE_BELOW_CHARS ? text.length * 3 : Buffer.byteLength(text, 'utf8');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function requireIntegerRange(option: string, value: number | undefined, min: number, max: number): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new TaskClientConfigError(option, `${option} must be an integer between ${min} and ${max} (given ${value})`);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

function isConditionalCheckFailed(error: unknown): boolean {
  return isRecord(error) && error['name'] === 'ConditionalCheckFailedException';
}

class BosunTaskClient implements TaskClient<readonly TaskDeclaration<unknown>[]> {
  private readonly sqs: SQSClient;
  private readonly dynamodb: DynamoDBDocumentClient | undefined;
  private readonly claimChecks: ClaimCheckStore | undefined;
  private readonly routing: RoutingDocumentSource;
  private readonly tasks: ReadonlyMap<string, TaskDeclaration<unknown>> | undefined;
  private readonly customDestinations: ReadonlyMap<string, CustomDestination>;
  private readonly queueUrls: Readonly<Record<string, string>>;
  private readonly tableName: string | undefined;
  private readonly trackState: boolean;
  private readonly region: string | undefined;
  private readonly thresholdBytes: number;
  private readonly maxPayloadBytes: number;
  private readonly maxDelaySeconds: number;
  private readonly stateTtlSeconds: number;
  private readonly batchRetries: number;
  private readonly logger: SdkLogger;
  private readonly now: () => number;
  private readonly versionAttribute: MessageAttributeValue = { DataType: 'Number', StringValue: String(ENVELOPE_VERSION) };

  public constructor(options: TaskClientOptions<readonly TaskDeclaration<unknown>[]>) {
    const queueNames = Object.keys(options.queueUrls);
    if (queueNames.length === 0) {
      throw new TaskClientConfigError('queueUrls', 'queueUrls must name at least one Bosun queue (given none)');
    }
    requireIntegerRange('claimCheckThresholdBytes', options.claimCheckThresholdBytes, Limits.SQS_MIN_MESSAGE_BYTES, Limits.SQS_MAX_MESSAGE_BYTES);
    requireIntegerRange('maxPayloadBytes', options.maxPayloadBytes, 1, Limits.DEFAULT_MAX_PAYLOAD_BYTES);
    requireIntegerRange('maxDelaySeconds', options.maxDelaySeconds, 1, Limits.SQS_MAX_DELAY_SECONDS);
    requireIntegerRange('batchRetries', options.batchRetries, 0, 10);
    requireIntegerRange('stateTtlSeconds', options.stateTtlSeconds, 60, 10 * 365 * 24 * 60 * 60);
    if (options.trackState === true && options.tableName === undefined) {
      throw new TaskClientConfigError('trackState', 'trackState is true but no tableName is given; state needs the task-state table');
    }
    const region = options.region ?? process.env['AWS_REGION'];
    const needs = (name: keyof AwsClients): boolean => options.clients?.[name] === undefined;
    const shared = needs('sqs') || needs('s3') || needs('dynamodb') || needs('appConfigData')
      ? createAwsClients(region === undefined ? {} : { region })
      : undefined;
    const clients = { ...shared, ...options.clients } as AwsClients;

    this.sqs = clients.sqs;
    this.queueUrls = options.queueUrls;
    this.tableName = options.tableName;
    this.trackState = options.trackState ?? options.tableName !== undefined;
    this.dynamodb = options.tableName === undefined ? undefined : clients.dynamodb;
    this.claimChecks = options.bucket === undefined ? undefined : new ClaimCheckStore({ s3: clients.s3, bucket: options.bucket });
    this.region = region;
    this.thresholdBytes = options.claimCheckThresholdBytes ?? Limits.DEFAULT_CLAIM_CHECK_THRESHOLD_BYTES;
    this.maxPayloadBytes = options.maxPayloadBytes ?? Limits.DEFAULT_MAX_PAYLOAD_BYTES;
    this.maxDelaySeconds = options.maxDelaySeconds ?? Limits.SQS_MAX_DELAY_SECONDS;
    this.stateTtlSeconds = options.stateTtlSeconds ?? DEFAULT_STATE_TTL_SECONDS;
    this.batchRetries = options.batchRetries ?? DEFAULT_BATCH_RETRIES;
    this.logger = options.logger ?? sdkDefaultLogger();
    this.now = options.now ?? Date.now;

    if (options.tasks !== undefined) {
      const tasks = new Map<string, TaskDeclaration<unknown>>();
      for (const task of options.tasks) tasks.set(task.name, task as TaskDeclaration<unknown>);
      this.tasks = tasks;
    }

    const custom = new Map<string, CustomDestination>();
    const destinations = [
      ...(options.destinations ?? []),
      ...(options.legacyQueueUrl === undefined
        ? []
        : [sqsForwardingDestination({ name: 'legacy', queueUrl: options.legacyQueueUrl, sqs: clients.sqs })]),
    ];
    for (const destination of destinations) {
      if (options.queueUrls[destination.name] !== undefined) {
        throw new TaskClientConfigError(
          'destinations',
          `custom destination "${destination.name}" has the name of a Bosun queue; choose another name`,
        );
      }
      if (!custom.has(destination.name)) custom.set(destination.name, destination);
    }
    this.customDestinations = custom;

    const defaultQueue = options.defaultQueue ?? (options.queueUrls['default'] === undefined ? queueNames[0] : 'default');
    if (defaultQueue === undefined || options.queueUrls[defaultQueue] === undefined) {
      throw new TaskClientConfigError(
        'defaultQueue',
        `defaultQueue must be one of the queues (${queueNames.join(', ')}) (given ${String(defaultQueue)})`,
      );
    }
    if (options.routing !== undefined) {
      this.routing = options.routing;
    } else if (options.routingFile !== undefined) {
      this.routing = fileRoutingSource(options.routingFile, { defaultQueue, logger: this.logger });
    } else if (options.appConfig !== undefined) {
      this.routing = appConfigRoutingSource({
        client: clients.appConfigData,
        ...options.appConfig,
        defaultQueue,
        logger: this.logger,
      });
    } else {
      const resolved = Promise.resolve(defaultRoutingDocument(defaultQueue));
      this.routing = { current: () => resolved };
    }
  }

  public async publish(task: string | TaskDeclaration<unknown>, payload: unknown, options: PublishOptions = {}): Promise<PublishResult> {
    const prepared = this.prepare(task, payload, options, await this.routing.current());
    if (this.trackState) {
      const existing = await this.recordState(prepared);
      if (existing !== undefined) return this.duplicateResult(prepared, existing);
    }
    let claimCheck: ClaimCheckReference | undefined;
    try {
      if (prepared.target.kind === 'custom') {
        await this.deliverCustom(prepared, prepared.target.destination);
      } else {
        let body = prepared.inlineBody;
        if (body === undefined) {
          claimCheck = await this.claimCheck(prepared);
          body = this.claimCheckedBody(prepared, claimCheck);
        }
        await this.send(prepared, prepared.target.url, body);
      }
    } catch (error) {
      await this.undo(prepared, claimCheck);
      throw error;
    }
    return this.result(prepared, claimCheck !== undefined);
  }

  public async publishBatch(items: readonly PublishBatchItem[]): Promise<PublishBatchResult> {
    const outcomes = new Array<PublishBatchOutcome>(items.length);
    const fail = (index: number, taskName: string, error: unknown, taskId?: string): void => {
      outcomes[index] = {
        index,
        ok: false,
        taskName,
        ...(taskId === undefined ? {} : { taskId }),
        error: error instanceof Error ? error : new Error(String(error)),
      };
    };
    const nameOf = (task: string | TaskDeclaration<unknown>): string => (typeof task === 'string' ? task : task.name);

    let document;
    try {
      document = await this.routing.current();
    } catch (error) {
      items.forEach((item, index) => fail(index, nameOf(item.task), error));
      return { outcomes, succeeded: 0, failed: items.length, sqsCalls: 0 };
    }

    // Streamed: items are prepared in order and each queue's pending entries are flushed as soon as they fill one
    // SendMessageBatch call, so at most one call's worth of prepared messages per queue is alive at a time.
    let sqsCalls = 0;
    const pendingByQueue = new Map<string, { entries: BatchEntry[]; bytes: number }>();
    const pendingCustom: BatchEntry[] = [];
    const seenDedupIds = new Set<string>();

    const flushQueue = async (url: string): Promise<void> => {
      const pending = pendingByQueue.get(url);
      if (pending === undefined || pending.entries.length === 0) return;
      pendingByQueue.delete(url);
      const ready = await this.stageBatchEntries(pending.entries, outcomes, fail);
      if (ready.length === 0) return;
      sqsCalls += await this.sendBatch(
        url,
        ready,
        async (entry, error) => {
          await this.undo(entry.task, entry.claimCheck);
          fail(entry.index, entry.task.taskName, error, entry.task.taskId);
        },
        (entry) => {
          outcomes[entry.index] = { index: entry.index, ok: true, result: this.result(entry.task, entry.claimCheck !== undefined) };
        },
      );
    };

    const flushCustom = async (): Promise<void> => {
      const entries = pendingCustom.splice(0, pendingCustom.length);
      const ready = await this.stageBatchEntries(entries, outcomes, fail);
      await mapLimit(ready, BATCH_CONCURRENCY, async ({ index, task }) => {
        try {
          await this.deliverCustom(task, (task.target as Extract<Target, { kind: 'custom' }>).destination);
          outcomes[index] = { index, ok: true, result: this.result(task, false) };
        } catch (error) {
          await this.undo(task, undefined);
          fail(index, task.taskName, error, task.taskId);
        }
      });
    };

    for (let index = 0; index < items.length; index += 1) {
      const item = items[index] as PublishBatchItem;
      let task: PreparedTask;
      try {
        task = this.prepare(item.task, item.payload, item.options ?? {}, document);
      } catch (error) {
        fail(index, nameOf(item.task), error);
        continue;
      }
      if (task.dedupKey !== undefined) {
        // The same dedup key twice in one batch: one task, and this item reports it as a duplicate. (Fresh ULIDs
        // cannot collide, so only dedup ids are remembered.)
        if (seenDedupIds.has(task.taskId)) {
          outcomes[index] = { index, ok: true, result: { ...this.result(task, false), duplicate: true } };
          continue;
        }
        seenDedupIds.add(task.taskId);
      }
      if (task.target.kind === 'custom') {
        pendingCustom.push({ index, task, body: '', bytes: 0, claimCheck: undefined });
        if (pendingCustom.length >= BATCH_CONCURRENCY) await flushCustom();
        continue;
      }
      const url = task.target.url;
      const bytes =
        task.inlineBody === undefined
          ? Buffer.byteLength(JSON.stringify(task.head), 'utf8') + CLAIM_CHECK_REFERENCE_OVERHEAD_BYTES + MAX_CLAIM_CHECK_LOCATION_BYTES + task.attributeBytes
          : task.inlineBytes + task.attributeBytes;
      let pending = pendingByQueue.get(url);
      if (pending !== undefined && (pending.entries.length >= MAX_BATCH_ENTRIES || pending.bytes + bytes > MAX_BATCH_BYTES)) {
        await flushQueue(url);
        pending = undefined;
      }
      if (pending === undefined) {
        pending = { entries: [], bytes: 0 };
        pendingByQueue.set(url, pending);
      }
      pending.entries.push({ index, task, body: task.inlineBody ?? '', bytes, claimCheck: undefined });
      pending.bytes += bytes;
    }
    for (const url of [...pendingByQueue.keys()]) await flushQueue(url);
    await flushCustom();

    let succeeded = 0;
    for (const outcome of outcomes) if (outcome.ok) succeeded += 1;
    return { outcomes, succeeded, failed: items.length - succeeded, sqsCalls };
  }

  /**
   * Records state (dedup gate) and stores claim checks for one group of batch entries, in parallel. Entries that turn
   * out to be duplicates or fail get their outcome here and are left out of the returned list.
   */
  private async stageBatchEntries(
    entries: BatchEntry[],
    outcomes: PublishBatchOutcome[],
    fail: (index: number, taskName: string, error: unknown, taskId?: string) => void,
  ): Promise<BatchEntry[]> {
    let staged = entries;
    if (this.trackState) {
      const recorded = await mapLimit(staged, BATCH_CONCURRENCY, async (entry) => {
        try {
          const existing = await this.recordState(entry.task);
          if (existing === undefined) return entry;
          outcomes[entry.index] = { index: entry.index, ok: true, result: this.duplicateResult(entry.task, existing) };
        } catch (error) {
          fail(entry.index, entry.task.taskName, error, entry.task.taskId);
        }
        return undefined;
      });
      staged = recorded.filter((entry): entry is BatchEntry => entry !== undefined);
    }
    if (staged.some((entry) => entry.task.target.kind === 'queue' && entry.task.inlineBody === undefined)) {
      const checked = await mapLimit(staged, BATCH_CONCURRENCY, async (entry) => {
        if (entry.task.inlineBody !== undefined || entry.task.target.kind !== 'queue') return entry;
        try {
          const claimCheck = await this.claimCheck(entry.task);
          return { ...entry, body: this.claimCheckedBody(entry.task, claimCheck), claimCheck };
        } catch (error) {
          await this.undo(entry.task, undefined);
          fail(entry.index, entry.task.taskName, error, entry.task.taskId);
          return undefined;
        }
      });
      staged = checked.filter((entry): entry is BatchEntry => entry !== undefined);
    }
    return staged;
  }

  public async getTask(taskId: string): Promise<TaskStateItem | undefined> {
    const { dynamodb, tableName } = this.requireTable('getTask');
    try {
      const response = await dynamodb.send(
        new GetCommand({ TableName: tableName, Key: { [TaskTable.PARTITION_KEY]: taskId }, ConsistentRead: true }),
      );
      return response.Item as TaskStateItem | undefined;
    } catch (error) {
      throw new AwsCallFailedError('DynamoDB', 'GetItem', taskId, error);
    }
  }

  public async waitForTask(taskId: string, options: WaitForTaskOptions): Promise<TaskStateItem> {
    const pollIntervalMs = options.pollIntervalMs ?? 250;
    const deadline = Date.now() + options.timeoutMs;
    let last: TaskStateItem | undefined;
    for (;;) {
      last = await this.getTask(taskId);
      if (last !== undefined && isTerminalStatus(last.status)) return last;
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new TaskWaitTimeoutError(taskId, options.timeoutMs, last?.status);
      await sleep(Math.min(pollIntervalMs, remaining));
    }
  }

  public async explain(task: string, context: ExplainContext = {}): Promise<RouteExplanation> {
    const taskId = context.taskId ?? (context.dedupKey === undefined ? newTaskId() : dedupTaskId(task, context.dedupKey));
    const region = context.region ?? context.context?.['region'] ?? this.region;
    const decision = evaluateRoute(await this.routing.current(), {
      task,
      taskId,
      ...(region === undefined ? {} : { region }),
      ...(context.context === undefined ? {} : { context: context.context }),
      ...(context.dedupKey === undefined ? {} : { dedupKey: context.dedupKey }),
    });
    return { ...decision, taskId };
  }

  private requireTable(operation: string): { dynamodb: DynamoDBDocumentClient; tableName: string } {
    if (this.dynamodb === undefined || this.tableName === undefined) {
      throw new TaskClientConfigError('tableName', `${operation} needs the task-state table, but no tableName was given`);
    }
    return { dynamodb: this.dynamodb, tableName: this.tableName };
  }

  private resolveTask(task: string | TaskDeclaration<unknown>): { name: string; declaration: TaskDeclaration<unknown> | undefined } {
    const name = typeof task === 'string' ? task : task.name;
    if (this.tasks !== undefined) {
      const declaration = this.tasks.get(name);
      if (declaration === undefined) throw new TaskUnknownError(name, [...this.tasks.keys()]);
      return { name, declaration };
    }
    if (typeof name !== 'string' || !TASK_NAME_PATTERN.test(name)) throw new TaskUnknownError(String(name), undefined);
    return { name, declaration: typeof task === 'string' ? undefined : (task as TaskDeclaration<unknown>) };
  }

  private prepare(
    task: string | TaskDeclaration<unknown>,
    payload: unknown,
    options: PublishOptions,
    document: Awaited<ReturnType<RoutingDocumentSource['current']>>,
  ): PreparedTask {
    const { name: taskName, declaration } = this.resolveTask(task);
    if (declaration !== undefined) {
      const parsed = declaration.schema.safeParse(payload);
      if (!parsed.success) {
        throw new PayloadInvalidError(
          taskName,
          parsed.error.issues.map((issue) => ({ path: issue.path, message: issue.message })),
        );
      }
    }
    let payloadJson: string | undefined;
    try {
      payloadJson = JSON.stringify(payload);
    } catch (error) {
      throw new PayloadInvalidError(taskName, [], `payload of task "${taskName}" cannot be serialized as JSON (${(error as Error).message})`);
    }
    if (payloadJson === undefined) {
      throw new PayloadInvalidError(taskName, [], `payload of task "${taskName}" cannot be serialized as JSON (given ${typeof payload})`);
    }
    // A UTF-8 byte is at most 3 per UTF-16 unit; only long texts need the exact count before the limit check.
    const payloadBytes = payloadJson.length * 3 <= this.maxPayloadBytes ? 0 : Buffer.byteLength(payloadJson, 'utf8');
    if (payloadBytes > this.maxPayloadBytes) throw new PayloadTooLargeError(taskName, payloadBytes, this.maxPayloadBytes);

    const dedupKey = options.dedupKey;
    if (dedupKey !== undefined && (dedupKey.length === 0 || dedupKey.length > MAX_DEDUP_KEY_CHARS)) {
      throw new PayloadInvalidError(
        taskName,
        [],
        `dedupKey of task "${taskName}" must be 1 to ${MAX_DEDUP_KEY_CHARS} characters (given ${dedupKey.length})`,
      );
    }
    const nowMs = this.now();
    const taskId = dedupKey === undefined ? newTaskId(nowMs) : dedupTaskId(taskName, dedupKey);

    const region = options.region ?? options.context?.['region'] ?? this.region;
    const context =
      region === undefined
        ? options.context
        : options.context?.['region'] === region
          ? options.context
          : { ...options.context, region };
    const decision = evaluateRoute(document, {
      task: taskName,
      taskId,
      ...(region === undefined ? {} : { region }),
      ...(context === undefined ? {} : { context }),
      ...(dedupKey === undefined ? {} : { dedupKey }),
    });
    if (decision.killed) throw new TaskKilledError(taskName, decision.reason);
    const target = this.targetOf(taskName, decision);

    const { eta, delaySeconds, status } = this.schedule(taskName, options, nowMs);
    const route = { destination: decision.destination, ruleId: decision.ruleId };
    const head: Omit<TaskEnvelope, 'payload' | 'claimCheck'> = {
      v: ENVELOPE_VERSION,
      id: taskId,
      task: taskName,
      attempts: 0,
      route,
      publishedAt: new Date(nowMs).toISOString(),
      ...(eta === undefined ? {} : { eta }),
      ...(context === undefined ? {} : { context }),
      ...(options.traceId === undefined ? {} : { traceId: options.traceId }),
      ...(dedupKey === undefined ? {} : { dedupKey }),
    };
    const attributes: Record<string, MessageAttributeValue> = {
      [ATTRIBUTE_TASK_NAME]: { DataType: 'String', StringValue: taskName },
      [ATTRIBUTE_TASK_ID]: { DataType: 'String', StringValue: taskId },
      [ATTRIBUTE_ENVELOPE_VERSION]: this.versionAttribute,
      [ATTRIBUTE_ROUTE]: { DataType: 'String', StringValue: decision.destination },
    };
    const attributeBytes =
      ATTRIBUTE_FIXED_BYTES + utf8Length(taskName) + utf8Length(taskId) + utf8Length(decision.destination);

    let inlineBody: string | undefined;
    let inlineBytes = 0;
    if (target.kind === 'queue') {
      const headJson = JSON.stringify(head);
      // The payload is serialized once: spliced into the envelope's JSON instead of stringifying the envelope again.
      const candidate = `${headJson.slice(0, -1)},"payload":${payloadJson}}`;
      // Short bodies are measured by their upper bound when even that fits the threshold; exactly otherwise.
      const bound = candidate.length * 3;
      const inlineEnvelopeBytes =
        candidate.length <= ESTIMATE_BELOW_CHARS && bound <= this.thresholdBytes ? bound : Buffer.byteLength(candidate, 'utf8');
      if (choosePayloadPlacement({ inlineEnvelopeBytes, attributeBytes, thresholdBytes: this.thresholdBytes }) === 'inline') {
        inlineBody = candidate;
        inlineBytes = inlineEnvelopeBytes;
      } else {
        if (this.claimChecks === undefined) {
          throw new TaskClientConfigError(
            'bucket',
            `task "${taskName}" needs a claim check (envelope of ${inlineEnvelopeBytes} bytes, threshold ${this.thresholdBytes} bytes) but the client has no claim-check bucket`,
          );
        }
        const referenceBytes = Buffer.byteLength(headJson, 'utf8') + CLAIM_CHECK_REFERENCE_OVERHEAD_BYTES + MAX_CLAIM_CHECK_LOCATION_BYTES;
        if (referenceBytes + attributeBytes > Limits.SQS_MAX_MESSAGE_BYTES) {
          throw new PayloadTooLargeError(taskName, referenceBytes + attributeBytes, Limits.SQS_MAX_MESSAGE_BYTES, 'envelope without its payload (context, trace id, dedup key)');
        }
      }
    }

    return {
      taskName,
      taskId,
      dedupKey,
      decision,
      target,
      status: target.kind === 'custom' ? 'rerouted' : status,
      eta,
      delaySeconds,
      payload,
      payloadJson,
      head,
      attributes,
      attributeBytes,
      traceHeader: options.traceId !== undefined && options.traceId.startsWith('Root=') ? options.traceId : undefined,
      inlineBody,
      inlineBytes,
    };
  }

  private targetOf(taskName: string, decision: RouteDecision): Target {
    const url = this.queueUrls[decision.destination];
    if (url !== undefined) return { kind: 'queue', name: decision.destination, url };
    const destination = this.customDestinations.get(decision.destination);
    if (destination !== undefined) return { kind: 'custom', destination };
    throw new DestinationUnknownError(taskName, decision.destination, decision.ruleId, [
      ...Object.keys(this.queueUrls),
      ...this.customDestinations.keys(),
    ]);
  }

  private schedule(
    taskName: string,
    options: PublishOptions,
    nowMs: number,
  ): { eta: string | undefined; delaySeconds: number; status: TaskStatus } {
    if (options.delaySeconds !== undefined && options.eta !== undefined) {
      throw new PayloadInvalidError(taskName, [], `publish options of task "${taskName}" give both delaySeconds and eta; give one`);
    }
    let etaMs: number | undefined;
    if (options.delaySeconds !== undefined) {
      if (!Number.isFinite(options.delaySeconds) || options.delaySeconds < 0) {
        throw new PayloadInvalidError(taskName, [], `delaySeconds of task "${taskName}" must be a number of seconds ≥ 0 (given ${options.delaySeconds})`);
      }
      etaMs = nowMs + options.delaySeconds * 1000;
    } else if (options.eta !== undefined) {
      etaMs = options.eta instanceof Date ? options.eta.getTime() : Date.parse(options.eta);
      if (Number.isNaN(etaMs)) {
        throw new PayloadInvalidError(taskName, [], `eta of task "${taskName}" must be a Date or an ISO-8601 time such as 2026-01-31T12:00:00Z (given an invalid time)`);
      }
    }
    if (etaMs === undefined || etaMs <= nowMs) return { eta: undefined, delaySeconds: 0, status: 'queued' };
    const wantedSeconds = Math.ceil((etaMs - nowMs) / 1000);
    return wantedSeconds <= this.maxDelaySeconds
      ? { eta: new Date(etaMs).toISOString(), delaySeconds: wantedSeconds, status: 'queued' }
      : { eta: new Date(etaMs).toISOString(), delaySeconds: this.maxDelaySeconds, status: 'scheduled' };
  }

  /** Writes the first state of a task. Returns the existing item when its id was already published (dedup). */
  private async recordState(task: PreparedTask): Promise<TaskStateItem | undefined> {
    const { dynamodb, tableName } = this.requireTable('state tracking');
    const nowIso = task.head.publishedAt;
    const item: TaskStateItem = {
      taskId: task.taskId,
      taskName: task.taskName,
      status: task.status,
      queue: task.decision.destination,
      attempts: 0,
      route: task.head.route,
      createdAt: nowIso,
      updatedAt: nowIso,
      ...(task.eta === undefined ? {} : { eta: task.eta }),
      ...(task.dedupKey === undefined ? {} : { dedupKey: task.dedupKey }),
      expiresAt: Math.floor(this.now() / 1000) + this.stateTtlSeconds,
    };
    try {
      // Conditional: a dedup key maps to one id, so a second publish with the same key finds the item and sends
      // nothing; a consumer that already advanced the task is never reset to `queued`.
      await dynamodb.send(
        new PutCommand({
          TableName: tableName,
          Item: item,
          ConditionExpression: 'attribute_not_exists(#id)',
          ExpressionAttributeNames: { '#id': TaskTable.PARTITION_KEY },
        }),
      );
      return undefined;
    } catch (error) {
      if (isConditionalCheckFailed(error)) {
        const existing = await this.getTask(task.taskId);
        return existing ?? item;
      }
      throw new AwsCallFailedError('DynamoDB', 'PutItem', task.taskId, error);
    }
  }

  private async claimCheck(task: PreparedTask): Promise<ClaimCheckReference> {
    return (this.claimChecks as ClaimCheckStore).put(task.taskId, task.payloadJson);
  }

  private claimCheckedBody(task: PreparedTask, claimCheck: ClaimCheckReference): string {
    return serializeEnvelope({ ...task.head, claimCheck });
  }

  private async deliverCustom(task: PreparedTask, destination: CustomDestination): Promise<void> {
    await destination.deliver({ envelope: { ...task.head, payload: task.payload }, payload: task.payload, decision: task.decision });
  }

  private async send(task: PreparedTask, queueUrl: string, body: string): Promise<void> {
    try {
      await this.sqs.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: body,
          ...(task.delaySeconds > 0 ? { DelaySeconds: task.delaySeconds } : {}),
          MessageAttributes: task.attributes,
          ...(task.traceHeader === undefined
            ? {}
            : { MessageSystemAttributes: { AWSTraceHeader: { DataType: 'String', StringValue: task.traceHeader } } }),
        }),
      );
    } catch (error) {
      throw new AwsCallFailedError('SQS', 'SendMessage', task.taskId, error);
    }
  }

  /**
   * Sends one chunk, retrying the entries SQS failed on its side (and whole-call failures) up to `batchRetries`
   * times with exponential backoff. Calls `onSent` or `onFailed` exactly once per entry. Returns the calls made.
   */
  private async sendBatch<E extends { index: number; task: PreparedTask; body: string }>(
    queueUrl: string,
    entries: readonly E[],
    onFailed: (entry: E, error: Error) => Promise<void>,
    onSent: (entry: E) => void,
  ): Promise<number> {
    let pending = entries;
    let calls = 0;
    for (let attempt = 0; pending.length > 0; attempt += 1) {
      if (attempt > 0) await sleep(BATCH_RETRY_BASE_MS * 2 ** (attempt - 1));
      const byId = new Map(pending.map((entry) => [String(entry.index), entry]));
      const request: SendMessageBatchRequestEntry[] = pending.map((entry) => ({
        Id: String(entry.index),
        MessageBody: entry.body,
        ...(entry.task.delaySeconds > 0 ? { DelaySeconds: entry.task.delaySeconds } : {}),
        MessageAttributes: entry.task.attributes,
        ...(entry.task.traceHeader === undefined
          ? {}
          : { MessageSystemAttributes: { AWSTraceHeader: { DataType: 'String', StringValue: entry.task.traceHeader } } }),
      }));
      const lastAttempt = attempt >= this.batchRetries;
      calls += 1;
      let response;
      try {
        response = await this.sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: request }));
      } catch (error) {
        if (!lastAttempt) continue;
        for (const entry of pending) await onFailed(entry, new AwsCallFailedError('SQS', 'SendMessageBatch', entry.task.taskId, error));
        return calls;
      }
      for (const ok of response.Successful ?? []) {
        const entry = ok.Id === undefined ? undefined : byId.get(ok.Id);
        if (entry === undefined) continue;
        byId.delete(ok.Id as string);
        onSent(entry);
      }
      const retry: E[] = [];
      for (const failed of response.Failed ?? []) {
        const entry = failed.Id === undefined ? undefined : byId.get(failed.Id);
        if (entry === undefined) continue;
        byId.delete(failed.Id as string);
        if (failed.SenderFault !== true && !lastAttempt) {
          retry.push(entry);
        } else {
          const cause = Object.assign(new Error(failed.Message ?? 'entry failed'), { name: failed.Code ?? 'BatchEntryFailed', senderFault: failed.SenderFault === true });
          await onFailed(entry, new AwsCallFailedError('SQS', 'SendMessageBatch', entry.task.taskId, cause));
        }
      }
      // An entry SQS named in neither list is not assumed sent: it is retried like a failure.
      for (const entry of byId.values()) {
        if (lastAttempt) {
          await onFailed(entry, new AwsCallFailedError('SQS', 'SendMessageBatch', entry.task.taskId, new Error('SQS reported no outcome for the entry')));
        } else {
          retry.push(entry);
        }
      }
      pending = retry;
    }
    return calls;
  }

  /**
   * Best-effort cleanup after a failed send: removes the state item (so a retry with the same dedup key publishes
   * again) and the claim-check object. If either delete fails, the item's TTL and the bucket's lifecycle rule
   * remove it later; the failure is logged, never thrown over the original error.
   */
  private async undo(task: PreparedTask, claimCheck: ClaimCheckReference | undefined): Promise<void> {
    if (claimCheck !== undefined) {
      try {
        await (this.claimChecks as ClaimCheckStore).delete(claimCheck);
      } catch (error) {
        this.logger.warn('could not delete the claim-check object of a task that was not sent; the bucket lifecycle rule will expire it', {
          taskId: task.taskId,
          key: claimCheck.key,
          error: (error as Error).message,
        });
      }
    }
    if (this.trackState && this.dynamodb !== undefined && this.tableName !== undefined) {
      try {
        await this.dynamodb.send(
          new DeleteCommand({
            TableName: this.tableName,
            Key: { [TaskTable.PARTITION_KEY]: task.taskId },
            ConditionExpression: '#status = :status',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':status': task.status },
          }),
        );
      } catch (error) {
        if (!isConditionalCheckFailed(error)) {
          this.logger.warn('could not delete the state item of a task that was not sent; its TTL will expire it', {
            taskId: task.taskId,
            error: (error as Error).message,
          });
        }
      }
    }
  }

  private result(task: PreparedTask, claimChecked: boolean): PublishResult {
    return {
      taskId: task.taskId,
      destination: task.decision.destination,
      ruleId: task.decision.ruleId,
      status: task.status,
      claimChecked,
      duplicate: false,
      paused: task.decision.paused,
      ...(task.eta === undefined ? {} : { eta: task.eta }),
    };
  }

  private duplicateResult(task: PreparedTask, existing: TaskStateItem): PublishResult {
    return {
      taskId: task.taskId,
      destination: existing.route?.destination ?? existing.queue,
      ruleId: existing.route?.ruleId ?? null,
      status: existing.status,
      claimChecked: false,
      duplicate: true,
      paused: task.decision.paused,
      ...(existing.eta === undefined ? {} : { eta: existing.eta }),
    };
  }
}

/**
 * Creates the producer client: publish tasks, route them by the flags, claim-check large payloads, record and read
 * task state. Create one per process and reuse it: its AWS clients keep their connections alive and its AppConfig
 * source holds one session.
 *
 * @example
 * import { exampleTasks } from './lambdas/tasks';
 * const bosun = createTaskClient({ ...taskClientOptionsFromOutputs(outputs), tasks: exampleTasks });
 * const { taskId, destination } = await bosun.publish('email.send', { to: 'a@example.com', subject: 'Hi' });
 * @example
 * // typed by the declaration: the payload type is inferred from the zod schema
 * await bosun.publish(emailSend, { to: 'a@example.com', subject: 'Hi' }, { dedupKey: 'order-42', delaySeconds: 3600 });
 */
export function createTaskClient<const TTasks extends readonly TaskDeclaration<unknown>[] = readonly TaskDeclaration[]>(
  options: TaskClientOptions<TTasks>,
): TaskClient<TTasks> {
  return new BosunTaskClient(options as TaskClientOptions<readonly TaskDeclaration<unknown>[]>) as unknown as TaskClient<TTasks>;
}

/**
 * Task client options from the platform stack's outputs (CloudFormation `DescribeStacks`, or the local platform's
 * `platform.json` `outputs`): every queue URL, the bucket, the table, the AppConfig ids and the legacy queue. Merge
 * in anything else (tasks, clients, a routing file).
 *
 * @throws TaskClientConfigError when the outputs lack the queue names or a queue's URL.
 * @example
 * const client = createTaskClient(taskClientOptionsFromOutputs(outputs, { tasks: exampleTasks }));
 */
export function taskClientOptionsFromOutputs<const TTasks extends readonly TaskDeclaration<unknown>[] = readonly TaskDeclaration[]>(
  outputs: Readonly<Record<string, string>>,
  extra: Partial<TaskClientOptions<TTasks>> = {},
): TaskClientOptions<TTasks> {
  const namesJson = outputs[StackOutput.QUEUE_NAMES];
  if (namesJson === undefined) {
    throw new TaskClientConfigError('outputs', `stack outputs have no ${StackOutput.QUEUE_NAMES} (given keys: ${Object.keys(outputs).join(', ') || 'none'})`);
  }
  let names: unknown;
  try {
    names = JSON.parse(namesJson);
  } catch {
    names = undefined;
  }
  if (!Array.isArray(names) || names.some((name) => typeof name !== 'string')) {
    throw new TaskClientConfigError('outputs', `stack output ${StackOutput.QUEUE_NAMES} must be a JSON array of queue names`);
  }
  const queueUrls: Record<string, string> = {};
  for (const name of names as string[]) {
    const key = queueOutputKey(name, StackOutput.QUEUE_URL_SUFFIX);
    const url = outputs[key];
    if (url === undefined) throw new TaskClientConfigError('outputs', `stack outputs have no ${key} for queue "${name}"`);
    queueUrls[name] = url;
  }
  const applicationId = outputs[StackOutput.APPCONFIG_APPLICATION_ID];
  const environmentId = outputs[StackOutput.APPCONFIG_ENVIRONMENT_ID];
  const profileId = outputs[StackOutput.APPCONFIG_PROFILE_ID];
  const bucket = outputs[StackOutput.BUCKET_NAME];
  const tableName = outputs[StackOutput.TABLE_NAME];
  const legacyQueueUrl = outputs[StackOutput.LEGACY_QUEUE_URL];
  return {
    queueUrls,
    ...(bucket === undefined ? {} : { bucket }),
    ...(tableName === undefined ? {} : { tableName }),
    ...(legacyQueueUrl === undefined ? {} : { legacyQueueUrl }),
    ...(applicationId && environmentId && profileId ? { appConfig: { applicationId, environmentId, profileId } } : {}),
    ...extra,
  };
}
