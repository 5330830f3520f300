/**
 * Base class of every error Bosun raises. Subclasses set `name` to a string literal (class names do not survive
 * minification) and carry context fields, never a payload.
 */
export class BosunError extends Error {
  public override readonly name: string = 'BosunError';

  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Why an SQS body could not be read as a Bosun envelope. */
export type EnvelopeProblem = 'malformed-json' | 'not-an-envelope' | 'unsupported-version' | 'invalid-field';

/**
 * An SQS message body that is not a valid Bosun envelope. The runtime treats it as a poison message.
 *
 * @example
 * try { parseEnvelope(body) } catch (e) { if (e instanceof EnvelopeInvalidError) console.log(e.problem) }
 */
export class EnvelopeInvalidError extends BosunError {
  public override readonly name = 'EnvelopeInvalidError';

  public constructor(
    public readonly problem: EnvelopeProblem,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
