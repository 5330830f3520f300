import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { TASK_RESULT_KEY_PREFIX, type ClaimCheckReference, type CustomDestination, type RoutingDocumentSource } from '../contract';
import type { CeleryTaskMap, CeleryTaskMapping } from '../celery';
import { BatchRunner } from './batch-runner';
import type { TaskDefinition } from './define-task';
import { resolveRuntime } from './runtime-config';

/** The AWS clients the runtime calls; the SDK's `createAwsClients()` result fits. */
export interface RuntimeClients {
  readonly sqs: SQSClient;
  readonly s3: S3Client;
  readonly dynamodb: DynamoDBDocumentClient;
}

/**
 * Reads claim-checked payloads; the SDK's `ClaimCheckStore` fits. Consumers never delete payloads: a copy of the
 * message may still arrive, and the bucket's lifecycle rule expires them.
 */
export interface ClaimCheckAccess {
  /** The verified payload JSON text; throws `ClaimCheckMissingError` or `ClaimCheckCorruptError`. */
  fetch(ref: ClaimCheckReference, ctx: { taskId: string; taskName: string }): Promise<string>;
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
   * On the last receive SQS allows, the runtime sends a fresh copy instead of running, so SQS never moves a task to
   * the DLQ without a reason.
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
   * Delay of the copy of a message that the invocation had no time left for, in seconds.
   * It is sent back as a fresh copy (not a visibility change), so the receive does not count toward SQS's redrive.
   * 0–900 seconds.
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
  /**
   * The Celery intake: this consumer also reads Celery task messages (protocol 2 or 1, JSON, as `task.delay()` sends
   * them on SQS) and runs the mapped Bosun task, keeping the Celery task id as the task id. Messages it cannot run are
   * dead-lettered with the reason: pickle and other serializers, compressions Node cannot undo, undecodable bodies,
   * unmapped Celery tasks, arguments that do not fit the mapping, workflows (callbacks, errbacks, chains, chords) and
   * expired tasks.
   * @default - none: a message that is not a Bosun envelope is dead-lettered as malformed
   */
  readonly celery?: CeleryIntakeOptions;
  /** Clock, for tests. @default Date.now */
  readonly now?: () => number;
  /** Random source of the backoff jitter, for tests. @default Math.random */
  readonly random?: () => number;
}

/** Options of the Celery intake ({@link CreateTaskHandlerOptions.celery}). */
export interface CeleryIntakeOptions {
  /** The Celery tasks this consumer accepts, each with the Bosun task it runs and how its arguments become the payload. */
  readonly tasks: readonly CeleryTaskMapping[] | CeleryTaskMap;
}

export {
  DEFAULT_CONCURRENCY,
  DEFAULT_PAUSE_DELAY_SECONDS,
  DEFAULT_RELEASE_DELAY_SECONDS,
  DEFAULT_RESULT_INLINE_LIMIT_BYTES,
  DEFAULT_SAFETY_MARGIN_MS,
} from './runtime-config';

/** Prefix of the S3 keys of large results (`task-results/<taskId>.json`). */
export const RESULT_KEY_PREFIX = TASK_RESULT_KEY_PREFIX;

/**
 * Builds the Lambda SQS handler that runs a batch of Bosun tasks: poison messages straight to the DLQ, claim checks
 * resolved and verified, far ETAs chained through re-sends, the route re-checked, each task claimed with a
 * conditional write, run under its time limit, and retried with backoff or dead-lettered with the reason. Messages run
 * with bounded concurrency and independent outcomes; failures are reported in `batchItemFailures`, and the handler
 * never throws for the whole batch because one message failed.
 *
 * The handler is a plain async function with no middleware engine of its own (ADR 8). To add middlewares, wrap it in
 * the engine of your choice, for example `middy(handler, { timeoutEarlyInMillis: 0 }).use(...)`: turn middy's early
 * timeout off, because it fails the whole batch just before the deadline, while the runtime already stops each message
 * in time on its own.
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
  const runner = new BatchRunner(resolveRuntime(options));
  return (event: SQSEvent, context: Context) => runner.run(event, context);
}
