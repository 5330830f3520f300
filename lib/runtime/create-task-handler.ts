import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  SendMessageCommand,
  type MessageAttributeValue,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { middy } from './middy-core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import {
  EnvelopeInvalidError,
  Limits,
  MessageAttribute,
  evaluateRoute,
  parseEnvelope,
  serializeEnvelope,
  type ClaimCheckReference,
  type CustomDestination,
  type DeadReason,
  type RouteStamp,
  type RoutingDocumentSource,
  type TaskEnvelope,
  type TaskErrorRecord,
} from '../contract';
import { ClaimCheckStore } from '../aws/claim-check';
import { ClaimCheckCorruptError, ClaimCheckMissingError } from '../aws/errors';
import { backoffDelaySeconds, type TaskContext, type TaskDefinition } from './define-task';
import { TaskHandlerConfigInvalidError, TaskNonRetryableError, TaskTimeLimitError } from './errors';
import {
  BatchMetrics,
  TaskMetric,
  UNKNOWN_TASK_DIMENSION,
  boundTaskLogger,
  defaultRuntimeLogger,
  defaultRuntimeMetrics,
} from './runtime-telemetry';
import { TaskStateStore, errorRecord } from './task-state-store';

/** The AWS clients the runtime calls; the SDK's `createAwsClients()` result fits. */
export interface RuntimeClients {
  readonly sqs: SQSClient;
  readonly s3: S3Client;
  readonly dynamodb: DynamoDBDocumentClient;
}

/** Reads and deletes claim-checked payloads; the SDK's `ClaimCheckStore` fits. */
export interface ClaimCheckAccess {
  /** The verified payload JSON text; throws `ClaimCheckMissingError` or `ClaimCheckCorruptError`. */
  fetch(ref: ClaimCheckReference, ctx: { taskId: string; taskName: string }): Promise<string>;
  delete(ref: ClaimCheckReference): Promise<void>;
}

/** A Lambda SQS handler with partial batch responses. */
export type TaskSqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/** Options of {@link createTaskHandler}. Every queue/table setting has an env var; see `taskHandlerOptionsFromEnv`. */
export interface CreateTaskHandlerOptions {
  /** The tasks this consumer runs. Names must be unique. */
  readonly tasks: readonly TaskDefinition[];
  /**
   * Custom destinations the routing document may send tasks to (for example the legacy system).
   * @default - none
   */
  readonly destinations?: readonly CustomDestination[];
  /**
   * Routing document source; the route is re-checked before every task runs.
   * @default - no re-check: every task runs where it was delivered
   */
  readonly routing?: RoutingDocumentSource;
  /** AWS SDK clients, created once per process by the caller (for example `createAwsClients()`). */
  readonly clients: RuntimeClients;
  /**
   * Logical name of the served queue (`BOSUN_QUEUE_NAME`); the route re-check compares destinations with it.
   * @default - no route re-check
   */
  readonly queueName?: string;
  /**
   * URL of the served queue (`BOSUN_QUEUE_URL`), used to delete handed-over messages at once and as the DLQ copy's
   * source queue.
   * @default - handed-over messages are deleted by the event source mapping when the batch returns
   */
  readonly queueUrl?: string;
  /**
   * URL of the served queue's DLQ (`BOSUN_DLQ_URL`).
   * @default - no DLQ sends: dead tasks stay in the queue until SQS's own redrive moves them
   */
  readonly dlqUrl?: string;
  /**
   * Every Bosun queue's URL by name (`BOSUN_QUEUE_URLS`), for rerouting between Bosun queues.
   * @default - {}
   */
  readonly queueUrls?: Readonly<Record<string, string>>;
  /**
   * The served queue's max receive count (`BOSUN_MAX_RECEIVE_COUNT`), 1–1000. No task may allow more attempts,
   * and the runtime dead-letters a failing task itself on the last receive, with the reason.
   * @default - unchecked
   */
  readonly maxReceiveCount?: number;
  /**
   * Task-state table (`BOSUN_TABLE_NAME`).
   * @default - no state tracking for any task
   */
  readonly tableName?: string;
  /**
   * Claim-check bucket (`BOSUN_BUCKET_NAME`), also used for large results.
   * @default - claim-checked tasks are dead-lettered as `claim-check-missing`; large results are not stored
   */
  readonly bucketName?: string;
  /**
   * Claim-check reader.
   * @default - the SDK's ClaimCheckStore on `bucketName`
   */
  readonly claimChecks?: ClaimCheckAccess;
  /**
   * Longest single SQS delay used when chaining an ETA, 1–900 seconds (`BOSUN_MAX_DELAY_SECONDS`).
   * @default 900
   */
  readonly maxDelaySeconds?: number;
  /**
   * Messages of one batch run at the same time, 1–1000.
   * @default 10
   */
  readonly concurrency?: number;
  /**
   * Delay before a paused task is looked at again, in seconds, 1–900.
   * @default 60
   */
  readonly pauseDelaySeconds?: number;
  /**
   * Visibility given back to a message released because the invocation had no time left for it, in seconds.
   * @default 5
   */
  readonly releaseDelaySeconds?: number;
  /**
   * Time kept free at the end of the invocation for state writes and the batch response, in milliseconds.
   * @default 2000
   */
  readonly safetyMarginMs?: number;
  /**
   * Largest result (JSON bytes) stored inline in the task-state item; larger results go to S3 by reference.
   * @default 32768
   */
  readonly resultInlineLimitBytes?: number;
  /** Powertools logger. @default - a Logger for `POWERTOOLS_SERVICE_NAME` */
  readonly logger?: Logger;
  /** Powertools metrics (EMF). @default - Metrics in namespace `POWERTOOLS_METRICS_NAMESPACE` or `Bosun` */
  readonly metrics?: Metrics;
  /** Clock, for tests. @default Date.now */
  readonly now?: () => number;
  /** Random source of the backoff jitter, for tests. @default Math.random */
  readonly random?: () => number;
}

/** Default number of messages of one batch run concurrently. */
export const DEFAULT_CONCURRENCY = 10;
/** Default delay before a paused task is looked at again, in seconds. */
export const DEFAULT_PAUSE_DELAY_SECONDS = 60;
/** Default visibility of a message released for lack of time, in seconds. */
export const DEFAULT_RELEASE_DELAY_SECONDS = 5;
/** Default time kept free at the end of an invocation, in milliseconds. */
export const DEFAULT_SAFETY_MARGIN_MS = 2000;
/** Default largest inline result, in bytes. */
export const DEFAULT_RESULT_INLINE_LIMIT_BYTES = 32 * Limits.KIB;
/** Remaining time assumed when the context has no `getRemainingTimeInMillis` (plain Node), in milliseconds. */
const NO_DEADLINE_REMAINING_MS = Limits.LAMBDA_MAX_TIMEOUT_SECONDS * 1000;
/** An ETA closer than this is due now: SQS delays are whole seconds. */
const ETA_DUE_TOLERANCE_MS = 1000;
/** Longest dead-reason detail kept in the DLQ message attribute. */
const MAX_DEAD_DETAIL_CHARS = 1024;
/** Prefix of the S3 keys of large results. */
export const RESULT_KEY_PREFIX = 'task-results/';

/** What happened to one message; `ack` false means it is reported in `batchItemFailures`. */
type Outcome = { readonly ack: boolean };
const ACK: Outcome = { ack: true };
const NACK: Outcome = { ack: false };

interface Resolved {
  readonly tasks: ReadonlyMap<string, TaskDefinition>;
  readonly destinations: ReadonlyMap<string, CustomDestination>;
  readonly state: TaskStateStore | undefined;
  readonly claimChecks: ClaimCheckAccess | undefined;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly now: () => number;
  readonly random: () => number;
  readonly maxDelaySeconds: number;
  readonly concurrency: number;
  readonly pauseDelaySeconds: number;
  readonly releaseDelaySeconds: number;
  readonly safetyMarginMs: number;
  readonly resultInlineLimitBytes: number;
  readonly queueUrls: Readonly<Record<string, string>>;
}

function requireRange(field: string, value: number | undefined, min: number, max: number): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new TaskHandlerConfigInvalidError(`${field} must be an integer between ${min} and ${max} (given ${value})`);
  }
}

function resolve(options: CreateTaskHandlerOptions): Resolved {
  requireRange('maxDelaySeconds', options.maxDelaySeconds, 1, Limits.SQS_MAX_DELAY_SECONDS);
  requireRange('concurrency', options.concurrency, 1, Limits.ESM_MAX_MAX_CONCURRENCY);
  requireRange('pauseDelaySeconds', options.pauseDelaySeconds, 1, Limits.SQS_MAX_DELAY_SECONDS);
  requireRange('releaseDelaySeconds', options.releaseDelaySeconds, 0, Limits.SQS_MAX_VISIBILITY_TIMEOUT_SECONDS);
  requireRange('maxReceiveCount', options.maxReceiveCount, Limits.SQS_MIN_MAX_RECEIVE_COUNT, Limits.SQS_MAX_MAX_RECEIVE_COUNT);
  if (options.tasks.length === 0) {
    throw new TaskHandlerConfigInvalidError('tasks must list at least one task (given none)');
  }
  const tasks = new Map<string, TaskDefinition>();
  for (const task of options.tasks) {
    if (tasks.has(task.name)) {
      throw new TaskHandlerConfigInvalidError(`task names must be unique (given "${task.name}" twice)`);
    }
    if (options.maxReceiveCount !== undefined && task.maxAttempts > options.maxReceiveCount) {
      throw new TaskHandlerConfigInvalidError(
        `task "${task.name}": maxAttempts must be at most the queue's max receive count ${options.maxReceiveCount} (given ${task.maxAttempts})`,
      );
    }
    tasks.set(task.name, task);
  }
  const destinations = new Map<string, CustomDestination>();
  for (const destination of options.destinations ?? []) {
    if (destinations.has(destination.name) || options.queueUrls?.[destination.name] !== undefined) {
      throw new TaskHandlerConfigInvalidError(
        `destination names must be unique and differ from every Bosun queue name (given "${destination.name}" twice)`,
      );
    }
    destinations.set(destination.name, destination);
  }
  const now = options.now ?? Date.now;
  const claimChecks =
    options.claimChecks ??
    (options.bucketName === undefined
      ? undefined
      : new ClaimCheckStore({ s3: options.clients.s3, bucket: options.bucketName }));
  return {
    tasks,
    destinations,
    state:
      options.tableName === undefined
        ? undefined
        : new TaskStateStore({ dynamodb: options.clients.dynamodb, tableName: options.tableName, now }),
    claimChecks,
    logger: options.logger ?? defaultRuntimeLogger(),
    metrics: options.metrics ?? defaultRuntimeMetrics(),
    now,
    random: options.random ?? Math.random,
    maxDelaySeconds: options.maxDelaySeconds ?? Limits.SQS_MAX_DELAY_SECONDS,
    concurrency: options.concurrency ?? DEFAULT_CONCURRENCY,
    pauseDelaySeconds: options.pauseDelaySeconds ?? DEFAULT_PAUSE_DELAY_SECONDS,
    releaseDelaySeconds: options.releaseDelaySeconds ?? DEFAULT_RELEASE_DELAY_SECONDS,
    safetyMarginMs: options.safetyMarginMs ?? DEFAULT_SAFETY_MARGIN_MS,
    resultInlineLimitBytes: options.resultInlineLimitBytes ?? DEFAULT_RESULT_INLINE_LIMIT_BYTES,
    queueUrls: options.queueUrls ?? {},
  };
}

/**
 * Builds the Lambda SQS handler (on `@middy/core`) that runs a batch of Bosun tasks: poison messages straight to the
 * DLQ, claim checks resolved and verified, far ETAs chained through re-sends, the route re-checked, each task claimed
 * with a conditional write, run under its time limit, and retried with backoff or dead-lettered with the reason.
 * Messages run with bounded concurrency and independent outcomes; failures are reported in `batchItemFailures`, and
 * the handler never throws for the whole batch because one message failed.
 *
 * @throws TaskHandlerConfigInvalidError when the options contradict each other.
 * @example
 * import { createAwsClients } from '../lib/sdk/clients';
 * export const handler = createTaskHandler({
 *   tasks: [sendEmail, renderReport],
 *   clients: createAwsClients(),
 *   ...taskHandlerOptionsFromEnv(process.env),
 * });
 */
export function createTaskHandler(options: CreateTaskHandlerOptions): TaskSqsHandler {
  const resolved = resolve(options);
  const runner = new BatchRunner(options, resolved);
  // middy's early-timeout plugin would fail the whole batch a few ms before the deadline; the runner keeps its own
  // deadline per message instead, so finished messages are never reported as failed.
  return middy<SQSEvent, SQSBatchResponse, Error, Context>(
    (event: SQSEvent, context: Context) => runner.run(event, context),
    { timeoutEarlyInMillis: 0 },
  );
}

/** Runs one batch. One instance per handler, shared by every invocation of the process. */
class BatchRunner {
  public constructor(
    private readonly options: CreateTaskHandlerOptions,
    private readonly r: Resolved,
  ) {}

  public async run(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
    const records = event.Records;
    const failures: Array<{ itemIdentifier: string }> = [];
    const batch = new BatchMetrics();
    const remaining =
      typeof context?.getRemainingTimeInMillis === 'function'
        ? () => context.getRemainingTimeInMillis()
        : (() => {
            const deadline = this.r.now() + NO_DEADLINE_REMAINING_MS;
            return () => deadline - this.r.now();
          })();
    // The whole invocation's budget: a task whose time limit does not fit even here can never start on this function.
    const budgetMs = remaining();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < records.length) {
        const record = records[next] as SQSRecord;
        next += 1;
        let outcome: Outcome;
        try {
          outcome = await this.processRecord(record, remaining, budgetMs, batch);
        } catch (error) {
          // Anything unexpected (an AWS call failing) leaves this message for a later receive; the batch goes on.
          this.r.logger.error('message processing failed; the message will be received again', {
            messageId: record.messageId,
            error: errorRecord(error),
          });
          outcome = NACK;
        }
        if (!outcome.ack) failures.push({ itemIdentifier: record.messageId });
      }
    };
    const workers: Array<Promise<void>> = [];
    for (let i = 0; i < Math.min(this.r.concurrency, records.length); i += 1) workers.push(worker());
    await Promise.all(workers);
    try {
      batch.flush(this.r.metrics);
    } catch (error) {
      this.r.logger.warn('metrics could not be published', { error: errorRecord(error) });
    }
    return { batchItemFailures: failures };
  }

  private async processRecord(
    record: SQSRecord,
    remaining: () => number,
    budgetMs: number,
    batch: BatchMetrics,
  ): Promise<Outcome> {
    const receiveCount = Math.max(1, Number(record.attributes.ApproximateReceiveCount) || 1);
    let envelope: TaskEnvelope;
    try {
      envelope = parseEnvelope(record.body);
    } catch (error) {
      if (!(error instanceof EnvelopeInvalidError)) throw error;
      const reason: DeadReason = error.problem === 'unsupported-version' ? 'unsupported-version' : 'malformed-message';
      batch.count(UNKNOWN_TASK_DIMENSION, TaskMetric.DEAD);
      return this.deadLetter(record, undefined, reason, error.message, receiveCount);
    }
    const attempt = envelope.attempts + receiveCount;
    const task = this.r.tasks.get(envelope.task);
    if (task === undefined) {
      batch.count(UNKNOWN_TASK_DIMENSION, TaskMetric.DEAD);
      return this.deadLetter(
        record,
        envelope,
        'unknown-task',
        `task "${envelope.task}" is not registered with this consumer (registered: ${[...this.r.tasks.keys()].join(', ')})`,
        attempt,
      );
    }
    const log = boundTaskLogger(this.r.logger, { taskId: envelope.id, taskName: task.name, attempt });
    const state = task.stateTracking === 'full' ? this.r.state : undefined;

    if (envelope.eta !== undefined) {
      const dueInMs = Date.parse(envelope.eta) - this.r.now();
      if (dueInMs > ETA_DUE_TOLERANCE_MS) {
        const delaySeconds = Math.min(this.r.maxDelaySeconds, Math.ceil(dueInMs / 1000));
        await this.resend(record, envelope, receiveCount, this.options.queueUrl, delaySeconds, envelope.route);
        await state?.markMoved({ task: envelope, status: 'scheduled', queue: this.queueName(), route: envelope.route });
        batch.count(task.name, TaskMetric.SCHEDULED);
        log.debug('task scheduled towards its ETA', { outcome: 'scheduled', delaySeconds });
        return ACK;
      }
    }

    const timeLimitMs = task.timeLimitSeconds * 1000;
    if (remaining() - this.r.safetyMarginMs < timeLimitMs) {
      await this.changeVisibility(record, this.r.releaseDelaySeconds);
      batch.count(task.name, TaskMetric.RELEASED);
      const details = { outcome: 'released', remainingMs: remaining(), invocationBudgetMs: budgetMs, timeLimitMs };
      if (budgetMs - this.r.safetyMarginMs < timeLimitMs) {
        // Released again on every receive until the queue's redrive policy dead-letters it: say why, loudly.
        log.error(
          `the task's time limit (${timeLimitMs} ms) plus the ${this.r.safetyMarginMs} ms safety margin exceeds this ` +
            `invocation's whole budget (${budgetMs} ms), so it can never start on this consumer; raise the function ` +
            'timeout or lower the time limit. Released.',
          details,
        );
      } else {
        log.info('not enough invocation time left for the task; released', details);
      }
      return NACK;
    }

    let payloadJsonBytes: number | undefined;
    let rawPayload: unknown = envelope.payload;
    if (envelope.claimCheck !== undefined) {
      const fetched = await this.fetchClaimCheck(record, envelope, attempt, batch);
      if ('outcome' in fetched) return fetched.outcome;
      rawPayload = fetched.payload;
      payloadJsonBytes = envelope.claimCheck.bytes;
    }
    const parsed = task.schema.safeParse(rawPayload);
    if (!parsed.success) {
      const issues = parsed.error.issues
        .map((issue) => `${issue.path.length === 0 ? '(root)' : issue.path.map(String).join('.')}: ${issue.message}`)
        .join('; ');
      batch.count(task.name, TaskMetric.DEAD);
      return this.deadLetter(record, envelope, 'invalid-payload', `payload of task "${task.name}" failed its schema: ${issues}`, attempt);
    }

    if (this.options.routing !== undefined && this.options.queueName !== undefined) {
      const moved = await this.recheckRoute(record, envelope, parsed.data, receiveCount, attempt, batch);
      if (moved !== undefined) return moved;
    }

    const redriven = record.messageAttributes?.[MessageAttribute.DEAD_REASON] !== undefined;
    if (attempt > task.maxAttempts && !redriven) {
      // Earlier receives ended without an outcome (the invocation crashed or timed out): the budget is spent.
      batch.count(task.name, TaskMetric.DEAD);
      return this.deadLetter(record, envelope, 'attempts-exhausted', `task "${task.name}" used ${attempt - 1} of ${task.maxAttempts} attempts without an outcome`, attempt - 1);
    }

    if (state !== undefined) {
      const claim = await state.claim({
        task: envelope,
        queue: this.queueName(),
        attempt,
        leaseMs: timeLimitMs + this.r.safetyMarginMs,
        reopenDead: redriven,
        resumeInterrupted: task.idempotent,
      });
      if (claim.kind === 'terminal') {
        batch.count(task.name, TaskMetric.DUPLICATE);
        log.info('task already finished; duplicate delivery acknowledged', { outcome: 'duplicate', status: claim.item.status });
        return ACK;
      }
      if (claim.kind === 'leased') {
        const waitSeconds = Math.min(
          Limits.SQS_MAX_VISIBILITY_TIMEOUT_SECONDS,
          Math.max(1, Math.ceil((claim.leaseUntilMs - this.r.now()) / 1000)),
        );
        await this.changeVisibility(record, waitSeconds);
        batch.count(task.name, TaskMetric.RELEASED);
        log.info('task is running elsewhere under a live lease; released', { outcome: 'released', waitSeconds });
        return NACK;
      }
      if (claim.kind === 'interrupted') {
        batch.count(task.name, TaskMetric.DEAD);
        return this.deadLetter(
          record,
          envelope,
          'non-retryable',
          `task "${task.name}" is not idempotent and an earlier attempt was interrupted mid-run; not running it again`,
          attempt,
        );
      }
    }
    return this.runAttempt(record, envelope, task, parsed.data, attempt, receiveCount, timeLimitMs, remaining, payloadJsonBytes, state, batch, log);
  }

  private async runAttempt(
    record: SQSRecord,
    envelope: TaskEnvelope,
    task: TaskDefinition,
    payload: unknown,
    attempt: number,
    receiveCount: number,
    timeLimitMs: number,
    remaining: () => number,
    payloadJsonBytes: number | undefined,
    state: TaskStateStore | undefined,
    batch: BatchMetrics,
    log: ReturnType<typeof boundTaskLogger>,
  ): Promise<Outcome> {
    const startedMs = this.r.now();
    batch.count(task.name, TaskMetric.STARTED);
    batch.milliseconds(task.name, TaskMetric.QUEUE_WAIT, Math.max(0, startedMs - Date.parse(envelope.eta ?? envelope.publishedAt)));
    batch.bytes(task.name, payloadJsonBytes ?? Buffer.byteLength(record.body, 'utf8'));
    const controller = new AbortController();
    const ctx: TaskContext = {
      taskId: envelope.id,
      taskName: task.name,
      attempt,
      maxAttempts: task.maxAttempts,
      signal: controller.signal,
      timeLimitMs,
      remainingTimeMs: remaining,
      logger: log,
      publishedAt: envelope.publishedAt,
      nonRetryable: (message, options) => new TaskNonRetryableError(message, options),
    };
    let timer: NodeJS.Timeout | undefined;
    let result: unknown;
    let failure: unknown;
    let failed = false;
    try {
      result = await Promise.race([
        Promise.resolve().then(() => task.handler(payload, ctx)),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            const error = new TaskTimeLimitError(envelope.id, task.name, timeLimitMs);
            controller.abort(error);
            reject(error);
          }, timeLimitMs);
        }),
      ]);
    } catch (error) {
      failed = true;
      failure = error;
    } finally {
      clearTimeout(timer);
    }
    const durationMs = this.r.now() - startedMs;
    batch.milliseconds(task.name, TaskMetric.DURATION, durationMs);
    batch.percent(task.name, TaskMetric.TIME_LIMIT_USED, Math.min(100, (durationMs / timeLimitMs) * 100));

    if (!failed) {
      if (state !== undefined) {
        const stored = await this.storeResult(envelope, result);
        const current = await state.markSucceeded({ taskId: envelope.id, attempt, ...stored });
        if (!current) log.warn('the claim expired before the task finished; another runner may have run it too', { outcome: 'succeeded' });
      }
      if (envelope.claimCheck !== undefined && this.r.claimChecks !== undefined) {
        await this.r.claimChecks.delete(envelope.claimCheck).catch((error: unknown) =>
          log.warn('claim-check object could not be deleted', { error: errorRecord(error) }),
        );
      }
      batch.count(task.name, TaskMetric.SUCCEEDED);
      log.info('task succeeded', { outcome: 'succeeded', durationMs });
      return ACK;
    }

    batch.count(task.name, TaskMetric.FAILED);
    const error = errorRecord(failure);
    const maxReceiveCount = this.options.maxReceiveCount;
    const nonRetryable =
      (failure instanceof Error && failure.name === 'TaskNonRetryableError') ||
      (failure instanceof TaskTimeLimitError && !task.idempotent);
    const exhausted = attempt >= task.maxAttempts || (maxReceiveCount !== undefined && receiveCount >= maxReceiveCount);
    if (nonRetryable || exhausted) {
      const reason: DeadReason = nonRetryable ? 'non-retryable' : 'attempts-exhausted';
      batch.count(task.name, TaskMetric.DEAD);
      return this.deadLetter(record, envelope, reason, `${error.type}: ${error.message}`, attempt, error);
    }
    const delaySeconds = backoffDelaySeconds(task.backoff, attempt, this.r.random);
    await state?.markRetrying({ taskId: envelope.id, attempt, error });
    await this.changeVisibility(record, delaySeconds);
    batch.count(task.name, TaskMetric.RETRIED);
    log.warn('task failed; retrying after backoff', { outcome: 'retrying', durationMs, delaySeconds, error });
    return NACK;
  }

  private async fetchClaimCheck(
    record: SQSRecord,
    envelope: TaskEnvelope,
    attempt: number,
    batch: BatchMetrics,
  ): Promise<{ payload: unknown } | { outcome: Outcome }> {
    const ref = envelope.claimCheck as ClaimCheckReference;
    if (this.r.claimChecks === undefined) {
      batch.count(envelope.task, TaskMetric.DEAD);
      return {
        outcome: await this.deadLetter(record, envelope, 'claim-check-missing', 'this consumer has no claim-check bucket configured', attempt),
      };
    }
    let text: string;
    try {
      text = await this.r.claimChecks.fetch(ref, { taskId: envelope.id, taskName: envelope.task });
    } catch (error) {
      if (error instanceof ClaimCheckMissingError || error instanceof ClaimCheckCorruptError) {
        const reason: DeadReason = error instanceof ClaimCheckMissingError ? 'claim-check-missing' : 'claim-check-corrupt';
        batch.count(envelope.task, TaskMetric.DEAD);
        return { outcome: await this.deadLetter(record, envelope, reason, error.message, attempt) };
      }
      throw error;
    }
    try {
      return { payload: JSON.parse(text) as unknown };
    } catch {
      batch.count(envelope.task, TaskMetric.DEAD);
      return {
        outcome: await this.deadLetter(record, envelope, 'claim-check-corrupt', `claim-check object ${ref.key} is not valid JSON (${ref.bytes} bytes)`, attempt),
      };
    }
  }

  private async recheckRoute(
    record: SQSRecord,
    envelope: TaskEnvelope,
    payload: unknown,
    receiveCount: number,
    attempt: number,
    batch: BatchMetrics,
  ): Promise<Outcome | undefined> {
    const document = await (this.options.routing as RoutingDocumentSource).current();
    const region = envelope.context?.['region'];
    const decision = evaluateRoute(document, {
      task: envelope.task,
      taskId: envelope.id,
      ...(region === undefined ? {} : { region }),
      ...(envelope.context === undefined ? {} : { context: envelope.context }),
      ...(envelope.dedupKey === undefined ? {} : { dedupKey: envelope.dedupKey }),
    });
    const log = boundTaskLogger(this.r.logger, { taskId: envelope.id, taskName: envelope.task, attempt });
    if (decision.paused) {
      await this.resend(record, envelope, receiveCount, this.options.queueUrl, this.r.pauseDelaySeconds, envelope.route);
      batch.count(envelope.task, TaskMetric.RELEASED);
      log.info('task is paused; held back', { outcome: 'paused', delaySeconds: this.r.pauseDelaySeconds });
      return ACK;
    }
    if (decision.destination === this.options.queueName) return undefined;
    const route: RouteStamp = { destination: decision.destination, ruleId: decision.ruleId };
    const state = this.r.tasks.get(envelope.task)?.stateTracking === 'full' ? this.r.state : undefined;
    const queueUrl = this.r.queueUrls[decision.destination];
    if (queueUrl !== undefined) {
      await this.resend(record, envelope, receiveCount, queueUrl, 0, route);
      await state?.markMoved({ task: envelope, status: 'queued', queue: decision.destination, route });
    } else {
      const destination = this.r.destinations.get(decision.destination);
      if (destination === undefined) {
        batch.count(envelope.task, TaskMetric.DEAD);
        return this.deadLetter(
          record,
          envelope,
          'unknown-destination',
          `routing sends task "${envelope.task}" to "${decision.destination}", which is neither a Bosun queue nor a registered destination`,
          attempt,
        );
      }
      await destination.deliver({ envelope: { ...envelope, route }, payload, decision });
      await this.deleteNow(record);
      await state?.markMoved({ task: envelope, status: 'rerouted', queue: decision.destination, route });
      if (envelope.claimCheck !== undefined) {
        await this.r.claimChecks?.delete(envelope.claimCheck).catch((error: unknown) =>
          log.warn('claim-check object could not be deleted', { error: errorRecord(error) }),
        );
      }
    }
    batch.count(envelope.task, TaskMetric.REROUTED);
    log.info('task rerouted by the routing flags', { outcome: 'rerouted', destination: decision.destination, reason: decision.reason });
    return ACK;
  }

  /** Sends the envelope again (ETA hop, pause, reroute) with its attempt bookkeeping, then deletes the original. */
  private async resend(
    record: SQSRecord,
    envelope: TaskEnvelope,
    receiveCount: number,
    queueUrl: string | undefined,
    delaySeconds: number,
    route: RouteStamp,
  ): Promise<void> {
    if (queueUrl === undefined) {
      throw new TaskHandlerConfigInvalidError('queueUrl is required to re-send a task (ETA, pause) but is not set');
    }
    // This receive ran nothing, so it does not count as an attempt; earlier receives of this message did.
    const next: TaskEnvelope = { ...envelope, attempts: envelope.attempts + receiveCount - 1, route };
    await this.options.clients.sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: serializeEnvelope(next),
        DelaySeconds: delaySeconds,
        MessageAttributes: forwardedAttributes(record, {}),
      }),
    );
    await this.deleteNow(record);
  }

  /**
   * Sends the original body to the DLQ with the reason, records the task as dead, and acknowledges it. The source
   * message is deleted only after the DLQ send succeeded; a failed send leaves it in the queue.
   */
  private async deadLetter(
    record: SQSRecord,
    envelope: TaskEnvelope | undefined,
    reason: DeadReason,
    detail: string,
    attempts: number,
    error?: TaskErrorRecord,
  ): Promise<Outcome> {
    const dlqUrl = this.options.dlqUrl;
    const logKeys = { messageId: record.messageId, taskId: envelope?.id, taskName: envelope?.task, attempt: attempts };
    if (dlqUrl === undefined) {
      this.r.logger.error('task is dead but no DLQ is configured; leaving it to the queue redrive policy', {
        ...logKeys,
        outcome: 'dead',
        deadReason: reason,
      });
      return NACK;
    }
    const sourceQueue = this.options.queueUrl ?? record.eventSourceARN;
    await this.options.clients.sqs.send(
      new SendMessageCommand({
        QueueUrl: dlqUrl,
        MessageBody: record.body,
        MessageAttributes: forwardedAttributes(record, {
          [MessageAttribute.DEAD_REASON]: { DataType: 'String', StringValue: reason },
          [MessageAttribute.DEAD_DETAIL]: { DataType: 'String', StringValue: detail.slice(0, MAX_DEAD_DETAIL_CHARS) },
          [MessageAttribute.ATTEMPTS]: { DataType: 'Number', StringValue: String(attempts) },
          [MessageAttribute.SOURCE_QUEUE]: { DataType: 'String', StringValue: sourceQueue },
        }),
      }),
    );
    await this.deleteNow(record);
    if (envelope !== undefined && this.r.state !== undefined) {
      const tracking = this.r.tasks.get(envelope.task)?.stateTracking ?? 'full';
      if (tracking === 'full') {
        await this.r.state.markDead({
          task: envelope,
          queue: this.queueName(),
          attempts,
          reason,
          error: error ?? { type: reason, message: detail.slice(0, MAX_DEAD_DETAIL_CHARS) },
        });
      }
    }
    this.r.logger.error('task sent to the DLQ', { ...logKeys, outcome: 'dead', deadReason: reason, detail });
    return ACK;
  }

  private async storeResult(
    envelope: TaskEnvelope,
    result: unknown,
  ): Promise<{ result?: unknown; resultRef?: { bucket: string; key: string; bytes: number } }> {
    if (result === undefined) return {};
    const json = JSON.stringify(result);
    if (json === undefined) return {};
    const bytes = Buffer.byteLength(json, 'utf8');
    if (bytes <= this.r.resultInlineLimitBytes) return { result: JSON.parse(json) as unknown };
    const bucket = this.options.bucketName;
    if (bucket === undefined) {
      this.r.logger.warn('result too large to store inline and no bucket is configured; not stored', {
        taskId: envelope.id,
        taskName: envelope.task,
        resultBytes: bytes,
      });
      return {};
    }
    const key = `${RESULT_KEY_PREFIX}${envelope.id}.json`;
    await this.options.clients.s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: json, ContentType: 'application/json' }),
    );
    return { resultRef: { bucket, key, bytes } };
  }

  private async changeVisibility(record: SQSRecord, seconds: number): Promise<void> {
    const queueUrl = this.options.queueUrl;
    if (queueUrl === undefined) return;
    try {
      await this.options.clients.sqs.send(
        new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: record.receiptHandle, VisibilityTimeout: seconds }),
      );
    } catch (error) {
      // The message still comes back after the queue's own visibility timeout; only the delay is lost.
      this.r.logger.warn('visibility could not be changed', { messageId: record.messageId, error: errorRecord(error) });
    }
  }

  private async deleteNow(record: SQSRecord): Promise<void> {
    const queueUrl = this.options.queueUrl;
    if (queueUrl === undefined) return;
    try {
      await this.options.clients.sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: record.receiptHandle }));
    } catch (error) {
      // The batch response acknowledges it too; a failed early delete at worst means one duplicate delivery.
      this.r.logger.warn('handed-over message could not be deleted early', { messageId: record.messageId, error: errorRecord(error) });
    }
  }

  private queueName(): string {
    return this.options.queueName ?? 'unknown';
  }
}

/** The record's own attributes (minus Bosun's dead-letter ones) plus `extra`, within SQS's 10-attribute cap. */
function forwardedAttributes(
  record: SQSRecord,
  extra: Record<string, MessageAttributeValue>,
): Record<string, MessageAttributeValue> {
  const out: Record<string, MessageAttributeValue> = { ...extra };
  const dropped = new Set<string>([
    MessageAttribute.DEAD_REASON,
    MessageAttribute.DEAD_DETAIL,
    MessageAttribute.ATTEMPTS,
    MessageAttribute.SOURCE_QUEUE,
  ]);
  for (const [name, value] of Object.entries(record.messageAttributes ?? {})) {
    if (Object.keys(out).length >= Limits.SQS_MAX_MESSAGE_ATTRIBUTES) break;
    if (dropped.has(name) || name in out) continue;
    if (value.dataType.startsWith('Binary')) {
      if (value.binaryValue === undefined) continue;
      out[name] = { DataType: value.dataType, BinaryValue: Buffer.from(value.binaryValue, 'base64') };
    } else if (value.stringValue !== undefined) {
      out[name] = { DataType: value.dataType, StringValue: value.stringValue };
    }
  }
  return out;
}
