import { BosunError } from '../contract';

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
 * An AWS call failed. `cause` holds the SDK's error; `service` and `operation` say which call.
 *
 * @example
 * catch (e) { if (e instanceof AwsCallFailedError) console.log(e.service, e.operation, e.cause) }
 */
export class AwsCallFailedError extends SdkError {
  public override readonly name: string = 'AwsCallFailedError';

  public constructor(
    public readonly service: 'SQS' | 'S3' | 'DynamoDB' | 'AppConfigData' | 'Scheduler',
    public readonly operation: string,
    public readonly taskId: string | undefined,
    cause: unknown,
  ) {
    const causeName = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
    super(`${service} ${operation}${taskId === undefined ? '' : ` for task ${taskId}`} failed: ${causeName}`, { cause });
  }
}

/**
 * The platform stack of a stage does not exist in the account and region asked (CloudFormation `DescribeStacks`
 * answered that it does not exist).
 *
 * @example
 * catch (e) { if (e instanceof PlatformStackNotFoundError) console.log(e.stackName, e.region) }
 */
export class PlatformStackNotFoundError extends SdkError {
  public override readonly name = 'PlatformStackNotFoundError';

  public constructor(
    /** The stack looked for, for example `Bosun-dev`. */
    public readonly stackName: string,
    /** The region it was looked for in. */
    public readonly region: string,
    options?: { cause?: unknown },
  ) {
    super(
      `stack ${stackName} was not found in region ${region}: deploy it with \`npx cdk deploy -c stage=<stage>\`, or check ` +
        'the stage, the region and the profile (credentials of another account see other stacks)',
      options,
    );
  }
}
