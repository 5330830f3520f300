import type { DeadReason } from './attributes';
import type { RouteStamp } from './envelope';
import type { TaskStatus } from './status';

/**
 * Key and attribute names of the task-state table (one item per task).
 *
 * Access patterns, none of which scans:
 * - get a task by id: `GetItem` on the partition key `taskId`;
 * - list the dead tasks of one task name in a time range: `Query` on the sparse index {@link DEAD_TASKS_INDEX}
 *   (`deadTaskName` = name, `deadAt` BETWEEN from AND to). Only dead items carry `deadTaskName`, so ordinary
 *   traffic never writes to the index and a busy task name cannot make a hot index partition.
 */
export const TaskTable = {
  /** Partition key: the task id (ULIDs spread writes evenly). */
  PARTITION_KEY: 'taskId',
  /** TTL attribute: epoch seconds after which DynamoDB may delete the item. */
  TTL_ATTRIBUTE: 'expiresAt',
  /** Sparse GSI listing dead tasks by name and time. */
  DEAD_TASKS_INDEX: 'dead-by-task-name',
  /** Partition key of the dead-tasks index: set to the task name only while the task is dead. */
  DEAD_TASK_NAME: 'deadTaskName',
  /** Sort key of the dead-tasks index: ISO-8601 time the task went dead. */
  DEAD_AT: 'deadAt',
} as const;

/**
 * Every attribute name of a task-state item, typed: the state adapter builds its expressions from these, never from
 * string literals scattered through the code.
 */
export const TaskAttribute = {
  TASK_ID: TaskTable.PARTITION_KEY,
  TASK_NAME: 'taskName',
  STATUS: 'status',
  QUEUE: 'queue',
  ATTEMPTS: 'attempts',
  ROUTE: 'route',
  CREATED_AT: 'createdAt',
  UPDATED_AT: 'updatedAt',
  ETA: 'eta',
  STARTED_AT: 'startedAt',
  FINISHED_AT: 'finishedAt',
  LEASE_TOKEN: 'leaseToken',
  LEASE_UNTIL_MS: 'leaseUntilMs',
  LINK: 'link',
  LAST_ERROR: 'lastError',
  RESULT: 'result',
  RESULT_REF: 'resultRef',
  DEAD_REASON: 'deadReason',
  DEAD_TASK_NAME: TaskTable.DEAD_TASK_NAME,
  DEAD_AT: TaskTable.DEAD_AT,
  DEDUP_KEY: 'dedupKey',
  EXPIRES_AT: TaskTable.TTL_ATTRIBUTE,
} as const satisfies Record<string, keyof TaskStateItem>;

/** Name of an attribute of a task-state item. */
export type TaskAttributeName = (typeof TaskAttribute)[keyof typeof TaskAttribute];

/** The error a failed attempt recorded: its type and message, never the payload. */
export interface TaskErrorRecord {
  /** Error class name (`name`), for example `TimeoutError`. */
  readonly type: string;
  /** Error message, truncated to a bounded length. */
  readonly message: string;
}

/** One item of the task-state table. Times are ISO-8601 UTC strings unless the field name says otherwise. */
export interface TaskStateItem {
  readonly taskId: string;
  readonly taskName: string;
  readonly status: TaskStatus;
  /** Bosun queue (logical name) or destination the task was sent to. */
  readonly queue: string;
  /** Attempts started so far. */
  readonly attempts: number;
  readonly route: RouteStamp;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly eta?: string;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  /** Epoch milliseconds until which the holder of {@link TaskStateItem.leaseToken} holds the task. */
  readonly leaseUntilMs?: number;
  /**
   * Token of the delivery that holds (or last held) the lease: `<SQS message id>/<random>`. A closing write applies
   * only with the token that took the lease; a delivery of the same message id never deletes its message while the
   * lease is live.
   */
  readonly leaseToken?: string;
  /**
   * Number of the newest link of the task's message chain that was sent (ETA hops, moves, holds, redrives each send
   * a new link). A delivered message with an older link is stale and acknowledged without effect.
   */
  readonly link?: number;
  readonly lastError?: TaskErrorRecord;
  /** Small results inline. */
  readonly result?: unknown;
  /** Large results by reference (S3 bucket and key). */
  readonly resultRef?: { readonly bucket: string; readonly key: string; readonly bytes: number };
  readonly deadReason?: DeadReason;
  readonly deadTaskName?: string;
  readonly deadAt?: string;
  readonly dedupKey?: string;
  readonly expiresAt?: number;
}
