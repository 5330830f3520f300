/**
 * AWS service limits Bosun designs around, each named after the fact it encodes (checked 2026).
 * Everything that validates a size, a delay or a count imports these instead of repeating a number.
 */

/** One KiB in bytes. */
export const KIB = 1024;
/** One MiB in bytes. */
export const MIB = 1024 * KIB;

/** Smallest `MaximumMessageSize` an SQS queue accepts: 1 KiB. */
export const SQS_MIN_MESSAGE_BYTES = KIB;
/** Largest SQS message (body plus attributes) since August 2025: 1 MiB. */
export const SQS_MAX_MESSAGE_BYTES = MIB;
/** Size of one billed SQS request chunk: every 64 KiB of a request is billed as one request. */
export const SQS_BILLING_CHUNK_BYTES = 64 * KIB;
/** Most entries in one `SendMessageBatch` / `DeleteMessageBatch` / `ChangeMessageVisibilityBatch` call. */
export const SQS_MAX_BATCH_ENTRIES = 10;
/** Largest total payload of one `SendMessageBatch` call: 1 MiB. */
export const SQS_MAX_BATCH_BYTES = MIB;
/** Largest per-message `DelaySeconds`: 15 minutes. Longer ETAs are chained through re-sends. */
export const SQS_MAX_DELAY_SECONDS = 900;
/** Largest visibility timeout: 12 hours, counted from the receive. */
export const SQS_MAX_VISIBILITY_TIMEOUT_SECONDS = 12 * 60 * 60;
/** Shortest message retention period: 60 seconds. */
export const SQS_MIN_RETENTION_SECONDS = 60;
/** Longest message retention period: 14 days. */
export const SQS_MAX_RETENTION_SECONDS = 14 * 24 * 60 * 60;
/** Smallest `maxReceiveCount` of a redrive policy. */
export const SQS_MIN_MAX_RECEIVE_COUNT = 1;
/** Largest `maxReceiveCount` of a redrive policy. */
export const SQS_MAX_MAX_RECEIVE_COUNT = 1000;
/** Most message attributes on one SQS message. */
export const SQS_MAX_MESSAGE_ATTRIBUTES = 10;

/** Longest Lambda function timeout: 15 minutes. */
export const LAMBDA_MAX_TIMEOUT_SECONDS = 900;
/** AWS's recommended ratio of queue visibility timeout to function timeout for SQS event sources. */
export const VISIBILITY_TO_FUNCTION_TIMEOUT_RATIO = 6;
/** Smallest `maxConcurrency` of an SQS event source mapping. */
export const ESM_MIN_MAX_CONCURRENCY = 2;
/** Largest `maxConcurrency` of an SQS event source mapping. */
export const ESM_MAX_MAX_CONCURRENCY = 1000;
/** Largest batch size of an SQS event source mapping on a standard queue. */
export const ESM_MAX_BATCH_SIZE = 10_000;
/** Largest batch size allowed without a batching window. */
export const ESM_MAX_BATCH_SIZE_WITHOUT_WINDOW = 10;
/** Longest batching window of an SQS event source mapping. */
export const ESM_MAX_BATCHING_WINDOW_SECONDS = 300;

/** Default claim-check threshold: envelopes larger than 256 KiB move their payload to S3. */
export const DEFAULT_CLAIM_CHECK_THRESHOLD_BYTES = 256 * KIB;
/** Default hard limit on a payload Bosun accepts at all (claim-checked or not): 2 GiB. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 2 * 1024 * MIB;
