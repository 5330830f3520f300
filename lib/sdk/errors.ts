import { BosunError, type PayloadIssue } from '../contract';

/**
 * Base class of every error the producer SDK raises. Subclasses set `name` to a string literal and carry context
 * fields (task id, task name, sizes, destinations), never a payload.
 */
export class SdkError extends BosunError {
  public override readonly name: string = 'SdkError';
}

/**
 * A claim-check object is gone from S3 (expired by the bucket's lifecycle rule, or deleted). Retrying cannot help:
 * the runtime dead-letters the task with reason `claim-check-missing`.
 *
 * @example
 * try { await store.fetch(ref, ctx) } catch (e) { if (e instanceof ClaimCheckMissingError) deadLetter(e.taskId) }
 */
export class ClaimCheckMissingError extends SdkError {
  public override readonly name = 'ClaimCheckMissingError';
  public readonly taskId: string;
  public readonly taskName: string;
  public readonly bucket: string;
  public readonly key: string;

  public constructor(fields: { taskId: string; taskName: string; bucket: string; key: string }, options?: { cause?: unknown }) {
    super(
      `claim-check object s3://${fields.bucket}/${fields.key} of task ${fields.taskId} (${fields.taskName}) does not exist; it was deleted or expired by the bucket's lifecycle rule`,
      options,
    );
    this.taskId = fields.taskId;
    this.taskName = fields.taskName;
    this.bucket = fields.bucket;
    this.key = fields.key;
  }
}

/**
 * A claim-check object does not measure what the envelope promised: its size or its SHA-256 differs. The payload
 * is not trusted and not returned.
 *
 * @example
 * if (error instanceof ClaimCheckCorruptError) console.log(error.expectedBytes, error.actualBytes)
 */
export class ClaimCheckCorruptError extends SdkError {
  public override readonly name = 'ClaimCheckCorruptError';
  public readonly taskId: string;
  public readonly taskName: string;
  public readonly bucket: string;
  public readonly key: string;
  public readonly expectedBytes: number;
  public readonly actualBytes: number;
  public readonly expectedSha256: string;
  public readonly actualSha256: string;

  public constructor(fields: {
    taskId: string;
    taskName: string;
    bucket: string;
    key: string;
    expectedBytes: number;
    actualBytes: number;
    expectedSha256: string;
    actualSha256: string;
  }) {
    const what =
      fields.expectedBytes !== fields.actualBytes
        ? `is ${fields.actualBytes} bytes but the envelope says ${fields.expectedBytes}`
        : `has SHA-256 ${fields.actualSha256} but the envelope says ${fields.expectedSha256}`;
    super(`claim-check object s3://${fields.bucket}/${fields.key} of task ${fields.taskId} (${fields.taskName}) ${what}`);
    this.taskId = fields.taskId;
    this.taskName = fields.taskName;
    this.bucket = fields.bucket;
    this.key = fields.key;
    this.expectedBytes = fields.expectedBytes;
    this.actualBytes = fields.actualBytes;
    this.expectedSha256 = fields.expectedSha256;
    this.actualSha256 = fields.actualSha256;
  }
}

/** One problem found in a routing document: where (a JSON pointer) and what. */
export interface RoutingDocumentProblem {
  /** JSON pointer of the offending value, `/` for the document itself, for example `/rules/2/percentage`. */
  readonly path: string;
  /** What is wrong and what is allowed. */
  readonly message: string;
}

/**
 * A routing document failed the schema or a semantic check. `problems` lists every problem, each with its path.
 *
 * @example
 * try { validateRoutingDocument(doc) } catch (e) { if (e instanceof RoutingDocumentInvalidError) e.problems.forEach(p => console.log(p.path, p.message)) }
 */
export class RoutingDocumentInvalidError extends SdkError {
  public override readonly name = 'RoutingDocumentInvalidError';
  public readonly problems: readonly RoutingDocumentProblem[];

  public constructor(problems: readonly RoutingDocumentProblem[], options?: { cause?: unknown; source?: string }) {
    const from = options?.source === undefined ? '' : ` (${options.source})`;
    super(
      `routing document is invalid${from}: ${problems.length} problem${problems.length === 1 ? '' : 's'}: ${problems
        .map((problem) => `${problem.path} ${problem.message}`)
        .join('; ')}`,
      options,
    );
    this.problems = problems;
  }
}

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
 * An AWS call failed. `cause` holds the SDK's error; `service` and `operation` say which call.
 *
 * @example
 * catch (e) { if (e instanceof AwsCallFailedError) console.log(e.service, e.operation, e.cause) }
 */
export class AwsCallFailedError extends SdkError {
  public override readonly name = 'AwsCallFailedError';

  public constructor(
    public readonly service: 'SQS' | 'S3' | 'DynamoDB' | 'AppConfigData',
    public readonly operation: string,
    public readonly taskId: string | undefined,
    cause: unknown,
  ) {
    const causeName = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
    super(`${service} ${operation}${taskId === undefined ? '' : ` for task ${taskId}`} failed: ${causeName}`, { cause });
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
