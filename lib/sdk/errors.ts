import { type PayloadIssue } from '../contract';
import { SdkError } from '../aws/errors';

export { AwsCallFailedError, ClaimCheckCorruptError, ClaimCheckMissingError, RoutingDocumentInvalidError, SdkError } from '../aws/errors';
export type { RoutingDocumentProblem } from '../aws/errors';

/**
 * A task name that the client does not know: not among the client's `tasks`, or not a valid task name at all.
 *
 * @example
 * catch (e) { if (e instanceof TaskUnknownError) console.log(e.knownTasks) }
 */
export class TaskUnknownError extends SdkError {
  public override readonly name = 'TaskUnknownError';

  public constructor(
    public readonly taskName: string,
    public readonly knownTasks: readonly string[] | undefined,
  ) {
    super(
      knownTasks === undefined
        ? `task name ${JSON.stringify(taskName)} is not valid: it must match /^[a-z0-9][a-z0-9._-]{0,127}$/ (lower-case words separated by ".", "-" or "_")`
        : `task ${JSON.stringify(taskName)} is not one of this client's tasks (known: ${knownTasks.join(', ') || 'none'})`,
    );
  }
}

/**
 * A payload failed its task's schema. Nothing was sent. `issues` holds each problem's path and message (never the
 * offending value).
 *
 * @example
 * catch (e) { if (e instanceof PayloadInvalidError) console.log(e.issues) }
 */
export class PayloadInvalidError extends SdkError {
  public override readonly name = 'PayloadInvalidError';

  public constructor(
    public readonly taskName: string,
    public readonly issues: readonly PayloadIssue[],
    detail?: string,
  ) {
    super(
      detail ??
        `payload of task "${taskName}" does not match its schema: ${issues
          .map((issue) => `${issue.path.length === 0 ? '(root)' : issue.path.map(String).join('.')}: ${issue.message}`)
          .join('; ')}`,
    );
  }
}

/**
 * A payload (or a message that must stay inline) is larger than allowed. Nothing was written anywhere.
 *
 * @example
 * catch (e) { if (e instanceof PayloadTooLargeError) console.log(e.bytes, e.limitBytes) }
 */
export class PayloadTooLargeError extends SdkError {
  public override readonly name = 'PayloadTooLargeError';

  public constructor(
    public readonly taskName: string,
    public readonly bytes: number,
    public readonly limitBytes: number,
    what = 'payload',
  ) {
    super(`${what} of task "${taskName}" is ${bytes} bytes; the limit is ${limitBytes} bytes`);
  }
}

/**
 * The routing decision names a destination that is neither a Bosun queue this client knows nor a registered custom
 * destination. Nothing was sent.
 *
 * @example
 * catch (e) { if (e instanceof DestinationUnknownError) console.log(e.destination, e.ruleId) }
 */
export class DestinationUnknownError extends SdkError {
  public override readonly name = 'DestinationUnknownError';

  public constructor(
    public readonly taskName: string,
    public readonly destination: string,
    public readonly ruleId: string | null,
    public readonly knownDestinations: readonly string[],
  ) {
    super(
      `task "${taskName}" routes to destination "${destination}" (${ruleId === null ? 'the default destination' : `rule "${ruleId}"`}), which is neither a Bosun queue of this client nor a registered custom destination (known: ${knownDestinations.join(', ')})`,
    );
  }
}

/**
 * The routing document's kill switch or killed list rejects publishing this task. Nothing was sent.
 *
 * @example
 * catch (e) { if (e instanceof TaskKilledError) console.log(e.reason) }
 */
export class TaskKilledError extends SdkError {
  public override readonly name = 'TaskKilledError';

  public constructor(
    public readonly taskName: string,
    public readonly reason: string,
  ) {
    super(`publishing task "${taskName}" is rejected by the routing flags: ${reason}`);
  }
}

/**
 * `waitForTask` gave up before the task reached a terminal status.
 *
 * @example
 * catch (e) { if (e instanceof TaskWaitTimeoutError) console.log(e.lastStatus) }
 */
export class TaskWaitTimeoutError extends SdkError {
  public override readonly name = 'TaskWaitTimeoutError';

  public constructor(
    public readonly taskId: string,
    public readonly timeoutMs: number,
    public readonly lastStatus: string | undefined,
  ) {
    super(
      `task ${taskId} did not finish within ${timeoutMs} ms (last status: ${lastStatus ?? 'no state recorded'})`,
    );
  }
}

/**
 * Task client options that cannot work, for example a claim-check threshold above the SQS maximum or no queue URLs.
 *
 * @example
 * catch (e) { if (e instanceof TaskClientConfigError) console.log(e.option) }
 */
export class TaskClientConfigError extends SdkError {
  public override readonly name = 'TaskClientConfigError';

  public constructor(
    public readonly option: string,
    message: string,
  ) {
    super(message);
  }
}
