/**
 * Where Bosun keeps payloads and results in the claim-check bucket, and how long they must live. One owner of these
 * facts: the SDK and runtime write under the prefixes, the constructs grant exactly these prefixes and expire them.
 */

/** Key prefix of claim-checked payloads: `claim-checks/<taskId>/<128-bit random hex>`, written by producers. */
export const CLAIM_CHECK_KEY_PREFIX = 'claim-checks/';

/** Key prefix of large task results: `task-results/<taskId>.json`, written by consumers. */
export const TASK_RESULT_KEY_PREFIX = 'task-results/';

/** Seconds in one day. */
const DAY_SECONDS = 24 * 60 * 60;

/**
 * Furthest ETA (or delay) a producer may give a task, in seconds: 30 days. A claim-checked payload must outlive the
 * ETA plus the time the task may then spend in its DLQ, so the bucket's expiry is derived from this bound.
 */
export const MAX_ETA_SECONDS = 30 * DAY_SECONDS;

/** Longest time a task may sit in a DLQ (SQS's maximum retention): 14 days. */
export const MAX_DEAD_LETTER_SECONDS = 14 * DAY_SECONDS;

/**
 * Shortest lifetime of a claim-check object that no accepted task can outlive: the furthest ETA, plus the longest
 * DLQ stay, plus one day of slack for retries and redrives (45 days).
 */
export const MIN_CLAIM_CHECK_RETENTION_SECONDS = MAX_ETA_SECONDS + MAX_DEAD_LETTER_SECONDS + DAY_SECONDS;

/** The key of a large result of `taskId` under {@link TASK_RESULT_KEY_PREFIX}. */
export function taskResultKey(taskId: string): string {
  return `${TASK_RESULT_KEY_PREFIX}${taskId}.json`;
}
