import { BosunError } from '../contract';

/**
 * Base class of the errors the task runtime raises. Subclasses set `name` to a string literal (class names do not
 * survive minification) and carry context fields, never a payload.
 */
export class TaskRuntimeError extends BosunError {
  public override readonly name: string = 'TaskRuntimeError';
}

/**
 * Thrown by a task handler to say "do not retry this": the runtime sends the task to its DLQ at once with the reason
 * `non-retryable` instead of spending the remaining attempts.
 *
 * @example
 * if (!account) throw new TaskNonRetryableError(`account ${payload.accountId} does not exist`);
 */
export class TaskNonRetryableError extends TaskRuntimeError {
  public override readonly name = 'TaskNonRetryableError';
}

/**
 * An attempt ran past its task's time limit. The runtime aborts the handler's `ctx.signal` and treats the attempt as
 * failed (retryable for idempotent tasks).
 */
export class TaskTimeLimitError extends TaskRuntimeError {
  public override readonly name = 'TaskTimeLimitError';

  public constructor(
    public readonly taskId: string,
    public readonly taskName: string,
    public readonly timeLimitMs: number,
  ) {
    super(`task "${taskName}" (${taskId}) did not finish within its time limit of ${timeLimitMs} ms`);
  }
}

/**
 * A task declaration whose name or options are out of range. Raised by `defineTask` when the module loads, so a bad
 * declaration fails the deploy's first invocation loudly instead of a task at run time.
 */
export class TaskDefinitionInvalidError extends TaskRuntimeError {
  public override readonly name = 'TaskDefinitionInvalidError';

  public constructor(
    public readonly taskName: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * `createTaskHandler` options that contradict each other or the queue, for example two tasks with one name or a task
 * allowed more attempts than the queue's max receive count.
 */
export class TaskHandlerConfigInvalidError extends TaskRuntimeError {
  public override readonly name = 'TaskHandlerConfigInvalidError';
}
