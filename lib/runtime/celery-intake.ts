import type { SQSRecord } from 'aws-lambda';
import { CeleryMappingError, CeleryMessageError, decodeCeleryMessage, type CeleryTaskMap } from '../celery';
import { ENVELOPE_VERSION, MessageAttribute, type TaskEnvelope } from '../contract';
import type { Decision } from './decisions';
import type { ReadMessage } from './steps';

/**
 * A Celery task id Bosun keeps as its task id: Celery writes a UUID, and any id is a key in the task-state table, so
 * it is held to a plain character set and length.
 */
const CELERY_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

type Poison = { readonly poison: Decision & { kind: 'deadLetter' } };

function poison(reason: 'malformed-message' | 'unknown-task' | 'invalid-payload' | 'non-retryable', detail: string): Poison {
  return { poison: { kind: 'deadLetter', reason, detail } };
}

/**
 * Reads a message that is not a Bosun envelope as a Celery task message (the consumer's Celery intake): decodes it,
 * maps the Celery task and its arguments to the Bosun task and its payload, and builds the envelope every later step
 * works on — the Celery id as the task id, Celery's `retries` as attempts already used, its `eta` (which `countdown`
 * became) as the ETA, so a far ETA waits on Bosun's hop chain rather than in a worker's memory. A message that cannot
 * run is poison, with the reason: refused or undecodable (`malformed-message`), an unmapped Celery task
 * (`unknown-task`), arguments the mapping cannot take (`invalid-payload`), an expired task (`non-retryable`).
 * The original Celery message is what goes to the DLQ, so it can be redriven to a Celery queue unchanged.
 */
export function readCeleryMessage(record: SQSRecord, tasks: CeleryTaskMap, queueName: string | undefined, nowMs: number): ReadMessage | Poison {
  let message;
  try {
    message = decodeCeleryMessage(record.body);
  } catch (error) {
    if (error instanceof CeleryMessageError) return poison('malformed-message', `not a Bosun envelope, and not a Celery task Bosun runs (${error.problem}): ${error.message}`);
    throw error;
  }
  const named = `Celery task ${message.task} (id ${message.id.slice(0, 128)})`;
  if (!CELERY_ID.test(message.id)) {
    return poison('malformed-message', `${named}: its id must be 1–128 letters, digits and . _ : - (a Celery UUID) to be kept as the Bosun task id`);
  }
  if (message.expires !== undefined && Date.parse(message.expires) <= nowMs) {
    return poison('non-retryable', `${named} expired at ${message.expires} before it could run (Celery expires)`);
  }
  let mapped;
  try {
    mapped = tasks.fromCelery(message.task, message);
  } catch (error) {
    if (!(error instanceof CeleryMappingError)) throw error;
    const unmapped = tasks.forCeleryTask(message.task) === undefined;
    return poison(unmapped ? 'unknown-task' : 'invalid-payload', `${named}: ${error.message}`);
  }
  const sentMs = Number(record.attributes.SentTimestamp);
  const envelope: TaskEnvelope = {
    v: ENVELOPE_VERSION,
    id: message.id,
    task: mapped.task,
    payload: mapped.payload,
    attempts: message.retries,
    route: { destination: queueName ?? 'celery', ruleId: null },
    publishedAt: new Date(Number.isFinite(sentMs) && sentMs > 0 ? sentMs : nowMs).toISOString(),
    ...(message.eta === undefined ? {} : { eta: message.eta }),
  };
  const receiveCount = Math.max(1, Number(record.attributes.ApproximateReceiveCount) || 1);
  return {
    record,
    receiveCount,
    envelope,
    attempt: envelope.attempts + receiveCount,
    redriven: record.messageAttributes?.[MessageAttribute.DEAD_REASON] !== undefined,
  };
}
