import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Command } from 'commander';
import { TaskTable, type TaskStateItem } from '../lib/contract';
import type { CliClients } from './clients';
import { CliTaskNotFoundError } from './errors';
import { type Cell, renderFields, renderJson } from './output';
import type { Platform } from './platform';
import { type CliSession, type TargetOptions, addTargetOptions } from './program';

/**
 * Reads one task's state item (strongly consistent).
 *
 * @throws CliTaskNotFoundError when the table has no item for the id.
 * @example
 * const item = await readTask(platform, clients, '01JABC...');
 */
export async function readTask(platform: Platform, clients: CliClients, taskId: string): Promise<TaskStateItem> {
  const response = await clients.dynamodb.send(
    new GetCommand({ TableName: platform.tableName, Key: { [TaskTable.PARTITION_KEY]: taskId }, ConsistentRead: true }),
  );
  if (response.Item === undefined) throw new CliTaskNotFoundError(taskId, platform.tableName);
  return response.Item as TaskStateItem;
}

/**
 * Renders a task's state for people: status, attempts, route, last error, timestamps. The result is summarised, not
 * printed (it may hold user data); `--json` prints the whole item.
 *
 * @example
 * io.write(renderTask(item));
 */
export function renderTask(item: TaskStateItem): string {
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
  }
  return renderFields(fields);
}

/**
 * Registers `bosun task <id>`.
 *
 * @example
 * registerTaskCommand(program, session);
 */
export function registerTaskCommand(program: Command, session: CliSession): void {
  addTargetOptions(
    program
      .command('task')
      .description("Show one task's state: status, attempts, route, last error and timestamps.")
      .argument('<id>', 'task id (as printed by `bosun publish`)'),
  ).action(async (taskId: string, options: TargetOptions) => {
    await session.withTarget(options, async ({ platform, clients, io, json }) => {
      const item = await readTask(platform, clients, taskId);
      io.write(json ? renderJson(item) : renderTask(item));
    });
  });
}
