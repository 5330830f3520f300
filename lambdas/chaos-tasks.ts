import { appendFileSync } from 'node:fs';
import { threadId } from 'node:worker_threads';
import * as z from 'zod';
import { defineTask, type TaskContext } from '../lib/runtime';

/**
 * The tasks `npm run chaos` publishes (see docs/chaos.md). Each handler run appends one `start` line and one `end`
 * line to the JSON Lines file named by {@link CHAOS_RUN_LOG_ENV}, so the harness can compare what ran with what the
 * task state says. Without that variable they only do their work. The payload is never logged.
 */

/** Env var naming the run log file the chaos tasks append to; unset, nothing is written. */
export const CHAOS_RUN_LOG_ENV = 'BOSUN_CHAOS_RUN_LOG';

/** Most attempts of a chaos task: the `bulk` queue redrives to its DLQ after 3 receives. */
export const CHAOS_MAX_ATTEMPTS = 3;

/** What a chaos task does when it runs. */
export const CHAOS_BEHAVIOURS = ['ok', 'flaky', 'fail', 'fatal'] as const;

/** One line of the run log. `end` lines carry the outcome of the run their `start` line opened. */
export interface ChaosRunLine {
  readonly event: 'start' | 'end';
  readonly taskId: string;
  readonly attempt: number;
  readonly pid: number;
  readonly threadId: number;
  /** Epoch milliseconds. */
  readonly at: number;
  readonly outcome?: 'ok' | 'error';
}

function record(ctx: TaskContext, event: 'start' | 'end', outcome?: 'ok' | 'error'): void {
  const file = process.env[CHAOS_RUN_LOG_ENV];
  if (file === undefined || file === '') return;
  const line: ChaosRunLine = {
    event,
    taskId: ctx.taskId,
    attempt: ctx.attempt,
    pid: process.pid,
    threadId,
    at: Date.now(),
    ...(outcome === undefined ? {} : { outcome }),
  };
  // One write per line with O_APPEND: lines from concurrent workers never interleave.
  appendFileSync(file, `${JSON.stringify(line)}\n`);
}

/** Runs `work` between a `start` and an `end` line of the run log. */
function logged<T>(ctx: TaskContext, work: () => T): T {
  record(ctx, 'start');
  try {
    const result = work();
    record(ctx, 'end', 'ok');
    return result;
  } catch (error) {
    record(ctx, 'end', 'error');
    throw error;
  }
}

const blob = z.string().max(1_048_576).optional();

/**
 * `chaos.work`: `ok` succeeds; `flaky` fails retryably on its first `failAttempts` attempts, then succeeds; `fail`
 * always fails retryably (dead-lettered `attempts-exhausted`); `fatal` throws `ctx.nonRetryable` (`non-retryable`).
 * `blob` only makes the payload large enough to be claim-checked.
 */
export const chaosWork = defineTask({
  name: 'chaos.work',
  schema: z.object({
    behaviour: z.enum(CHAOS_BEHAVIOURS),
    failAttempts: z.number().int().min(0).max(CHAOS_MAX_ATTEMPTS - 1).optional(),
    blob,
  }),
  timeLimitSeconds: 5,
  maxAttempts: CHAOS_MAX_ATTEMPTS,
  backoff: { baseSeconds: 1, capSeconds: 2 },
  handler: (payload, ctx) =>
    logged(ctx, () => {
      switch (payload.behaviour) {
        case 'flaky':
          if (ctx.attempt <= (payload.failAttempts ?? 1)) throw new Error(`chaos.work flaky: attempt ${ctx.attempt} fails`);
          return { attempt: ctx.attempt };
        case 'fail':
          throw new Error(`chaos.work fail: attempt ${ctx.attempt} fails`);
        case 'fatal':
          throw ctx.nonRetryable('chaos.work fatal: never retried');
        default:
          return { attempt: ctx.attempt };
      }
    }),
});

/**
 * `chaos.fixable`: fails retryably until `fixedAfter` (an ISO-8601 time) has passed, so it dies into the DLQ
 * `attempts-exhausted`, and a redrive after that time succeeds.
 */
export const chaosFixable = defineTask({
  name: 'chaos.fixable',
  schema: z.object({ fixedAfter: z.iso.datetime(), blob }),
  timeLimitSeconds: 5,
  maxAttempts: CHAOS_MAX_ATTEMPTS,
  backoff: { baseSeconds: 1, capSeconds: 2 },
  handler: (payload, ctx) =>
    logged(ctx, () => {
      if (Date.now() < Date.parse(payload.fixedAfter)) throw new Error(`chaos.fixable: not fixed yet (attempt ${ctx.attempt})`);
      return { attempt: ctx.attempt };
    }),
});

/** Every chaos task, registered with the `default` and `bulk` consumers. */
export const chaosTasks = [chaosWork, chaosFixable] as const;
