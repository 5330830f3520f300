import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { Limits } from '../contract';

/** Seconds a mover hides a message it received but leaves in the source (filtered out, failed, sent after the start). */
export const DEFAULT_MOVE_HOLD_SECONDS = 300;
/** Default number of receive → send → delete loops a mover runs in parallel. */
export const DEFAULT_MOVE_CONCURRENCY = 8;
/** Most loops a mover runs in parallel: each keeps one SQS request in flight. */
export const MAX_MOVE_CONCURRENCY = 100;
/** Long-poll wait of each receive, seconds: long polling asks every SQS server, so an empty answer means empty. */
const RECEIVE_WAIT_SECONDS = 1;
/** HTTP status range of a client error: the service refused the request, so it did nothing. */
const CLIENT_ERROR = { min: 400, max: 499 } as const;
const MS_PER_SECOND = 1000;

/**
 * What to do with one message of the snapshot; the mover carries it out. A message stays in the source unless its
 * copy was accepted (`send`, `delivered`) or it is redundant (`delete`).
 */
export type MoveDecision =
  | {
      readonly kind: 'send';
      /** Queue the copy goes to. */
      readonly queueUrl: string;
      /** Body of the copy. */
      readonly body: string;
      /** Message attributes of the copy. @default - none */
      readonly attributes?: Readonly<Record<string, MessageAttributeValue>>;
      /** SQS `DelaySeconds` of the copy, 0–900. @default 0 */
      readonly delaySeconds?: number;
      /** Task id, for the report. */
      readonly taskId?: string;
      /** Called once SQS accepted the copy, before the source message is deleted. */
      readonly onSent?: () => void;
      /** Called when SQS certainly refused the copy (nothing was sent); what it returns is added to the failure. */
      readonly undo?: () => Promise<string>;
      /** Added to the report of a send whose outcome is unknown. */
      readonly unknownNote?: string;
    }
  | {
      /** The decider delivered the copy itself (for example through the producer SDK) and it was accepted. */
      readonly kind: 'delivered';
      readonly queueUrl: string;
      readonly taskId?: string;
    }
  | {
      /** The message is redundant (its task is alive or finished, or an earlier run moved it): deleted without a send. */
      readonly kind: 'delete';
      readonly taskId?: string;
      readonly onDeleted?: () => void;
    }
  | {
      /** Left in the source: nothing was sent. `unknown` when a copy may have been sent (the next run sends it again). */
      readonly kind: 'fail';
      readonly error: string;
      /** Short reason, the same for every message that failed the same way, for counts. @default - `error` */
      readonly reason?: string;
      readonly taskId?: string;
      readonly unknown?: boolean;
    }
  | {
      /** Decided after every loop ended, by {@link QueueMoverOptions.decideDeferred}. */
      readonly kind: 'defer';
    };

/** What a deferred message becomes once every loop ended. */
export type DeferredDecision = { readonly kind: 'delete'; readonly taskId?: string; readonly onDeleted?: () => void } | { readonly kind: 'keep' };

/** Progress of a run: once at the start, then after every batch. */
export type MoveProgress =
  | { readonly kind: 'start'; readonly total: number }
  | { readonly kind: 'batch'; readonly handled: number; readonly moved: number };

/** Options of {@link moveMessages}. */
export interface QueueMoverOptions {
  /** SQS client of the source and the destinations (queue URLs name their queues). */
  readonly sqs: SQSClient;
  /** URL of the queue messages are moved out of. */
  readonly sourceUrl: string;
  /**
   * Decides what to do with a batch of messages of the snapshot (at most 10), one decision per message, in order. It
   * may write what must come before a send (a task state reopen) or deliver the copies itself (`delivered`); it must
   * not delete from the source.
   */
  readonly decide: (messages: readonly Message[]) => Promise<readonly MoveDecision[]>;
  /** Whether a message of the snapshot is one to move; the others stay in the source untouched. @default - every message */
  readonly filter?: (message: Message) => boolean;
  /** Decides each `defer` message once every loop ended. @default - every deferred message is kept */
  readonly decideDeferred?: (message: Message) => Promise<DeferredDecision>;
  /** Loops run in parallel, 1–100. @default 8 */
  readonly concurrency?: number;
  /** Most messages taken per second (sent, deleted or failed). @default - no limit */
  readonly ratePerSecond?: number;
  /** Most messages taken (filtered-out ones do not count). @default - the whole snapshot */
  readonly max?: number;
  /** Seconds a message left in the source stays hidden while the run goes on. @default 300 */
  readonly holdSeconds?: number;
  /** Decide, count and put everything back: nothing is sent or deleted (the decider must write nothing either). @default false */
  readonly dryRun?: boolean;
  /** Called at the start and after every batch. */
  readonly onProgress?: (event: MoveProgress) => void;
  /** Clock, epoch ms: the snapshot is every message SQS received before its first reading. @default Date.now */
  readonly now?: () => number;
}

/** A message that stayed in the source, or whose source copy could not be deleted. */
export interface MoveFailure {
  readonly messageId: string;
  readonly taskId?: string;
  /** Error name and message (never the body), and what was done about it. */
  readonly error: string;
  /** Short reason, the same for every message that failed the same way (an SQS error code, an error name). */
  readonly reason: string;
}

/** SQS requests a run made, per API. */
export interface MoveRequests {
  readonly receive: number;
  readonly sendBatch: number;
  readonly deleteBatch: number;
  readonly changeVisibility: number;
  readonly getAttributes: number;
}

/** What {@link moveMessages} did. */
export interface QueueMoveResult {
  /** Start of the run, ISO-8601: only messages SQS received before it (`SentTimestamp`) are moved. */
  readonly startedAt: string;
  /** The source's `ApproximateNumberOfMessages` at the start: about the size of the snapshot. */
  readonly snapshot: number;
  /** Source messages in flight at the start (being received elsewhere): not in the snapshot unless they came back. */
  readonly inFlightAtStart: number;
  /** Messages of the snapshot the run took a decision on or filtered out. */
  readonly seen: number;
  /** Copies accepted by their destination (source deleted, or listed in `deleteFailures`); in a dry run, would be. */
  readonly moved: number;
  /** Messages deleted without a send (redundant); in a dry run, would be. */
  readonly deleted: number;
  /** Messages the filter left in the source. */
  readonly filteredOut: number;
  /** Messages kept in the source because nothing was sent (the send was refused, or the decider failed them). */
  readonly failures: readonly MoveFailure[];
  /** Messages kept in the source whose copy may have been sent (no answer, a server error): the next run sends again. */
  readonly unknownOutcomes: readonly MoveFailure[];
  /** Messages whose copy was accepted but whose source message could not be deleted: a duplicate, delivered again later. */
  readonly deleteFailures: readonly MoveFailure[];
  /** Messages sent to the source after the start, or deferred and kept: left for the next run. */
  readonly leftForNextRun: number;
  /** Messages not taken because `max` was reached. */
  readonly beyondMax: number;
  /** Copies per destination queue URL. */
  readonly byDestination: Readonly<Record<string, number>>;
  /** SQS requests made. */
  readonly requests: MoveRequests;
  /** Wall time of the run, ms. */
  readonly durationMs: number;
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : 'Error';
}

/** Error name and message, never anything else of the error (a body could be in it). */
export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * Whether SQS certainly did not take the request: it answered with a client error (4xx) to the only attempt. No
 * answer, a server error, or a client error after the SDK retried (an earlier attempt may have been taken and its
 * answer lost) leave the outcome unknown.
 *
 * @example
 * if (certainlyRejected(error)) await undo();
 */
export function certainlyRejected(error: unknown): boolean {
  const metadata = (error as { $metadata?: { httpStatusCode?: number; attempts?: number } } | undefined)?.$metadata;
  const status = metadata?.httpStatusCode;
  if (status === undefined || status < CLIENT_ERROR.min || status > CLIENT_ERROR.max) return false;
  return (metadata?.attempts ?? 1) <= 1;
}

/** When SQS received the message (`SentTimestamp`, epoch ms); undefined when it was not returned. */
export function sentAtMs(message: Message): number | undefined {
  const sentAt = Number(message.Attributes?.['SentTimestamp']);
  return Number.isFinite(sentAt) && sentAt > 0 ? sentAt : undefined;
}

/** Bytes a message takes in a `SendMessageBatch` call: body plus attribute names, types and values. */
function entryBytes(body: string, attributes: Readonly<Record<string, MessageAttributeValue>> | undefined): number {
  let bytes = Buffer.byteLength(body, 'utf8');
  for (const [name, value] of Object.entries(attributes ?? {})) {
    bytes += Buffer.byteLength(name, 'utf8') + Buffer.byteLength(value.DataType ?? '', 'utf8');
    bytes += value.StringValue === undefined ? 0 : Buffer.byteLength(value.StringValue, 'utf8');
    bytes += value.BinaryValue === undefined ? 0 : value.BinaryValue.byteLength;
  }
  return bytes;
}

/** Splits entries into `SendMessageBatch` calls of at most 10 entries and 1 MiB. */
function pack<E extends { readonly bytes: number }>(entries: readonly E[]): E[][] {
  const calls: E[][] = [];
  let current: E[] = [];
  let bytes = 0;
  for (const entry of entries) {
    if (current.length > 0 && (current.length >= Limits.SQS_MAX_BATCH_ENTRIES || bytes + entry.bytes > Limits.SQS_MAX_BATCH_BYTES)) {
      calls.push(current);
      current = [];
      bytes = 0;
    }
    current.push(entry);
    bytes += entry.bytes;
  }
  if (current.length > 0) calls.push(current);
  return calls;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

type SendDecision = Extract<MoveDecision, { kind: 'send' }>;

interface SendEntry {
  readonly message: Message;
  readonly decision: SendDecision;
  readonly bytes: number;
}

/**
 * Moves the messages that were in an SQS queue when it started into other queues: `concurrency` loops of receive →
 * send-batch → delete-batch, a source message deleted only after its copy was accepted. The engine of `bosun move`
 * and `bosun dlq redrive`; what to send is the caller's `decide`.
 *
 * **Snapshot (ADR 0006: every loop over a queue works from a snapshot and ends).** The run records its start and the
 * source's visible count, and moves only messages SQS received before the start (`SentTimestamp`, which SQS keeps
 * when its redrive policy moves a message to a DLQ). A message it leaves in the source (filtered out, failed, sent
 * after the start, beyond `max`) is hidden for `holdSeconds` so it is not received over and over, and made visible
 * again at the end. A loop ends at a receive that brings no message of the snapshot it has not seen (nothing, only
 * messages sent after the start, or only ones it holds that came back because the run outlasted `holdSeconds`); the
 * run ends when every loop has. A run that outlasts `holdSeconds` may so end before it saw every message: `seen`
 * against `snapshot` tells, and a second run is always safe.
 *
 * **Order, per message (ADR 0006).** Decide (the decider writes what must come before the send), send, and delete the
 * source message only once SQS accepted the copy (a `Successful` entry of `SendMessageBatch`). A copy SQS certainly
 * refused (a `Failed` entry, or a 4xx answer to the only attempt) is undone by the decision's `undo` and its message
 * kept; a send with no answer or a server error is kept and reported as an unknown outcome: the next run sends it
 * again, a duplicate the consumer runs once. A crash at any point leaves every message either deleted after its copy
 * was accepted, or in the source (visible again after `holdSeconds`).
 *
 * @example
 * const result = await moveMessages({
 *   sqs, sourceUrl, concurrency: 16,
 *   decide: async (messages) => messages.map((message) => ({ kind: 'send', queueUrl: targetUrl, body: message.Body ?? '' })),
 * });
 */
export async function moveMessages(options: QueueMoverOptions): Promise<QueueMoveResult> {
  const { sqs, sourceUrl } = options;
  const clock = options.now ?? Date.now;
  const concurrency = options.concurrency ?? DEFAULT_MOVE_CONCURRENCY;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > MAX_MOVE_CONCURRENCY) {
    throw new RangeError(`concurrency must be a whole number from 1 to ${MAX_MOVE_CONCURRENCY} (given ${concurrency})`);
  }
  const holdSeconds = options.holdSeconds ?? DEFAULT_MOVE_HOLD_SECONDS;
  const max = options.max ?? Number.POSITIVE_INFINITY;
  const intervalMs = options.ratePerSecond === undefined ? 0 : MS_PER_SECOND / options.ratePerSecond;
  const dryRun = options.dryRun === true;
  const requests = { receive: 0, sendBatch: 0, deleteBatch: 0, changeVisibility: 0, getAttributes: 0 };

  const startedAtMs = clock();
  requests.getAttributes += 1;
  const attributes = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: sourceUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  const snapshot = Number(attributes.Attributes?.ApproximateNumberOfMessages ?? 0);
  const inFlightAtStart = Number(attributes.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
  options.onProgress?.({ kind: 'start', total: Math.min(snapshot, max) });

  /** Messages left in the source, by id, with their newest receipt handle: made visible again at the end. */
  const held = new Map<string, Message>();
  /** Messages whose copy was accepted but whose delete failed: not moved again if they come back during the run. */
  const undeleted = new Set<string>();
  const deferred: Message[] = [];
  const left = new Set<string>();
  const failures: MoveFailure[] = [];
  const unknownOutcomes: MoveFailure[] = [];
  const deleteFailures: MoveFailure[] = [];
  const byDestination: Record<string, number> = {};
  let seen = 0;
  let taken = 0;
  let moved = 0;
  let deleted = 0;
  let filteredOut = 0;
  let beyondMax = 0;
  let nextSlotMs = clock();

  const failureOf = (message: Message, error: string, taskId: string | undefined, reason = error): MoveFailure => ({
    messageId: message.MessageId ?? '',
    ...(taskId === undefined ? {} : { taskId }),
    error,
    reason,
  });
  const hold = (message: Message): void => void held.set(message.MessageId ?? '', message);
  const countMoved = (queueUrl: string): void => {
    moved += 1;
    byDestination[queueUrl] = (byDestination[queueUrl] ?? 0) + 1;
  };

  /** Deletes source messages in batches of 10; a message whose delete failed is reported with `what`. */
  const deleteSources = async (items: readonly { message: Message; taskId: string | undefined }[]): Promise<void> => {
    for (let start = 0; start < items.length; start += Limits.SQS_MAX_BATCH_ENTRIES) {
      const chunk = items.slice(start, start + Limits.SQS_MAX_BATCH_ENTRIES);
      requests.deleteBatch += 1;
      try {
        const response = await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: sourceUrl,
            Entries: chunk.map((item, index) => ({ Id: String(index), ReceiptHandle: item.message.ReceiptHandle })),
          }),
        );
        for (const failed of response.Failed ?? []) {
          const item = chunk[Number(failed.Id)];
          if (item === undefined) continue;
          undeleted.add(item.message.MessageId ?? '');
          deleteFailures.push(failureOf(item.message, `${failed.Code ?? 'Error'}: ${failed.Message ?? 'delete failed'}`, item.taskId, failed.Code ?? 'Error'));
        }
      } catch (error) {
        for (const item of chunk) {
          undeleted.add(item.message.MessageId ?? '');
          deleteFailures.push(failureOf(item.message, describeError(error), item.taskId, errorName(error)));
        }
      }
    }
  };

  /** Sends one call's worth of copies to one queue; returns the entries SQS accepted. */
  const sendCall = async (queueUrl: string, entries: readonly SendEntry[]): Promise<SendEntry[]> => {
    requests.sendBatch += 1;
    const refused = async (entry: SendEntry, error: string, reason: string): Promise<void> => {
      hold(entry.message);
      const undone = entry.decision.undo === undefined ? '' : await entry.decision.undo();
      failures.push(failureOf(entry.message, `${error}${undone}`, entry.decision.taskId, reason));
    };
    let response;
    try {
      response = await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: entries.map((entry, index) => ({
            Id: String(index),
            MessageBody: entry.decision.body,
            ...(entry.decision.attributes === undefined || Object.keys(entry.decision.attributes).length === 0
              ? {}
              : { MessageAttributes: entry.decision.attributes }),
            ...(entry.decision.delaySeconds === undefined || entry.decision.delaySeconds === 0 ? {} : { DelaySeconds: entry.decision.delaySeconds }),
          })),
        }),
      );
    } catch (error) {
      if (certainlyRejected(error)) {
        await Promise.all(entries.map((entry) => refused(entry, describeError(error), errorName(error))));
      } else {
        for (const entry of entries) {
          hold(entry.message);
          unknownOutcomes.push(failureOf(entry.message, `${describeError(error)}${entry.decision.unknownNote ?? ''}`, entry.decision.taskId, errorName(error)));
        }
      }
      return [];
    }
    const accepted: SendEntry[] = [];
    for (const success of response.Successful ?? []) {
      const entry = entries[Number(success.Id)];
      if (entry !== undefined) accepted.push(entry);
    }
    // A `Failed` entry of a batch was not enqueued: a certain failure, whoever was at fault.
    await Promise.all(
      (response.Failed ?? []).map(async (failed) => {
        const entry = entries[Number(failed.Id)];
        if (entry !== undefined) await refused(entry, `${failed.Code ?? 'Error'}: ${failed.Message ?? 'send refused'}`, failed.Code ?? 'Error');
      }),
    );
    return accepted;
  };

  /** Carries out the decisions of one batch. */
  const execute = async (messages: readonly Message[], decisions: readonly MoveDecision[]): Promise<void> => {
    const toDelete: { message: Message; taskId: string | undefined }[] = [];
    const sends = new Map<string, SendEntry[]>();
    messages.forEach((message, index) => {
      const decision: MoveDecision = decisions[index] ?? { kind: 'fail', error: 'the decider returned no decision for this message' };
      switch (decision.kind) {
        case 'send': {
          if (dryRun) {
            hold(message);
            countMoved(decision.queueUrl);
            return;
          }
          const list = sends.get(decision.queueUrl) ?? [];
          list.push({ message, decision, bytes: entryBytes(decision.body, decision.attributes) });
          sends.set(decision.queueUrl, list);
          return;
        }
        case 'delivered':
          countMoved(decision.queueUrl);
          if (dryRun) hold(message);
          else toDelete.push({ message, taskId: decision.taskId });
          return;
        case 'delete':
          deleted += 1;
          if (dryRun) hold(message);
          else {
            decision.onDeleted?.();
            toDelete.push({ message, taskId: decision.taskId });
          }
          return;
        case 'fail':
          hold(message);
          (decision.unknown === true ? unknownOutcomes : failures).push(failureOf(message, decision.error, decision.taskId, decision.reason));
          return;
        case 'defer':
          deferred.push(message);
          return;
      }
    });
    const calls = [...sends].flatMap(([queueUrl, entries]) => pack(entries).map((call) => [queueUrl, call] as const));
    const accepted = await Promise.all(calls.map(([queueUrl, call]) => sendCall(queueUrl, call)));
    for (const entry of accepted.flat()) {
      countMoved(entry.decision.queueUrl);
      entry.decision.onSent?.();
      toDelete.push({ message: entry.message, taskId: entry.decision.taskId });
    }
    await deleteSources(toDelete);
  };

  /** Waits for the rate's slots for `count` messages; slots are reserved before the wait, so loops share the rate. */
  const takeSlots = async (count: number): Promise<void> => {
    if (intervalMs === 0 || count === 0) return;
    const slot = Math.max(nextSlotMs, clock());
    nextSlotMs = slot + count * intervalMs;
    const waitMs = slot - clock();
    if (waitMs > 0) await sleep(waitMs);
  };

  const loop = async (): Promise<void> => {
    while (taken < max) {
      requests.receive += 1;
      const response = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: sourceUrl,
          MaxNumberOfMessages: Limits.SQS_MAX_BATCH_ENTRIES,
          VisibilityTimeout: holdSeconds,
          WaitTimeSeconds: RECEIVE_WAIT_SECONDS,
          MessageAttributeNames: ['All'],
          MessageSystemAttributeNames: ['All'],
        }),
      );
      const batch = response.Messages ?? [];
      if (batch.length === 0) return;
      const chosen: Message[] = [];
      let newInSnapshot = 0;
      for (const message of batch) {
        const messageId = message.MessageId ?? '';
        if (held.has(messageId) || undeleted.has(messageId)) {
          // Received again after its hold ran out: the receive hid it again; keep the newest receipt handle.
          held.set(messageId, message);
          continue;
        }
        const sentAt = sentAtMs(message);
        if (sentAt === undefined || sentAt >= startedAtMs) {
          left.add(messageId);
          hold(message);
          continue;
        }
        newInSnapshot += 1;
        seen += 1;
        if (options.filter !== undefined && !options.filter(message)) {
          filteredOut += 1;
          hold(message);
          continue;
        }
        if (taken >= max) {
          beyondMax += 1;
          hold(message);
          continue;
        }
        taken += 1;
        chosen.push(message);
      }
      if (chosen.length > 0) {
        await takeSlots(chosen.length);
        let decisions: readonly MoveDecision[];
        try {
          decisions = await options.decide(chosen);
        } catch (error) {
          decisions = chosen.map(() => ({ kind: 'fail', error: describeError(error) }));
        }
        await execute(chosen, decisions);
      }
      options.onProgress?.({ kind: 'batch', handled: chosen.length, moved });
      if (newInSnapshot === 0) return;
    }
  };

  try {
    await Promise.all(Array.from({ length: concurrency }, () => loop()));
    const toDelete: { message: Message; taskId: string | undefined }[] = [];
    for (const message of deferred.splice(0)) {
      const decision = options.decideDeferred === undefined ? { kind: 'keep' as const } : await options.decideDeferred(message);
      if (decision.kind === 'delete' && !dryRun) {
        deleted += 1;
        decision.onDeleted?.();
        toDelete.push({ message, taskId: decision.taskId });
      } else {
        left.add(message.MessageId ?? '');
        hold(message);
      }
    }
    await deleteSources(toDelete);
  } finally {
    for (const message of deferred) hold(message);
    await release(sqs, sourceUrl, [...held.values()], () => void (requests.changeVisibility += 1));
  }
  return {
    startedAt: new Date(startedAtMs).toISOString(),
    snapshot,
    inFlightAtStart,
    seen,
    moved,
    deleted,
    filteredOut,
    failures,
    unknownOutcomes,
    deleteFailures,
    leftForNextRun: left.size,
    beyondMax,
    byDestination,
    requests: { ...requests },
    durationMs: clock() - startedAtMs,
  };
}

/**
 * Makes messages visible again at once, in batches of 10. Best effort: a handle that expired is already visible, and
 * a message that is not made visible comes back when its hold runs out.
 */
async function release(sqs: SQSClient, url: string, messages: readonly Message[], counted: () => void): Promise<void> {
  for (let start = 0; start < messages.length; start += Limits.SQS_MAX_BATCH_ENTRIES) {
    const chunk = messages.slice(start, start + Limits.SQS_MAX_BATCH_ENTRIES);
    counted();
    await sqs
      .send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: url,
          Entries: chunk.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle, VisibilityTimeout: 0 })),
        }),
      )
      .catch(() => undefined);
  }
}
