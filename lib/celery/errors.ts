import { BosunError } from '../contract/errors';

/**
 * Why a message could not be read as a Celery task Bosun can run.
 *
 * - `not-celery`: the body is neither a kombu envelope (raw or base64 JSON) nor a protocol-1 task body.
 * - `invalid-field`: a field every Celery worker requires is absent or of the wrong type (`headers.task`, `headers.id`,
 *   `properties`, `content-type`, a 3-element protocol-2 body), or an `eta`/`expires` that is not a time.
 * - `unsupported-serializer`: pickle, msgpack, YAML or any content type other than `application/json`. Pickle is never
 *   decoded: unpickling runs code chosen by whoever wrote the message.
 * - `unsupported-compression`: a compression Node cannot undo (bzip2, lzma, zstd) or an unknown one.
 * - `undecodable-body`: a body that is not valid base64, compressed data or JSON.
 * - `unsupported-typed-value`: a kombu typed JSON value (`{"__type__": …}`) of a type Bosun does not convert.
 * - `workflow-unsupported`: callbacks, errbacks, a chain or a chord, which Bosun does not run.
 */
export type CeleryMessageProblem =
  | 'not-celery'
  | 'invalid-field'
  | 'unsupported-serializer'
  | 'unsupported-compression'
  | 'undecodable-body'
  | 'unsupported-typed-value'
  | 'workflow-unsupported';

/**
 * A message that is not a Celery task Bosun can run. The message never includes task arguments: only field names,
 * content types and the task's name and id when known.
 *
 * @example
 * try { decodeCeleryMessage(body) } catch (e) { if (e instanceof CeleryMessageError) console.log(e.problem, e.message) }
 */
export class CeleryMessageError extends BosunError {
  public override readonly name = 'CeleryMessageError';

  public constructor(
    /** What was wrong, machine-readable. */
    public readonly problem: CeleryMessageProblem,
    message: string,
    /** The Celery task id, when the message got far enough to name one. */
    public readonly taskId?: string,
    /** The Celery task name, when the message got far enough to name one. */
    public readonly celeryTask?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * A payload that the task's Celery mapping cannot turn into args/kwargs, or args/kwargs it cannot turn into a
 * payload: the message says which task, what was given and what the mapping allows (never the values).
 *
 * @example
 * try { toCeleryArguments(mapping, payload) } catch (e) { if (e instanceof CeleryMappingError) console.log(e.message) }
 */
export class CeleryMappingError extends BosunError {
  public override readonly name = 'CeleryMappingError';

  public constructor(
    /** The Celery task name of the mapping. */
    public readonly celeryTask: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * A Celery task mapping table that cannot be used: duplicate names, an invalid Celery task name, or positional
 * parameter names that repeat.
 *
 * @example
 * try { celeryTaskMap([...]) } catch (e) { if (e instanceof CeleryConfigError) console.log(e.message) }
 */
export class CeleryConfigError extends BosunError {
  public override readonly name = 'CeleryConfigError';
}

/**
 * A Celery task whose `expires` passed before Bosun could run it (a Celery worker would discard it as revoked).
 *
 * @example
 * catch (e) { if (e instanceof CeleryTaskExpiredError) console.log(e.expires) }
 */
export class CeleryTaskExpiredError extends BosunError {
  public override readonly name = 'CeleryTaskExpiredError';

  public constructor(
    /** The Celery task name. */
    public readonly celeryTask: string,
    /** The Celery task id. */
    public readonly taskId: string,
    /** When it expired, ISO 8601 UTC. */
    public readonly expires: string,
  ) {
    super(`Celery task ${celeryTask} (id ${taskId}) expired at ${expires} before it could run (Celery expires)`);
  }
}
