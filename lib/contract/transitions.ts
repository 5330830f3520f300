import type { TaskStatus } from './status';

/** Who may write task state. Nothing else writes the table. */
export type TaskStateWriter = 'sdk' | 'runtime' | 'cli';

/** A state that a transition may start from: a status, or `absent` (no item yet). */
export type TransitionSource = TaskStatus | 'absent';

/**
 * What a transition needs besides a permitted source status:
 * - `absent`: no item may exist (the dedup gate of a publish);
 * - `free-lease`: nobody holds a live lease, the item (if any) has the same task name, and the delivered message is
 *   not an older link of the task than the last one sent (see {@link TaskTable});
 * - `own-lease`: the caller's lease token is the item's current one (it took the lease and nobody took it over);
 * - `untouched`: nothing has written the item since the caller's own previous transition of it (the same link, no
 *   attempt, no lease taken since);
 * - `none`: only the source status.
 */
export type TransitionGuard = 'absent' | 'free-lease' | 'own-lease' | 'untouched' | 'none';

/** One row of the task state machine. */
export interface TransitionRule {
  /** Statuses the transition may start from. */
  readonly from: readonly TransitionSource[];
  /** Status it ends in; `unchanged` keeps the current status (an absent item becomes `queued`); `absent` deletes it. */
  readonly to: readonly (TaskStatus | 'unchanged' | 'absent')[];
  /** Who makes it. */
  readonly by: readonly TaskStateWriter[];
  /** What else must hold. */
  readonly guard: TransitionGuard;
  /** Whether it sends a new link of the task's message chain (the item's `link` grows by one). */
  readonly newLink: boolean;
  /** One line on when it happens. */
  readonly summary: string;
}

/** Statuses a delivery may take a lease from (together with `absent`). `dead` only for a redriven message. */
const LEASABLE: readonly TransitionSource[] = ['absent', 'queued', 'scheduled', 'retrying', 'running', 'dead'];
/** Statuses a lease holder can be in. */
const HELD: readonly TransitionSource[] = ['queued', 'scheduled', 'retrying', 'running', 'dead'];

/**
 * The task state machine: every write to the task-state table is one of these transitions, made by the state adapter
 * (`TaskStateStore` in `lib/aws`), whose conditions are built from this table. Ordering rules that go with it are in
 * `docs/adr/0006-task-state-ownership.md`: claim before any side effect, never delete a payload a live message may
 * still reference, undo a publish only when the send certainly failed, closing writes retry and else travel with the
 * message, a move never overwrites a live claim, one live link per ETA chain, redrive from a snapshot.
 *
 * A `running` item whose lease has expired is leasable: its runner died (an interrupted attempt). A `dead` item is
 * leasable only by a message that carries the dead-letter attributes (a redrive that did not reopen the state, such
 * as SQS's own `StartMessageMoveTask`).
 */
export const TASK_TRANSITIONS = {
  create: {
    from: ['absent'],
    to: ['queued', 'scheduled', 'rerouted'],
    by: ['sdk'],
    guard: 'absent',
    newLink: false,
    summary: 'a publish that needs a record before its message exists: a dedup key, a far ETA, or a custom destination',
  },
  handedOver: {
    from: ['queued'],
    to: ['rerouted'],
    by: ['sdk'],
    guard: 'untouched',
    newLink: false,
    summary: 'a publish with a dedup key handed its task to a custom destination after the gate record said queued',
  },
  discard: {
    from: ['queued', 'scheduled', 'rerouted'],
    to: ['absent'],
    by: ['sdk'],
    guard: 'untouched',
    newLink: false,
    summary: 'undoes a create whose send certainly failed, only while no consumer has touched the task',
  },
  claim: {
    from: LEASABLE,
    to: ['running'],
    by: ['runtime'],
    guard: 'free-lease',
    newLink: false,
    summary: 'a delivery takes the lease to run an attempt; the item is created here when the publish wrote none',
  },
  lease: {
    from: LEASABLE,
    to: ['unchanged'],
    by: ['runtime'],
    guard: 'free-lease',
    newLink: false,
    summary: 'a delivery takes the lease before a side effect that is not a run: a hop, hold, move, hand-over (recorded as handingOver, which a later delivery completes) or dead-letter',
  },
  succeed: {
    from: ['running'],
    to: ['succeeded'],
    by: ['runtime'],
    guard: 'own-lease',
    newLink: false,
    summary: 'the handler returned; the result is recorded (inline or by reference)',
  },
  retry: {
    from: ['running'],
    to: ['retrying'],
    by: ['runtime'],
    guard: 'own-lease',
    newLink: false,
    summary: 'the handler failed retryably; the message comes back after the backoff',
  },
  deadLetter: {
    from: HELD,
    to: ['dead'],
    by: ['runtime'],
    guard: 'own-lease',
    newLink: false,
    summary: 'the DLQ copy with the reason was sent; the task is dead until a redrive reopens it',
  },
  hop: {
    from: HELD,
    to: ['scheduled'],
    by: ['runtime'],
    guard: 'own-lease',
    newLink: true,
    summary: 'the next link of a far-ETA chain was sent with a delay',
  },
  move: {
    from: HELD,
    to: ['queued'],
    by: ['runtime'],
    guard: 'own-lease',
    newLink: true,
    summary: 'the routing flags moved the task to another Bosun queue; the copy there was sent',
  },
  hold: {
    from: HELD,
    to: ['unchanged'],
    by: ['runtime'],
    guard: 'own-lease',
    newLink: true,
    summary: 'a fresh copy was sent back to the same queue: a paused task, or a message near its max receive count',
  },
  handOver: {
    from: HELD,
    to: ['rerouted'],
    by: ['runtime'],
    guard: 'own-lease',
    newLink: false,
    summary: 'the routing flags handed the task to a custom destination (for example the legacy system)',
  },
  extend: {
    from: HELD,
    to: ['unchanged'],
    by: ['runtime'],
    guard: 'own-lease',
    newLink: false,
    summary: 'the holder keeps the task while a copy of the message carries an outcome it could not finish (a DLQ copy or hand-over that failed)',
  },
  release: {
    from: HELD,
    to: ['unchanged'],
    by: ['runtime'],
    guard: 'own-lease',
    newLink: false,
    summary: 'the lease is given back without a side effect (a step failed before anything was sent)',
  },
  reopen: {
    from: ['dead'],
    to: ['queued'],
    by: ['cli'],
    guard: 'none',
    newLink: true,
    summary: 'a redrive sends the DLQ copy back with a fresh set of attempts',
  },
  rebury: {
    from: ['queued'],
    to: ['dead'],
    by: ['cli'],
    guard: 'untouched',
    newLink: false,
    summary: 'undoes a reopen whose redriven copy was certainly not sent, only while nothing has touched the task since',
  },
  cancel: {
    from: ['absent', 'queued', 'scheduled', 'retrying'],
    to: ['cancelled'],
    by: ['sdk', 'cli'],
    guard: 'free-lease',
    newLink: false,
    summary: 'an operator cancels a task that is not running; every later delivery of it is acknowledged unrun',
  },
} as const satisfies Record<string, TransitionRule>;

/** Name of a transition of {@link TASK_TRANSITIONS}. */
export type TaskTransition = keyof typeof TASK_TRANSITIONS;

/** Every transition name, in table order. */
export const TASK_TRANSITION_NAMES = Object.keys(TASK_TRANSITIONS) as readonly TaskTransition[];
