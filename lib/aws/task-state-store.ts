import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { randomBytes } from 'node:crypto';
import {
  TASK_TRANSITIONS,
  TaskAttribute as A,
  TaskTable,
  isTerminalStatus,
  runningShardKey,
  runningShardKeys,
  type DeadReason,
  type RouteStamp,
  type TaskErrorRecord,
  type TaskStateItem,
  type TaskStatus,
  type TaskTransition,
  type TransitionSource,
} from '../contract';
import { AwsCallFailedError } from './errors';

/** Default time a task-state item is kept after its last write: 30 days. */
export const DEFAULT_STATE_TTL_SECONDS = 30 * 24 * 60 * 60;

/** Longest error message recorded in task state. */
export const MAX_ERROR_MESSAGE_CHARS = 1024;

/** Attempts of a closing write (the AWS SDK's own retries come on top of each). */
const CLOSE_ATTEMPTS = 5;
/** First backoff between closing-write attempts, doubled each time. */
const CLOSE_BACKOFF_MS = 50;
/** Most conditional puts in one `TransactWriteItems` call (DynamoDB's limit). */
export const MAX_CREATES_PER_TRANSACTION = 100;
/** Most bytes of items in one `TransactWriteItems` call: DynamoDB allows 4 MB; the rest is room for the request. */
const MAX_TRANSACTION_ITEM_BYTES = 3_500_000;
/**
 * Transactions of {@link TaskStateStore.createMany} in a row that resolve no item (every reason a conflict or a
 * throttle) before it gives up. A round that finds existing items resolves them, so it does not count.
 */
const CREATE_MANY_IDLE_ROUNDS = 5;
/** Cancellation reasons of items that did nothing wrong: the transaction is tried again with them. */
const RETRYABLE_CANCELLATION = new Set(['None', 'TransactionConflict', 'ThrottlingError', 'ProvisionedThroughputExceeded']);

/** Options of {@link TaskStateStore}. */
export interface TaskStateStoreOptions {
  /** Document client (share one per process). */
  readonly dynamodb: DynamoDBDocumentClient;
  /** Task-state table name. */
  readonly tableName: string;
  /**
   * Seconds after its last write an item may be deleted by DynamoDB's TTL.
   * @default 2592000 (30 days)
   */
  readonly ttlSeconds?: number;
  /** Clock, for tests. @default Date.now */
  readonly now?: () => number;
  /** Sleep between closing-write attempts, for tests. @default - setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** What a state write needs to know of the task (all of it is in the envelope). */
export interface TaskIdentity {
  /** Task id. */
  readonly id: string;
  /** Task name. */
  readonly task: string;
  /** Route stamped at publish. */
  readonly route: RouteStamp;
  /** Publish time, ISO-8601. */
  readonly publishedAt: string;
  /** ETA, ISO-8601. */
  readonly eta?: string;
  /** Link number of the delivered message (absent means 0). */
  readonly link?: number;
}

/** Input of {@link TaskStateStore.create} and {@link TaskStateStore.createMany}. */
export interface CreateInput {
  readonly task: TaskIdentity;
  readonly status: 'queued' | 'scheduled' | 'rerouted';
  readonly queue: string;
  readonly dedupKey?: string;
}

/** Outcome of {@link TaskStateStore.create}. */
export type CreateResult =
  | { readonly kind: 'created' }
  /** An item with that id exists (a repeated dedup key): nothing was written. */
  | { readonly kind: 'exists'; readonly item: TaskStateItem };

/** Outcome of {@link TaskStateStore.acquire}. */
export type AcquireResult =
  /** The caller holds the lease; `previous` is the item before the write (undefined when it was created). */
  | {
      readonly kind: 'acquired';
      readonly previous: TaskStateItem | undefined;
      /** The attempt a claim starts: one more than the attempts the state recorded (claim only). */
      readonly attempt?: number;
    }
  /** The task is finished (succeeded, dead, rerouted, cancelled): the delivery is a duplicate. */
  | { readonly kind: 'terminal'; readonly item: TaskStateItem }
  /**
   * Another delivery holds a live lease. `sameMessage`: it was taken by a delivery of this very SQS message (so this
   * message must not be deleted while the lease lives).
   */
  | { readonly kind: 'leased'; readonly item: TaskStateItem; readonly sameMessage: boolean }
  /** A newer link of the task's message chain was sent: this message is a stale copy. */
  | { readonly kind: 'stale'; readonly item: TaskStateItem }
  /** The item belongs to a task of another name: the message claims an id that is not its own. */
  | { readonly kind: 'foreign'; readonly item: TaskStateItem };

/** Outcome of a closing transition. `refused`: the caller's lease is no longer the item's (the write did nothing). */
export type CloseResult = 'applied' | 'refused';

/** Input of {@link TaskStateStore.acquire}. */
export interface AcquireInput {
  /** The delivered task. */
  readonly task: TaskIdentity;
  /** `claim` to run an attempt (status `running`), `lease` for any other side effect (status kept). */
  readonly purpose: 'claim' | 'lease';
  /** Lease token: `<SQS message id>/<random>`, unique per delivery; see {@link leaseToken}. */
  readonly token: string;
  /** Epoch ms until which the lease holds (at most the end of the invocation). */
  readonly leaseUntilMs: number;
  /** Logical queue the delivery came from. */
  readonly queue: string;
  /**
   * Attempt number the message's own count implies (attempts before it + its receives), claim only. The state counts
   * attempts (one per claim); this number seeds the count of a task that has no record yet.
   */
  readonly attempt: number;
  /** Whether the message is a redriven DLQ copy, which may lease a `dead` task. */
  readonly redriven: boolean;
  /**
   * Whether the task is safe to interrupt (its definition's `interruptible`), recorded by a claim for `bosun drain`.
   * @default false
   */
  readonly interruptible?: boolean;
  /**
   * `lease` only: the hand-over the lease is for, recorded on the item before the destination is called (see
   * `TaskStateItem.handingOver`). @default - none
   */
  readonly handingOver?: RouteStamp;
}

/** A task whose handler runs right now, as {@link TaskStateStore.listRunning} finds it. */
export interface RunningTask {
  readonly taskId: string;
  readonly taskName: string;
  readonly queue: string;
  /** The attempt that runs. */
  readonly attempts: number;
  /** When the attempt started, ISO-8601 (absent on items written before Bosun recorded it). */
  readonly startedAt?: string;
  /** Epoch milliseconds its lease ends: past it, its runner is gone and the task no longer counts as running. */
  readonly leaseUntilMs: number;
  /** Whether its definition says it is safe to interrupt. */
  readonly interruptible: boolean;
}

/** Fields of the closing transitions, by transition. */
export type CloseInput =
  | {
      readonly transition: 'succeed';
      readonly result?: unknown;
      readonly resultRef?: TaskStateItem['resultRef'];
      readonly resultNotStored?: TaskStateItem['resultNotStored'];
    }
  | { readonly transition: 'retry'; readonly error: TaskErrorRecord }
  | {
      readonly transition: 'deadLetter';
      readonly reason: DeadReason;
      readonly error: TaskErrorRecord;
      readonly attempts: number;
    }
  | { readonly transition: 'hop'; readonly link: number; readonly eta: string }
  | { readonly transition: 'move'; readonly link: number; readonly queue: string; readonly route: RouteStamp }
  | { readonly transition: 'hold'; readonly link: number }
  | { readonly transition: 'handOver'; readonly queue: string; readonly route: RouteStamp }
  | { readonly transition: 'release' }
  | { readonly transition: 'extend'; readonly leaseUntilMs: number };

/** Outcome of {@link TaskStateStore.reopen}. */
export type ReopenResult =
  /**
   * The task is `queued` again; the redriven copy must carry `link`. `leaseToken` is the item's token after the reopen
   * (the last lease before it died, if any): {@link TaskStateStore.rebury} checks that no delivery took one since.
   */
  | { readonly kind: 'reopened'; readonly link: number; readonly leaseToken?: string }
  /** The task is not dead (or has no state): `item` says what it is. */
  | { readonly kind: 'refused'; readonly item: TaskStateItem | undefined };

/** Input of {@link TaskStateStore.rebury}: what `reopen` returned, and the dead-letter fields to put back. */
export interface ReburyInput {
  /** The link `reopen` returned (the one the redriven copy would have carried). */
  readonly link: number;
  /** The lease token `reopen` returned. */
  readonly leaseToken?: string;
  /** Why the task is dead (the DLQ message's `Bosun.DeadReason`). */
  readonly reason: DeadReason;
  /** Attempts it had used (the DLQ message's `Bosun.Attempts`). */
  readonly attempts: number;
}

/** Outcome of {@link TaskStateStore.rebury}. */
export type ReburyResult =
  | { readonly kind: 'reburied' }
  /** Something touched the task since the reopen (or it is gone): nothing was written; `item` says what it is. */
  | { readonly kind: 'refused'; readonly item: TaskStateItem | undefined };

/** Outcome of {@link TaskStateStore.cancel}. */
export type CancelResult =
  | { readonly kind: 'cancelled'; readonly previous: TaskStateItem | undefined }
  | { readonly kind: 'refused'; readonly item: TaskStateItem };

/** Matched by name: the SDK's exception class can exist twice in a bundle (client-dynamodb and lib-dynamodb copies). */
function conditionFailure(error: unknown): { item: TaskStateItem | undefined } | undefined {
  if (!(error instanceof Error) || error.name !== 'ConditionalCheckFailedException') return undefined;
  const raw = (error as { Item?: Record<string, unknown> }).Item;
  if (raw === undefined) return { item: undefined };
  return { item: unmarshall(raw as Parameters<typeof unmarshall>[0]) as TaskStateItem };
}

/**
 * The reasons of a cancelled transaction, one per item in request order, as the AWS SDK puts them on the exception
 * (`Item` in DynamoDB's wire form: the document client does not convert it). Undefined for any other error.
 */
function cancellationReasons(error: unknown): readonly unknown[] | undefined {
  if (!(error instanceof Error) || error.name !== 'TransactionCanceledException') return undefined;
  const reasons = (error as { CancellationReasons?: unknown }).CancellationReasons;
  return Array.isArray(reasons) ? reasons : undefined;
}

/** Truncates an error to the record kept in task state: type and message, never the payload. */
export function errorRecord(error: unknown): TaskErrorRecord {
  if (error instanceof Error) {
    return { type: error.name, message: error.message.slice(0, MAX_ERROR_MESSAGE_CHARS) };
  }
  return { type: typeof error, message: 'a non-Error value was thrown' };
}

/**
 * A fresh lease token for one delivery of an SQS message: the message id (so a redelivery of the same message can
 * recognise a lease its own earlier delivery took) and 96 random bits (so two deliveries never share a token).
 *
 * @example
 * const token = leaseToken(record.messageId);
 */
export function leaseToken(messageId: string): string {
  return `${messageId}/${randomBytes(12).toString('hex')}`;
}

/** The SQS message id a lease token was taken by. */
export function leaseMessageId(token: string | undefined): string | undefined {
  if (token === undefined) return undefined;
  const slash = token.lastIndexOf('/');
  return slash < 0 ? undefined : token.slice(0, slash);
}

/** What a task carries while it is dead (and the sparse dead-task index reads): removed when it lives again. */
const DEAD_MARKS: readonly string[] = [A.DEAD_TASK_NAME, A.DEAD_AT, A.DEAD_REASON, A.FINISHED_AT];

/** Expression names and values, collected while an expression is built. */
class Expr {
  public readonly names: Record<string, string> = {};
  public readonly values: Record<string, unknown> = {};
  private nextValue = 0;

  /** `#name` for an attribute. */
  public n(attribute: string): string {
    const placeholder = `#${attribute}`;
    this.names[placeholder] = attribute;
    return placeholder;
  }

  /** `#a, #b, …` for a list of attributes (a REMOVE clause). */
  public list(attributes: readonly string[]): string {
    return attributes.map((attribute) => this.n(attribute)).join(', ');
  }

  /** `:vN` for a value. */
  public v(value: unknown): string {
    const placeholder = `:v${this.nextValue++}`;
    this.values[placeholder] = value;
    return placeholder;
  }

  /** `#status IN (...)` for the statuses of a transition's `from` (and `attribute_not_exists` for `absent`). */
  public from(sources: readonly TransitionSource[]): string {
    const statuses = sources.filter((source): source is TaskStatus => source !== 'absent');
    const parts: string[] = [];
    if (sources.includes('absent')) parts.push(`attribute_not_exists(${this.n(A.TASK_ID)})`);
    if (statuses.length > 0) parts.push(`${this.n(A.STATUS)} IN (${statuses.map((status) => this.v(status)).join(', ')})`);
    return parts.length === 1 ? (parts[0] as string) : `(${parts.join(' OR ')})`;
  }
}

/**
 * The one owner of task state: every write to the task-state table is a transition of `TASK_TRANSITIONS` (in
 * `lib/contract`), made here as a single conditional write whose condition comes from that table (`createMany`: many
 * `create` writes in one transaction). The SDK calls
 * `create`, `discard` and `cancel`; the runtime `acquire` and `close`; the CLI `reopen`, `rebury` and `cancel`.
 *
 * Writes are idempotent under lost responses: a retried write that meets its own first write (same lease token,
 * same target) reports `applied`, because a refused condition returns the item (`ReturnValuesOnConditionCheckFailure`)
 * and the adapter compares it. Closing writes retry inside the call on transient errors.
 *
 * @example
 * const state = new TaskStateStore({ dynamodb, tableName: 'bosun-dev-tasks' });
 * const token = leaseToken(record.messageId);
 * const lease = await state.acquire({ task: envelope, purpose: 'claim', token, leaseUntilMs, queue: 'default', attempt: 1, redriven: false });
 * if (lease.kind === 'acquired') await state.close(envelope.id, token, { transition: 'succeed', result });
 */
export class TaskStateStore {
  private readonly dynamodb: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly ttlSeconds: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  public constructor(options: TaskStateStoreOptions) {
    this.dynamodb = options.dynamodb;
    this.tableName = options.tableName;
    this.ttlSeconds = options.ttlSeconds ?? DEFAULT_STATE_TTL_SECONDS;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** Reads one task's state (strongly consistent). Undefined when the table has no item for the id. */
  public async get(taskId: string): Promise<TaskStateItem | undefined> {
    try {
      const output = await this.dynamodb.send(
        new GetCommand({ TableName: this.tableName, Key: { [A.TASK_ID]: taskId }, ConsistentRead: true }),
      );
      return output.Item as TaskStateItem | undefined;
    } catch (error) {
      throw new AwsCallFailedError('DynamoDB', 'GetItem', taskId, error);
    }
  }

  /**
   * The tasks of `queue` whose handler runs right now: a claim holds a live lease (it ends at or after `nowMs`).
   * Reads the sparse running index, one `Query` per shard (eventually consistent, as every index read: a claim made
   * a moment ago may show a moment later). A running task whose lease has expired is not listed: its invocation
   * died, and the next delivery of its message takes it over.
   *
   * @example
   * const running = await state.listRunning('default');
   * const blocking = running.filter((task) => !task.interruptible);
   */
  public async listRunning(queue: string, nowMs: number = this.now()): Promise<RunningTask[]> {
    const running: RunningTask[] = [];
    for (const shard of runningShardKeys(queue)) {
      let startKey: Record<string, unknown> | undefined;
      do {
        const expr = new Expr();
        const key = `${expr.n(A.RUNNING_SHARD)} = ${expr.v(shard)} AND ${expr.n(A.LEASE_UNTIL_MS)} >= ${expr.v(nowMs)}`;
        const filter = `${expr.n(A.STATUS)} = ${expr.v('running')}`;
        const projection = expr.list([A.TASK_ID, A.TASK_NAME, A.QUEUE, A.ATTEMPTS, A.STARTED_AT, A.LEASE_UNTIL_MS, A.INTERRUPTIBLE]);
        let output;
        try {
          output = await this.dynamodb.send(
            new QueryCommand({
              TableName: this.tableName,
              IndexName: TaskTable.RUNNING_INDEX,
              KeyConditionExpression: key,
              FilterExpression: filter,
              ProjectionExpression: projection,
              ExpressionAttributeNames: expr.names,
              ExpressionAttributeValues: expr.values,
              ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
            }),
          );
        } catch (error) {
          throw new AwsCallFailedError('DynamoDB', 'Query', undefined, error);
        }
        for (const item of (output.Items ?? []) as Partial<TaskStateItem>[]) {
          running.push({
            taskId: String(item.taskId),
            taskName: String(item.taskName),
            queue: item.queue ?? queue,
            attempts: Number(item.attempts ?? 0),
            ...(item.startedAt === undefined ? {} : { startedAt: item.startedAt }),
            leaseUntilMs: Number(item.leaseUntilMs),
            interruptible: item.interruptible === true,
          });
        }
        startKey = output.LastEvaluatedKey;
      } while (startKey !== undefined);
    }
    return running;
  }

  /**
   * `create`: the first record of a task, written by a publish before its message exists (the dedup gate of a dedup
   * key, a far ETA, a hand-over at publish). Nothing is written when an item with the id exists.
   */
  public async create(input: CreateInput): Promise<CreateResult> {
    const item = this.createRecord(input);
    const expr = new Expr();
    const condition = expr.from(TASK_TRANSITIONS.create.from);
    try {
      await this.dynamodb.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: condition,
          ExpressionAttributeNames: expr.names,
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { kind: 'created' };
    } catch (error) {
      const refused = conditionFailure(error);
      if (refused === undefined) throw new AwsCallFailedError('DynamoDB', 'PutItem', input.task.id, error);
      const existing = refused.item ?? (await this.get(input.task.id));
      if (existing === undefined) return this.create(input);
      return { kind: 'exists', item: existing };
    }
  }

  /**
   * `create` for many tasks at once: the same records under the same condition (no item with the id), written as
   * conditional puts in `TransactWriteItems` calls of at most 100 items and 3.5 MB, instead of one `PutItem` each.
   * Returns one result per input, in order: `created`, or `exists` with the record that stood in the way.
   *
   * A transaction is all or nothing, so one existing id cancels it: the cancellation reasons (one per put, in order)
   * name the existing items (with their record, `ReturnValuesOnConditionCheckFailure`), and the transaction is tried
   * again with the rest. Conflicts and throttles are tried again too, with backoff, up to 5 rounds in a row that
   * resolve nothing. An id given twice (which DynamoDB refuses in one transaction) is written once in the transaction,
   * and its repeats go through `create` after it (so they report `exists`).
   *
   * Each put costs 2 write units (a transactional write), twice a `PutItem`'s; the CPU of one request is shared by
   * all of them. A lost response retried by the AWS SDK carries the same `ClientRequestToken`, so DynamoDB answers
   * it as applied rather than cancelling it on the records it wrote.
   *
   * @throws AwsCallFailedError when a call fails for another reason, or an item is refused for another reason than
   * its condition (nothing of that transaction was written; the records of earlier transactions of the call stay).
   * @example
   * const results = await state.createMany(tasks.map((task) => ({ task, status: 'queued', queue: 'default', dedupKey: task.dedupKey })));
   */
  public async createMany(inputs: readonly CreateInput[]): Promise<CreateResult[]> {
    const results = new Array<CreateResult>(inputs.length);
    const seen = new Set<string>();
    const firsts: number[] = [];
    const repeats: number[] = [];
    inputs.forEach((input, index) => {
      if (seen.has(input.task.id)) repeats.push(index);
      else {
        seen.add(input.task.id);
        firsts.push(index);
      }
    });
    let chunk: number[] = [];
    let chunkBytes = 0;
    const records = new Map<number, TaskStateItem>();
    for (const index of firsts) {
      const record = this.createRecord(inputs[index] as CreateInput);
      const bytes = JSON.stringify(record).length;
      if (chunk.length >= MAX_CREATES_PER_TRANSACTION || (chunk.length > 0 && chunkBytes + bytes > MAX_TRANSACTION_ITEM_BYTES)) {
        await this.createTransaction(chunk, inputs, records, results);
        chunk = [];
        chunkBytes = 0;
        records.clear();
      }
      chunk.push(index);
      chunkBytes += bytes;
      records.set(index, record);
    }
    if (chunk.length > 0) await this.createTransaction(chunk, inputs, records, results);
    for (const index of repeats) results[index] = await this.create(inputs[index] as CreateInput);
    return results;
  }

  /**
   * Undoes `create` after a publish whose send certainly failed: deletes the item only while nothing has touched it
   * since (same status, no attempt, no lease). Returns whether it was deleted.
   */
  public async discard(taskId: string, status: 'queued' | 'scheduled' | 'rerouted'): Promise<boolean> {
    if (!TASK_TRANSITIONS.discard.from.includes(status)) throw new RangeError(`discard cannot start from ${status}`);
    const expr = new Expr();
    const condition =
      `${expr.n(A.STATUS)} = ${expr.v(status)} AND ${expr.n(A.ATTEMPTS)} = ${expr.v(0)} AND ` +
      `attribute_not_exists(${expr.n(A.LEASE_TOKEN)})`;
    try {
      await this.dynamodb.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { [A.TASK_ID]: taskId },
          ConditionExpression: condition,
          ExpressionAttributeNames: expr.names,
          ExpressionAttributeValues: expr.values,
        }),
      );
      return true;
    } catch (error) {
      if (conditionFailure(error) !== undefined) return false;
      throw new AwsCallFailedError('DynamoDB', 'DeleteItem', taskId, error);
    }
  }

  /**
   * `handedOver`: a publish with a dedup key recorded its gate as `queued` and has now handed the task to a custom
   * destination: `rerouted`, while no consumer has touched it. Returns whether it applied.
   */
  public async handedOver(taskId: string, destination: string): Promise<boolean> {
    const nowMs = this.now();
    const nowIso = new Date(nowMs).toISOString();
    const expr = new Expr();
    const condition =
      `${expr.from(TASK_TRANSITIONS.handedOver.from)} AND ${expr.n(A.ATTEMPTS)} = ${expr.v(0)} AND ` +
      `attribute_not_exists(${expr.n(A.LEASE_TOKEN)})`;
    const update =
      `SET ${expr.n(A.STATUS)} = ${expr.v('rerouted')}, ${expr.n(A.QUEUE)} = ${expr.v(destination)}, ` +
      `${expr.n(A.FINISHED_AT)} = ${expr.v(nowIso)}, ${expr.n(A.UPDATED_AT)} = ${expr.v(nowIso)}, ` +
      `${expr.n(A.EXPIRES_AT)} = ${expr.v(this.expiresAt(nowMs))}`;
    const result = await this.transition(taskId, expr, condition, update);
    return result.applied || result.item?.status === 'rerouted';
  }

  /**
   * `claim` or `lease`: a delivery takes the task's lease before any side effect. Refused (with the reason) when the
   * task is terminal, leased by another live delivery, of another name, or when the message is an older link than
   * the newest one sent. The item is created here when no publish wrote one.
   */
  public async acquire(input: AcquireInput): Promise<AcquireResult> {
    const nowMs = this.now();
    const nowIso = new Date(nowMs).toISOString();
    const link = input.task.link ?? 0;
    const rule = input.purpose === 'claim' ? TASK_TRANSITIONS.claim : TASK_TRANSITIONS.lease;
    const expr = new Expr();
    const from = rule.from.filter((source) => source !== 'dead' || input.redriven);
    const condition = [
      expr.from(from),
      `(attribute_not_exists(${expr.n(A.LEASE_UNTIL_MS)}) OR ${expr.n(A.LEASE_UNTIL_MS)} < ${expr.v(nowMs)})`,
      `(attribute_not_exists(${expr.n(A.TASK_NAME)}) OR ${expr.n(A.TASK_NAME)} = ${expr.v(input.task.task)})`,
      `(attribute_not_exists(${expr.n(A.LINK)}) OR ${expr.n(A.LINK)} <= ${expr.v(link)})`,
    ].join(' AND ');
    const sets = [
      `${expr.n(A.LEASE_TOKEN)} = ${expr.v(input.token)}`,
      `${expr.n(A.LEASE_UNTIL_MS)} = ${expr.v(input.leaseUntilMs)}`,
      `${expr.n(A.UPDATED_AT)} = ${expr.v(nowIso)}`,
      `${expr.n(A.TASK_NAME)} = ${expr.v(input.task.task)}`,
      `${expr.n(A.ROUTE)} = if_not_exists(${expr.n(A.ROUTE)}, ${expr.v(input.task.route)})`,
      `${expr.n(A.CREATED_AT)} = if_not_exists(${expr.n(A.CREATED_AT)}, ${expr.v(input.task.publishedAt)})`,
      `${expr.n(A.LINK)} = ${expr.v(link)}`,
      `${expr.n(A.EXPIRES_AT)} = ${expr.v(this.expiresAt(nowMs))}`,
    ];
    if (input.task.eta !== undefined) sets.push(`${expr.n(A.ETA)} = ${expr.v(input.task.eta)}`);
    if (input.purpose === 'lease' && input.handingOver !== undefined) sets.push(`${expr.n(A.HANDING_OVER)} = ${expr.v(input.handingOver)}`);
    let remove = '';
    if (input.purpose === 'claim') {
      sets.push(
        `${expr.n(A.STATUS)} = ${expr.v('running')}`,
        // Attempts are counted by the state, one per claim: a second copy of a task that already ran an attempt runs
        // the next one, whatever its own receive count says.
        `${expr.n(A.ATTEMPTS)} = if_not_exists(${expr.n(A.ATTEMPTS)}, ${expr.v(input.attempt - 1)}) + ${expr.v(1)}`,
        `${expr.n(A.STARTED_AT)} = ${expr.v(nowIso)}`,
        `${expr.n(A.QUEUE)} = ${expr.v(input.queue)}`,
        // Puts the task in the running index while this lease lives; every write that ends the lease removes it.
        `${expr.n(A.RUNNING_SHARD)} = ${expr.v(runningShardKey(input.queue, input.task.id))}`,
        `${expr.n(A.INTERRUPTIBLE)} = ${expr.v(input.interruptible ?? false)}`,
      );
      remove = ` REMOVE ${expr.list(DEAD_MARKS)}`;
    } else {
      // A redriven DLQ copy that SQS moved back (no reopen) leases a dead task: it is queued again from here on.
      sets.push(
        input.redriven
          ? `${expr.n(A.STATUS)} = ${expr.v('queued')}`
          : `${expr.n(A.STATUS)} = if_not_exists(${expr.n(A.STATUS)}, ${expr.v('queued')})`,
        `${expr.n(A.QUEUE)} = if_not_exists(${expr.n(A.QUEUE)}, ${expr.v(input.queue)})`,
        // A task first recorded here (a hold or hop of a task no publish recorded) starts from the attempts its message
        // has used: receives that ended without an outcome count, as SQS counts them.
        `${expr.n(A.ATTEMPTS)} = if_not_exists(${expr.n(A.ATTEMPTS)}, ${expr.v(Math.max(0, input.attempt - 1))})`,
      );
      // A lease for a side effect is not a run: the task leaves the running index (a claim's lease that expired).
      remove = ` REMOVE ${expr.list(input.redriven ? [...DEAD_MARKS, A.RUNNING_SHARD] : [A.RUNNING_SHARD])}`;
    }
    const result = await this.transition(input.task.id, expr, condition, `SET ${sets.join(', ')}${remove}`, 'ALL_OLD');
    if (result.applied) {
      const previous = result.item;
      return {
        kind: 'acquired',
        previous,
        ...(input.purpose === 'claim' ? { attempt: (previous?.attempts ?? input.attempt - 1) + 1 } : {}),
      };
    }
    const item = result.item ?? (await this.get(input.task.id));
    // Deleted between the refused condition and the read (TTL or an operator): try again.
    if (item === undefined) return this.acquire(input);
    return this.whyRefused(item, input, nowMs);
  }

  /**
   * A closing transition of the caller's lease (`succeed`, `retry`, `deadLetter`, `hop`, `move`, `hold`, `handOver`,
   * `release`). Applies only while the caller's token is the item's; retries transient errors inside the call (about
   * 1.5 s in all) and then throws, so the caller can carry the outcome in a fresh copy of the message.
   *
   * @throws AwsCallFailedError when every attempt failed for a reason other than the condition.
   */
  public async close(taskId: string, token: string, input: CloseInput): Promise<CloseResult> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.closeOnce(taskId, token, input);
      } catch (error) {
        if (attempt >= CLOSE_ATTEMPTS) throw new AwsCallFailedError('DynamoDB', 'UpdateItem', taskId, error);
        await this.sleep(CLOSE_BACKOFF_MS * 2 ** (attempt - 1));
      }
    }
  }

  /**
   * `reopen`: a redrive makes a dead task `queued` again with a fresh set of attempts and a new link number, which
   * the redriven copy must carry. Refused when the task is not dead.
   */
  public async reopen(taskId: string): Promise<ReopenResult> {
    const nowMs = this.now();
    const expr = new Expr();
    const condition = expr.from(TASK_TRANSITIONS.reopen.from);
    const update =
      `SET ${expr.n(A.STATUS)} = ${expr.v('queued')}, ${expr.n(A.ATTEMPTS)} = ${expr.v(0)}, ` +
      `${expr.n(A.LINK)} = if_not_exists(${expr.n(A.LINK)}, ${expr.v(0)}) + ${expr.v(1)}, ` +
      `${expr.n(A.UPDATED_AT)} = ${expr.v(new Date(nowMs).toISOString())}, ${expr.n(A.EXPIRES_AT)} = ${expr.v(this.expiresAt(nowMs))} ` +
      `REMOVE ${expr.list([...DEAD_MARKS, A.LEASE_UNTIL_MS, A.RUNNING_SHARD, A.HANDING_OVER])}`;
    const result = await this.transition(taskId, expr, condition, update, 'ALL_NEW');
    if (!result.applied) return { kind: 'refused', item: result.item };
    return {
      kind: 'reopened',
      link: Number(result.item?.link ?? 1),
      ...(result.item?.leaseToken === undefined ? {} : { leaseToken: result.item.leaseToken }),
    };
  }

  /**
   * `rebury`: undoes a `reopen` whose redriven copy was certainly not sent (SQS answered the send with an error):
   * the task is `dead` again, with the link it had before the reopen (no message carries the reopened one), so a DLQ
   * copy moved back later by SQS itself can still lease it. Applies only while the item is exactly as the reopen left
   * it: `queued`, the reopened link, no attempt, and no lease taken since (same token, none live).
   *
   * @example
   * const reopened = await state.reopen(taskId);
   * // ... the send of the redriven copy answered 400 ...
   * if (reopened.kind === 'reopened') await state.rebury(taskId, { ...reopened, reason: 'attempts-exhausted', attempts: 3 });
   */
  public async rebury(taskId: string, input: ReburyInput): Promise<ReburyResult> {
    const nowMs = this.now();
    const nowIso = new Date(nowMs).toISOString();
    const expr = new Expr();
    const token =
      input.leaseToken === undefined
        ? `attribute_not_exists(${expr.n(A.LEASE_TOKEN)})`
        : `${expr.n(A.LEASE_TOKEN)} = ${expr.v(input.leaseToken)}`;
    const condition = [
      expr.from(TASK_TRANSITIONS.rebury.from),
      `${expr.n(A.LINK)} = ${expr.v(input.link)}`,
      `${expr.n(A.ATTEMPTS)} = ${expr.v(0)}`,
      `attribute_not_exists(${expr.n(A.LEASE_UNTIL_MS)})`,
      token,
    ].join(' AND ');
    const update =
      `SET ${expr.n(A.STATUS)} = ${expr.v('dead')}, ${expr.n(A.LINK)} = ${expr.v(input.link - 1)}, ` +
      `${expr.n(A.ATTEMPTS)} = ${expr.v(input.attempts)}, ${expr.n(A.DEAD_REASON)} = ${expr.v(input.reason)}, ` +
      `${expr.n(A.DEAD_TASK_NAME)} = ${expr.n(A.TASK_NAME)}, ${expr.n(A.DEAD_AT)} = ${expr.v(nowIso)}, ` +
      `${expr.n(A.FINISHED_AT)} = ${expr.v(nowIso)}, ${expr.n(A.UPDATED_AT)} = ${expr.v(nowIso)}, ` +
      `${expr.n(A.EXPIRES_AT)} = ${expr.v(this.expiresAt(nowMs))}`;
    const result = await this.transition(taskId, expr, condition, update);
    if (result.applied) return { kind: 'reburied' };
    const item = result.item;
    // A retried request that meets its own first write (lost response).
    if (item?.status === 'dead' && item.link === input.link - 1 && item.leaseToken === input.leaseToken) {
      return { kind: 'reburied' };
    }
    return { kind: 'refused', item };
  }

  /**
   * `cancel`: a task that is not running (queued, scheduled, retrying, or not yet recorded) becomes `cancelled`; its
   * later deliveries are acknowledged without running. Refused when it is running under a live lease or finished.
   */
  public async cancel(taskId: string): Promise<CancelResult> {
    const nowMs = this.now();
    const nowIso = new Date(nowMs).toISOString();
    const expr = new Expr();
    const condition =
      `${expr.from(TASK_TRANSITIONS.cancel.from)} AND ` +
      `(attribute_not_exists(${expr.n(A.LEASE_UNTIL_MS)}) OR ${expr.n(A.LEASE_UNTIL_MS)} < ${expr.v(nowMs)})`;
    const update =
      `SET ${expr.n(A.STATUS)} = ${expr.v('cancelled')}, ${expr.n(A.FINISHED_AT)} = ${expr.v(nowIso)}, ` +
      `${expr.n(A.UPDATED_AT)} = ${expr.v(nowIso)}, ${expr.n(A.EXPIRES_AT)} = ${expr.v(this.expiresAt(nowMs))}`;
    const result = await this.transition(taskId, expr, condition, update, 'ALL_OLD');
    if (result.applied) return { kind: 'cancelled', previous: result.item };
    const item = result.item ?? (await this.get(taskId));
    if (item === undefined) return this.cancel(taskId);
    return { kind: 'refused', item };
  }

  private async closeOnce(taskId: string, token: string, input: CloseInput): Promise<CloseResult> {
    const nowMs = this.now();
    const nowIso = new Date(nowMs).toISOString();
    const rule = TASK_TRANSITIONS[input.transition as TaskTransition];
    const expr = new Expr();
    const condition = `${expr.from(rule.from)} AND ${expr.n(A.LEASE_TOKEN)} = ${expr.v(token)}`;
    const sets = [`${expr.n(A.UPDATED_AT)} = ${expr.v(nowIso)}`, `${expr.n(A.EXPIRES_AT)} = ${expr.v(this.expiresAt(nowMs))}`];
    const set = (attribute: string, value: unknown): void => {
      sets.push(`${expr.n(attribute)} = ${expr.v(value)}`);
    };
    switch (input.transition) {
      case 'succeed':
        set(A.STATUS, 'succeeded');
        set(A.FINISHED_AT, nowIso);
        if (input.result !== undefined) set(A.RESULT, input.result);
        if (input.resultRef !== undefined) set(A.RESULT_REF, input.resultRef);
        if (input.resultNotStored !== undefined) set(A.RESULT_NOT_STORED, input.resultNotStored);
        break;
      case 'retry':
        set(A.STATUS, 'retrying');
        set(A.LAST_ERROR, input.error);
        break;
      case 'deadLetter':
        set(A.STATUS, 'dead');
        set(A.DEAD_REASON, input.reason);
        set(A.LAST_ERROR, input.error);
        set(A.ATTEMPTS, input.attempts);
        set(A.DEAD_AT, nowIso);
        set(A.FINISHED_AT, nowIso);
        sets.push(`${expr.n(A.DEAD_TASK_NAME)} = ${expr.n(A.TASK_NAME)}`);
        break;
      case 'hop':
        set(A.STATUS, 'scheduled');
        set(A.LINK, input.link);
        set(A.ETA, input.eta);
        break;
      case 'move':
        set(A.STATUS, 'queued');
        set(A.LINK, input.link);
        set(A.QUEUE, input.queue);
        set(A.ROUTE, input.route);
        break;
      case 'hold':
        set(A.LINK, input.link);
        break;
      case 'handOver':
        set(A.STATUS, 'rerouted');
        set(A.QUEUE, input.queue);
        set(A.ROUTE, input.route);
        set(A.FINISHED_AT, nowIso);
        break;
      case 'release':
        break;
      case 'extend':
        // The only closing transition that keeps the lease: it moves its end.
        sets.push(`${expr.n(A.LEASE_UNTIL_MS)} = ${expr.v(input.leaseUntilMs)}`);
        break;
    }
    // The token stays: a retried write that meets its own first one recognises it (see `closedBy`).
    const remove = input.transition === 'extend' ? '' : ` REMOVE ${expr.list([A.LEASE_UNTIL_MS, A.RUNNING_SHARD])}`;
    const result = await this.conditionalUpdate(taskId, expr, condition, `SET ${sets.join(', ')}${remove}`);
    if (result.applied) return 'applied';
    const item = result.item ?? (await this.get(taskId));
    return item !== undefined && closedBy(item, token, input) ? 'applied' : 'refused';
  }

  /**
   * One conditional `UpdateItem` of a transition: applies `update` when `condition` holds and returns the item as
   * `returnValues` asks; when the condition is refused, returns the item as it is (`ReturnValuesOnConditionCheckFailure`)
   * or `undefined` when there is none. Any other failure is thrown untouched (`closeOnce` retries it).
   */
  private async conditionalUpdate(
    taskId: string,
    expr: Expr,
    condition: string,
    update: string,
    returnValues: 'NONE' | 'ALL_OLD' | 'ALL_NEW' = 'NONE',
  ): Promise<{ readonly applied: boolean; readonly item: TaskStateItem | undefined }> {
    try {
      const output = await this.dynamodb.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { [A.TASK_ID]: taskId },
          ConditionExpression: condition,
          UpdateExpression: update,
          ExpressionAttributeNames: expr.names,
          ExpressionAttributeValues: expr.values,
          ReturnValues: returnValues,
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { applied: true, item: output.Attributes as TaskStateItem | undefined };
    } catch (error) {
      const refused = conditionFailure(error);
      if (refused === undefined) throw error;
      return { applied: false, item: refused.item };
    }
  }

  /** {@link conditionalUpdate}, with any failure but a refused condition wrapped in `AwsCallFailedError`. */
  private async transition(
    taskId: string,
    expr: Expr,
    condition: string,
    update: string,
    returnValues: 'NONE' | 'ALL_OLD' | 'ALL_NEW' = 'NONE',
  ): Promise<{ readonly applied: boolean; readonly item: TaskStateItem | undefined }> {
    try {
      return await this.conditionalUpdate(taskId, expr, condition, update, returnValues);
    } catch (error) {
      throw new AwsCallFailedError('DynamoDB', 'UpdateItem', taskId, error);
    }
  }

  /** The first record of a task, as `create` writes it. */
  private createRecord(input: CreateInput): TaskStateItem {
    const nowIso = new Date(this.now()).toISOString();
    return {
      taskId: input.task.id,
      taskName: input.task.task,
      status: input.status,
      queue: input.queue,
      attempts: 0,
      route: input.task.route,
      createdAt: input.task.publishedAt,
      updatedAt: nowIso,
      link: input.task.link ?? 0,
      ...(input.task.eta === undefined ? {} : { eta: input.task.eta }),
      ...(input.status === 'rerouted' ? { finishedAt: nowIso } : {}),
      ...(input.dedupKey === undefined ? {} : { dedupKey: input.dedupKey }),
      expiresAt: this.expiresAt(),
    };
  }

  /**
   * Writes the records of `indices` (distinct ids, one transaction's worth) as one `TransactWriteItems` call, and again
   * without the items that exist until the rest is written. Fills `results` for every index.
   */
  private async createTransaction(
    indices: readonly number[],
    inputs: readonly CreateInput[],
    records: ReadonlyMap<number, TaskStateItem>,
    results: CreateResult[],
  ): Promise<void> {
    const expr = new Expr();
    const condition = expr.from(TASK_TRANSITIONS.create.from);
    const values = Object.keys(expr.values).length === 0 ? {} : { ExpressionAttributeValues: expr.values };
    let pending = indices;
    let idleRounds = 0;
    while (pending.length > 0) {
      try {
        await this.dynamodb.send(
          new TransactWriteCommand({
            TransactItems: pending.map((index) => ({
              Put: {
                TableName: this.tableName,
                Item: records.get(index),
                ConditionExpression: condition,
                ExpressionAttributeNames: expr.names,
                ...values,
                ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
              },
            })),
          }),
        );
        for (const index of pending) results[index] = { kind: 'created' };
        return;
      } catch (error) {
        const firstId = inputs[pending[0] as number]?.task.id;
        const reasons = cancellationReasons(error);
        if (reasons === undefined || reasons.length !== pending.length) {
          throw new AwsCallFailedError('DynamoDB', 'TransactWriteItems', pending.length === 1 ? firstId : undefined, error);
        }
        const again: number[] = [];
        let resolved = 0;
        for (let i = 0; i < pending.length; i += 1) {
          const index = pending[i] as number;
          const reason = reasons[i] as { Code?: string; Item?: Record<string, unknown> };
          const code = reason.Code ?? 'None';
          if (code === 'ConditionalCheckFailed') {
            const existing =
              reason.Item === undefined
                ? await this.get((inputs[index] as CreateInput).task.id)
                : (unmarshall(reason.Item as Parameters<typeof unmarshall>[0]) as TaskStateItem);
            // Deleted between the refused condition and the read (TTL or an operator): write it again.
            if (existing === undefined) again.push(index);
            else {
              results[index] = { kind: 'exists', item: existing };
              resolved += 1;
            }
          } else if (RETRYABLE_CANCELLATION.has(code)) {
            again.push(index);
          } else {
            throw new AwsCallFailedError('DynamoDB', 'TransactWriteItems', (inputs[index] as CreateInput).task.id, error);
          }
        }
        if (resolved === 0) {
          idleRounds += 1;
          if (idleRounds >= CREATE_MANY_IDLE_ROUNDS) {
            throw new AwsCallFailedError('DynamoDB', 'TransactWriteItems', pending.length === 1 ? firstId : undefined, error);
          }
          await this.sleep(CLOSE_BACKOFF_MS * 2 ** (idleRounds - 1));
        } else {
          idleRounds = 0;
        }
        pending = again;
      }
    }
  }

  private whyRefused(item: TaskStateItem, input: AcquireInput, nowMs: number): AcquireResult {
    if (item.leaseToken === input.token) {
      return { kind: 'acquired', previous: undefined, ...(input.purpose === 'claim' ? { attempt: item.attempts } : {}) };
    }
    if (item.taskName !== undefined && item.taskName !== input.task.task) return { kind: 'foreign', item };
    if (isTerminalStatus(item.status) && !(item.status === 'dead' && input.redriven)) return { kind: 'terminal', item };
    if ((item.link ?? 0) > (input.task.link ?? 0)) return { kind: 'stale', item };
    if (item.leaseUntilMs !== undefined && item.leaseUntilMs >= nowMs) {
      const holder = leaseMessageId(item.leaseToken);
      return { kind: 'leased', item, sameMessage: holder !== undefined && holder === leaseMessageId(input.token) };
    }
    // Every rule of the condition holds now: the item changed between the write and the read. Say so as a lease
    // held for a moment, so the delivery comes back shortly.
    return { kind: 'leased', item: { ...item, leaseUntilMs: nowMs + 1000 }, sameMessage: true };
  }

  private expiresAt(nowMs: number = this.now()): number {
    return Math.floor(nowMs / 1000) + this.ttlSeconds;
  }
}

/** Whether `item` already shows the closing write `input` made with `token` (a retried write meeting its first). */
function closedBy(item: TaskStateItem, token: string, input: CloseInput): boolean {
  if (input.transition === 'extend') return item.leaseToken === token && item.leaseUntilMs === input.leaseUntilMs;
  if (item.leaseToken !== token || item.leaseUntilMs !== undefined) return false;
  switch (input.transition) {
    case 'succeed':
      return item.status === 'succeeded';
    case 'retry':
      return item.status === 'retrying';
    case 'deadLetter':
      return item.status === 'dead';
    case 'hop':
    case 'move':
    case 'hold':
      return item.link === input.link;
    case 'handOver':
      return item.status === 'rerouted';
    case 'release':
      return true;
  }
}
