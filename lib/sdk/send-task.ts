import {
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { CustomDestination } from '../contract';
import { AwsCallFailedError, PublishOutcomeUnknownError } from './errors';
import type { PreparedTask } from './prepare-task';

/** First backoff before retrying failed batch entries; doubles per retry. */
const BATCH_RETRY_BASE_MS = 50;
/** How deep {@link isCertainRejection} looks through `cause` chains. */
const MAX_CAUSE_DEPTH = 5;
const HTTP_CLIENT_ERROR_MIN = 400;
const HTTP_CLIENT_ERROR_MAX = 499;

/**
 * Whether an error proves the receiver refused the request: somewhere in its `cause` chain is an AWS SDK error whose
 * HTTP response had a 4xx status (validation, a missing queue, access denied, throttling) on the only try the AWS SDK
 * made. Anything else — a 4xx after the SDK's own retries (an earlier try may have been accepted), no response at
 * all (network error, timeout, reset connection) or a 5xx — leaves the outcome unknown: the request may have been
 * carried out.
 *
 * @example
 * isCertainRejection(Object.assign(new Error('no queue'), { $metadata: { httpStatusCode: 400 } })) // true
 * isCertainRejection(Object.assign(new Error('socket hang up'), { name: 'TimeoutError' }))        // false
 */
export function isCertainRejection(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < MAX_CAUSE_DEPTH && typeof current === 'object' && current !== null; depth += 1) {
    const metadata = (current as { $metadata?: { httpStatusCode?: unknown; attempts?: unknown } }).$metadata;
    const status = metadata?.httpStatusCode;
    // A 4xx after the AWS SDK retried proves only that the last try was refused: an earlier one may have landed.
    if (typeof metadata?.attempts === 'number' && metadata.attempts > 1) return false;
    if (typeof status === 'number') return status >= HTTP_CLIENT_ERROR_MIN && status <= HTTP_CLIENT_ERROR_MAX;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** An entry of {@link TaskSender.sendBatch}: a prepared task and the body to send for it. */
export interface SendEntry {
  /** Unique within one call (the batch item's index). */
  readonly index: number;
  readonly task: PreparedTask;
  readonly body: string;
}

/** Options of {@link TaskSender}. */
export interface TaskSenderOptions {
  /** SQS client (shared, one per process). */
  readonly sqs: SQSClient;
  /** Times a batch retries entries SQS failed on its side (and whole failed calls), 0–10. */
  readonly batchRetries: number;
  /** Sleep between batch retries (tests). @default - setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * Sends prepared tasks and says, for every failure, whether it is certain. A certain failure throws (or reports)
 * `AwsCallFailedError` — SQS answered 4xx, or listed the batch entry in `Failed` — and the caller may undo the
 * publish. Any other failure is a `PublishOutcomeUnknownError`: the message may have been accepted, so the caller
 * keeps everything a live message needs.
 *
 * @example
 * const sender = new TaskSender({ sqs, batchRetries: 3 });
 * try { await sender.send(task, url, body) } catch (e) { if (!(e instanceof PublishOutcomeUnknownError)) await undo() ; throw e }
 */
export class TaskSender {
  private readonly sqs: SQSClient;
  private readonly batchRetries: number;
  private readonly sleep: (ms: number) => Promise<void>;

  public constructor(options: TaskSenderOptions) {
    this.sqs = options.sqs;
    this.batchRetries = options.batchRetries;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /**
   * Sends one message (`SendMessage`, with the AWS SDK's own retries).
   *
   * @throws AwsCallFailedError when SQS certainly refused it; PublishOutcomeUnknownError when it may have been accepted.
   */
  public async send(task: PreparedTask, queueUrl: string, body: string): Promise<void> {
    try {
      await this.sqs.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: body,
          ...(task.delaySeconds > 0 ? { DelaySeconds: task.delaySeconds } : {}),
          MessageAttributes: task.attributes,
          ...(task.traceHeader === undefined
            ? {}
            : { MessageSystemAttributes: { AWSTraceHeader: { DataType: 'String', StringValue: task.traceHeader } } }),
        }),
      );
    } catch (error) {
      if (isCertainRejection(error)) throw new AwsCallFailedError('SQS', 'SendMessage', task.taskId, error);
      throw new PublishOutcomeUnknownError({ taskId: task.taskId, taskName: task.taskName, operation: 'SQS SendMessage', cause: error });
    }
  }

  /**
   * Hands a task to a custom destination. A failure is certain only when its error (or a cause of it) is a 4xx answer
   * of an AWS service; then the original error is rethrown.
   *
   * @throws the destination's error when it certainly refused the task; PublishOutcomeUnknownError otherwise.
   */
  public async deliver(task: PreparedTask, destination: CustomDestination): Promise<void> {
    try {
      await destination.deliver({ envelope: { ...task.head, payload: task.payload }, payload: task.payload, decision: task.decision });
    } catch (error) {
      if (isCertainRejection(error)) throw error;
      throw new PublishOutcomeUnknownError({
        taskId: task.taskId,
        taskName: task.taskName,
        operation: `deliver to custom destination "${destination.name}"`,
        cause: error,
      });
    }
  }

  /**
   * Sends one call's worth of entries, retrying the entries SQS failed on its side (and whole-call failures) up to
   * `batchRetries` times with exponential backoff. Calls `onSent` or `onFailed` exactly once per entry; the error given
   * to `onFailed` is `AwsCallFailedError` only when every try of that entry certainly failed, and
   * `PublishOutcomeUnknownError` when any try may have been accepted. Returns the calls made.
   */
  public async sendBatch<E extends SendEntry>(
    queueUrl: string,
    entries: readonly E[],
    onFailed: (entry: E, error: AwsCallFailedError) => Promise<void>,
    onSent: (entry: E) => void,
  ): Promise<number> {
    const maybeSent = new Set<number>();
    const failure = (entry: E, cause: unknown): AwsCallFailedError =>
      maybeSent.has(entry.index)
        ? new PublishOutcomeUnknownError({ taskId: entry.task.taskId, taskName: entry.task.taskName, operation: 'SQS SendMessageBatch', cause })
        : new AwsCallFailedError('SQS', 'SendMessageBatch', entry.task.taskId, cause);
    let pending = entries;
    let calls = 0;
    for (let attempt = 0; pending.length > 0; attempt += 1) {
      if (attempt > 0) await this.sleep(BATCH_RETRY_BASE_MS * 2 ** (attempt - 1));
      const byId = new Map(pending.map((entry) => [String(entry.index), entry]));
      const request: SendMessageBatchRequestEntry[] = pending.map((entry) => ({
        Id: String(entry.index),
        MessageBody: entry.body,
        ...(entry.task.delaySeconds > 0 ? { DelaySeconds: entry.task.delaySeconds } : {}),
        MessageAttributes: entry.task.attributes,
        ...(entry.task.traceHeader === undefined
          ? {}
          : { MessageSystemAttributes: { AWSTraceHeader: { DataType: 'String', StringValue: entry.task.traceHeader } } }),
      }));
      const lastAttempt = attempt >= this.batchRetries;
      calls += 1;
      let response;
      try {
        response = await this.sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: request }));
      } catch (error) {
        if (!isCertainRejection(error)) for (const entry of pending) maybeSent.add(entry.index);
        if (!lastAttempt) continue;
        for (const entry of pending) await onFailed(entry, failure(entry, error));
        return calls;
      }
      for (const ok of response.Successful ?? []) {
        const entry = ok.Id === undefined ? undefined : byId.get(ok.Id);
        if (entry === undefined) continue;
        byId.delete(ok.Id as string);
        onSent(entry);
      }
      const retry: E[] = [];
      for (const failed of response.Failed ?? []) {
        const entry = failed.Id === undefined ? undefined : byId.get(failed.Id);
        if (entry === undefined) continue;
        byId.delete(failed.Id as string);
        if (failed.SenderFault !== true && !lastAttempt) {
          retry.push(entry);
        } else {
          const cause = Object.assign(new Error(failed.Message ?? 'entry failed'), { name: failed.Code ?? 'BatchEntryFailed', senderFault: failed.SenderFault === true });
          await onFailed(entry, failure(entry, cause));
        }
      }
      // An entry SQS named in neither list is not assumed sent, nor certainly refused: it is retried, and if it is
      // never settled its outcome is unknown.
      for (const entry of byId.values()) {
        maybeSent.add(entry.index);
        if (lastAttempt) {
          await onFailed(entry, failure(entry, new Error('SQS reported no outcome for the entry')));
        } else {
          retry.push(entry);
        }
      }
      pending = retry;
    }
    return calls;
  }
}
