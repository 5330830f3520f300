import * as z from 'zod';
import { TaskNonRetryableError, defineTask } from '../lib/runtime';
import { chaosTasks } from './chaos-tasks';

/**
 * The example tasks of the platform, importable by the producer SDK, the CLI and the demo (names and zod schemas) and
 * run by the example consumers.
 */

/** `email.send`: pretends to send an email and returns a message id. */
export const emailSend = defineTask({
  name: 'email.send',
  schema: z.object({ to: z.string().min(3).max(320), subject: z.string().max(998), body: z.string().optional() }),
  timeLimitSeconds: 10,
  maxAttempts: 3,
  handler: (payload, ctx) => {
    ctx.logger.info('email sent', { subjectChars: payload.subject.length });
    return { messageId: `msg-${ctx.taskId}` };
  },
});

/**
 * `report.render`: accepts a large payload (claim-checked above the threshold) and returns a summary of it, with the
 * rendered rows when `includeRows` is set (a large result, which the runtime stores in the claim-check bucket).
 */
export const reportRender = defineTask({
  name: 'report.render',
  schema: z.object({ title: z.string().max(200), rows: z.array(z.unknown()), includeRows: z.boolean().optional() }),
  // Well below the default consumer's 30 s function timeout: a time limit above it (plus the runtime's safety margin)
  // could never start there.
  timeLimitSeconds: 15,
  maxAttempts: 3,
  handler: (payload) => ({ title: payload.title, rowCount: payload.rows.length, ...(payload.includeRows === true ? { rows: payload.rows } : {}) }),
});

/**
 * `demo.flaky`: fails with a retryable error on its first `failAttempts` attempts and until `succeedAfter`, then
 * succeeds. Shows retries with backoff (`failAttempts`, deterministic), and the DLQ once attempts run out followed by a
 * redrive succeeding after "the fix" (`succeedAfter`, the time passing).
 */
export const demoFlaky = defineTask({
  name: 'demo.flaky',
  schema: z.object({
    succeedAfter: z.iso.datetime().optional(),
    failAttempts: z.number().int().min(0).max(1000).optional(),
  }),
  timeLimitSeconds: 10,
  maxAttempts: 3,
  backoff: { baseSeconds: 1, capSeconds: 10 },
  handler: (payload, ctx) => {
    if (payload.failAttempts !== undefined && ctx.attempt <= payload.failAttempts) {
      throw new Error(`demo.flaky fails its first ${payload.failAttempts} attempt(s) (attempt ${ctx.attempt})`);
    }
    if (payload.succeedAfter !== undefined && Date.now() < Date.parse(payload.succeedAfter)) {
      throw new Error(`demo.flaky is not ready until ${payload.succeedAfter} (attempt ${ctx.attempt})`);
    }
    return { succeededOnAttempt: ctx.attempt };
  },
});

/** `demo.sleep`: sleeps `ms` milliseconds (aborting at its time limit). Shows time limits and overruns. */
export const demoSleep = defineTask({
  name: 'demo.sleep',
  schema: z.object({ ms: z.number().int().min(0).max(900_000) }),
  // Long enough to stand for a long task that is not interruptible (`bosun drain` waits for it), well below the
  // default consumer's 30 s function timeout.
  timeLimitSeconds: 15,
  maxAttempts: 2,
  backoff: { baseSeconds: 1, capSeconds: 5 },
  handler: (payload, ctx) =>
    new Promise<{ sleptMs: number }>((resolve, reject) => {
      const timer = setTimeout(() => resolve({ sleptMs: payload.ms }), payload.ms);
      ctx.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        reject(ctx.signal.reason as Error);
      });
    }),
});

/**
 * `demo.nap`: sleeps `ms` milliseconds like `demo.sleep`, but declares itself interruptible (it keeps nothing
 * half-done, so a deploy may cut it off and it simply runs again): `bosun drain` does not wait for it.
 */
export const demoNap = defineTask({
  name: 'demo.nap',
  schema: z.object({ ms: z.number().int().min(0).max(900_000) }),
  timeLimitSeconds: 15,
  maxAttempts: 3,
  interruptible: true,
  handler: (payload, ctx) =>
    new Promise<{ nappedMs: number }>((resolve, reject) => {
      const timer = setTimeout(() => resolve({ nappedMs: payload.ms }), payload.ms);
      ctx.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        reject(ctx.signal.reason as Error);
      });
    }),
});

/**
 * `demo.spin`: keeps the CPU busy for `ms` milliseconds without yielding, as a CPU-bound handler does, on every
 * attempt up to `untilAttempt` (default: every attempt), then returns at once. The runtime cannot abort a handler
 * that never yields, so a spin longer than the function timeout overruns it: the invocation is stopped and its
 * message comes back after the visibility timeout, for another attempt.
 */
export const demoSpin = defineTask({
  name: 'demo.spin',
  schema: z.object({ ms: z.number().int().min(0).max(900_000), untilAttempt: z.number().int().min(1).optional() }),
  timeLimitSeconds: 5,
  maxAttempts: 3,
  handler: (payload, ctx) => {
    if (payload.untilAttempt !== undefined && ctx.attempt > payload.untilAttempt) return { spunMs: 0, attempt: ctx.attempt };
    const until = Date.now() + payload.ms;
    while (Date.now() < until) {
      // Busy on purpose: blocks the event loop like a CPU-bound task.
    }
    return { spunMs: payload.ms, attempt: ctx.attempt };
  },
});

/** `demo.reject`: always throws a non-retryable error, so the task goes to the DLQ on its first attempt. */
export const demoReject = defineTask({
  name: 'demo.reject',
  schema: z.object({ reason: z.string().max(200).optional() }),
  timeLimitSeconds: 5,
  handler: (payload) => {
    throw new TaskNonRetryableError(`demo.reject rejects every task${payload.reason === undefined ? '' : ` (${payload.reason})`}`);
  },
});

/** Every example task: what the `default` queue's consumer runs. */
export const exampleTasks = [emailSend, reportRender, demoFlaky, demoSleep, demoNap, demoSpin, demoReject, ...chaosTasks] as const;

/** What the `bulk` queue's consumer runs (the chaos tasks too: `npm run chaos` routes them there for a while). */
export const bulkTasks = [reportRender, emailSend, ...chaosTasks] as const;
