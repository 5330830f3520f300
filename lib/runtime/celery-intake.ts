import type { SQSRecord } from 'aws-lambda';
import { CeleryMappingError, CeleryMessageError, CeleryTaskExpiredError, celeryTaskEnvelope, decodeCeleryMessage, type CeleryTaskMap } from '../celery';
import { MessageAttribute, type TaskEnvelope } from '../contract';
import type { Decision } from './decisions';
import type { ReadMessage } from './steps';

type Poison = { readonly poison: Decision & { kind: 'deadLetter' } };

function poison(reason: 'malformed-message' | 'unknown-task' | 'invalid-payload' | 'non-retryable', detail: string): Poison {
  return { poison: { kind: 'deadLetter', reason, detail } };
}

/**
 * Reads a message that is not a Bosun envelope as a Celery task message (the consumer's Celery intake): decodes it and
 * builds the envelope every later step works on (`celeryTaskEnvelope`: the Celery id as the task id, Celery's
 * `retries` as attempts used, its `eta` as the ETA, so a far ETA waits on Bosun's hops rather than in a worker's
 * memory). A message that cannot run is poison, with the reason: refused or undecodable (`malformed-message`), an
 * unmapped Celery task (`unknown-task`), arguments the mapping cannot take (`invalid-payload`), an expired task
 * (`non-retryable`). The original Celery message is what goes to the DLQ, so it can be redriven to a Celery queue
 * unchanged.
 */
export function readCeleryMessage(record: SQSRecord, tasks: CeleryTaskMap, queueName: string | undefined, nowMs: number): ReadMessage | Poison {
  const sentMs = Number(record.attributes.SentTimestamp);
  let envelope: TaskEnvelope;
  try {
    const message = decodeCeleryMessage(record.body);
    try {
      envelope = celeryTaskEnvelope(message, tasks, { queue: queueName ?? 'celery', sentAtMs: Number.isFinite(sentMs) && sentMs > 0 ? sentMs : nowMs, nowMs });
    } catch (error) {
      if (error instanceof CeleryTaskExpiredError) return poison('non-retryable', error.message);
      if (!(error instanceof CeleryMappingError)) throw error;
      return poison(tasks.forCeleryTask(message.task) === undefined ? 'unknown-task' : 'invalid-payload', error.message);
    }
  } catch (error) {
    if (error instanceof CeleryMessageError) return poison('malformed-message', `not a Bosun envelope, and not a Celery task Bosun runs (${error.problem}): ${error.message}`);
    throw error;
  }
  const receiveCount = Math.max(1, Number(record.attributes.ApproximateReceiveCount) || 1);
  return {
    record,
    receiveCount,
    envelope,
    attempt: envelope.attempts + receiveCount,
    redriven: record.messageAttributes?.[MessageAttribute.DEAD_REASON] !== undefined,
  };
}
