import type { SQSRecord } from 'aws-lambda';
import {
  CLAIM_CHECK_KEY_PREFIX,
  MAX_ETA_SECONDS,
  EnvelopeInvalidError,
  MessageAttribute,
  evaluateRoute,
  parseEnvelope,
  type DeadReason,
  type TaskEnvelope,
} from '../contract';
import { ClaimCheckCorruptError, ClaimCheckMissingError } from '../aws/errors';
import { readCeleryMessage } from './celery-intake';
import type { Decision } from './decisions';
import type { TaskDefinition } from './define-task';
import type { ResolvedRuntime } from './runtime-config';

/** An ETA closer than this is due now: SQS delays are whole seconds. */
const ETA_DUE_TOLERANCE_MS = 1000;

/** One received message, read: what every later step and the executor need. */
export interface ReadMessage {
  readonly record: SQSRecord;
  /** SQS's `ApproximateReceiveCount` of this message (≥ 1). */
  readonly receiveCount: number;
  readonly envelope: TaskEnvelope;
  /** Attempt number a run of this delivery would be: attempts used before this message plus its receives. */
  readonly attempt: number;
  /** Whether the message is a DLQ copy sent back (it still carries the dead-letter attributes). */
  readonly redriven: boolean;
}

/**
 * The first step: the message is a readable envelope (or, with the Celery intake, a Celery task message read as one),
 * or it is poison (dead-lettered without touching any state).
 */
export function readMessage(record: SQSRecord, r?: Pick<ResolvedRuntime, 'celery' | 'queueName' | 'now'>): ReadMessage | { readonly poison: Decision & { kind: 'deadLetter' } } {
  const receiveCount = Math.max(1, Number(record.attributes.ApproximateReceiveCount) || 1);
  // A Bosun envelope is a JSON object: a body that cannot be one (kombu's base64 envelope) goes straight to the Celery
  // intake, without the cost of a failed JSON parse.
  if (r?.celery !== undefined && !record.body.trimStart().startsWith('{')) return readCeleryMessage(record, r.celery, r.queueName, r.now());
  let envelope: TaskEnvelope;
  try {
    envelope = parseEnvelope(record.body);
  } catch (error) {
    if (!(error instanceof EnvelopeInvalidError)) throw error;
    if (r?.celery !== undefined && error.problem !== 'unsupported-version') return readCeleryMessage(record, r.celery, r.queueName, r.now());
    const reason: DeadReason = error.problem === 'unsupported-version' ? 'unsupported-version' : 'malformed-message';
    return { poison: { kind: 'deadLetter', reason, detail: error.message } };
  }
  return {
    record,
    receiveCount,
    envelope,
    attempt: envelope.attempts + receiveCount,
    redriven: record.messageAttributes?.[MessageAttribute.DEAD_REASON] !== undefined,
  };
}

/**
 * Every step after reading, in order; the first that decides something other than "go on" wins. Only reads: the
 * claim-check object is fetched here (payloads are never deleted by consumers, so a duplicate delivery finds it), and
 * nothing is written or sent until the executor holds the task's lease.
 */
export async function decide(
  message: ReadMessage,
  task: TaskDefinition | undefined,
  r: ResolvedRuntime,
  remainingMs: () => number,
  budgetMs: number,
): Promise<Decision> {
  const { envelope } = message;
  if (envelope.outcome !== undefined) return { kind: 'applyOutcome', outcome: envelope.outcome };
  if (task === undefined) {
    return {
      kind: 'deadLetter',
      reason: 'unknown-task',
      detail: `task "${envelope.task}" is not registered with this consumer (registered: ${[...r.tasks.keys()].join(', ')})`,
    };
  }
  const eta = etaStep(envelope, r);
  if (eta !== undefined) return eta;
  const timeLimitMs = task.timeLimitSeconds * 1000;
  if (budgetMs - r.safetyMarginMs < timeLimitMs) {
    return {
      kind: 'deadLetter',
      reason: 'non-retryable',
      detail:
        `task "${task.name}" has a time limit of ${timeLimitMs} ms, which with the ${r.safetyMarginMs} ms safety margin ` +
        `exceeds this consumer's whole invocation budget (${budgetMs} ms): it can never start here; raise the function ` +
        'timeout or lower the time limit, then redrive',
    };
  }
  if (remainingMs() - r.safetyMarginMs < timeLimitMs) return { kind: 'later', delaySeconds: r.releaseDelaySeconds };
  if (message.attempt > task.maxAttempts && !message.redriven) {
    // Earlier receives ended without an outcome (their invocations died, or a step kept failing, for example a
    // claim-check read refused): the attempt budget is spent. Checked before any read, so such a task always ends.
    return {
      kind: 'deadLetter',
      reason: 'attempts-exhausted',
      detail: `task "${task.name}" used ${message.attempt - 1} of ${task.maxAttempts} attempts without an outcome (earlier receives ended without one)`,
      attempts: message.attempt - 1,
    };
  }
  if (r.maxReceiveCount !== undefined && message.receiveCount >= 2 && message.receiveCount >= r.maxReceiveCount - 1) {
    // SQS moves the message to the DLQ, without a reason, once a receive past its max receive count ends without a
    // delete (an invocation that dies). One receive before that, send a fresh copy (its receive count starts at 1) and
    // run that instead; a fresh message (receive 1) is never held, so a queue that allows one receive cannot loop.
    return { kind: 'hold', delaySeconds: 0, why: 'receive-count' };
  }

  const payload = await payloadStep(envelope, r);
  if ('decision' in payload) return payload.decision;
  const parsed = task.schema.safeParse(payload.value);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .map((issue) => `${issue.path.length === 0 ? '(root)' : issue.path.map(String).join('.')}: ${issue.message}`)
      .join('; ');
    return { kind: 'deadLetter', reason: 'invalid-payload', detail: `payload of task "${task.name}" failed its schema: ${issues}` };
  }
  const route = await routeStep(envelope, parsed.data, r);
  if (route !== undefined) return route;
  return { kind: 'run', payload: parsed.data, payloadBytes: payload.bytes };
}

/** A future ETA: the next hop, at most one SQS delay away. */
function etaStep(envelope: TaskEnvelope, r: ResolvedRuntime): Decision | undefined {
  if (envelope.eta === undefined) return undefined;
  const dueInMs = Date.parse(envelope.eta) - r.now();
  if (dueInMs <= ETA_DUE_TOLERANCE_MS) return undefined;
  const outlived = payloadOutlived(envelope, Date.parse(envelope.eta));
  if (outlived !== undefined) return outlived;
  return { kind: 'hop', delaySeconds: Math.min(r.maxDelaySeconds, Math.ceil(dueInMs / 1000)) };
}

/** The payload: inline, or fetched from the claim-check bucket after checking the reference is one of ours. */
/** The payload of a task: inline, or fetched and verified from the claim-check bucket (or the decision to dead-letter it). */
export async function payloadStep(
  envelope: TaskEnvelope,
  r: ResolvedRuntime,
): Promise<{ value: unknown; bytes: number } | { decision: Decision }> {
  const ref = envelope.claimCheck;
  if (ref === undefined) return { value: envelope.payload, bytes: -1 };
  const dead = (reason: DeadReason, detail: string): { decision: Decision } => ({ decision: { kind: 'deadLetter', reason, detail } });
  if (r.claimChecks === undefined || r.bucketName === undefined) {
    return dead('claim-check-missing', 'this consumer has no claim-check bucket configured');
  }
  // Trust boundary: a message may only name an object of its own task in the platform's bucket.
  const ownPrefix = `${CLAIM_CHECK_KEY_PREFIX}${envelope.id}/`;
  if (ref.bucket !== r.bucketName || !ref.key.startsWith(ownPrefix)) {
    return dead(
      'malformed-message',
      `claim-check reference must name an object under ${ownPrefix} in bucket ${r.bucketName} (given ${ref.bucket}/${ref.key.slice(0, 200)})`,
    );
  }
  let text: string;
  try {
    text = await r.claimChecks.fetch(ref, { taskId: envelope.id, taskName: envelope.task });
  } catch (error) {
    if (error instanceof ClaimCheckMissingError) return dead('claim-check-missing', error.message);
    if (error instanceof ClaimCheckCorruptError) return dead('claim-check-corrupt', error.message);
    throw error;
  }
  try {
    return { value: JSON.parse(text) as unknown, bytes: ref.bytes };
  } catch {
    return dead('claim-check-corrupt', `claim-check object ${ref.key} is not valid JSON (${ref.bytes} bytes)`);
  }
}

/**
 * A claim-checked payload is kept for the furthest accepted ETA plus the longest DLQ stay (contract `storage.ts`).
 * A task that would still be waiting past `MAX_ETA_SECONDS` after its publish (an ETA a producer other than the SDK
 * set, or a pause that lasts that long) goes to the DLQ now, while its payload still exists to be redriven.
 */
function payloadOutlived(envelope: TaskEnvelope, waitUntilMs: number): Decision | undefined {
  if (envelope.claimCheck === undefined) return undefined;
  const keptUntilMs = Date.parse(envelope.publishedAt) + MAX_ETA_SECONDS * 1000;
  if (waitUntilMs <= keptUntilMs) return undefined;
  return {
    kind: 'deadLetter',
    reason: 'non-retryable',
    detail:
      `task "${envelope.task}" would wait until ${new Date(waitUntilMs).toISOString()}, past ${new Date(keptUntilMs).toISOString()} ` +
      `(${MAX_ETA_SECONDS / 86_400} days after its publish), and its claim-checked payload is only guaranteed that long; ` +
      'dead-lettered while the payload can still be redriven',
  };
}

/** The routing flags, re-checked: hold a paused task, move it to another queue, or hand it over. */
async function routeStep(envelope: TaskEnvelope, payload: unknown, r: ResolvedRuntime): Promise<Decision | undefined> {
  if (r.routing === undefined || r.queueName === undefined) return undefined;
  const document = await r.routing.current();
  const region = envelope.context?.['region'];
  const decision = evaluateRoute(document, {
    task: envelope.task,
    taskId: envelope.id,
    ...(region === undefined ? {} : { region }),
    ...(envelope.context === undefined ? {} : { context: envelope.context }),
    ...(envelope.dedupKey === undefined ? {} : { dedupKey: envelope.dedupKey }),
  });
  if (decision.paused) {
    return payloadOutlived(envelope, r.now() + r.pauseDelaySeconds * 1000) ?? { kind: 'hold', delaySeconds: r.pauseDelaySeconds, why: 'paused' };
  }
  if (decision.destination === r.queueName) return undefined;
  const route = { destination: decision.destination, ruleId: decision.ruleId };
  const queueUrl = r.queueUrls[decision.destination];
  if (queueUrl !== undefined) return { kind: 'move', queue: decision.destination, queueUrl, route };
  const destination = r.destinations.get(decision.destination);
  if (destination === undefined) {
    return {
      kind: 'deadLetter',
      reason: 'unknown-destination',
      detail: `routing sends task "${envelope.task}" to "${decision.destination}", which is neither a Bosun queue nor a registered destination`,
    };
  }
  const refusal = destination.check?.(envelope.task, payload);
  if (refusal !== undefined) {
    return {
      kind: 'deadLetter',
      reason: 'non-retryable',
      detail: `routing hands task "${envelope.task}" to destination "${decision.destination}", which cannot take it: ${refusal}; fix the rule or the destination, then redrive`,
    };
  }
  return { kind: 'handOver', destination, route, payload, decision };
}
