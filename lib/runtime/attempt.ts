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
): Promise<{ result?: unknown; resultRef?: NonNullable<TaskStateItem['resultRef']> }> {
  if (result === undefined) return {};
  const json = JSON.stringify(result);
  if (json === undefined) return {};
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes <= r.resultInlineLimitBytes) return { result: JSON.parse(json) as unknown };
  const bucket = r.bucketName;
  if (bucket === undefined) {
    r.logger.warn('result too large to store inline and no bucket is configured; not stored', {
      taskId: envelope.id,
      taskName: envelope.task,
      resultBytes: bytes,
    });
    return {};
  }
  const key = taskResultKey(envelope.id);
  await r.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: json, ContentType: 'application/json' }));
  return { resultRef: { bucket, key, bytes } };
}
