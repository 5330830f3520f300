import { BosunError, SCHEDULES_DLQ_NAME, StackOutput } from '../lib/contract';
import { EtaTooFarError, PayloadInvalidError, PayloadTooLargeError, TaskUnknownError } from '../lib/sdk/errors';

/** Exit status of a command that failed or found nothing. */
export const EXIT_FAILURE = 1;
/** Exit status of a command that was called wrongly (bad option, bad argument). */
export const EXIT_USAGE = 2;

/**
 * Base class of every error the `bosun` CLI reports. It carries the process exit status the CLI ends with, and a
 * message fit to print as is: what was wrong, what was given, what is allowed. Never a payload.
 */
export class CliError extends BosunError {
  public override readonly name: string = 'CliError';

  public constructor(
    message: string,
    public readonly exitCode: number = EXIT_FAILURE,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * An option or argument the user gave cannot be used (bad JSON, a `--context` without `=`, a negative rate).
 * Exit status 2.
 *
 * @example
 * throw new CliUsageError('--rate', 'must be a positive number (given "fast")');
 */
export class CliUsageError extends CliError {
  public override readonly name = 'CliUsageError';

  public constructor(
    /** The option or argument at fault, for example `--payload`. */
    public readonly option: string,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super(`${option} ${problem}`, EXIT_USAGE, options);
  }
}

/**
 * `bosun publish` was given a task name it cannot validate a payload for: not one of the declared tasks (the `--tasks`
 * module's, else the example tasks). Exit status 2, naming the declared tasks, `--tasks` and `--no-validate`.
 */
export class CliTaskUndeclaredError extends CliError {
  public override readonly name = 'CliTaskUndeclaredError';

  public constructor(
    public readonly taskName: string,
    /** The names of the tasks the CLI has declarations for. */
    public readonly knownTasks: readonly string[],
    /** Where the declarations came from: the `--tasks` module, or the example tasks. */
    public readonly declaredIn: string,
  ) {
    super(
      `task "${taskName}" is not declared in ${declaredIn}, so its payload cannot be validated (known: ` +
        `${knownTasks.join(', ')}); check the name, name the module that declares it with --tasks, or pass ` +
        '--no-validate to publish it unvalidated (the consumer then checks it, and dead-letters it if no consumer runs ' +
        'that task)',
      EXIT_USAGE,
    );
  }
}

/**
 * The exit status an error ends the CLI with: a `CliError`'s own, 2 for the SDK's refusals of what the user typed
 * (an unknown task name, a payload its schema rejects or too large, an ETA too far), 1 for anything else.
 *
 * @example
 * process.exitCode = exitCodeOf(error);
 */
export function exitCodeOf(error: unknown): number {
  if (error instanceof CliError) return error.exitCode;
  if (
    error instanceof TaskUnknownError ||
    error instanceof PayloadInvalidError ||
    error instanceof PayloadTooLargeError ||
    error instanceof EtaTooFarError
  ) {
    return EXIT_USAGE;
  }
  return EXIT_FAILURE;
}

/** The default target, the local platform, is not running: its `platform.json` is absent, or left by a process that exited. */
export class CliPlatformNotRunningError extends CliError {
  public override readonly name = 'CliPlatformNotRunningError';

  public constructor(
    /** The `platform.json` path that was looked for. */
    public readonly platformFile: string,
    /** The pid a leftover `platform.json` names, when that process has exited. */
    public readonly exitedPid?: number,
  ) {
    super(
      exitedPid === undefined
        ? `no local platform is running: start it with \`npm start\` (looked for ${platformFile}; ` +
            'use --data-dir if it runs with another data directory, or --aws to target a deployed stack)'
        : `the local platform is not running (platform.json from pid ${exitedPid}, which has exited) — start it with ` +
            `\`npm start\` (read ${platformFile})`,
    );
  }
}

/** The platform description (a local `platform.json` or a stack's outputs) lacks something or is malformed. */
export class CliPlatformInvalidError extends CliError {
  public override readonly name = 'CliPlatformInvalidError';

  public constructor(
    /** Where the description came from, for example `stack Bosun-dev` or a file path. */
    public readonly source: string,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super(`${source}: ${problem}`, EXIT_FAILURE, options);
  }
}

/** `--aws` was given but the stack `Bosun-<stage>` does not exist in that account and region. */
export class CliStackNotFoundError extends CliError {
  public override readonly name = 'CliStackNotFoundError';

  public constructor(
    public readonly stackName: string,
    public readonly region: string,
    options?: { cause?: unknown },
  ) {
    super(
      `stack ${stackName} was not found in region ${region}: deploy it with \`npx cdk deploy -c stage=<stage>\`, ` +
        'or check --stage, --region and --profile',
      EXIT_FAILURE,
      options,
    );
  }
}

/** A command named a queue the platform does not have. */
export class CliQueueUnknownError extends CliError {
  public override readonly name = 'CliQueueUnknownError';

  public constructor(
    public readonly queueName: string,
    public readonly knownQueues: readonly string[],
  ) {
    super(`queue "${queueName}" is not a queue of this platform (queues: ${knownQueues.join(', ') || 'none'})`);
  }
}

/**
 * `bosun task <id>` found no state item for the id. That is not proof the task does not exist: a task published
 * without a dedup key or a far ETA gets its first record when a consumer claims it.
 */
export class CliTaskNotFoundError extends CliError {
  public override readonly name = 'CliTaskNotFoundError';

  public constructor(
    public readonly taskId: string,
    public readonly tableName: string,
  ) {
    super(
      `no state is recorded for task ${taskId} in table ${tableName}: a task published without a dedup key or a far ETA ` +
        'gets its first record when a consumer claims it, so a task published a moment ago may have none yet; ' +
        'an unknown id looks the same',
    );
  }
}

/** `bosun task cancel <id>` was refused: the task is running, or has finished. */
export class CliTaskCancelRefusedError extends CliError {
  public override readonly name = 'CliTaskCancelRefusedError';

  public constructor(
    public readonly taskId: string,
    /** The task's status when the cancel was refused. */
    public readonly status: string,
    reason: string,
  ) {
    super(`task ${taskId} cannot be cancelled: ${reason}`);
  }
}

/** A command named a queue that has no DLQ in the platform's outputs. */
export class CliQueueWithoutDlqError extends CliError {
  public override readonly name = 'CliQueueWithoutDlqError';

  public constructor(public readonly queueName: string) {
    super(
      queueName === SCHEDULES_DLQ_NAME
        ? `this platform's outputs name no schedules DLQ (${StackOutput.SCHEDULES_DLQ_URL}): deploy (or restart the local platform) with this version of Bosun`
        : `queue "${queueName}" has no DLQ in this platform's outputs`,
    );
  }
}

/** A routing document could not be read at all (missing file, not JSON, AppConfig unreachable or serving nothing valid). */
export class CliRoutingDocumentUnavailableError extends CliError {
  public override readonly name = 'CliRoutingDocumentUnavailableError';

  public constructor(
    /** The file or AppConfig ids the document was read from. */
    public readonly source: string,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super(`routing document from ${source} ${problem}`, EXIT_FAILURE, options);
  }
}
