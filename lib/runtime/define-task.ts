import { Limits, TASK_NAME_PATTERN, type PayloadSchema, type TaskDeclaration } from '../contract';
import { TaskDefinitionInvalidError, type TaskNonRetryableError } from './errors';

/** How much task state the runtime records in the task-state table. */
export type StateTracking =
  /** Claim with a conditional write and a lease, record retries, the result and every terminal status. */
  | 'full'
  /** Record nothing: no duplicate-delivery protection, no status for `getTask`. For very hot, idempotent tasks. */
  | 'off';

/** Exponential backoff with full jitter: a retry waits a random time between 0 and `min(cap, base × 2^(attempt−1))`. */
export interface BackoffOptions {
  /**
   * Base delay in seconds, 0–43,200.
   * @default 2
   */
  readonly baseSeconds?: number;
  /**
   * Longest delay in seconds, 0–43,200 (SQS's 12-hour visibility cap).
   * @default 300
   */
  readonly capSeconds?: number;
}

/** A logger bound to one task attempt: every line carries the task id, name and attempt. */
export interface TaskLogger {
  debug(message: string, extra?: Record<string, unknown>): void;
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

/** What a task handler gets besides its payload. */
export interface TaskContext {
  /** Task id (a ULID), stable across retries, re-sends and redrives: use it as an idempotency key. */
  readonly taskId: string;
  /** Task name. */
  readonly taskName: string;
  /** This attempt's number, from 1. */
  readonly attempt: number;
  /** Attempts this task may use in all. */
  readonly maxAttempts: number;
  /** Aborted when the attempt reaches its time limit; pass it to fetch/SDK calls and check it in loops. */
  readonly signal: AbortSignal;
  /** Time limit of this attempt in milliseconds. The runtime starts an attempt only when the invocation has this much time left. */
  readonly timeLimitMs: number;
  /** Milliseconds left before the Lambda invocation times out. */
  remainingTimeMs(): number;
  /** Logger bound to this task; never log the payload. */
  readonly logger: TaskLogger;
  /** When the task was published, ISO-8601 UTC. */
  readonly publishedAt: string;
  /**
   * Builds the error that tells the runtime not to retry: `throw ctx.nonRetryable('account is closed')`.
   */
  nonRetryable(message: string, options?: { cause?: unknown }): TaskNonRetryableError;
}

/** A task handler: returns a JSON-serializable result (or nothing), throws to fail the attempt. */
export type TaskHandler<TPayload, TResult> = (payload: TPayload, ctx: TaskContext) => Promise<TResult> | TResult;

/** Options of one task. */
export interface TaskOptions {
  /**
   * Longest time one attempt may run, in seconds, 1–900 (Lambda's own cap). When it is reached the attempt's
   * `ctx.signal` aborts and the attempt fails.
   * @default 30
   */
  readonly timeLimitSeconds?: number;
  /**
   * Attempts in all, 1–1000; must not exceed the queue's max receive count (checked by `createTaskHandler`).
   * @default 3
   */
  readonly maxAttempts?: number;
  /**
   * Delay between attempts.
   * @default - base 2 s, cap 300 s, full jitter
   */
  readonly backoff?: BackoffOptions;
  /**
   * Whether running the task twice is harmless. When `false`, an attempt that was interrupted (time limit hit, or a
   * previous runner vanished mid-run) is not run again but sent to the DLQ for a person to decide.
   * @default true
   */
  readonly idempotent?: boolean;
  /**
   * How much state to record; see {@link StateTracking}.
   * @default 'full'
   */
  readonly stateTracking?: StateTracking;
  /**
   * Whether the task may be cut off at any point and simply run again (Celery's `acks_late` tasks): its work is
   * idempotent and it keeps nothing half-done that a re-run would not redo. `bosun drain` does not wait for
   * interruptible tasks before a deploy; it waits for every other running task, and tells you to abort the deploy
   * if they do not finish in time. The consumer records it in the task state when it claims the task.
   * @default false
   */
  readonly interruptible?: boolean;
}

/** What {@link defineTask} takes. */
export interface TaskDefinitionInput<TPayload, TResult> extends TaskOptions {
  /** Task name: lower-case words separated by `.`, `-` or `_`, for example `email.send`. */
  readonly name: string;
  /** Payload schema (zod, or anything with a compatible `safeParse`). */
  readonly schema: PayloadSchema<TPayload>;
  /** The code that runs the task. */
  readonly handler: TaskHandler<TPayload, TResult>;
}

/** A declared task: a contract {@link TaskDeclaration} (importable by producers) plus its handler and resolved options. */
export interface TaskDefinition<TPayload = unknown, TResult = unknown> extends TaskDeclaration<TPayload> {
  /** Runs one attempt. (Method syntax, so a list of differently typed tasks is a `TaskDefinition[]`.) */
  handler(payload: TPayload, ctx: TaskContext): Promise<TResult> | TResult;
  readonly timeLimitSeconds: number;
  readonly maxAttempts: number;
  readonly backoff: Required<BackoffOptions>;
  readonly idempotent: boolean;
  readonly stateTracking: StateTracking;
  readonly interruptible: boolean;
}

/** Default time limit of one attempt, in seconds. */
export const DEFAULT_TIME_LIMIT_SECONDS = 30;
/** Default number of attempts. */
export const DEFAULT_MAX_ATTEMPTS = 3;
/** Default backoff base, in seconds. */
export const DEFAULT_BACKOFF_BASE_SECONDS = 2;
/** Default backoff cap, in seconds. */
export const DEFAULT_BACKOFF_CAP_SECONDS = 300;

interface RangeRule {
  readonly field: string;
  readonly value: number | undefined;
  readonly min: number;
  readonly max: number;
  readonly integer: boolean;
}

function validateRanges(name: string, rules: readonly RangeRule[]): void {
  for (const rule of rules) {
    if (rule.value === undefined) continue;
    const wrongKind = rule.integer ? !Number.isInteger(rule.value) : !Number.isFinite(rule.value);
    if (wrongKind || rule.value < rule.min || rule.value > rule.max) {
      const kind = rule.integer ? 'an integer' : 'a number';
      throw new TaskDefinitionInvalidError(
        name,
        `task "${name}": ${rule.field} must be ${kind} between ${rule.min} and ${rule.max} (given ${rule.value})`,
      );
    }
  }
}

/**
 * Declares a task once: its name, payload schema, handler and options. The result is a contract `TaskDeclaration`,
 * so the producer SDK can import the same declaration and validate payloads exactly as the consumer does.
 *
 * @throws TaskDefinitionInvalidError when the name or an option is out of range.
 * @example
 * import { z } from 'zod';
 * export const sendEmail = defineTask({
 *   name: 'email.send',
 *   schema: z.object({ to: z.email(), subject: z.string() }),
 *   timeLimitSeconds: 10,
 *   handler: async (payload, ctx) => {
 *     ctx.logger.info('sending');
 *     return { messageId: await mailer.send(payload, { signal: ctx.signal }) };
 *   },
 * });
 */
export function defineTask<TPayload, TResult>(
  input: TaskDefinitionInput<TPayload, TResult>,
): TaskDefinition<TPayload, TResult> {
  const { name } = input;
  if (!TASK_NAME_PATTERN.test(name)) {
    throw new TaskDefinitionInvalidError(
      name,
      `task name must match ${String(TASK_NAME_PATTERN)}: lower-case letters, digits, ".", "-" and "_", at most 128 characters (given ${JSON.stringify(name)})`,
    );
  }
  validateRanges(name, [
    { field: 'timeLimitSeconds', value: input.timeLimitSeconds, min: 1, max: Limits.LAMBDA_MAX_TIMEOUT_SECONDS, integer: false },
    { field: 'maxAttempts', value: input.maxAttempts, min: 1, max: Limits.SQS_MAX_MAX_RECEIVE_COUNT, integer: true },
    {
      field: 'backoff.baseSeconds',
      value: input.backoff?.baseSeconds,
      min: 0,
      max: Limits.SQS_MAX_VISIBILITY_TIMEOUT_SECONDS,
      integer: false,
    },
    {
      field: 'backoff.capSeconds',
      value: input.backoff?.capSeconds,
      min: 0,
      max: Limits.SQS_MAX_VISIBILITY_TIMEOUT_SECONDS,
      integer: false,
    },
  ]);
  if (input.interruptible === true && input.idempotent === false) {
    // An interrupted attempt of a task that is not idempotent goes to the DLQ instead of running again: such a task
    // cannot be interrupted safely, and a drain that ignored it would send it there.
    throw new TaskDefinitionInvalidError(
      name,
      `task "${name}": interruptible: true requires an idempotent task (given idempotent: false); an interrupted ` +
        'attempt of a task that is not idempotent is dead-lettered rather than run again',
    );
  }
  return {
    name,
    schema: input.schema,
    handler: input.handler,
    timeLimitSeconds: input.timeLimitSeconds ?? DEFAULT_TIME_LIMIT_SECONDS,
    maxAttempts: input.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    backoff: {
      baseSeconds: input.backoff?.baseSeconds ?? DEFAULT_BACKOFF_BASE_SECONDS,
      capSeconds: input.backoff?.capSeconds ?? DEFAULT_BACKOFF_CAP_SECONDS,
    },
    idempotent: input.idempotent ?? true,
    stateTracking: input.stateTracking ?? 'full',
    interruptible: input.interruptible ?? false,
  };
}

/**
 * Seconds to wait before attempt `attempt + 1` after attempt `attempt` failed: exponential with full jitter,
 * a whole number between 0 and `min(cap, base × 2^(attempt−1))`.
 *
 * @example
 * backoffDelaySeconds({ baseSeconds: 2, capSeconds: 300 }, 3) // 0–8
 */
export function backoffDelaySeconds(
  backoff: Required<BackoffOptions>,
  attempt: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(backoff.capSeconds, backoff.baseSeconds * 2 ** Math.max(0, attempt - 1));
  return Math.min(Math.floor(random() * (ceiling + 1)), Math.floor(ceiling));
}
