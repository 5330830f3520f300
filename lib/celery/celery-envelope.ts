import { ENVELOPE_VERSION, type TaskEnvelope } from '../contract';
import type { CeleryTaskMessage } from './codec';
import { CeleryMessageError, CeleryTaskExpiredError } from './errors';
import type { CeleryTaskMap } from './task-mapping';

/**
 * A Celery task id Bosun keeps as its task id: Celery writes a UUID, and a task id is a key in the task-state table
 * and in S3, so it is held to a plain character set and length.
 */
const CELERY_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** Where and when a Celery message was found, for {@link celeryTaskEnvelope}. */
export interface CeleryEnvelopeContext {
  /** The Bosun queue (or destination name) the task is read from or moved to: the envelope's route. */
  readonly queue: string;
  /** When SQS received the Celery message (`SentTimestamp`), epoch ms: the envelope's publish time. */
  readonly sentAtMs: number;
  /** Now, epoch ms: an `expires` at or before it is refused. */
  readonly nowMs: number;
}

/**
 * The Bosun envelope of a decoded Celery task, the one conversion the runtime's Celery intake and
 * `bosun move --transform celery` share: the Celery id as the task id, the mapped Bosun task and payload, Celery's
 * `retries` as attempts already used, and its `eta` (which `countdown` became) as the ETA.
 *
 * @throws CeleryMessageError (`invalid-field`) for an id Bosun cannot keep; CeleryMappingError for an unmapped task or
 * arguments that do not fit the mapping; CeleryTaskExpiredError for an expired task.
 * @example
 * const envelope = celeryTaskEnvelope(decodeCeleryMessage(body), map, { queue: 'default', sentAtMs, nowMs: Date.now() });
 */
export function celeryTaskEnvelope(message: CeleryTaskMessage, tasks: CeleryTaskMap, context: CeleryEnvelopeContext): TaskEnvelope {
  if (!CELERY_ID.test(message.id)) {
    throw new CeleryMessageError(
      'invalid-field',
      `Celery task ${message.task}: its id must be 1–128 letters, digits and . _ : - (a Celery UUID) to be kept as the Bosun task id (given ${message.id.length} characters)`,
      undefined,
      message.task,
    );
  }
  if (message.expires !== undefined && Date.parse(message.expires) <= context.nowMs) {
    throw new CeleryTaskExpiredError(message.task, message.id, message.expires);
  }
  const mapped = tasks.fromCelery(message.task, message);
  return {
    v: ENVELOPE_VERSION,
    id: message.id,
    task: mapped.task,
    payload: mapped.payload,
    attempts: message.retries,
    route: { destination: context.queue, ruleId: null },
    publishedAt: new Date(context.sentAtMs).toISOString(),
    ...(message.eta === undefined ? {} : { eta: message.eta }),
  };
}
