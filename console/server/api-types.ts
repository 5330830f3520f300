/**
 * The Bosun console's JSON API: the one source of truth for the console server (`console/server/`) and the web app
 * (`console/web/`), which imports these types with `import type` only. Every request carries the console's token
 * (header {@link TOKEN_HEADER}, or the query parameter {@link TOKEN_QUERY_PARAMETER} for the page and EventSource);
 * every error is an {@link ApiErrorBody}. The page's own references to the app's files (`src="/app.js"`,
 * `href="/app.css"`, absolute paths in the HTML) get `?token=…` added by the server when it serves the page, since a
 * browser fetches them without the header.
 *
 * This file has no runtime imports, so the browser bundle can also import its constants.
 */
import type { RouteDecision, RoutingRule, TaskStateItem } from '../../lib/contract';

/** Header that carries the console token on API requests. */
export const TOKEN_HEADER = 'X-Bosun-Token';
/** Query parameter that carries the console token (the page itself and `EventSource`, which cannot set headers). */
export const TOKEN_QUERY_PARAMETER = 'token';
/** Seconds between two `overview` events on `/api/events`. */
export const OVERVIEW_EVENT_INTERVAL_SECONDS = 5;
/** Width of one throughput bucket, seconds. */
export const THROUGHPUT_BUCKET_SECONDS = 60;
/** Number of throughput buckets in an overview: the last hour, one per minute. */
export const THROUGHPUT_BUCKETS = 60;

/** Machine-readable error codes of the API. */
export type ApiErrorCode =
  | 'forbidden'
  | 'actions-not-allowed'
  | 'not-found'
  | 'queue-unknown'
  | 'queue-without-dlq'
  | 'task-not-found'
  | 'job-not-found'
  | 'job-running'
  | 'message-not-found'
  | 'claim-check-missing'
  | 'bad-request'
  | 'method-not-allowed'
  | 'unsupported-media-type'
  | 'payload-too-large'
  | 'routing-document-unavailable'
  | 'internal';

/** Every error response: a 4xx/5xx status with this body. The message says what was wrong, what was given, what is allowed. */
export interface ApiErrorBody {
  readonly error: {
    readonly code: ApiErrorCode;
    readonly message: string;
    /** For `queue-unknown`: the platform's queue names. */
    readonly known?: readonly string[];
  };
}

/** One queue of the platform. */
export interface PlatformQueueInfo {
  readonly name: string;
  readonly hasDlq: boolean;
}

/** `GET /api/platform`: what the console is connected to. */
export interface PlatformResponse {
  readonly target: 'local' | 'aws';
  readonly stage: string;
  readonly region: string;
  /** Whether redrive and delete are allowed (always locally; against AWS only with `--allow-actions`). */
  readonly actionsAllowed: boolean;
  readonly queues: readonly PlatformQueueInfo[];
}

/** Depths of one queue and its DLQ. */
export interface QueueOverview {
  readonly name: string;
  /** `ApproximateNumberOfMessages`. */
  readonly visible: number;
  /** `ApproximateNumberOfMessagesNotVisible`. */
  readonly inFlight: number;
  /** `ApproximateNumberOfMessagesDelayed`. */
  readonly delayed: number;
  /**
   * Age of the oldest message, seconds: SQS's `ApproximateAgeOfOldestMessage` in AWS; locally the age of the oldest
   * task the task-state table says is waiting in this queue. Absent when there is none or it is unknown.
   */
  readonly oldestMessageAgeSeconds?: number;
  /** The DLQ's depths, when the queue has a DLQ. */
  readonly dlq?: { readonly visible: number; readonly inFlight: number };
}

/** Task outcomes in one minute. */
export interface ThroughputBucket {
  /** Start of the minute, ISO-8601 UTC. */
  readonly start: string;
  readonly succeeded: number;
  readonly retried: number;
  readonly dead: number;
  readonly rerouted: number;
}

/** Tasks per minute by outcome over the last hour. */
export interface Throughput {
  readonly bucketSeconds: 60;
  /** Where the figures come from, for people (CloudWatch metrics, or the task-state table and what it cannot see). */
  readonly source: string;
  /** The last {@link THROUGHPUT_BUCKETS} minutes, oldest first, every minute present (zeros included). */
  readonly buckets: readonly ThroughputBucket[];
}

/** `GET /api/overview`, and the body of every `overview` event. */
export interface OverviewResponse {
  /** When the figures were read, ISO-8601 UTC. */
  readonly generatedAt: string;
  readonly queues: readonly QueueOverview[];
  readonly throughput: Throughput;
}

/** Filter of DLQ messages; every field optional, all given fields must match. */
export interface DlqFilter {
  /** Exact task name. */
  readonly task?: string;
  /** Exact dead reason (`Bosun.DeadReason`, or `receive-count-exceeded` when SQS's redrive policy moved it). */
  readonly reason?: string;
  /** Sent at or after, ISO-8601. */
  readonly since?: string;
  /** Sent before, ISO-8601. */
  readonly until?: string;
}

/** One dead message, without its payload. */
export interface DlqMessageSummary {
  readonly messageId: string;
  readonly taskId?: string;
  readonly taskName?: string;
  /** Why it is dead (`Bosun.DeadReason`, or `receive-count-exceeded`). */
  readonly reason?: string;
  /** The runtime's detail of the death (an error type and message; never the payload). */
  readonly detail?: string;
  /** Attempts used, when the runtime recorded them. */
  readonly attempts?: number;
  /** Queue the message came from, when recorded. */
  readonly sourceQueue?: string;
  /** When SQS first received the message, ISO-8601 (kept when a redrive policy moves it to the DLQ). */
  readonly sentAt?: string;
  /** Size of the message body, bytes. */
  readonly sizeBytes: number;
  /** Whether the payload is in S3 (a claim check). */
  readonly claimChecked: boolean;
  /** Why the body is not a readable envelope, when it is not. */
  readonly unreadable?: string;
}

/** `GET /api/dlq/:queue?task=&reason=&since=&until=&limit=`: the matching messages of a queue's DLQ, no payload. */
export interface DlqListResponse {
  readonly queue: string;
  /** The DLQ's approximate depth (visible + in flight) before the listing. */
  readonly total: number;
  /** Messages read to find the matching ones. */
  readonly scanned: number;
  /** Whether the listing stopped at `limit` matches or at the scan bound before the end of the DLQ. */
  readonly truncated: boolean;
  readonly messages: readonly DlqMessageSummary[];
}

/** Default and maximum `limit` of a DLQ listing. */
export const DLQ_LIST_DEFAULT_LIMIT = 100;
/** Largest `limit` a DLQ listing accepts. */
export const DLQ_LIST_MAX_LIMIT = 1000;

/** `GET /api/dlq/:queue/messages/:messageId/payload`: one dead message's payload, shown only on request. */
export interface PayloadResponse {
  readonly messageId: string;
  /** The decoded payload (JSON), or the body as a string when it is not a readable envelope. */
  readonly payload: unknown;
  /** Where the payload was fetched from, when it was claim-checked. */
  readonly claimCheck?: { readonly bucket: string; readonly key: string };
}

/** `POST /api/dlq/:queue/redrive`: exactly one of `messageIds` and `filter`. */
export interface RedriveRequest {
  readonly messageIds?: readonly string[];
  readonly filter?: DlqFilter;
}

/** `POST /api/dlq/:queue/delete`: the messages to delete; `confirm` must be `true`. */
export interface DeleteRequest {
  readonly messageIds: readonly string[];
  readonly confirm: true;
}

/** 202 answer to a redrive or delete: the job to follow (`GET /api/jobs/:jobId`, `job` events). */
export interface JobAccepted {
  readonly jobId: string;
}

/** A message an action could not handle, and why (never the payload). */
export interface JobFailure {
  readonly messageId: string;
  readonly taskId?: string;
  readonly error: string;
}

/** What a finished redrive did (a summary of `bosun dlq redrive`'s result). */
export interface RedriveJobResult {
  readonly kind: 'redrive';
  /** Copies sent back to their source queue. */
  readonly redriven: number;
  /** Task states reopened from `dead` to `queued`. */
  readonly stateReset: number;
  /** DLQ copies deleted without a send because their task was alive or finished. */
  readonly redundant: number;
  /** Messages that did not match and stayed in the DLQ. */
  readonly skipped: number;
  /** Messages dead-lettered during the run, left for the next one. */
  readonly leftForNextRun: number;
  /** DLQ messages in flight at the start (not seen). */
  readonly inFlightAtStart: number;
  /** Requested message ids the run did not find in the DLQ. */
  readonly notFound: readonly string[];
  readonly failures: readonly JobFailure[];
  /** Sends with an unknown outcome: kept in the DLQ; the next redrive sends them again. */
  readonly unknownOutcomes: readonly JobFailure[];
}

/** What a finished delete did. */
export interface DeleteJobResult {
  readonly kind: 'delete';
  /** Message ids deleted from the DLQ. */
  readonly deleted: readonly string[];
  /** Requested message ids not found in the DLQ. */
  readonly notFound: readonly string[];
  readonly failures: readonly JobFailure[];
}

/** `GET /api/jobs/:jobId`, and the body of every `job` event. */
export interface JobStatus {
  readonly jobId: string;
  readonly kind: 'redrive' | 'delete';
  readonly queue: string;
  readonly state: 'running' | 'succeeded' | 'failed';
  /** Messages in the job's snapshot, once known. */
  readonly total?: number;
  /** Messages handled so far. */
  readonly done: number;
  /** Messages that failed so far. */
  readonly failed: number;
  /** When it has finished: what it did. */
  readonly result?: RedriveJobResult | DeleteJobResult;
  /** When `state` is `failed`: why the job stopped. */
  readonly error?: string;
}

/** Explanation of a routing decision for a task name. */
export interface RoutingExplanation {
  /** Where the routing document came from. */
  readonly source: string;
  readonly input: {
    readonly task: string;
    readonly taskId: string;
    readonly region?: string;
    readonly context: Readonly<Record<string, string>>;
    readonly dedupKey?: string;
  };
  readonly decision: RouteDecision;
  /** The rule that decided, or `null` when the default destination applied. */
  readonly rule: RoutingRule | null;
}

/** `GET /api/tasks/:taskId`: the task's state item, and where its name routes now. */
export interface TaskResponse {
  /** The task-state item: state, attempts, timings, last error, result or its reference, route stamp. */
  readonly task: TaskStateItem;
  /** The routing decision for its task name under the current document; absent when the document cannot be read. */
  readonly routing?: RoutingExplanation;
  /** Why `routing` is absent, when it is. */
  readonly routingProblem?: string;
}

/** `GET /api/flags`: the current routing document. */
export interface FlagsResponse {
  /** Where it came from: a file path, an AppConfig profile, or the embedded default. */
  readonly source: string;
  /** The document's JSON text, pretty-printed. */
  readonly document: string;
  /** Version, when the source has one. */
  readonly version?: string;
}

/** `POST /api/flags/validate` body. */
export interface FlagsValidateRequest {
  readonly document: string;
}

/** One problem of a routing document. */
export interface FlagsProblem {
  /** JSON pointer of the problem (`/` for the whole document). */
  readonly path: string;
  readonly message: string;
}

/** `POST /api/flags/validate` answer: every problem, a parse error included. */
export interface FlagsValidateResponse {
  readonly valid: boolean;
  readonly problems: readonly FlagsProblem[];
}

/** `POST /api/flags/explain` body. */
export interface FlagsExplainRequest {
  readonly taskName: string;
  /** Publisher's region (default: the platform's) and any context attributes. */
  readonly context?: { readonly region?: string } & Readonly<Record<string, string | undefined>>;
  /** Task id to hash for percentage splits. @default - a fresh ULID */
  readonly taskId?: string;
  /** Deduplication key, for rules that hash it. */
  readonly dedupKey?: string;
}

/** `POST /api/flags/explain` answer. */
export type FlagsExplainResponse = RoutingExplanation;

/** Events of `GET /api/events` (Server-Sent Events): the event name and its JSON data. */
export interface ConsoleEvents {
  /** At once on connect, then every {@link OVERVIEW_EVENT_INTERVAL_SECONDS} seconds. */
  readonly overview: OverviewResponse;
  /** On every change of a redrive or delete job. */
  readonly job: JobStatus;
}

/** Name of an event of `GET /api/events`. */
export type ConsoleEventName = keyof ConsoleEvents;
