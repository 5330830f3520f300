import type { ClaimCheckReference, TaskStateItem } from '../contract';
import type { ClaimCheckStore } from '../aws/claim-check';
import type { SdkLogger } from '../aws/logger';
import type { CreateInput, CreateResult, TaskStateStore } from '../aws/task-state-store';
import type { PreparedTask } from './prepare-task';

/**
 * The write rule: whether a publish writes the task's first state record before sending. Only a task that needs a
 * record before its message exists gets one — a dedup key (the record is the dedup gate), an ETA beyond one SQS delay
 * (`scheduled`: cancel and the runtime's ETA chain need it). A hand-over to a custom destination is recorded
 * (`rerouted`, terminal: no consumer will ever claim it) after the destination took it ({@link recordsAfterSend}).
 * Every other task gets its first record when a consumer claims it.
 *
 * @example
 * needsPublishRecord({ dedupKey: undefined, status: 'queued' })   // false: the consumer's claim creates it
 * needsPublishRecord({ dedupKey: 'order-42', status: 'queued' })  // true
 */
export function needsPublishRecord(task: Pick<PreparedTask, 'dedupKey' | 'status'>): boolean {
  return task.dedupKey !== undefined || task.status === 'scheduled';
}

/**
 * Whether a publish records its task after the send instead: a hand-over to a custom destination without a dedup key.
 * Its `rerouted` record says what happened, so it is written only once the destination took the task — never for a
 * delivery whose outcome is unknown.
 */
export function recordsAfterSend(task: Pick<PreparedTask, 'dedupKey' | 'status'>): boolean {
  return task.dedupKey === undefined && task.status === 'rerouted';
}

/**
 * Whether no consumer has touched a task since its publish recorded it: still `queued` or `scheduled`, no attempt,
 * never leased. Such a task's message may never have arrived (an unknown publish outcome, or a publisher that died
 * between the record and the send), so a repeated dedup key sends it again.
 *
 * @example
 * if (isUntouched(existing)) await resend(existing);
 */
export function isUntouched(item: TaskStateItem): boolean {
  return (item.status === 'queued' || item.status === 'scheduled') && item.attempts === 0 && item.leaseToken === undefined;
}

/** What {@link PublishState.record} found. */
export type RecordOutcome =
  /** The publish wrote the record (undo it if the send certainly fails). */
  | { readonly kind: 'created' }
  /** The task needs no record at publish, or state tracking is off: nothing was written. */
  | { readonly kind: 'none' }
  /** A record with this id exists (a repeated dedup key); `resend` when no consumer has touched it. */
  | { readonly kind: 'duplicate'; readonly item: TaskStateItem; readonly resend: boolean };

/** The `create` of a prepared task's first record. */
function createInput(task: PreparedTask): CreateInput {
  return {
    task: {
      id: task.taskId,
      task: task.taskName,
      route: task.head.route,
      publishedAt: task.head.publishedAt,
      ...(task.eta === undefined ? {} : { eta: task.eta }),
    },
    // A hand-over's gate record says `queued` until the destination took the task (`handedOver`): a `rerouted` record
    // written before an unknown outcome would claim a hand-over that may never have happened.
    status: task.status === 'rerouted' ? 'queued' : task.status,
    // The queue the message waits on: the routed one, or the hold queue of a destination that may not be handed so far
    // an ETA (the route stamp still names the destination).
    queue: task.target.kind === 'queue' ? task.target.name : task.decision.destination,
    ...(task.dedupKey === undefined ? {} : { dedupKey: task.dedupKey }),
  };
}

function recordOutcome(created: CreateResult): RecordOutcome {
  if (created.kind === 'created') return { kind: 'created' };
  return { kind: 'duplicate', item: created.item, resend: isUntouched(created.item) };
}

/** Options of {@link PublishState}. */
export interface PublishStateOptions {
  /** The state adapter; undefined when the client tracks no state. */
  readonly state: TaskStateStore | undefined;
  /** Claim-check store, for the undo of a payload whose send certainly failed. */
  readonly claimChecks: ClaimCheckStore | undefined;
  /** Where best-effort undo failures are logged. */
  readonly logger: SdkLogger;
}

/**
 * The producer's side of the one state owner: records a task at publish by {@link needsPublishRecord} (`create`; for
 * a batch group, `createMany`, one transaction for the group's records), and undoes a publish whose send certainly failed (`discard` and the claim-check object). It never deletes anything
 * after an unknown outcome.
 *
 * @example
 * const publishState = new PublishState({ state, claimChecks, logger });
 * const recorded = await publishState.record(task);
 */
export class PublishState {
  public constructor(private readonly options: PublishStateOptions) {}

  /**
   * Writes the task's first record when the write rule asks for one.
   *
   * @throws AwsCallFailedError when DynamoDB fails (nothing was sent).
   */
  public async record(task: PreparedTask): Promise<RecordOutcome> {
    const state = this.options.state;
    if (state === undefined || !needsPublishRecord(task)) return { kind: 'none' };
    return recordOutcome(await state.create(createInput(task)));
  }

  /**
   * {@link record} for the tasks of one batch group: the records the write rule asks for are written together, in
   * `TransactWriteItems` calls of up to 100 (`TaskStateStore.createMany`), instead of one `PutItem` each. One outcome
   * per task, in order.
   *
   * @throws AwsCallFailedError when DynamoDB fails (the caller records the group one by one instead: a retry of a
   * record that was written finds it and reports a duplicate to re-send, as after a lost response).
   */
  public async recordMany(tasks: readonly PreparedTask[]): Promise<RecordOutcome[]> {
    const state = this.options.state;
    const outcomes = new Array<RecordOutcome>(tasks.length).fill({ kind: 'none' });
    if (state === undefined) return outcomes;
    const needing: number[] = [];
    tasks.forEach((task, index) => {
      if (needsPublishRecord(task)) needing.push(index);
    });
    if (needing.length === 0) return outcomes;
    const created = await state.createMany(needing.map((index) => createInput(tasks[index] as PreparedTask)));
    needing.forEach((index, i) => {
      outcomes[index] = recordOutcome(created[i] as CreateResult);
    });
    return outcomes;
  }

  /**
   * Records a hand-over the destination took, best effort: the `rerouted` record of a task without a dedup key
   * ({@link recordsAfterSend}), or the `handedOver` transition of a dedup-keyed task's `queued` gate record. The task
   * is delivered whatever happens here, so a failed write is logged, not thrown.
   */
  public async recordHandOver(task: PreparedTask): Promise<void> {
    const state = this.options.state;
    if (state === undefined || task.status !== 'rerouted') return;
    try {
      if (recordsAfterSend(task)) await state.create({ ...createInput(task), status: 'rerouted' });
      else await state.handedOver(task.taskId, task.decision.destination);
    } catch (error) {
      this.options.logger.warn('the task was handed over, but its rerouted record could not be written', {
        taskId: task.taskId,
        error: (error as Error).message,
      });
    }
  }

  /**
   * Undoes a publish whose send certainly failed, best effort: discards the record this publish created (only while
   * nothing touched it) and deletes the claim-check object. A failed delete is logged, never thrown over the original
   * error: the record's TTL and the bucket's lifecycle rule remove what is left.
   */
  public async undo(task: PreparedTask, claimCheck: ClaimCheckReference | undefined, created: boolean): Promise<void> {
    if (claimCheck !== undefined && this.options.claimChecks !== undefined) {
      try {
        await this.options.claimChecks.delete(claimCheck);
      } catch (error) {
        this.options.logger.warn('could not delete the claim-check object of a task that was not sent; the bucket lifecycle rule will expire it', {
          taskId: task.taskId,
          key: claimCheck.key,
          error: (error as Error).message,
        });
      }
    }
    if (created && this.options.state !== undefined) {
      try {
        await this.options.state.discard(task.taskId, task.status);
      } catch (error) {
        this.options.logger.warn('could not discard the state record of a task that was not sent; its TTL will expire it', {
          taskId: task.taskId,
          error: (error as Error).message,
        });
      }
    }
  }
}
