/**
 * The life cycle of a task, as recorded in the task-state table.
 *
 * - `queued`: published and waiting in a Bosun queue.
 * - `scheduled`: published with an ETA beyond what SQS can delay in one hop; re-sent until due.
 * - `running`: claimed by a consumer under a lease.
 * - `retrying`: an attempt failed and another is scheduled after a backoff.
 * - `succeeded`: the handler returned; the result is recorded.
 * - `dead`: moved to the DLQ (attempts exhausted, non-retryable error, or poison message), with the reason.
 * - `rerouted`: handed to another destination by the routing flags (for example the legacy system).
 * - `cancelled`: cancelled by an operator before it ran.
 */
export type TaskStatus =
  | 'queued'
  | 'scheduled'
  | 'running'
  | 'retrying'
  | 'succeeded'
  | 'dead'
  | 'rerouted'
  | 'cancelled';

/** Every status, in life-cycle order. */
export const TASK_STATUSES: readonly TaskStatus[] = [
  'queued',
  'scheduled',
  'running',
  'retrying',
  'succeeded',
  'dead',
  'rerouted',
  'cancelled',
];

/**
 * Statuses after which a delivery of the same task is acknowledged without running it again.
 * `dead` is terminal for the consumer; a redrive re-opens it explicitly.
 */
export const TERMINAL_STATUSES: ReadonlySet<TaskStatus> = new Set<TaskStatus>([
  'succeeded',
  'dead',
  'rerouted',
  'cancelled',
]);

/** Whether a status is terminal (see {@link TERMINAL_STATUSES}). */
export function isTerminalStatus(status: TaskStatus): boolean {
  return TERMINAL_STATUSES.has(status);
}
