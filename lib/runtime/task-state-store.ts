import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  TaskTable,
  isTerminalStatus,
  type DeadReason,
  type RouteStamp,
  type TaskEnvelope,
  type TaskErrorRecord,
  type TaskStateItem,
} from '../contract';

/** Default time a task-state item is kept after its last write: 30 days. */
export const DEFAULT_STATE_TTL_SECONDS = 30 * 24 * 60 * 60;

/** Longest error message recorded in task state. */
export const MAX_ERROR_MESSAGE_CHARS = 1024;

/** Options of {@link TaskStateStore}. */
export interface TaskStateStoreOptions {
  readonly dynamodb: DynamoDBDocumentClient;
  readonly tableName: string;
  /**
   * Seconds after its last write an item may be deleted by DynamoDB's TTL.
   * @default 2592000 (30 days)
   */
  readonly ttlSeconds?: number;
  /** Clock, for tests. @default Date.now */
  readonly now?: () => number;
}

/** The task identity a state write needs. */
export type TaskRef = Pick<TaskEnvelope, 'id' | 'task' | 'route' | 'publishedAt'> & Partial<Pick<TaskEnvelope, 'eta'>>;

/** Outcome of {@link TaskStateStore.claim}. */
export type ClaimResult =
  /** The caller holds the task until `leaseUntilMs`. */
  | { readonly kind: 'claimed' }
  /** The task already reached a terminal status; the delivery is a duplicate. */
  | { readonly kind: 'terminal'; readonly item: TaskStateItem }
  /** Another runner holds a live lease. */
  | { readonly kind: 'leased'; readonly leaseUntilMs: number }
  /** A previous runner's lease expired mid-run (only reported when `resumeInterrupted` is false). */
  | { readonly kind: 'interrupted'; readonly item: TaskStateItem };

// Matched by name: the SDK's exception class can exist twice in a bundle (client-dynamodb and lib-dynamodb copies).
function isConditionFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

/** Truncates an error to the record kept in task state: type and message, never the payload. */
export function errorRecord(error: unknown): TaskErrorRecord {
  if (error instanceof Error) {
    return { type: error.name, message: error.message.slice(0, MAX_ERROR_MESSAGE_CHARS) };
  }
  return { type: typeof error, message: 'a non-Error value was thrown' };
}

/**
 * Task-state transitions of the consumer side. Every transition is a conditional `UpdateItem`: a claim succeeds only
 * when the task is not terminal and nobody holds a live lease, and the closing writes apply only while the caller's
 * claim (status `running` at the caller's attempt) is still the current one.
 *
 * @example
 * const store = new TaskStateStore({ dynamodb, tableName: 'bosun-dev-tasks' });
 * const claim = await store.claim({ task: envelope, queue: 'default', attempt: 1, leaseMs: 40_000 });
 */
export class TaskStateStore {
  private readonly dynamodb: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly ttlSeconds: number;
  private readonly now: () => number;

  public constructor(options: TaskStateStoreOptions) {
    this.dynamodb = options.dynamodb;
    this.tableName = options.tableName;
    this.ttlSeconds = options.ttlSeconds ?? DEFAULT_STATE_TTL_SECONDS;
    this.now = options.now ?? Date.now;
  }

  /**
   * Claims a task for one attempt. `reopenDead` lets a redriven delivery run a task that is `dead`.
   * `resumeInterrupted` (idempotent tasks) lets the caller take over a `running` task whose lease expired.
   */
  public async claim(input: {
    readonly task: TaskRef;
    readonly queue: string;
    readonly attempt: number;
    readonly leaseMs: number;
    readonly reopenDead: boolean;
    readonly resumeInterrupted: boolean;
  }): Promise<ClaimResult> {
    const nowMs = this.now();
    const nowIso = new Date(nowMs).toISOString();
    const claimable = ['attribute_not_exists(#taskId)', '#status IN (:queued, :scheduled, :retrying)'];
    if (input.resumeInterrupted) claimable.push('(#status = :running AND #leaseUntilMs < :nowMs)');
    if (input.reopenDead) claimable.push('#status = :dead');
    try {
      await this.dynamodb.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { [TaskTable.PARTITION_KEY]: input.task.id },
          ConditionExpression: claimable.join(' OR '),
          UpdateExpression:
            'SET #status = :running, #attempts = :attempt, #startedAt = :now, #leaseUntilMs = :leaseUntilMs, ' +
            '#updatedAt = :now, #taskName = :taskName, #queue = :queue, #route = if_not_exists(#route, :route), ' +
            '#createdAt = if_not_exists(#createdAt, :createdAt), #ttl = :ttl ' +
            'REMOVE #deadTaskName, #deadAt, #deadReason, #finishedAt',
          ExpressionAttributeNames: {
            '#taskId': TaskTable.PARTITION_KEY,
            '#status': 'status',
            '#attempts': 'attempts',
            '#startedAt': 'startedAt',
            '#leaseUntilMs': 'leaseUntilMs',
            '#updatedAt': 'updatedAt',
            '#taskName': 'taskName',
            '#queue': 'queue',
            '#route': 'route',
            '#createdAt': 'createdAt',
            '#ttl': TaskTable.TTL_ATTRIBUTE,
            '#deadTaskName': TaskTable.DEAD_TASK_NAME,
            '#deadAt': TaskTable.DEAD_AT,
            '#deadReason': 'deadReason',
            '#finishedAt': 'finishedAt',
          },
          ExpressionAttributeValues: {
            ':queued': 'queued',
            ':scheduled': 'scheduled',
            ':retrying': 'retrying',
            ':running': 'running',
            ...(input.resumeInterrupted ? { ':nowMs': nowMs } : {}),
            ...(input.reopenDead ? { ':dead': 'dead' } : {}),
            ':attempt': input.attempt,
            ':now': nowIso,
            ':leaseUntilMs': nowMs + input.leaseMs,
            ':taskName': input.task.task,
            ':queue': input.queue,
            ':route': input.task.route,
            ':createdAt': input.task.publishedAt,
            ':ttl': this.expiresAt(nowMs),
          },
        }),
      );
      return { kind: 'claimed' };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    const item = await this.get(input.task.id);
    if (item === undefined) {
      // Deleted between the failed condition and the read (TTL or an operator): the next delivery claims it.
      return { kind: 'leased', leaseUntilMs: nowMs };
    }
    if (isTerminalStatus(item.status)) return { kind: 'terminal', item };
    const leaseUntilMs = item.leaseUntilMs ?? 0;
    if (item.status === 'running' && leaseUntilMs < nowMs) return { kind: 'interrupted', item };
    return { kind: 'leased', leaseUntilMs };
  }

  /** Reads one task's state (strongly consistent). */
  public async get(taskId: string): Promise<TaskStateItem | undefined> {
    const output = await this.dynamodb.send(
      new GetCommand({ TableName: this.tableName, Key: { [TaskTable.PARTITION_KEY]: taskId }, ConsistentRead: true }),
    );
    return output.Item as TaskStateItem | undefined;
  }

  /** Records success, if the caller's claim is still current. Returns whether it was. */
  public async markSucceeded(input: {
    readonly taskId: string;
    readonly attempt: number;
    readonly result?: unknown;
    readonly resultRef?: TaskStateItem['resultRef'];
  }): Promise<boolean> {
    const nowMs = this.now();
    const sets = ['#status = :succeeded', '#finishedAt = :now', '#updatedAt = :now', '#ttl = :ttl'];
    const values: Record<string, unknown> = {
      ':succeeded': 'succeeded',
      ':now': new Date(nowMs).toISOString(),
      ':ttl': this.expiresAt(nowMs),
    };
    if (input.result !== undefined) {
      sets.push('#result = :result');
      values[':result'] = input.result;
    }
    if (input.resultRef !== undefined) {
      sets.push('#resultRef = :resultRef');
      values[':resultRef'] = input.resultRef;
    }
    return this.closeClaim(input.taskId, input.attempt, `SET ${sets.join(', ')} REMOVE #leaseUntilMs`, values, {
      '#result': 'result',
      '#resultRef': 'resultRef',
    });
  }

  /** Records a failed attempt that will be retried after `retryAtMs`. Returns whether the claim was still current. */
  public async markRetrying(input: {
    readonly taskId: string;
    readonly attempt: number;
    readonly error: TaskErrorRecord;
  }): Promise<boolean> {
    const nowMs = this.now();
    return this.closeClaim(
      input.taskId,
      input.attempt,
      'SET #status = :retrying, #lastError = :error, #updatedAt = :now, #ttl = :ttl REMOVE #leaseUntilMs',
      {
        ':retrying': 'retrying',
        ':error': input.error,
        ':now': new Date(nowMs).toISOString(),
        ':ttl': this.expiresAt(nowMs),
      },
      { '#lastError': 'lastError' },
    );
  }

  /**
   * Records that the task is in the DLQ, with the reason, and indexes it in the sparse dead-tasks index. Applies
   * unless the task already succeeded or was cancelled.
   */
  public async markDead(input: {
    readonly task: TaskRef;
    readonly queue: string;
    readonly attempts: number;
    readonly reason: DeadReason;
    readonly error: TaskErrorRecord;
  }): Promise<void> {
    const nowMs = this.now();
    const nowIso = new Date(nowMs).toISOString();
    await this.ignoreConditionFailure(
      this.dynamodb.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { [TaskTable.PARTITION_KEY]: input.task.id },
          ConditionExpression: 'attribute_not_exists(#taskId) OR NOT (#status IN (:succeeded, :cancelled))',
          UpdateExpression:
            'SET #status = :dead, #deadReason = :reason, #lastError = :error, #attempts = :attempts, ' +
            '#deadTaskName = :taskName, #deadAt = :now, #finishedAt = :now, #updatedAt = :now, #taskName = :taskName, ' +
            '#queue = if_not_exists(#queue, :queue), #route = if_not_exists(#route, :route), ' +
            '#createdAt = if_not_exists(#createdAt, :createdAt), #ttl = :ttl REMOVE #leaseUntilMs',
          ExpressionAttributeNames: {
            '#taskId': TaskTable.PARTITION_KEY,
            '#status': 'status',
            '#deadReason': 'deadReason',
            '#lastError': 'lastError',
            '#attempts': 'attempts',
            '#deadTaskName': TaskTable.DEAD_TASK_NAME,
            '#deadAt': TaskTable.DEAD_AT,
            '#finishedAt': 'finishedAt',
            '#updatedAt': 'updatedAt',
            '#taskName': 'taskName',
            '#queue': 'queue',
            '#route': 'route',
            '#createdAt': 'createdAt',
            '#ttl': TaskTable.TTL_ATTRIBUTE,
            '#leaseUntilMs': 'leaseUntilMs',
          },
          ExpressionAttributeValues: {
            ':succeeded': 'succeeded',
            ':cancelled': 'cancelled',
            ':dead': 'dead',
            ':reason': input.reason,
            ':error': input.error,
            ':attempts': input.attempts,
            ':taskName': input.task.task,
            ':now': nowIso,
            ':queue': input.queue,
            ':route': input.task.route,
            ':createdAt': input.task.publishedAt,
            ':ttl': this.expiresAt(nowMs),
          },
        }),
      ),
    );
  }

  /**
   * Records a non-running move: `scheduled` (re-sent towards a future ETA), `queued` (forwarded to another Bosun
   * queue) or `rerouted` (handed to a custom destination). Applies unless the task is already terminal.
   */
  public async markMoved(input: {
    readonly task: TaskRef;
    readonly status: 'scheduled' | 'queued' | 'rerouted';
    readonly queue: string;
    readonly route: RouteStamp;
  }): Promise<void> {
    const nowMs = this.now();
    const nowIso = new Date(nowMs).toISOString();
    const finished = input.status === 'rerouted';
    await this.ignoreConditionFailure(
      this.dynamodb.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { [TaskTable.PARTITION_KEY]: input.task.id },
          ConditionExpression: 'attribute_not_exists(#taskId) OR NOT (#status IN (:succeeded, :dead, :rerouted, :cancelled))',
          UpdateExpression:
            'SET #status = :status, #queue = :queue, #route = :route, #updatedAt = :now, #taskName = :taskName, ' +
            `#createdAt = if_not_exists(#createdAt, :createdAt), #ttl = :ttl${input.task.eta === undefined ? '' : ', #eta = :eta'}` +
            `${finished ? ', #finishedAt = :now' : ''} REMOVE #leaseUntilMs`,
          ExpressionAttributeNames: {
            '#taskId': TaskTable.PARTITION_KEY,
            '#status': 'status',
            '#queue': 'queue',
            '#route': 'route',
            '#updatedAt': 'updatedAt',
            '#taskName': 'taskName',
            '#createdAt': 'createdAt',
            '#ttl': TaskTable.TTL_ATTRIBUTE,
            '#leaseUntilMs': 'leaseUntilMs',
            ...(input.task.eta === undefined ? {} : { '#eta': 'eta' }),
            ...(finished ? { '#finishedAt': 'finishedAt' } : {}),
          },
          ExpressionAttributeValues: {
            ':succeeded': 'succeeded',
            ':dead': 'dead',
            ':rerouted': 'rerouted',
            ':cancelled': 'cancelled',
            ':status': input.status,
            ':queue': input.queue,
            ':route': input.route,
            ':now': nowIso,
            ':taskName': input.task.task,
            ':createdAt': input.task.publishedAt,
            ':ttl': this.expiresAt(nowMs),
            ...(input.task.eta === undefined ? {} : { ':eta': input.task.eta }),
          },
        }),
      ),
    );
  }

  private async closeClaim(
    taskId: string,
    attempt: number,
    updateExpression: string,
    values: Record<string, unknown>,
    extraNames: Record<string, string>,
  ): Promise<boolean> {
    const names: Record<string, string> = {
      '#status': 'status',
      '#attempts': 'attempts',
      '#finishedAt': 'finishedAt',
      '#updatedAt': 'updatedAt',
      '#ttl': TaskTable.TTL_ATTRIBUTE,
      '#leaseUntilMs': 'leaseUntilMs',
    };
    for (const [key, value] of Object.entries(extraNames)) {
      if (updateExpression.includes(key)) names[key] = value;
    }
    for (const key of Object.keys(names)) {
      if (!updateExpression.includes(key) && key !== '#status' && key !== '#attempts') delete names[key];
    }
    try {
      await this.dynamodb.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { [TaskTable.PARTITION_KEY]: taskId },
          // Only the runner whose claim is current may close it: a runner that lost its lease must not overwrite
          // the outcome of the runner that took over.
          ConditionExpression: '#status = :runningStatus AND #attempts = :claimedAttempt',
          UpdateExpression: updateExpression,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: { ...values, ':runningStatus': 'running', ':claimedAttempt': attempt },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  private async ignoreConditionFailure(write: Promise<unknown>): Promise<void> {
    try {
      await write;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  private expiresAt(nowMs: number): number {
    return Math.floor(nowMs / 1000) + this.ttlSeconds;
  }
}
