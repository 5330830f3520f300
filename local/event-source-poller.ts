import {
  DeleteMessageBatchCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSMessageAttributes, SQSRecord } from 'aws-lambda';
import { Limits } from '../lib/contract';
import { LocalOptionError } from './errors';

/** Longest long poll SQS allows, in seconds. */
export const SQS_MAX_WAIT_TIME_SECONDS = 20;
/** Largest synchronous Lambda invocation payload: the ESM stops gathering a batch before it. */
export const LAMBDA_MAX_PAYLOAD_BYTES = 6 * Limits.MIB;
/** Concurrency the poller uses when the mapping sets no `ScalingConfig.MaximumConcurrency` (the ESM's starting scale). */
export const DEFAULT_LOCAL_CONCURRENCY = 5;

/**
 * State of an event source mapping, as Lambda reports it (`GetEventSourceMapping` `State`): `Disabling` while a
 * poll loop still has a receive in flight after the mapping was disabled, `Disabled` once none has. Invocations
 * already under way finish in either state.
 */
export type MappingState = 'Enabled' | 'Disabling' | 'Disabled';

/** What became of one batch. */
export interface BatchOutcome {
  /** Messages in the batch. */
  readonly received: number;
  /** Messages deleted from the queue (processed). */
  readonly deleted: number;
  /** Messages left on the queue; they come back after the visibility timeout. */
  readonly returned: number;
  /** The invocation error (thrown, timed out, or an invalid batch response), when the whole batch failed. */
  readonly error?: Error;
}

/** Properties of an {@link EventSourcePoller}: the settings of one SQS event source mapping. */
export interface EventSourcePollerProps {
  /** SQS client pointed at the queue's endpoint. */
  readonly sqs: SQSClient;
  /** URL of the queue to poll. */
  readonly queueUrl: string;
  /** ARN of the queue, put in each record's `eventSourceARN`. */
  readonly queueArn: string;
  /** Region, put in each record's `awsRegion`. */
  readonly region: string;
  /** Runs the function with one SQS event; resolves with its response, rejects when it failed or timed out. */
  readonly invoke: (event: SQSEvent) => Promise<unknown>;
  /** Most messages per invocation, 1 – 10 000. @default 10 */
  readonly batchSize?: number;
  /** How long to keep gathering a batch once the first message arrived, 0 – 300 seconds. @default 0 */
  readonly maximumBatchingWindowSeconds?: number;
  /** Most concurrent invocations, 1 – 1000. @default - {@link DEFAULT_LOCAL_CONCURRENCY} */
  readonly maxConcurrency?: number;
  /** Whether the function returns partial batch responses (`ReportBatchItemFailures`). @default false */
  readonly reportBatchItemFailures?: boolean;
  /** Long-poll wait per receive, 0 – 20 seconds. @default 20 */
  readonly waitTimeSeconds?: number;
  /** Called after every batch, for logs and tests. @default - nothing */
  readonly onBatch?: (outcome: BatchOutcome) => void;
  /** Called when a receive or delete call fails (the poller backs off and keeps going). @default - nothing */
  readonly onPollError?: (error: Error) => void;
  /** Whether the mapping starts enabled (the template's `Enabled`); a disabled one receives nothing. @default true */
  readonly enabled?: boolean;
}

/** Counters of an {@link EventSourcePoller} since it started. */
export interface PollerStats {
  readonly invocations: number;
  readonly failedInvocations: number;
  readonly messagesReceived: number;
  readonly messagesDeleted: number;
  readonly messagesReturned: number;
}

function checkRange(option: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new LocalOptionError(option, `${option} must be an integer between ${min} and ${max} (given ${value})`);
  }
}

function toLambdaAttributes(attributes: Record<string, MessageAttributeValue> | undefined): SQSMessageAttributes {
  const result: SQSMessageAttributes = {};
  for (const [name, value] of Object.entries(attributes ?? {})) {
    result[name] = {
      dataType: value.DataType ?? 'String',
      ...(value.StringValue === undefined ? {} : { stringValue: value.StringValue }),
      ...(value.BinaryValue === undefined ? {} : { binaryValue: Buffer.from(value.BinaryValue).toString('base64') }),
      stringListValues: value.StringListValues ?? [],
      binaryListValues: (value.BinaryListValues ?? []).map((item) => Buffer.from(item).toString('base64')),
    };
  }
  return result;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function wakeSignal(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

/**
 * A local stand-in for Lambda's SQS event source mapping. `maxConcurrency` poll loops each long-poll the queue,
 * gather a batch (up to `batchSize`, waiting up to the batching window, never past Lambda's 6 MB invocation limit),
 * invoke the function and then:
 *
 * - the function threw or timed out → nothing is deleted; the messages come back after the visibility timeout;
 * - it succeeded with `reportBatchItemFailures` → everything but the reported `batchItemFailures` is deleted; a
 *   failure entry naming no message of the batch fails the whole batch, as in AWS;
 * - it succeeded otherwise → the whole batch is deleted.
 *
 * The queue's redrive policy (maxReceiveCount → DLQ) is enforced by the emulator itself on receive, exactly as SQS
 * does, keeping the body and attributes.
 *
 * @example
 * const poller = new EventSourcePoller({ sqs, queueUrl, queueArn, region, invoke: (e) => fn.invoke(e), batchSize: 10 });
 * poller.start();
 * await poller.stop(); // drains in-flight batches
 */
export class EventSourcePoller {
  private readonly batchSize: number;
  private readonly windowMs: number;
  private readonly concurrency: number;
  private readonly waitTimeSeconds: number;
  /**
   * One controller per poll loop: the SDK adds an abort listener per request to the signal it is given, so one signal
   * shared by more than 10 concurrent long polls trips Node's MaxListenersExceededWarning.
   */
  private readonly aborts = new Set<AbortController>();
  private loops: Promise<void>[] = [];
  private running = false;
  private enabled: boolean;
  /** Poll loops inside a receive (or gathering a batch) right now. */
  private receiving = 0;
  /** Wakes the poll loops of a disabled mapping when it is enabled again or stopped. */
  private wake: { promise: Promise<void>; resolve: () => void } = wakeSignal();
  private counters = {
    invocations: 0,
    failedInvocations: 0,
    messagesReceived: 0,
    messagesDeleted: 0,
    messagesReturned: 0,
  };

  public constructor(private readonly props: EventSourcePollerProps) {
    this.batchSize = props.batchSize ?? 10;
    checkRange('batchSize', this.batchSize, 1, Limits.ESM_MAX_BATCH_SIZE);
    const windowSeconds = props.maximumBatchingWindowSeconds ?? 0;
    checkRange('maximumBatchingWindowSeconds', windowSeconds, 0, Limits.ESM_MAX_BATCHING_WINDOW_SECONDS);
    this.windowMs = windowSeconds * 1000;
    this.concurrency = props.maxConcurrency ?? DEFAULT_LOCAL_CONCURRENCY;
    checkRange('maxConcurrency', this.concurrency, 1, Limits.ESM_MAX_MAX_CONCURRENCY);
    this.waitTimeSeconds = props.waitTimeSeconds ?? SQS_MAX_WAIT_TIME_SECONDS;
    checkRange('waitTimeSeconds', this.waitTimeSeconds, 0, SQS_MAX_WAIT_TIME_SECONDS);
    this.enabled = props.enabled ?? true;
  }

  /** The mapping's state: `Enabled`, or `Disabling` → `Disabled` after {@link disable}. */
  public get state(): MappingState {
    if (this.enabled) return 'Enabled';
    return this.receiving > 0 ? 'Disabling' : 'Disabled';
  }

  /**
   * Disables the mapping, as `UpdateEventSourceMapping Enabled=false` does: no new receive starts; a long poll in
   * flight runs to its end (up to `waitTimeSeconds`; abandoning it would hide the messages the emulator hands to it
   * for a visibility timeout) and what it returns is still invoked. The state is `Disabling` until no loop is
   * receiving, then `Disabled`. Invocations under way finish. Does nothing when already disabled.
   */
  public disable(): void {
    this.enabled = false;
  }

  /** Enables the mapping again: the poll loops receive from the queue again. Does nothing when enabled. */
  public enable(): void {
    if (this.enabled) return;
    this.enabled = true;
    const { resolve } = this.wake;
    this.wake = wakeSignal();
    resolve();
  }

  /** Counters since the poller started. */
  public get stats(): PollerStats {
    return { ...this.counters };
  }

  /** Starts the poll loops. Calling it twice does nothing. */
  public start(): void {
    if (this.running) return;
    this.running = true;
    this.loops = Array.from({ length: this.concurrency }, () => this.loop());
  }

  /** Stops receiving, lets in-flight invocations finish (and their deletes land), then resolves. */
  public async stop(): Promise<void> {
    this.running = false;
    for (const abort of this.aborts) abort.abort();
    this.wake.resolve();
    await Promise.all(this.loops);
  }

  /** Whether the poll loops should receive: started, not stopped, and the mapping enabled. */
  private get receives(): boolean {
    return this.running && this.enabled;
  }

  private async loop(): Promise<void> {
    const abort = new AbortController();
    this.aborts.add(abort);
    try {
      while (this.running) {
        if (!this.enabled) {
          await this.wake.promise;
          continue;
        }
        try {
          const batch = await this.receiveBatch(abort.signal);
          if (batch.length > 0) await this.process(batch);
        } catch (error) {
          // A receive abandoned because the mapping was disabled or the poller stopped is no error.
          if (!this.receives) continue;
          this.props.onPollError?.(error instanceof Error ? error : new Error(String(error)));
          await sleep(1000);
        }
      }
    } finally {
      this.aborts.delete(abort);
    }
  }

  /** Gathers a batch, counted as receiving meanwhile (what `Disabling` waits for). */
  private async receiveBatch(signal: AbortSignal): Promise<Message[]> {
    this.receiving += 1;
    try {
      return await this.gatherBatch(signal);
    } finally {
      this.receiving -= 1;
    }
  }

  private async receive(max: number, waitTimeSeconds: number, signal: AbortSignal): Promise<Message[]> {
    const response = await this.props.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: this.props.queueUrl,
        MaxNumberOfMessages: Math.min(max, Limits.SQS_MAX_BATCH_ENTRIES),
        WaitTimeSeconds: waitTimeSeconds,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
      { abortSignal: signal },
    );
    return response.Messages ?? [];
  }

  private async gatherBatch(signal: AbortSignal): Promise<Message[]> {
    const batch = await this.receive(this.batchSize, this.waitTimeSeconds, signal);
    if (batch.length === 0) return batch;
    let bytes = batch.reduce((sum, message) => sum + Buffer.byteLength(message.Body ?? ''), 0);
    const deadline = Date.now() + this.windowMs;
    while (this.receives && batch.length < this.batchSize && bytes < LAMBDA_MAX_PAYLOAD_BYTES) {
      const remainingMs = deadline - Date.now();
      if (remainingMs <= 0) break;
      // WaitTimeSeconds is whole seconds; below one second left, poll without waiting and pause briefly instead.
      const waitSeconds = Math.min(Math.floor(remainingMs / 1000), SQS_MAX_WAIT_TIME_SECONDS);
      let more: Message[];
      try {
        more = await this.receive(this.batchSize - batch.length, waitSeconds, signal);
      } catch (error) {
        // Stopped or disabled while gathering: the messages already received are still invoked.
        if (!this.receives) break;
        throw error;
      }
      for (const message of more) {
        batch.push(message);
        bytes += Buffer.byteLength(message.Body ?? '');
      }
      if (more.length === 0 && waitSeconds === 0) await sleep(Math.min(remainingMs, 100));
    }
    return batch;
  }

  private toEvent(batch: readonly Message[]): SQSEvent {
    const records = batch.map(
      (message): SQSRecord => ({
        messageId: message.MessageId ?? '',
        receiptHandle: message.ReceiptHandle ?? '',
        body: message.Body ?? '',
        attributes: {
          ApproximateReceiveCount: message.Attributes?.ApproximateReceiveCount ?? '1',
          SentTimestamp: message.Attributes?.SentTimestamp ?? String(Date.now()),
          SenderId: message.Attributes?.SenderId ?? '000000000000',
          ApproximateFirstReceiveTimestamp: message.Attributes?.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
        },
        messageAttributes: toLambdaAttributes(message.MessageAttributes),
        md5OfBody: message.MD5OfBody ?? '',
        eventSource: 'aws:sqs',
        eventSourceARN: this.props.queueArn,
        awsRegion: this.props.region,
      }),
    );
    return { Records: records };
  }

  /**
   * Message ids to keep on the queue according to a partial batch response, or why the response is invalid (Lambda
   * then fails the whole batch). No response, no `batchItemFailures` or an empty list mean complete success.
   */
  private failedIds(batch: readonly Message[], response: unknown): Set<string> | { problem: string } {
    if (!this.props.reportBatchItemFailures || response === null || response === undefined) return new Set();
    const failures = (response as Partial<SQSBatchResponse>).batchItemFailures;
    if (failures === undefined || failures === null) return new Set();
    if (!Array.isArray(failures)) {
      return { problem: `the partial batch response's batchItemFailures is not a list (given ${typeof failures}); the whole batch failed` };
    }
    const ids = new Set(batch.map((message) => message.MessageId));
    const failed = new Set<string>();
    for (const failure of failures as unknown[]) {
      const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
      if (typeof id !== 'string' || id === '') {
        const given = id === undefined ? 'no itemIdentifier' : `itemIdentifier ${JSON.stringify(id)}`;
        return { problem: `a failure of the partial batch response has no message id (given ${given}); the whole batch failed` };
      }
      if (!ids.has(id)) return { problem: 'the partial batch response names a message that is not in the batch; the whole batch failed' };
      failed.add(id);
    }
    return failed;
  }

  private async process(batch: Message[]): Promise<void> {
    this.counters.invocations += 1;
    this.counters.messagesReceived += batch.length;
    let failed: Set<string> | undefined;
    let error: Error | undefined;
    try {
      const response = await this.props.invoke(this.toEvent(batch));
      const ids = this.failedIds(batch, response);
      if (ids instanceof Set) failed = ids;
      else error = new Error(ids.problem);
    } catch (thrown) {
      error = thrown instanceof Error ? thrown : new Error(String(thrown));
    }
    const toDelete = failed === undefined ? [] : batch.filter((message) => !failed.has(message.MessageId ?? ''));
    if (error !== undefined) this.counters.failedInvocations += 1;
    await this.deleteMessages(toDelete);
    this.counters.messagesDeleted += toDelete.length;
    this.counters.messagesReturned += batch.length - toDelete.length;
    this.props.onBatch?.({
      received: batch.length,
      deleted: toDelete.length,
      returned: batch.length - toDelete.length,
      ...(error === undefined ? {} : { error }),
    });
  }

  private async deleteMessages(messages: readonly Message[]): Promise<void> {
    for (let start = 0; start < messages.length; start += Limits.SQS_MAX_BATCH_ENTRIES) {
      const chunk = messages.slice(start, start + Limits.SQS_MAX_BATCH_ENTRIES);
      // Not tied to the abort signal: a drain must still delete what the function finished.
      const response = await this.props.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.props.queueUrl,
          Entries: chunk.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle })),
        }),
      );
      if ((response.Failed ?? []).length > 0) {
        this.props.onPollError?.(
          new Error(`${response.Failed?.length} of ${chunk.length} deletes failed; those messages will be redelivered`),
        );
      }
    }
  }
}
