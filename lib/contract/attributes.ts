/**
 * SQS message attribute names Bosun sets. SQS allows at most 10 attributes per message; Bosun uses at most 8,
 * leaving room for a caller's trace header.
 */
export const MessageAttribute = {
  /** Task name (String). */
  TASK_NAME: 'Bosun.TaskName',
  /** Task id (String). */
  TASK_ID: 'Bosun.TaskId',
  /** Envelope version (Number). */
  ENVELOPE_VERSION: 'Bosun.EnvelopeVersion',
  /** Routing destination chosen at publish time (String). */
  ROUTE: 'Bosun.Route',
  /** Set on a DLQ copy: machine-readable reason code, see {@link DeadReason} (String). */
  DEAD_REASON: 'Bosun.DeadReason',
  /** Set on a DLQ copy: human-readable detail of the reason, never the payload (String). */
  DEAD_DETAIL: 'Bosun.DeadDetail',
  /** Set on a DLQ copy: attempts used before dead-lettering (Number). */
  ATTEMPTS: 'Bosun.Attempts',
  /** Set on a DLQ copy: URL of the queue the message came from, for redrive (String). */
  SOURCE_QUEUE: 'Bosun.SourceQueue',
} as const;

/**
 * The attributes a DLQ copy carries and every other copy drops (a redrive, a fresh copy, an ETA hop): reason, detail,
 * attempts and source queue.
 */
export const DEAD_LETTER_ATTRIBUTES: ReadonlySet<string> = new Set<string>([
  MessageAttribute.DEAD_REASON,
  MessageAttribute.DEAD_DETAIL,
  MessageAttribute.ATTEMPTS,
  MessageAttribute.SOURCE_QUEUE,
]);

/** Why a task went to its DLQ. */
export type DeadReason =
  /** The body is not JSON, not an envelope, or has an invalid field. */
  | 'malformed-message'
  /** The envelope version is not one this consumer reads. */
  | 'unsupported-version'
  /** No task of that name is registered with the consumer. */
  | 'unknown-task'
  /** The payload failed the task's schema. */
  | 'invalid-payload'
  /** The claim-check object is missing from S3. */
  | 'claim-check-missing'
  /** The claim-check object's size or SHA-256 does not match the envelope. */
  | 'claim-check-corrupt'
  /** The routing flags send the task to a destination nobody registered. */
  | 'unknown-destination'
  /** The handler threw a non-retryable error. */
  | 'non-retryable'
  /** Every attempt failed. */
  | 'attempts-exhausted'
  /** The message was received more times than the queue's max receive count without completing (SQS redrive). */
  | 'receive-count-exceeded';

/** Every dead reason, for validation and documentation. */
export const DEAD_REASONS: readonly DeadReason[] = [
  'malformed-message',
  'unsupported-version',
  'unknown-task',
  'invalid-payload',
  'claim-check-missing',
  'claim-check-corrupt',
  'unknown-destination',
  'non-retryable',
  'attempts-exhausted',
  'receive-count-exceeded',
];
