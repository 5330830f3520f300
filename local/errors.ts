/**
 * Errors of the local platform. Each sets `name` to a string literal (class names do not survive minification) and
 * carries context fields, never a message body or payload.
 */

/** Base class of every local-platform error. */
export class LocalPlatformError extends Error {
  public override readonly name: string = 'LocalPlatformError';

  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * The CDK app could not be synthesized (the app threw, or wrote no template).
 *
 * @example
 * try { await synthesizeApp(options) } catch (e) { if (e instanceof LocalSynthError) console.error(e.message) }
 */
export class LocalSynthError extends LocalPlatformError {
  public override readonly name = 'LocalSynthError';
}

/**
 * The synthesized template holds something the local platform cannot run: an unsupported intrinsic function, a
 * reference to a resource that does not exist, or a resource missing a property the platform needs.
 */
export class LocalTemplateError extends LocalPlatformError {
  public override readonly name = 'LocalTemplateError';

  public constructor(
    /** Where in the template the problem is, for example `Resources.DefaultConsumer.Properties.Environment`. */
    public readonly templatePath: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${templatePath}: ${message}`, options);
  }
}

/** A local function invocation did not finish within the function's timeout and its worker was stopped. */
export class LocalFunctionTimeoutError extends LocalPlatformError {
  public override readonly name = 'LocalFunctionTimeoutError';

  public constructor(
    public readonly functionName: string,
    public readonly timeoutMs: number,
  ) {
    super(`function ${functionName} did not finish within its ${timeoutMs} ms timeout; its worker was stopped`);
  }
}

/** A local function threw (or its module could not be loaded); `errorType` is the thrown error's `name`. */
export class LocalFunctionError extends LocalPlatformError {
  public override readonly name = 'LocalFunctionError';

  public constructor(
    public readonly functionName: string,
    public readonly errorType: string,
    errorMessage: string,
  ) {
    super(`function ${functionName} failed with ${errorType}: ${errorMessage}`);
  }
}

/** An option of the local platform is out of range (a port, a delay cap, a timeout). */
export class LocalOptionError extends LocalPlatformError {
  public override readonly name = 'LocalOptionError';

  public constructor(
    public readonly option: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Another local platform already runs on this data directory (its lock names a live process); a second one would take
 * over its `platform.json` and `routing.json` and delete the first one's description when it stops.
 */
export class LocalPlatformRunningError extends LocalPlatformError {
  public override readonly name = 'LocalPlatformRunningError';

  public constructor(
    /** The data directory both would use. */
    public readonly dataDir: string,
    /** The pid of the platform that runs there. */
    public readonly pid: number,
  ) {
    super(
      `a local platform already runs on ${dataDir} (pid ${pid}${pid === process.pid ? ', this process' : ''}); stop it ` +
        '(Ctrl-C in its terminal) or start this one with another --data-dir',
    );
  }
}
