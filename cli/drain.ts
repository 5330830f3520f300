import type { Command } from 'commander';
import type { RunningTask } from '../lib/aws/task-state-store';
import { TaskTable } from '../lib/contract';
import { parseDurationMs } from './arguments';
import { CliError, EXIT_FAILURE } from './errors';
import { type CliClients, taskStateStore } from './clients';
import { type QueueMapping, type MappingTiming, findMappings, lambdaOf, pauseQueues, setMappingsEnabled } from './mappings';
import { formatDuration, renderJson, renderTable } from './output';
import type { Platform } from './platform';
import { type CliSession, type TargetOptions, addTargetOptions } from './program';

/** Default longest wait of `bosun drain` for the running tasks. */
export const DEFAULT_DRAIN_TIMEOUT_MS = 10 * 60_000;
/** Default time between two looks at the running tasks. */
export const DEFAULT_DRAIN_INTERVAL_MS = 10_000;
/** Exit status of a drain that timed out: abort the deploy. */
export const EXIT_DRAIN_TIMED_OUT = 3;
/**
 * Looks in a row that must find nothing blocking before the queues count as drained: the running index is read
 * eventually consistently, and a batch received just before the mapping said `Disabled` claims its tasks a moment
 * later, so one empty look an interval after another is the proof.
 */
const CLEAN_LOOKS = 2;

/** Options of {@link drainQueues}. */
export interface DrainOptions extends MappingTiming {
  /** Queues to drain; every queue of the platform when empty. */
  readonly queues: readonly string[];
  /** Longest wait, pausing included. @default 600000 (10 minutes) */
  readonly timeoutMs?: number;
  /** Time between two looks at the running tasks. @default 10000 */
  readonly intervalMs?: number;
  /** Leave the queues paused when the drain times out. @default false - consumption resumes */
  readonly keepPaused?: boolean;
  /** Told after each look at the running tasks. @default - nothing */
  readonly onLook?: (look: DrainLook) => void;
}

/** One look at what still runs. */
export interface DrainLook {
  /** Milliseconds since the drain started. */
  readonly elapsedMs: number;
  /** Running tasks that are not interruptible: the drain waits for them. */
  readonly blocking: readonly RunningTask[];
  /** Running interruptible tasks: they do not hold the drain up. */
  readonly interruptible: readonly RunningTask[];
}

/** What `bosun drain` did. */
export interface DrainResult {
  /** `drained`: nothing that blocks runs, the queues stay paused; `timed-out`: abort the deploy. */
  readonly outcome: 'drained' | 'timed-out';
  readonly queues: readonly string[];
  /** The mappings, in their state at the end. */
  readonly mappings: readonly QueueMapping[];
  /**
   * Whether consumption was resumed (a timeout without `--keep-paused`): the mappings that were enabled before the
   * drain; one that was already paused stays paused.
   */
  readonly resumed: boolean;
  readonly elapsedMs: number;
  /** The non-interruptible tasks still running at the end (empty when drained). */
  readonly blocking: readonly RunningTask[];
  /** The interruptible tasks running at the end: a deploy may cut them off; they run again. */
  readonly interruptible: readonly RunningTask[];
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Drains queues before a deploy, as the seed's `prepare_deploy`: pauses their event source mappings (waiting for
 * `Disabled`), then looks at the task state every interval until no task of those queues runs except interruptible
 * ones (`defineTask({ interruptible: true })`); a running task whose lease expired is not running. Drained: the
 * queues stay paused for the deploy (`bosun resume` afterwards). Timed out: consumption resumes (unless
 * `keepPaused`) and the result lists the tasks that held it up. Producers keep publishing throughout: messages wait
 * in the queues.
 *
 * @example
 * const result = await drainQueues(platform, clients, { queues: ['default'], timeoutMs: 600_000 });
 * if (result.outcome === 'timed-out') console.error('abort the deploy');
 */
export async function drainQueues(platform: Platform, clients: CliClients, options: DrainOptions): Promise<DrainResult> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? defaultSleep;
  const timeoutMs = options.timeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS;
  const intervalMs = options.intervalMs ?? DEFAULT_DRAIN_INTERVAL_MS;
  const started = now();
  const deadline = started + timeoutMs;
  const lambda = lambdaOf(platform, clients);
  const found = await findMappings(platform, clients, options.queues);
  const queues = [...new Set(found.map((mapping) => mapping.queue))];
  // Consumption goes back to what it was: a mapping someone had paused before the drain stays paused.
  const consuming = found.filter((mapping) => mapping.state !== 'Disabled' && mapping.state !== 'Disabling');
  const resume = async (): Promise<QueueMapping[]> => {
    const resumed = await setMappingsEnabled(lambda, consuming, true, undefined, options);
    return mappings.map((mapping) => resumed.find((entry) => entry.uuid === mapping.uuid) ?? mapping);
  };
  let mappings: QueueMapping[] = found;
  try {
    mappings = await setMappingsEnabled(lambda, found, false, Math.max(1, deadline - now()), options);
  } catch (error) {
    if (options.keepPaused !== true) await resume();
    throw error;
  }
  const state = taskStateStore(platform, clients);
  const listRunning = async (): Promise<RunningTask[]> => {
    try {
      return (await Promise.all(queues.map((queue) => state.listRunning(queue, now())))).flat();
    } catch (error) {
      // A drain that cannot see what runs must not leave consumption stopped behind it.
      if (options.keepPaused !== true) await resume();
      throw runningIndexError(platform, error, options.keepPaused !== true);
    }
  };
  let clean = 0;
  for (;;) {
    const running = await listRunning();
    const blocking = running.filter((task) => !task.interruptible);
    const interruptible = running.filter((task) => task.interruptible);
    const elapsedMs = now() - started;
    options.onLook?.({ elapsedMs, blocking, interruptible });
    clean = blocking.length === 0 ? clean + 1 : 0;
    if (clean >= CLEAN_LOOKS) {
      return { outcome: 'drained', queues, mappings, resumed: false, elapsedMs, blocking, interruptible };
    }
    if (now() >= deadline && clean === 0) {
      const resumed = options.keepPaused !== true;
      if (resumed) mappings = await resume();
      return { outcome: 'timed-out', queues, mappings, resumed, elapsedMs, blocking, interruptible };
    }
    // A look that found nothing blocking is confirmed an interval later, even past the deadline.
    await sleep(clean > 0 ? intervalMs : Math.min(intervalMs, Math.max(0, deadline - now())));
  }
}

/** A task-state table without the running index (deployed before it existed) is named as such; else the error as is. */
function runningIndexError(platform: Platform, error: unknown, resumed: boolean): unknown {
  const cause = error instanceof Error ? error.cause : undefined;
  if (cause instanceof Error && cause.name === 'ValidationException' && /index/i.test(cause.message)) {
    return new CliError(
      `the task-state table ${platform.tableName} has no index ${TaskTable.RUNNING_INDEX} (deployed before Bosun had ` +
        `it): deploy this version first, then drain; ${resumed ? 'consumption was resumed' : 'the queues stay paused (--keep-paused)'}`,
      EXIT_FAILURE,
      { cause: error },
    );
  }
  return error;
}

function runningRows(tasks: readonly RunningTask[], nowMs: number): (string | number)[][] {
  return tasks.map((task) => [
    task.taskName,
    task.taskId,
    task.queue,
    task.startedAt === undefined ? 'n/a' : formatDuration(nowMs - Date.parse(task.startedAt)),
    task.attempts,
  ]);
}

const RUNNING_HEAD = ['task', 'id', 'queue', 'running for', 'attempt'];

/**
 * Renders a drain's end for people: what to do next, and on a timeout the tasks that held it up.
 *
 * @example
 * io.write(renderDrain(result, Date.now(), io.columns));
 */
export function renderDrain(result: DrainResult, nowMs: number, width?: number): string {
  const queues = result.queues.join(' ');
  if (result.outcome === 'drained') {
    const cut =
      result.interruptible.length === 0
        ? ''
        : `${result.interruptible.length} interruptible task(s) still run; the deploy may cut them off, and they run again\n`;
    return (
      `drained in ${formatDuration(result.elapsedMs)}: no task of ${queues} runs but interruptible ones; the queues stay paused ` +
      `(producers keep publishing, messages wait)\n${cut}proceed with the deploy, then: bosun resume ${queues}\n`
    );
  }
  const after = result.resumed ? 'consumption was resumed' : `the queues stay paused (--keep-paused): bosun resume ${queues}`;
  return (
    `ABORT THE DEPLOY: after ${formatDuration(result.elapsedMs)}, ${result.blocking.length} task(s) that are not interruptible still run:\n` +
    renderTable(RUNNING_HEAD, runningRows(result.blocking, nowMs), width) +
    `${after}. Make those tasks shorter, or interruptible (defineTask({ interruptible: true })), and drain again.\n`
  );
}

function renderLook(look: DrainLook, nowMs: number): string {
  const blocking = look.blocking.map((task) => `${task.taskName} ${task.taskId} (${task.queue}, running for ${task.startedAt === undefined ? 'n/a' : formatDuration(nowMs - Date.parse(task.startedAt))})`);
  const waiting = blocking.length === 0 ? 'nothing blocking runs' : `waiting for ${blocking.length}: ${blocking.join(', ')}`;
  const also = look.interruptible.length === 0 ? '' : `; ${look.interruptible.length} interruptible task(s) do not block`;
  return `[${formatDuration(look.elapsedMs)}] ${waiting}${also}\n`;
}

function renderMappings(mappings: readonly QueueMapping[], width?: number): string {
  return renderTable(
    ['queue', 'mapping', 'function', 'state'],
    mappings.map((mapping) => [mapping.queue, mapping.uuid, mapping.functionArn, mapping.state]),
    width,
  );
}

interface DrainCommandOptions extends TargetOptions {
  readonly timeout: number;
  readonly interval: number;
  readonly keepPaused?: boolean;
}

/**
 * Registers `bosun pause <queue…>`, `bosun resume [queue…]` and `bosun drain [queue…]`.
 *
 * @example
 * registerDrainCommands(program, session);
 */
export function registerDrainCommands(program: Command, session: CliSession): void {
  const toggle = (enabled: boolean) => async (queues: string[], options: TargetOptions) => {
    await session.withTarget(options, async ({ platform, clients, io, json }) => {
      const mappings = await pauseQueues(platform, clients, queues, enabled);
      io.write(json ? renderJson({ mappings }) : renderMappings(mappings, io.columns));
    });
  };
  addTargetOptions(
    program
      .command('pause')
      .description("Stop consuming queues: disable their event source mappings and wait until each reports Disabled (producers keep publishing; messages wait).")
      .argument('<queue...>', 'queues to pause'),
  ).action(toggle(false));
  addTargetOptions(
    program
      .command('resume')
      .description('Consume queues again: enable their event source mappings and wait until each reports Enabled.')
      .argument('[queue...]', 'queues to resume (default: every queue)'),
  ).action(toggle(true));
  addTargetOptions(
    program
      .command('drain')
      .description(
        'Before a deploy: pause the queues, then wait until none of their tasks runs except interruptible ones. ' +
          'Exit 0: deploy, then `bosun resume`. Exit 3: abort the deploy (consumption is resumed).',
      )
      .argument('[queue...]', 'queues to drain (default: every queue)')
      .option('--timeout <duration>', 'longest wait, for example 10m or 90s', parseDurationMs, DEFAULT_DRAIN_TIMEOUT_MS)
      .option('--interval <duration>', 'time between looks at the running tasks', parseDurationMs, DEFAULT_DRAIN_INTERVAL_MS)
      .option('--keep-paused', 'leave the queues paused when the drain times out', false),
  ).action(async (queues: string[], options: DrainCommandOptions) => {
    await session.withTarget(options, async ({ platform, clients, io, json }) => {
      const result = await drainQueues(platform, clients, {
        queues,
        timeoutMs: options.timeout,
        intervalMs: options.interval,
        keepPaused: options.keepPaused === true,
        // Progress goes to standard error, so `--json` output stays one document.
        onLook: (look) => io.error(renderLook(look, Date.now())),
      });
      io.write(json ? renderJson(result) : renderDrain(result, Date.now(), io.columns));
      return result.outcome === 'drained' ? 0 : EXIT_DRAIN_TIMED_OUT;
    });
  });
}
