import {
  type ClaimCheckReference,
  type PayloadOf,
  SCHEDULE_INPUT_MAX_CHARS,
  type RouteDecision,
  type TaskDeclaration,
  type TaskStateItem,
  type TaskStatus,
  evaluateRoute,
  isTerminalStatus,
} from '../contract';
import type { CancelResult, TaskStateStore } from '../aws/task-state-store';
import { type AwsCallFailedError, PublishOutcomeUnknownError, TaskClientConfigError, TaskWaitTimeoutError } from './errors';
import { BatchPacker } from './batch-packing';
import { type PreparedTask, type PublishOptions, TaskPreparer } from './prepare-task';
import { PublishState, type RecordOutcome, needsPublishRecord } from './publish-state';
import { TaskSender } from './send-task';
import { type ResolvedTaskClientOptions, type TaskClientOptions, resolveTaskClientOptions } from './task-client-options';
import { dedupTaskId, newTaskId } from './task-id';

export type { PublishOptions } from './prepare-task';
export {
  DEFAULT_BATCH_RETRIES,
  DEFAULT_STATE_TTL_SECONDS,
  MAX_DEDUP_KEY_CHARS,
  taskClientOptionsFromOutputs,
} from './task-client-options';
export type { TaskClientAppConfigOptions, TaskClientOptions } from './task-client-options';
export type { EtaScheduleOptions } from './eta-schedules';

/** State records and custom deliveries `publishBatch` runs at once. */
const BATCH_CONCURRENCY = 16;
/**
 * Tasks whose publish record `publishBatch` writes together (one `TransactWriteItems` call, DynamoDB's limit of 100
 * items), and the most payload bytes they may hold while they wait for it.
 */
const GATE_WINDOW_TASKS = 100;
const GATE_WINDOW_BYTES = 4 * 1024 * 1024;
/** Default time between `waitForTask` reads. */
const DEFAULT_POLL_INTERVAL_MS = 250;

/** What a publish did. */
export interface PublishResult {
  /** Task id (a ULID, or the id the dedup key stands for). */
  readonly taskId: string;
  /** Destination: a Bosun queue name or a custom destination's name. */
  readonly destination: string;
  /** Rule that chose the destination, or `null` for the default. */
  readonly ruleId: string | null;
  /**
   * The task's status: `queued`, `scheduled` (ETA beyond one SQS delay) or `rerouted` (custom destination); for a
   * duplicate, the status its record has now. A `queued` task without a dedup key has no state record until a consumer
   * claims it.
   */
  readonly status: TaskStatus;
  /** Whether the payload went to S3. */
  readonly claimChecked: boolean;
  /** True when the dedup key was already published: this publish created no new task. */
  readonly duplicate: boolean;
  /**
   * True when this duplicate sent the task's message again, because no consumer had touched the task (the first
   * publish's outcome may have been unknown). A consumer still runs the task once. Always false when not a duplicate.
   */
  readonly resent: boolean;
  /** Whether the task is paused by the routing flags (consumers hold it). */
  readonly paused: boolean;
  /** ETA, ISO-8601 UTC, when the task has one. */
  readonly eta?: string;
}

/** One item of {@link TaskClient.publishBatch}. */
export interface PublishBatchItem {
  /** Task name or declaration. */
  readonly task: string | TaskDeclaration<unknown>;
  /** Its payload (validated against the declaration's schema when the client has one). */
  readonly payload: unknown;
  /** Publish options of this item. */
  readonly options?: PublishOptions;
}

/**
 * The outcome of one batch item, in input order. A failed item's `error` is `PublishOutcomeUnknownError` when its
 * message may have been accepted (its record and claim check were kept), any other error when it certainly was not.
 */
export type PublishBatchOutcome =
  | { readonly index: number; readonly ok: true; readonly result: PublishResult }
  | { readonly index: number; readonly ok: false; readonly taskName: string; readonly taskId?: string; readonly error: Error };

/** What a batch publish did: one outcome per item, nothing dropped. */
export interface PublishBatchResult {
  /** One outcome per item, `outcomes[i].index === i`. */
  readonly outcomes: readonly PublishBatchOutcome[];
  /** Items with `ok: true` (duplicates included). */
  readonly succeeded: number;
  /** Items with `ok: false`. */
  readonly failed: number;
  /** `SendMessageBatch` calls made, retries included. */
  readonly sqsCalls: number;
}

/** Options of {@link TaskClient.waitForTask}. */
export interface WaitForTaskOptions {
  /** Give up after this many milliseconds. */
  readonly timeoutMs: number;
  /** Time between reads. @default 250 */
  readonly pollIntervalMs?: number;
}

/** What {@link TaskClient.explain} evaluates. */
export interface ExplainContext {
  /** Task id to hash for percentage rules. @default - the dedup key's id, else a fresh ULID */
  readonly taskId?: string;
  /** Dedup key, for rules that hash it and for the task id. @default - none */
  readonly dedupKey?: string;
  /** @default - `context.region`, else the client's region */
  readonly region?: string;
  /** Routing context attributes. @default - none */
  readonly context?: Readonly<Record<string, string>>;
}

/** A routing decision with the task id it was made for. */
export interface RouteExplanation extends RouteDecision {
  /** The id the decision was made for. */
  readonly taskId: string;
}

/**
 * What {@link TaskClient.cancel} did: `cancelled` (with the record before, undefined when the task had none yet — no
 * consumer had claimed it), or `refused` with the record that stands in the way (running under a live lease, or
 * finished).
 */
export type CancelTaskResult = CancelResult;

type TaskNameOf<T extends readonly TaskDeclaration<unknown>[]> = T[number]['name'];
type DeclarationNamed<T extends readonly TaskDeclaration<unknown>[], N> = Extract<T[number], { name: N }>;
/** The payload type of task `N`: inferred when the declarations carry literal names, else `unknown` (validated at run time). */
type PayloadFor<T extends readonly TaskDeclaration<unknown>[], N> = [DeclarationNamed<T, N>] extends [never]
  ? unknown
  : PayloadOf<DeclarationNamed<T, N>>;

/** The producer side of Bosun. Create one per process and reuse it. */
export interface TaskClient<TTasks extends readonly TaskDeclaration<unknown>[] = readonly TaskDeclaration[]> {
  /**
   * Publishes one task: validates, routes, claim-checks a large payload, writes the first state record when the task
   * needs one before its message exists (a dedup key, an ETA beyond one SQS delay, a custom destination), sends.
   * Nothing is written when validation or routing rejects the task. A send that certainly failed (SQS answered 4xx)
   * is undone; one with an unknown outcome keeps everything and throws `PublishOutcomeUnknownError`.
   *
   * @throws TaskUnknownError, PayloadInvalidError, PayloadTooLargeError, EtaTooFarError, TaskKilledError,
   * DestinationUnknownError, TaskClientConfigError, AwsCallFailedError, PublishOutcomeUnknownError
   * @example
   * const { taskId } = await bosun.publish('email.send', { to: 'a@example.com' }, { dedupKey: 'welcome:a@example.com' });
   */
  publish<D extends TaskDeclaration<unknown>>(task: D, payload: PayloadOf<D>, options?: PublishOptions): Promise<PublishResult>;
  publish<N extends TaskNameOf<TTasks>>(task: N, payload: PayloadFor<TTasks, N>, options?: PublishOptions): Promise<PublishResult>;
  /**
   * Publishes many tasks in `SendMessageBatch` calls of ≤ 10 entries and ≤ 1 MiB per queue, retrying entries SQS
   * failed on its side; an item with an ETA beyond the `etaSchedules` threshold becomes a one-time schedule instead,
   * as with `publish`. Never throws for one item: every item gets an outcome, in input order.
   *
   * @example
   * const { outcomes, succeeded, failed, sqsCalls } = await bosun.publishBatch(orders.map((o) => ({ task: 'invoice.render', payload: o })));
   * for (const o of outcomes) if (!o.ok && o.error instanceof PublishOutcomeUnknownError) retryLater(o.index);
   */
  publishBatch(items: readonly PublishBatchItem[]): Promise<PublishBatchResult>;
  /**
   * Reads a task's state (strongly consistent). Undefined when the table has no item for the id — which, for a task
   * published without a dedup key or a far ETA, also means no consumer has claimed it yet.
   *
   * @example
   * const state = await bosun.getTask(taskId); // undefined until a consumer claims a plain task
   */
  getTask(taskId: string): Promise<TaskStateItem | undefined>;
  /**
   * Polls a task's state until it is terminal (succeeded, dead, rerouted, cancelled), reading through `undefined`
   * (a task not claimed yet).
   *
   * @throws TaskWaitTimeoutError with the last status seen.
   * @example
   * const done = await bosun.waitForTask(taskId, { timeoutMs: 30_000 });
   */
  waitForTask(taskId: string, options: WaitForTaskOptions): Promise<TaskStateItem>;
  /**
   * Cancels a task that is not running: queued, scheduled, retrying, or not yet claimed (no record). Its later
   * deliveries are acknowledged without running. Refused when it runs under a live lease or has finished.
   *
   * @example
   * const outcome = await bosun.cancel(taskId);
   * if (outcome.kind === 'refused') console.log(`too late: ${outcome.item.status}`);
   */
  cancel(taskId: string): Promise<CancelTaskResult>;
  /**
   * Where a task would go right now, and which rule decides. Sends nothing.
   *
   * @example
   * const { destination, reason } = await bosun.explain('audit.consume', { region: 'ca-central-1' });
   */
  explain(task: string, context?: ExplainContext): Promise<RouteExplanation>;
}

/** One batch item on its way. */
interface BatchEntry {
  readonly index: number;
  /** The task to send: the prepared task, or the re-send of a recorded one. */
  readonly task: PreparedTask;
  /** Body to send (empty until staged, for a claim-checked task). */
  readonly body: string;
  /** Room it takes in a batch call. */
  readonly bytes: number;
  readonly claimCheck: ClaimCheckReference | undefined;
  /** Whether this publish created the task's record (so a certain failure discards it). */
  readonly created: boolean;
  /** The existing record, when the entry re-sends a duplicate. */
  readonly duplicateOf: TaskStateItem | undefined;
}

type Fail = (index: number, taskName: string, error: unknown, taskId?: string) => void;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

class BosunTaskClient implements TaskClient<readonly TaskDeclaration<unknown>[]> {
  private readonly options: ResolvedTaskClientOptions;
  private readonly preparer: TaskPreparer;
  private readonly sender: TaskSender;
  private readonly publishState: PublishState;

  public constructor(options: TaskClientOptions<readonly TaskDeclaration<unknown>[]>) {
    this.options = resolveTaskClientOptions(options);
    this.preparer = new TaskPreparer(this.options);
    this.sender = new TaskSender({ sqs: this.options.sqs, batchRetries: this.options.batchRetries });
    this.publishState = new PublishState({
      state: this.options.trackState ? this.options.state : undefined,
      claimChecks: this.options.claimChecks,
      logger: this.options.logger,
    });
  }

  public async publish(task: string | TaskDeclaration<unknown>, payload: unknown, options: PublishOptions = {}): Promise<PublishResult> {
    const prepared = this.preparer.prepare(task, payload, options, await this.options.routing.current());
    const recorded = await this.publishState.record(prepared);
    if (recorded.kind !== 'duplicate') {
      const claimChecked = await this.sendOne(prepared, recorded.kind === 'created');
      return this.result(prepared, claimChecked);
    }
    const again = recorded.resend ? this.preparer.resend(prepared, recorded.item) : undefined;
    if (again === undefined) return this.duplicateResult(prepared, recorded.item, false, false);
    const claimChecked = await this.sendOne(again, false);
    return this.duplicateResult(again, recorded.item, true, claimChecked);
  }

  public async publishBatch(items: readonly PublishBatchItem[]): Promise<PublishBatchResult> {
    const outcomes = new Array<PublishBatchOutcome>(items.length);
    const fail: Fail = (index, taskName, error, taskId) => {
      outcomes[index] = {
        index,
        ok: false,
        taskName,
        ...(taskId === undefined ? {} : { taskId }),
        error: error instanceof Error ? error : new Error(String(error)),
      };
    };
    const succeed = (entry: BatchEntry, claimChecked = entry.claimCheck !== undefined): void => {
      outcomes[entry.index] = {
        index: entry.index,
        ok: true,
        result: entry.duplicateOf === undefined ? this.result(entry.task, claimChecked) : this.duplicateResult(entry.task, entry.duplicateOf, true, claimChecked),
      };
    };
    const settleFailure = async (entry: BatchEntry, error: unknown): Promise<void> => {
      if (!(error instanceof PublishOutcomeUnknownError)) await this.publishState.undo(entry.task, entry.claimCheck, entry.created);
      fail(entry.index, entry.task.taskName, error, entry.task.taskId);
    };
    const nameOf = (task: string | TaskDeclaration<unknown>): string => (typeof task === 'string' ? task : task.name);

    let document;
    try {
      document = await this.options.routing.current();
    } catch (error) {
      items.forEach((item, index) => fail(index, nameOf(item.task), error));
      return { outcomes, succeeded: 0, failed: items.length, sqsCalls: 0 };
    }

    // Streamed: items are prepared in order and each queue's pending entries are flushed as soon as they fill one
    // SendMessageBatch call, so at most one call's worth of prepared messages per queue is alive at a time. Tasks
    // that need a record at publish (the dedup gate, a far ETA, a hand-over) wait first in the gate window (up to 100
    // tasks and 4 MiB of payload), whose records are written in one transaction; then they join the same stream.
    let sqsCalls = 0;
    const packer = new BatchPacker<BatchEntry>();
    const pendingCustom: BatchEntry[] = [];
    const pendingScheduled: BatchEntry[] = [];
    const seenDedupIds = new Set<string>();
    const gateWindow: BatchEntry[] = [];
    let gateBytes = 0;

    const flushQueue = async (url: string, entries: BatchEntry[]): Promise<void> => {
      const staged = await this.stage(entries, fail);
      // A re-send goes to the queue its record names, which is this call's queue unless the flags moved since.
      const ready: BatchEntry[] = [];
      const elsewhere: BatchEntry[] = [];
      for (const entry of staged) (entry.task.target.kind === 'queue' && entry.task.target.url !== url ? elsewhere : ready).push(entry);
      await mapLimit(elsewhere, BATCH_CONCURRENCY, async (entry) => {
        try {
          await this.sender.send(entry.task, (entry.task.target as { url: string }).url, entry.body);
          succeed(entry);
        } catch (error) {
          await settleFailure(entry, error);
        }
      });
      if (ready.length === 0) return;
      sqsCalls += await this.sender.sendBatch(url, ready, (entry, error: AwsCallFailedError) => settleFailure(entry, error), succeed);
    };

    const flushCustom = async (): Promise<void> => {
      const staged = await this.stage(pendingCustom.splice(0, pendingCustom.length), fail);
      await mapLimit(staged, BATCH_CONCURRENCY, async (entry) => {
        try {
          if (entry.task.target.kind === 'custom') {
            await this.sender.deliver(entry.task, entry.task.target.destination);
            await this.publishState.recordHandOver(entry.task);
          } else {
            await this.sender.send(entry.task, entry.task.target.url, entry.body);
          }
          succeed(entry);
        } catch (error) {
          await settleFailure(entry, error);
        }
      });
    };

    // A far ETA becomes a one-time schedule, one CreateSchedule per task, exactly as `publish` makes it (sendOne also
    // undoes a certain failure): it never joins an SQS batch, so a task whose schedule exists is never also sent.
    const flushScheduled = async (): Promise<void> => {
      await mapLimit(pendingScheduled.splice(0, pendingScheduled.length), BATCH_CONCURRENCY, async (entry) => {
        try {
          succeed(entry, await this.sendOne(entry.task, entry.created));
        } catch (error) {
          fail(entry.index, entry.task.taskName, error, entry.task.taskId);
        }
      });
    };

    const enqueue = async (entry: BatchEntry): Promise<void> => {
      if (this.scheduledFar(entry.task)) {
        pendingScheduled.push(entry);
        if (pendingScheduled.length >= BATCH_CONCURRENCY) await flushScheduled();
        return;
      }
      if (entry.task.target.kind === 'custom') {
        pendingCustom.push(entry);
        if (pendingCustom.length >= BATCH_CONCURRENCY) await flushCustom();
        return;
      }
      const full = packer.add(entry.task.target.url, entry);
      if (full !== undefined) await flushQueue(entry.task.target.url, full);
    };

    const flushGate = async (): Promise<void> => {
      const recorded = await this.record(gateWindow.splice(0, gateWindow.length), outcomes, fail);
      gateBytes = 0;
      for (const entry of recorded) await enqueue(entry);
    };

    for (let index = 0; index < items.length; index += 1) {
      const item = items[index] as PublishBatchItem;
      let task: PreparedTask;
      try {
        task = this.preparer.prepare(item.task, item.payload, item.options ?? {}, document);
      } catch (error) {
        fail(index, nameOf(item.task), error);
        continue;
      }
      if (task.dedupKey !== undefined) {
        // The same dedup key twice in one batch: one task, and this item reports it as a duplicate. (Fresh ULIDs
        // cannot collide, so only dedup ids are remembered.)
        if (seenDedupIds.has(task.taskId)) {
          outcomes[index] = { index, ok: true, result: { ...this.result(task, false), duplicate: true } };
          continue;
        }
        seenDedupIds.add(task.taskId);
      }
      const entry: BatchEntry = {
        index,
        task,
        body: task.inlineBody ?? '',
        bytes: task.sendBytes,
        claimCheck: undefined,
        created: false,
        duplicateOf: undefined,
      };
      if (this.options.trackState && needsPublishRecord(task)) {
        gateWindow.push(entry);
        gateBytes += Math.max(task.sendBytes, task.payloadJson.length);
        if (gateWindow.length >= GATE_WINDOW_TASKS || gateBytes >= GATE_WINDOW_BYTES) await flushGate();
        continue;
      }
      await enqueue(entry);
    }
    await flushGate();
    for (const [url, entries] of packer.drain()) await flushQueue(url, entries);
    await flushCustom();
    await flushScheduled();

    let succeeded = 0;
    for (const outcome of outcomes) if (outcome.ok) succeeded += 1;
    return { outcomes, succeeded, failed: items.length - succeeded, sqsCalls };
  }

  public async getTask(taskId: string): Promise<TaskStateItem | undefined> {
    return this.requireState('getTask').get(taskId);
  }

  public async waitForTask(taskId: string, options: WaitForTaskOptions): Promise<TaskStateItem> {
    const pollIntervalMs = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
    const deadline = Date.now() + options.timeoutMs;
    let last: TaskStateItem | undefined;
    for (;;) {
      // `undefined` is not an answer: a task without a publish record has none until a consumer claims it.
      last = await this.getTask(taskId);
      if (last !== undefined && isTerminalStatus(last.status)) return last;
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new TaskWaitTimeoutError(taskId, options.timeoutMs, last?.status);
      await sleep(Math.min(pollIntervalMs, remaining));
    }
  }

  public async cancel(taskId: string): Promise<CancelTaskResult> {
    const result = await this.requireState('cancel').cancel(taskId);
    // Once cancelled, a firing would be acknowledged unrun; deleting the schedule saves it (and its invocation).
    if (result.kind === 'cancelled' && this.options.etaSchedules !== undefined && result.previous?.status !== 'queued') {
      await this.options.etaSchedules.scheduler.delete(taskId);
    }
    return result;
  }

  public async explain(task: string, context: ExplainContext = {}): Promise<RouteExplanation> {
    const taskId = context.taskId ?? (context.dedupKey === undefined ? newTaskId() : dedupTaskId(task, context.dedupKey));
    const region = context.region ?? context.context?.['region'] ?? this.options.region;
    const decision = evaluateRoute(await this.options.routing.current(), {
      task,
      taskId,
      ...(region === undefined ? {} : { region }),
      ...(context.context === undefined ? {} : { context: context.context }),
      ...(context.dedupKey === undefined ? {} : { dedupKey: context.dedupKey }),
    });
    return { ...decision, taskId };
  }

  /**
   * Claim-checks (when needed) and sends one task. A certain failure undoes the publish (discards the record if
   * `created`, deletes the claim-check object) and rethrows; an unknown outcome keeps both and rethrows. Returns
   * whether the payload was claim-checked.
   */
  private async sendOne(task: PreparedTask, created: boolean): Promise<boolean> {
    let claimCheck: ClaimCheckReference | undefined;
    try {
      if (task.target.kind === 'custom') {
        await this.sender.deliver(task, task.target.destination);
        await this.publishState.recordHandOver(task);
      } else {
        const schedule = this.scheduledFar(task);
        let body = task.inlineBody;
        // A schedule's input holds 8192 characters: a larger envelope goes by claim check.
        if (body === undefined || (schedule && body.length > SCHEDULE_INPUT_MAX_CHARS)) {
          claimCheck = await this.claimCheck(task);
          body = this.preparer.claimCheckedBody(task, claimCheck);
        }
        if (schedule) {
          await this.options.etaSchedules!.scheduler.create({ taskId: task.taskId, taskName: task.taskName, queue: task.target.name, eta: task.eta! }, body);
        } else {
          await this.sender.send(task, task.target.url, body);
        }
      }
    } catch (error) {
      if (!(error instanceof PublishOutcomeUnknownError)) await this.publishState.undo(task, claimCheck, created);
      throw error;
    }
    return claimCheck !== undefined;
  }

  /** Whether a task goes to a one-time schedule: its ETA is beyond the threshold and it has a `scheduled` record. */
  private scheduledFar(task: PreparedTask): boolean {
    const eta = this.options.etaSchedules;
    if (eta === undefined || task.status !== 'scheduled' || task.eta === undefined || !this.options.trackState) return false;
    return Date.parse(task.eta) - this.options.now() > eta.thresholdSeconds * 1000;
  }

  /**
   * Writes the publish records of a gate window's entries (all of them need one), in one `TransactWriteItems` call
   * (`createMany`). Failures and duplicates that need no re-send get their outcome here and are left out of the
   * returned list; a duplicate to re-send comes back as its re-send. If the transaction fails, the entries are
   * recorded one by one, so each gets its own outcome (a record the transaction did write is then found, and its
   * task re-sent as an untouched duplicate).
   */
  private async record(entries: BatchEntry[], outcomes: PublishBatchOutcome[], fail: Fail): Promise<BatchEntry[]> {
    if (entries.length === 0) return [];
    const recorded = new Map<number, BatchEntry | undefined>();
    const settle = (entry: BatchEntry, outcome: RecordOutcome): void => {
      if (outcome.kind !== 'duplicate') {
        recorded.set(entry.index, { ...entry, created: outcome.kind === 'created' });
        return;
      }
      const again = outcome.resend ? this.preparer.resend(entry.task, outcome.item) : undefined;
      if (again === undefined) {
        outcomes[entry.index] = { index: entry.index, ok: true, result: this.duplicateResult(entry.task, outcome.item, false, false) };
        recorded.set(entry.index, undefined);
        return;
      }
      recorded.set(entry.index, { ...entry, task: again, body: again.inlineBody ?? '', bytes: again.sendBytes, duplicateOf: outcome.item });
    };
    let together: RecordOutcome[] | undefined;
    if (entries.length > 1) {
      try {
        together = await this.publishState.recordMany(entries.map((entry) => entry.task));
      } catch (error) {
        this.options.logger.warn('could not write the state records of a batch in one transaction; writing them one by one', {
          tasks: entries.length,
          error: (error as Error).message,
        });
      }
    }
    if (together !== undefined) {
      entries.forEach((entry, i) => settle(entry, together[i] as RecordOutcome));
    } else {
      await mapLimit(entries, BATCH_CONCURRENCY, async (entry) => {
        let outcome: RecordOutcome;
        try {
          outcome = await this.publishState.record(entry.task);
        } catch (error) {
          fail(entry.index, entry.task.taskName, error, entry.task.taskId);
          recorded.set(entry.index, undefined);
          return;
        }
        settle(entry, outcome);
      });
    }
    return entries.flatMap((entry) => {
      const kept = recorded.get(entry.index);
      return kept === undefined ? [] : [kept];
    });
  }

  /**
   * Stores the claim checks of one group of batch entries (already recorded), in parallel. Failures get their outcome
   * here (and are undone) and are left out of the returned list.
   */
  private async stage(entries: BatchEntry[], fail: Fail): Promise<BatchEntry[]> {
    let staged = entries;
    const toCheck = staged.filter((entry) => entry.task.target.kind === 'queue' && entry.task.inlineBody === undefined);
    if (toCheck.length > 0) {
      const checked = new Map<number, BatchEntry | undefined>();
      await mapLimit(toCheck, BATCH_CONCURRENCY, async (entry) => {
        try {
          const claimCheck = await this.claimCheck(entry.task);
          checked.set(entry.index, { ...entry, body: this.preparer.claimCheckedBody(entry.task, claimCheck), claimCheck });
        } catch (error) {
          // The put failed, so nothing was sent: a certain failure.
          await this.publishState.undo(entry.task, undefined, entry.created);
          fail(entry.index, entry.task.taskName, error, entry.task.taskId);
          checked.set(entry.index, undefined);
        }
      });
      staged = staged.flatMap((entry) => {
        if (!checked.has(entry.index)) return [entry];
        const kept = checked.get(entry.index);
        return kept === undefined ? [] : [kept];
      });
    }
    return staged;
  }

  private async claimCheck(task: PreparedTask): Promise<ClaimCheckReference> {
    const claimChecks = this.options.claimChecks;
    if (claimChecks === undefined) {
      throw new TaskClientConfigError('bucket', `task "${task.taskName}" needs a claim check but the client has no claim-check bucket`);
    }
    return claimChecks.put(task.taskId, task.payloadJson);
  }

  private requireState(operation: string): TaskStateStore {
    const state = this.options.state;
    if (state === undefined) {
      throw new TaskClientConfigError('tableName', `${operation} needs the task-state table, but no tableName was given`);
    }
    return state;
  }

  private result(task: PreparedTask, claimChecked: boolean): PublishResult {
    return {
      taskId: task.taskId,
      destination: task.decision.destination,
      ruleId: task.decision.ruleId,
      status: task.status,
      claimChecked,
      duplicate: false,
      resent: false,
      paused: task.decision.paused,
      ...(task.eta === undefined ? {} : { eta: task.eta }),
    };
  }

  private duplicateResult(task: PreparedTask, existing: TaskStateItem, resent: boolean, claimChecked: boolean): PublishResult {
    return {
      taskId: task.taskId,
      destination: existing.route?.destination ?? existing.queue,
      ruleId: existing.route?.ruleId ?? null,
      status: existing.status,
      claimChecked,
      duplicate: true,
      resent,
      paused: task.decision.paused,
      ...(existing.eta === undefined ? {} : { eta: existing.eta }),
    };
  }
}

/**
 * Creates the producer client: publish tasks, route them by the flags, claim-check large payloads, record the state
 * a publish needs, read and cancel tasks. Create one per process and reuse it: its AWS clients keep their connections
 * alive and its AppConfig source holds one session.
 *
 * @example
 * import { exampleTasks } from './lambdas/tasks';
 * const bosun = createTaskClient({ ...taskClientOptionsFromOutputs(outputs), tasks: exampleTasks });
 * const { taskId, destination } = await bosun.publish('email.send', { to: 'a@example.com', subject: 'Hi' });
 * @example
 * // typed by the declaration: the payload type is inferred from the zod schema
 * await bosun.publish(emailSend, { to: 'a@example.com', subject: 'Hi' }, { dedupKey: 'order-42', delaySeconds: 3600 });
 */
export function createTaskClient<const TTasks extends readonly TaskDeclaration<unknown>[] = readonly TaskDeclaration[]>(
  options: TaskClientOptions<TTasks>,
): TaskClient<TTasks> {
  return new BosunTaskClient(options as TaskClientOptions<readonly TaskDeclaration<unknown>[]>) as unknown as TaskClient<TTasks>;
}
