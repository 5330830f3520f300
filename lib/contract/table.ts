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
 *   traffic never writes to the index and a busy task name cannot make a hot index partition;
 * - list the tasks of one queue whose handler runs right now (`bosun drain`): `Query` on the sparse index
 *   {@link TaskTable.RUNNING_INDEX} in each of the queue's {@link RUNNING_INDEX_SHARDS} shards (`runningShard` =
 *   `<queue>#<n>`, `leaseUntilMs` ≥ now). Only a claim's live lease carries `runningShard` (every write that ends the
 *   lease removes it), so the index holds the running tasks and nothing else, and the shards spread a busy queue's
 *   writes over several index partitions.
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
  /** Sparse GSI listing the running tasks of a queue by lease end. */
  RUNNING_INDEX: 'running-by-queue',
  /** Partition key of the running index: `<queue>#<shard>`, set by a claim and removed when its lease ends. */
  RUNNING_SHARD: 'runningShard',
  /** Sort key of the running index: epoch milliseconds the claim's lease ends (a Number). */
  LEASE_UNTIL_MS: 'leaseUntilMs',
} as const;

/**
 * Shards of the running index per queue: a claim lands in one (by a hash of the task id), a drain queries them all.
 * One index partition takes about 1,000 writes a second, and each claim and each end of a lease is a write there,
 * so a queue runs up to roughly 4,000 tasks a second before its shards of the index throttle (and, through them, the
 * table's writes).
 */
export const RUNNING_INDEX_SHARDS = 8;

/** The running-index partition key of a task claimed from `queue`: `<queue>#<0…7>`, by an FNV-1a hash of its id. */
export function runningShardKey(queue: string, taskId: string): string {
  let hash = 0x811c9dc5;
  for (let index = 0; index < taskId.length; index += 1) {
    hash ^= taskId.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return `${queue}#${hash % RUNNING_INDEX_SHARDS}`;
}

/** Every running-index partition key of `queue`, the ones a drain queries. */
export function runningShardKeys(queue: string): string[] {
  return Array.from({ length: RUNNING_INDEX_SHARDS }, (_, shard) => `${queue}#${shard}`);
}

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
  LEASE_UNTIL_MS: TaskTable.LEASE_UNTIL_MS,
  RUNNING_SHARD: TaskTable.RUNNING_SHARD,
  INTERRUPTIBLE: 'interruptible',
  HANDING_OVER: 'handingOver',
  LINK: 'link',
  LAST_ERROR: 'lastError',
  RESULT: 'result',
  RESULT_REF: 'resultRef',
  RESULT_NOT_STORED: 'resultNotStored',
  DEAD_REASON: 'deadReason',
  DEAD_TASK_NAME: TaskTable.DEAD_TASK_NAME,
  DEAD_AT: TaskTable.DEAD_AT,
  DEDUP_KEY: 'dedupKey',
  EXPIRES_AT: TaskTable.TTL_ATTRIBUTE,
} as const satisfies Record<string, keyof TaskStateItem>;

/** Name of an attribute of a task-state item. */
export type TaskAttributeName = (typeof TaskAttribute)[keyof typeof TaskAttribute];

/** Why a succeeded task's result was not stored: a short reason, never the result itself. */
export interface ResultNotStored {
  /** What went wrong, for example `not JSON-serializable (TypeError: Do not know how to serialize a BigInt)`. */
  readonly reason: string;
}

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
  /** Running-index key (`<queue>#<shard>`): present only while a claim's lease is held (see {@link TaskTable}). */
  readonly runningShard?: string;
  /**
   * Whether the task's definition says it is safe to interrupt (`defineTask({ interruptible: true })`), as recorded
   * by the claim of its latest attempt; a drain does not wait for such tasks.
   */
  readonly interruptible?: boolean;
  /**
   * The hand-over a delivery leased the task for (destination and rule), written before the delivery to the
   * destination. A later delivery that finds it under a lease that ended without a close completes that hand-over
   * instead of deciding again: the destination may already have the task, so it must not also run in Bosun.
   */
  readonly handingOver?: RouteStamp;
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
  /**
   * Why a succeeded task has no result although its handler returned one (it could not be serialized, was too large
   * with no claim-check bucket, or could not be written to S3). The task ran and is not run again; its result is lost.
   */
  readonly resultNotStored?: ResultNotStored;
  readonly deadReason?: DeadReason;
  readonly deadTaskName?: string;
  readonly deadAt?: string;
  readonly dedupKey?: string;
  readonly expiresAt?: number;
}
