import { EnvelopeInvalidError } from './errors';
import { PERIODIC_TASK_NAME_PATTERN, type ScheduleFiring, periodicTaskId } from './schedules';

/** The envelope version this build writes. Readers accept exactly the versions in {@link SUPPORTED_ENVELOPE_VERSIONS}. */
export const ENVELOPE_VERSION = 1;

/** Envelope versions this build can read. */
export const SUPPORTED_ENVELOPE_VERSIONS: readonly number[] = [ENVELOPE_VERSION];

/** Where a claim-checked payload lives in S3, with what it must measure to be trusted. */
export interface ClaimCheckReference {
  /** Bucket holding the payload object. */
  readonly bucket: string;
  /** Unguessable object key. */
  readonly key: string;
  /** Size of the stored payload (the UTF-8 JSON text) in bytes. */
  readonly bytes: number;
  /** Lower-case hex SHA-256 of the stored payload bytes. */
  readonly sha256: string;
}

/** The routing decision stamped into an envelope when it was published (or last rerouted). */
export interface RouteStamp {
  /** Destination name: a Bosun queue name (for example `default`) or a registered custom destination. */
  readonly destination: string;
  /** Id of the rule that matched, or `null` when the document's default applied. */
  readonly ruleId: string | null;
}

/**
 * A closing state write that failed inside the invocation that ran the task, carried by a fresh copy of the message
 * so the next delivery applies it instead of running the task again (see `TASK_TRANSITIONS`).
 */
export interface PendingOutcome {
  /** The closing transition to apply. */
  readonly transition: 'succeed' | 'retry' | 'deadLetter' | 'handOver';
  /** Lease token of the run that produced the outcome; the write applies only while it is still the item's token. */
  readonly token: string;
  /** Attempt number of that run. */
  readonly attempt: number;
  /** Small result, inline (succeed). */
  readonly result?: unknown;
  /** Large result, by reference (succeed). */
  readonly resultRef?: { readonly bucket: string; readonly key: string; readonly bytes: number };
  /** Why the result was not stored (succeed). */
  readonly resultNotStored?: { readonly reason: string };
  /** The error of the attempt (retry, deadLetter). */
  readonly error?: { readonly type: string; readonly message: string };
  /** Dead reason (deadLetter). */
  readonly reason?: string;
  /** Dead-reason detail for the DLQ copy (deadLetter). */
  readonly detail?: string;
  /**
   * deadLetter: whether the DLQ copy was already sent. When it was not (its send failed), the delivery that applies
   * the outcome records `dead` first and then sends the copy.
   */
  readonly deadLetterSent?: boolean;
  /** Destination the task was handed to (handOver). */
  readonly route?: RouteStamp;
  /**
   * handOver: whether the destination already took the task. When its delivery failed, the delivery that applies the
   * outcome records `rerouted` first and then delivers.
   */
  readonly handedOver?: boolean;
}

/**
 * The SQS message body of every Bosun task (JSON). Exactly one of `payload` and `claimCheck` is set.
 */
export interface TaskEnvelope {
  /** Envelope version; see {@link ENVELOPE_VERSION}. */
  readonly v: number;
  /** Task id: a ULID, sortable by publish time, stable across re-sends, retries and redrives. */
  readonly id: string;
  /** Registered task name, for example `email.send`. */
  readonly task: string;
  /** Inline payload (any JSON value) when the envelope fits under the claim-check threshold. */
  readonly payload?: unknown;
  /** Reference to the payload in S3 when it did not fit inline. */
  readonly claimCheck?: ClaimCheckReference;
  /** Earliest time the task may run, ISO-8601 UTC. Absent means as soon as possible. */
  readonly eta?: string;
  /**
   * Attempts already used before this message was (re-)sent. SQS's receive count restarts on every re-send
   * (ETA hops, redrives), so the runtime adds it to `ApproximateReceiveCount` to count attempts.
   */
  readonly attempts: number;
  /** Routing decision at publish time. */
  readonly route: RouteStamp;
  /** Routing context the publisher passed (region, tenant, …), re-evaluated by the consumer. */
  readonly context?: Readonly<Record<string, string>>;
  /** Publish time, ISO-8601 UTC. */
  readonly publishedAt: string;
  /** Trace id propagated from the publisher, if any. */
  readonly traceId?: string;
  /** Deduplication key the publisher passed, if any. */
  readonly dedupKey?: string;
  /**
   * Link number of this message in the task's chain of messages (0, or absent, for the published one). Each re-send
   * (ETA hop, move, hold, redrive) carries the next number; the task state remembers the newest, so an older copy is
   * recognised as stale.
   */
  readonly link?: number;
  /** A closing state write still to apply; set only on a copy re-sent because that write failed. */
  readonly outcome?: PendingOutcome;
  /**
   * The schedule firing that published this task (periodic tasks). A message from EventBridge Scheduler may leave
   * out `id`: it is then derived from the firing ({@link periodicTaskId}), so both copies of a duplicate firing are one
   * task.
   */
  readonly firing?: ScheduleFiring;
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(field: string, expected: string, given: unknown): EnvelopeInvalidError {
  const shown = given === undefined ? 'nothing' : typeof given;
  return new EnvelopeInvalidError('invalid-field', `envelope field "${field}" must be ${expected} (given ${shown})`);
}

function requireString(record: Record<string, unknown>, field: string): string {
  const value = record[field];
  if (typeof value !== 'string' || value.length === 0) throw invalid(field, 'a non-empty string', value);
  return value;
}

function optionalString(record: Record<string, unknown>, field: string): string | undefined {
  const value = record[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalid(field, 'a string', value);
  return value;
}

function requireInstant(record: Record<string, unknown>, field: string, optional: boolean): string | undefined {
  const value = record[field];
  if (value === undefined && optional) return undefined;
  if (typeof value !== 'string' || !ISO_INSTANT.test(value) || Number.isNaN(Date.parse(value))) {
    throw invalid(field, 'an ISO-8601 UTC timestamp such as 2026-01-31T12:00:00.000Z', value);
  }
  return value;
}

function parseClaimCheck(value: unknown): ClaimCheckReference {
  if (!isRecord(value)) throw invalid('claimCheck', 'an object', value);
  const bytes = value['bytes'];
  if (typeof bytes !== 'number' || !Number.isSafeInteger(bytes) || bytes < 0) {
    throw invalid('claimCheck.bytes', 'a non-negative integer', bytes);
  }
  const sha256 = value['sha256'];
  if (typeof sha256 !== 'string' || !SHA256_HEX.test(sha256)) {
    throw invalid('claimCheck.sha256', 'a 64-character lower-case hex SHA-256', sha256);
  }
  return { bucket: requireString(value, 'bucket'), key: requireString(value, 'key'), bytes, sha256 };
}

function parseRoute(value: unknown): RouteStamp {
  if (!isRecord(value)) throw invalid('route', 'an object with a destination', value);
  const ruleId = value['ruleId'];
  if (ruleId !== null && typeof ruleId !== 'string') throw invalid('route.ruleId', 'a string or null', ruleId);
  return { destination: requireString(value, 'destination'), ruleId };
}

function parseOutcome(value: unknown): PendingOutcome | undefined {
  if (value === undefined) return undefined;
  if (!isRecord(value)) throw invalid('outcome', 'an object', value);
  const transition = value['transition'];
  if (transition !== 'succeed' && transition !== 'retry' && transition !== 'deadLetter' && transition !== 'handOver') {
    throw invalid('outcome.transition', 'one of succeed, retry, deadLetter, handOver', transition);
  }
  const attempt = value['attempt'];
  if (typeof attempt !== 'number' || !Number.isSafeInteger(attempt) || attempt < 1) {
    throw invalid('outcome.attempt', 'a positive integer', attempt);
  }
  return { ...(value as unknown as PendingOutcome), transition, token: requireString(value, 'token'), attempt };
}

function parseFiring(value: unknown): ScheduleFiring | undefined {
  if (value === undefined) return undefined;
  if (!isRecord(value)) throw invalid('firing', 'an object with schedule and scheduledTime', value);
  const schedule = requireString(value, 'schedule');
  if (!PERIODIC_TASK_NAME_PATTERN.test(schedule)) {
    throw invalid('firing.schedule', 'a periodic task name (lowercase letters, digits, dashes)', schedule);
  }
  return { schedule, scheduledTime: requireInstant(value, 'scheduledTime', false) as string };
}

function parseContext(value: unknown): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  if (!isRecord(value)) throw invalid('context', 'an object of string values', value);
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry !== 'string') throw invalid(`context.${key}`, 'a string', entry);
  }
  return value as Record<string, string>;
}

/**
 * Reads an SQS message body as a {@link TaskEnvelope}, rejecting anything this build cannot run.
 * Error messages name the field and the expected shape, never the payload.
 *
 * @throws EnvelopeInvalidError with `problem` set to why the body was rejected.
 * @example
 * const envelope = parseEnvelope(record.body);
 */
export function parseEnvelope(body: string): TaskEnvelope {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch (cause) {
    throw new EnvelopeInvalidError('malformed-json', `message body is not valid JSON (${body.length} characters)`, {
      cause,
    });
  }
  if (!isRecord(raw) || !('v' in raw)) {
    throw new EnvelopeInvalidError('not-an-envelope', 'message body is not a Bosun envelope (no "v" version field)');
  }
  const version = raw['v'];
  if (typeof version !== 'number' || !SUPPORTED_ENVELOPE_VERSIONS.includes(version)) {
    throw new EnvelopeInvalidError(
      'unsupported-version',
      `envelope version ${JSON.stringify(version)} is not supported (supported: ${SUPPORTED_ENVELOPE_VERSIONS.join(', ')})`,
    );
  }
  const hasPayload = 'payload' in raw;
  const hasClaimCheck = raw['claimCheck'] !== undefined;
  if (hasPayload === hasClaimCheck) {
    throw new EnvelopeInvalidError(
      'invalid-field',
      `envelope must carry exactly one of "payload" and "claimCheck" (given ${hasPayload ? 'both' : 'neither'})`,
    );
  }
  const attempts = raw['attempts'];
  if (typeof attempts !== 'number' || !Number.isSafeInteger(attempts) || attempts < 0) {
    throw invalid('attempts', 'a non-negative integer', attempts);
  }
  const firing = parseFiring(raw['firing']);
  const envelope: TaskEnvelope = {
    v: version,
    id:
      raw['id'] === undefined && firing !== undefined
        ? periodicTaskId(firing.schedule, firing.scheduledTime)
        : requireString(raw, 'id'),
    task: requireString(raw, 'task'),
    attempts,
    route: parseRoute(raw['route']),
    publishedAt: requireInstant(raw, 'publishedAt', false) as string,
    ...(hasPayload ? { payload: raw['payload'] } : { claimCheck: parseClaimCheck(raw['claimCheck']) }),
  };
  const eta = requireInstant(raw, 'eta', true);
  const context = parseContext(raw['context']);
  const traceId = optionalString(raw, 'traceId');
  const dedupKey = optionalString(raw, 'dedupKey');
  const link = raw['link'];
  if (link !== undefined && (typeof link !== 'number' || !Number.isSafeInteger(link) || link < 0)) {
    throw invalid('link', 'a non-negative integer', link);
  }
  const outcome = parseOutcome(raw['outcome']);
  return {
    ...envelope,
    ...(eta === undefined ? {} : { eta }),
    ...(context === undefined ? {} : { context }),
    ...(traceId === undefined ? {} : { traceId }),
    ...(dedupKey === undefined ? {} : { dedupKey }),
    ...(link === undefined ? {} : { link }),
    ...(outcome === undefined ? {} : { outcome }),
    ...(firing === undefined ? {} : { firing }),
  };
}

/**
 * Serializes an envelope to the SQS body. The inverse of {@link parseEnvelope}.
 *
 * @example
 * await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: serializeEnvelope(envelope) }));
 */
export function serializeEnvelope(envelope: TaskEnvelope): string {
  return JSON.stringify(envelope);
}

/**
 * Size in bytes of the serialized envelope as SQS counts it (UTF-8 body), without message attributes.
 *
 * @example
 * if (envelopeBytes(envelope) > thresholdBytes) { ...claim-check the payload... }
 */
export function envelopeBytes(envelope: TaskEnvelope): number {
  return Buffer.byteLength(serializeEnvelope(envelope), 'utf8');
}
