import { type PayloadIssue } from '../contract';
import { AwsCallFailedError, SdkError } from '../aws/errors';

export {
  AwsCallFailedError,
  ClaimCheckCorruptError,
  ClaimCheckMissingError,
  PlatformStackNotFoundError,
  RoutingDocumentInvalidError,
  SdkError,
} from '../aws/errors';
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
      `task ${taskId} did not finish within ${timeoutMs} ms (last status: ${lastStatus ?? 'no state item yet: no consumer has claimed the task'})`,
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
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * A task's ETA (or delay) is further away than Bosun accepts: claim-checked payloads are kept for the furthest ETA
 * plus the longest DLQ stay, so a later ETA could find its payload gone. Nothing was written or sent.
 *
 * @example
 * catch (e) { if (e instanceof EtaTooFarError) console.log(e.eta, e.limitSeconds) }
 */
export class EtaTooFarError extends SdkError {
  public override readonly name = 'EtaTooFarError';

  public constructor(
    public readonly taskName: string,
    /** The ETA asked for, ISO-8601 UTC. */
    public readonly eta: string,
    /** Seconds from the publish to that ETA. */
    public readonly delaySeconds: number,
    /** Furthest accepted distance, in seconds. */
    public readonly limitSeconds: number,
  ) {
    super(
      `ETA of task "${taskName}" is ${eta}, ${delaySeconds} s from now; the furthest accepted is ${limitSeconds} s (${limitSeconds / 86_400} days) from now, because claim-checked payloads are kept only that long plus the DLQ retention`,
    );
  }
}

/**
 * A publish whose send had no certain outcome: SQS (or a custom destination) gave no answer — a network error, a
 * timeout, a reset connection — or a 5xx, so the message may or may not have been accepted. Nothing was undone: the
 * task's state record and its claim-checked payload (if it had either) were kept, because a message that did arrive
 * still needs them. Publishing again with the same `dedupKey` is safe: it re-sends the task only while no consumer has
 * touched it, and a consumer runs a task once even if two copies arrive. A subclass of `AwsCallFailedError`, so
 * existing handlers still catch it.
 *
 * @example
 * try {
 *   await bosun.publish('email.send', payload, { dedupKey: 'order-42' });
 * } catch (e) {
 *   if (e instanceof PublishOutcomeUnknownError) await bosun.publish('email.send', payload, { dedupKey: 'order-42' });
 *   else throw e;
 * }
 */
export class PublishOutcomeUnknownError extends AwsCallFailedError {
  public override readonly name = 'PublishOutcomeUnknownError';
  public readonly taskName: string;

  /**
   * @param fields.operation what was called: `SendMessage`, `SendMessageBatch`, or `deliver to custom destination "<name>"`
   * (a custom destination also reports `service` as `SQS`: `AwsCallFailedError` knows no other kind of receiver).
   */
  public constructor(fields: { taskId: string; taskName: string; operation: string; cause: unknown }) {
    super('SQS', fields.operation, fields.taskId, fields.cause);
    this.taskName = fields.taskName;
    const cause = fields.cause instanceof Error ? `${fields.cause.name}: ${fields.cause.message}` : String(fields.cause);
    this.message =
      `publish of task ${fields.taskId} (${fields.taskName}) has an unknown outcome: ${fields.operation} got no certain answer (${cause}), ` +
      'so the message may or may not have been accepted; its state record and claim-checked payload (if any) were kept; ' +
      'publishing again with the same dedupKey is safe: the task is re-sent only while no consumer has touched it, and runs once';
  }
}

/**
 * No local platform is running where the SDK looked: its `platform.json` does not exist (the platform removes it when
 * it stops), or it was left by a process that has exited without stopping (`exitedPid`).
 *
 * @example
 * catch (e) { if (e instanceof LocalPlatformNotRunningError) console.log(e.platformFile, e.exitedPid) }
 */
export class LocalPlatformNotRunningError extends SdkError {
  public override readonly name = 'LocalPlatformNotRunningError';

  public constructor(
    /** The `platform.json` path that was looked for. */
    public readonly platformFile: string,
    options?: {
      cause?: unknown;
      /** The pid a leftover `platform.json` names, when that process has exited. */
      exitedPid?: number;
    },
  ) {
    super(
      options?.exitedPid === undefined
        ? `no local platform is running: start it with \`npm start\` (looked for ${platformFile}; set BOSUN_PLATFORM to ` +
            'its platform.json, or pass platformFile or dataDir)'
        : `the local platform is not running (${platformFile} is from pid ${options.exitedPid}, which has exited) — ` +
            'start it with `npm start`',
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    if (options?.exitedPid !== undefined) this.exitedPid = options.exitedPid;
  }

  /** The pid a leftover `platform.json` names, when that process has exited. */
  public readonly exitedPid?: number;
}
