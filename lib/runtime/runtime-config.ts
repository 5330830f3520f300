import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { CeleryConfigError, CeleryTaskMap } from '../celery';
import { Limits, type CustomDestination, type RoutingDocumentSource } from '../contract';
import { ClaimCheckStore } from '../aws/claim-check';
import { TaskStateStore } from '../aws/task-state-store';
import type { ClaimCheckAccess, CreateTaskHandlerOptions, RuntimeClients } from './create-task-handler';
import type { TaskDefinition } from './define-task';
import { TaskHandlerConfigInvalidError } from './errors';
import { defaultRuntimeLogger, defaultRuntimeMetrics } from './runtime-telemetry';

/** Default number of messages of one batch run concurrently. */
export const DEFAULT_CONCURRENCY = 10;
/** Default delay before a paused task is looked at again, in seconds. */
export const DEFAULT_PAUSE_DELAY_SECONDS = 60;
/** Default delay of a message sent back because the invocation had no time left for it, in seconds. */
export const DEFAULT_RELEASE_DELAY_SECONDS = 5;
/** Default time kept free at the end of an invocation, in milliseconds. */
export const DEFAULT_SAFETY_MARGIN_MS = 2000;
/** Default largest inline result, in bytes. */
export const DEFAULT_RESULT_INLINE_LIMIT_BYTES = 32 * Limits.KIB;

/** The handler's options with every default applied, shared by the steps and the executor. */
export interface ResolvedRuntime {
  readonly tasks: ReadonlyMap<string, TaskDefinition>;
  readonly destinations: ReadonlyMap<string, CustomDestination>;
  readonly routing: RoutingDocumentSource | undefined;
  readonly clients: RuntimeClients;
  readonly state: TaskStateStore | undefined;
  readonly claimChecks: ClaimCheckAccess | undefined;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly now: () => number;
  readonly random: () => number;
  readonly queueName: string | undefined;
  readonly queueUrl: string | undefined;
  readonly dlqUrl: string | undefined;
  readonly queueUrls: Readonly<Record<string, string>>;
  readonly maxReceiveCount: number | undefined;
  readonly bucketName: string | undefined;
  readonly maxDelaySeconds: number;
  readonly concurrency: number;
  readonly pauseDelaySeconds: number;
  readonly releaseDelaySeconds: number;
  readonly safetyMarginMs: number;
  readonly resultInlineLimitBytes: number;
  /** The Celery intake's task map, when the consumer reads Celery messages. */
  readonly celery: CeleryTaskMap | undefined;
}

function requireRange(field: string, value: number | undefined, min: number, max: number): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new TaskHandlerConfigInvalidError(`${field} must be an integer between ${min} and ${max} (given ${value})`);
  }
}

/**
 * Checks the handler's options against each other and applies the defaults.
 *
 * @throws TaskHandlerConfigInvalidError naming the option, what was given and what is allowed.
 * @example
 * const r = resolveRuntime(options);
 */
export function resolveRuntime(options: CreateTaskHandlerOptions): ResolvedRuntime {
  requireRange('maxDelaySeconds', options.maxDelaySeconds, 1, Limits.SQS_MAX_DELAY_SECONDS);
  requireRange('concurrency', options.concurrency, 1, Limits.ESM_MAX_MAX_CONCURRENCY);
  requireRange('pauseDelaySeconds', options.pauseDelaySeconds, 1, Limits.SQS_MAX_DELAY_SECONDS);
  requireRange('releaseDelaySeconds', options.releaseDelaySeconds, 0, Limits.SQS_MAX_DELAY_SECONDS);
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
    if (destinations.has(destination.name)) {
      throw new TaskHandlerConfigInvalidError(`destination names must be unique (given "${destination.name}" twice)`);
    }
    if (options.queueUrls?.[destination.name] !== undefined) {
      throw new TaskHandlerConfigInvalidError(
        `destination names must differ from every Bosun queue name (given "${destination.name}", which is also a queue)`,
      );
    }
    destinations.set(destination.name, destination);
  }
  let celery: CeleryTaskMap | undefined;
  if (options.celery !== undefined) {
    try {
      celery = options.celery.tasks instanceof CeleryTaskMap ? options.celery.tasks : new CeleryTaskMap(options.celery.tasks);
    } catch (error) {
      if (error instanceof CeleryConfigError) throw new TaskHandlerConfigInvalidError(`celery.tasks: ${error.message}`, { cause: error });
      throw error;
    }
    const unregistered = celery.tasks().filter((name) => !tasks.has(name));
    if (unregistered.length > 0) {
      throw new TaskHandlerConfigInvalidError(
        `celery.tasks must map Celery tasks to tasks this consumer runs (given ${unregistered.map((name) => `"${name}"`).join(', ')}, not among ${[...tasks.keys()].join(', ')})`,
      );
    }
  }
  const now = options.now ?? Date.now;
  const claimChecks =
    options.claimChecks ??
    (options.bucketName === undefined ? undefined : new ClaimCheckStore({ s3: options.clients.s3, bucket: options.bucketName }));
  return {
    tasks,
    destinations,
    routing: options.routing,
    clients: options.clients,
    state:
      options.tableName === undefined
        ? undefined
        : new TaskStateStore({ dynamodb: options.clients.dynamodb, tableName: options.tableName, now }),
    claimChecks,
    logger: options.logger ?? defaultRuntimeLogger(),
    metrics: options.metrics ?? defaultRuntimeMetrics(),
    now,
    random: options.random ?? Math.random,
    queueName: options.queueName,
    queueUrl: options.queueUrl,
    dlqUrl: options.dlqUrl,
    queueUrls: options.queueUrls ?? {},
    maxReceiveCount: options.maxReceiveCount,
    bucketName: options.bucketName,
    maxDelaySeconds: options.maxDelaySeconds ?? Limits.SQS_MAX_DELAY_SECONDS,
    concurrency: options.concurrency ?? DEFAULT_CONCURRENCY,
    pauseDelaySeconds: options.pauseDelaySeconds ?? DEFAULT_PAUSE_DELAY_SECONDS,
    releaseDelaySeconds: options.releaseDelaySeconds ?? DEFAULT_RELEASE_DELAY_SECONDS,
    safetyMarginMs: options.safetyMarginMs ?? DEFAULT_SAFETY_MARGIN_MS,
    resultInlineLimitBytes: options.resultInlineLimitBytes ?? DEFAULT_RESULT_INLINE_LIMIT_BYTES,
    celery,
  };
}
