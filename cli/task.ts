import { DeleteScheduleCommand } from '@aws-sdk/client-scheduler';
import type { Command } from 'commander';
import { type TaskStateItem, etaScheduleGroupName, etaScheduleName, isTerminalStatus } from '../lib/contract';
import { type CliClients, taskStateStore } from './clients';
import { CliTaskCancelRefusedError, CliTaskNotFoundError } from './errors';
import { type Cell, renderFields, renderJson } from './output';
import type { Platform } from './platform';
import { type CliSession, type TargetOptions, addTargetOptions } from './program';
import { schedulerClientFor } from './schedules';

/**
 * Reads one task's state item (strongly consistent).
 *
 * @throws CliTaskNotFoundError when the table has no item for the id (not yet claimed, or an unknown id).
 * @example
 * const item = await readTask(platform, clients, '01JABC...');
 */
export async function readTask(platform: Platform, clients: CliClients, taskId: string): Promise<TaskStateItem> {
  const item = await taskStateStore(platform, clients).get(taskId);
  if (item === undefined) throw new CliTaskNotFoundError(taskId, platform.tableName);
  return item;
}

/** What `bosun task cancel` did. */
export interface CancelTaskResult {
  readonly taskId: string;
  readonly cancelled: true;
  /** The task's state before the cancel; undefined when none was recorded (not yet claimed, or an unknown id). */
  readonly previous?: TaskStateItem;
  /** Whether the task's far-ETA one-time schedule was deleted (it had one that had not fired yet). */
  readonly scheduleDeleted?: boolean;
}

/** Deletes a cancelled task's far-ETA schedule, if it has one; false when there was none. */
async function deleteEtaSchedule(platform: Platform, taskId: string): Promise<boolean> {
  if (platform.target === 'local' && platform.endpoints?.scheduler === undefined) return false;
  const scheduler = schedulerClientFor(platform);
  try {
    await scheduler.send(new DeleteScheduleCommand({ GroupName: etaScheduleGroupName(platform.stage), Name: etaScheduleName(taskId) }));
    return true;
  } catch (error) {
    if ((error as Error).name === 'ResourceNotFoundException') return false;
    throw error;
  } finally {
    scheduler.destroy();
  }
}

/**
 * Cancels a task that is not running, through the task-state adapter (`TaskStateStore.cancel`): its state becomes
 * `cancelled`, and every later delivery of it is acknowledged without running. A task with no state item yet gets a
 * `cancelled` one, so a copy still on its way is not run either. A far-ETA task's one-time schedule is then deleted.
 *
 * @throws CliTaskCancelRefusedError when the task is running (or a consumer holds it right now) or has finished.
 * @example
 * const { previous } = await cancelTask(platform, clients, '01JABC...');
 */
export async function cancelTask(platform: Platform, clients: CliClients, taskId: string): Promise<CancelTaskResult> {
  const result = await taskStateStore(platform, clients).cancel(taskId);
  if (result.kind === 'cancelled') {
    // The state says cancelled first, so a firing that races the delete is acknowledged unrun.
    const scheduleDeleted = result.previous?.status === 'queued' ? false : await deleteEtaSchedule(platform, taskId);
    return { taskId, cancelled: true, ...(result.previous === undefined ? {} : { previous: result.previous }), scheduleDeleted };
  }
  const { item } = result;
  if (isTerminalStatus(item.status)) {
    throw new CliTaskCancelRefusedError(taskId, item.status, `it has already finished (${item.status})`);
  }
  const until = item.leaseUntilMs === undefined ? '' : ` until ${new Date(item.leaseUntilMs).toISOString()}`;
  const what = item.status === 'running' ? `it is running (attempt ${item.attempts})` : `a consumer holds it right now (${item.status})`;
  throw new CliTaskCancelRefusedError(taskId, item.status, `${what}, leased${until}; try again once the lease ends`);
}

/**
 * Renders a cancel for people: what the task was, and what happens to its later deliveries.
 *
 * @example
 * io.write(renderCancel(result));
 */
export function renderCancel(result: CancelTaskResult): string {
  const previous = result.previous;
  const was =
    previous === undefined
      ? 'it had no state recorded yet (not yet claimed by a consumer, or an unknown id)'
      : `it was ${previous.status} (${previous.taskName}, queue ${previous.queue}, ${previous.attempts} attempt(s) used)`;
  const schedule = result.scheduleDeleted === true ? 'its one-time schedule was deleted\n' : '';
  return `cancelled task ${result.taskId}: ${was}\nevery later delivery of it is acknowledged without running\n${schedule}`;
}

/**
 * Renders a task's state for people: status, attempts, route, last error, timestamps. The result is summarised, not
 * printed (it may hold user data); `--json` prints the whole item.
 *
 * @example
 * io.write(renderTask(item, io.columns));
 */
export function renderTask(item: TaskStateItem, width?: number): string {
  const route = `${item.route.destination} (${item.route.ruleId === null ? 'default destination' : `rule ${item.route.ruleId}`})`;
  const fields: [string, Cell][] = [
    ['task id', item.taskId],
    ['task', item.taskName],
    ['status', item.status],
    ['queue', item.queue],
    ['attempts', item.attempts],
    ['route', route],
    ['created', item.createdAt],
    ['updated', item.updatedAt],
  ];
  if (item.eta !== undefined) fields.push(['eta', item.eta]);
  if (item.startedAt !== undefined) fields.push(['started', item.startedAt]);
  if (item.finishedAt !== undefined) fields.push(['finished', item.finishedAt]);
  if (item.lastError !== undefined) fields.push(['last error', `${item.lastError.type}: ${item.lastError.message}`]);
  if (item.deadReason !== undefined) fields.push(['dead reason', item.deadReason]);
  if (item.deadAt !== undefined) fields.push(['dead since', item.deadAt]);
  if (item.dedupKey !== undefined) fields.push(['dedup key', item.dedupKey]);
  if (item.resultRef !== undefined) {
    fields.push(['result', `s3://${item.resultRef.bucket}/${item.resultRef.key} (${item.resultRef.bytes} bytes)`]);
  } else if (item.result !== undefined) {
    fields.push(['result', `inline (${Buffer.byteLength(JSON.stringify(item.result), 'utf8')} bytes; --json shows it)`]);
  } else if (item.resultNotStored !== undefined) {
    fields.push(['result', `not stored: ${item.resultNotStored.reason}`]);
  }
  return renderFields(fields, width);
}

/**
 * Registers `bosun task <id>` and `bosun task cancel <id>`.
 *
 * @example
 * registerTaskCommand(program, session);
 */
export function registerTaskCommand(program: Command, session: CliSession): void {
  const task = addTargetOptions(
    program
      .command('task')
      .description("Show one task's state: status, attempts, route, last error and timestamps (or `task cancel <id>`).")
      .argument('<id>', 'task id (as printed by `bosun publish`)'),
  ).action(async (taskId: string, options: TargetOptions) => {
    await session.withTarget(options, async ({ platform, clients, io, json }) => {
      const item = await readTask(platform, clients, taskId);
      io.write(json ? renderJson(item) : renderTask(item, io.columns));
    });
  });
  addTargetOptions(
    task
      .command('cancel')
      .description('Cancel a task that is not running: later deliveries of it are acknowledged without running.')
      .argument('<id>', 'task id (as printed by `bosun publish`)'),
  ).action(async (taskId: string, _options: TargetOptions, command: Command) => {
    // `task` knows the same options and takes them wherever they stand: read them merged.
    const options = command.optsWithGlobals<TargetOptions>();
    await session.withTarget(options, async ({ platform, clients, io, json }) => {
      const result = await cancelTask(platform, clients, taskId);
      io.write(json ? renderJson(result) : renderCancel(result));
    });
  });
}
