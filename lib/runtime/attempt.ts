import { PutObjectCommand } from '@aws-sdk/client-s3';
import { taskResultKey, type TaskEnvelope, type TaskStateItem } from '../contract';
import type { TaskContext, TaskDefinition, TaskLogger } from './define-task';
import { TaskNonRetryableError, TaskTimeLimitError } from './errors';
import type { ResolvedRuntime } from './runtime-config';

/** How one run of a handler ended. */
export type AttemptResult =
  | { readonly ok: true; readonly result: unknown; readonly durationMs: number }
  | { readonly ok: false; readonly failure: unknown; readonly nonRetryable: boolean; readonly durationMs: number };

/**
 * Runs the task's handler once under its time limit: `ctx.signal` aborts at the limit and the attempt fails with
 * `TaskTimeLimitError` (non-retryable unless the task is idempotent). Never throws.
 */
export async function runAttempt(input: {
  readonly task: TaskDefinition;
  readonly envelope: TaskEnvelope;
  readonly payload: unknown;
  readonly attempt: number;
  readonly remainingMs: () => number;
  readonly log: TaskLogger;
  readonly now: () => number;
}): Promise<AttemptResult> {
  const { task, envelope } = input;
  const timeLimitMs = task.timeLimitSeconds * 1000;
  const controller = new AbortController();
  const ctx: TaskContext = {
    taskId: envelope.id,
    taskName: task.name,
    attempt: input.attempt,
    maxAttempts: task.maxAttempts,
    signal: controller.signal,
    timeLimitMs,
    remainingTimeMs: input.remainingMs,
    logger: input.log,
    publishedAt: envelope.publishedAt,
    nonRetryable: (message, options) => new TaskNonRetryableError(message, options),
  };
  const startedMs = input.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const result = await Promise.race([
      Promise.resolve().then(() => task.handler(input.payload, ctx)),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const error = new TaskTimeLimitError(envelope.id, task.name, timeLimitMs);
          controller.abort(error);
          reject(error);
        }, timeLimitMs);
      }),
    ]);
    return { ok: true, result, durationMs: input.now() - startedMs };
  } catch (failure) {
    const nonRetryable =
      (failure instanceof Error && failure.name === 'TaskNonRetryableError') ||
      (failure instanceof TaskTimeLimitError && !task.idempotent);
    return { ok: false, failure, nonRetryable, durationMs: input.now() - startedMs };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Where a result is kept: inline in the task state up to `resultInlineLimitBytes`, else in the claim-check bucket
 * under `task-results/<taskId>.json` (written before the state says `succeeded`, so the reference never dangles).
 */
export async function storeResult(
  r: ResolvedRuntime,
  envelope: TaskEnvelope,
  result: unknown,
): Promise<StoredResult> {
  if (result === undefined) return {};
  let json: string | undefined;
  try {
    json = JSON.stringify(result);
  } catch (error) {
    return notStored(r, envelope, `the result is not JSON-serializable (${describe(error)})`);
  }
  if (json === undefined) return {};
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes <= r.resultInlineLimitBytes) return { result: JSON.parse(json) as unknown };
  const bucket = r.bucketName;
  if (bucket === undefined) {
    return notStored(
      r,
      envelope,
      `the result is ${bytes} bytes, over the ${r.resultInlineLimitBytes}-byte inline limit, and no claim-check bucket is configured`,
    );
  }
  const key = taskResultKey(envelope.id);
  try {
    await r.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: json, ContentType: 'application/json' }));
  } catch (error) {
    return notStored(r, envelope, `the ${bytes}-byte result could not be written to s3://${bucket}/${key} (${describe(error)})`);
  }
  return { resultRef: { bucket, key, bytes } };
}

/** What {@link storeResult} records with the task's success: the result inline, its S3 reference, or why it has neither. */
export interface StoredResult {
  readonly result?: unknown;
  readonly resultRef?: NonNullable<TaskStateItem['resultRef']>;
  readonly resultNotStored?: NonNullable<TaskStateItem['resultNotStored']>;
}

/** Logs and returns why a result is not stored; the reason names the error, never the result's content. */
function notStored(r: ResolvedRuntime, envelope: TaskEnvelope, reason: string): StoredResult {
  r.logger.error('the result could not be stored; the task is recorded as succeeded without it', {
    taskId: envelope.id,
    taskName: envelope.task,
    reason,
  });
  return { resultNotStored: { reason } };
}

/** `Name: message` of an error, bounded, for a reason that stays readable in the task state. */
function describe(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.length > 300 ? `${text.slice(0, 299)}…` : text;
}
