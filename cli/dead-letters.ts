import {
  ChangeMessageVisibilityBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
} from '@aws-sdk/client-sqs';
import { sentAtMs } from '../lib/aws/queue-mover';
import {
  EnvelopeInvalidError,
  Limits,
  MessageAttribute,
  SCHEDULES_DLQ_NAME,
  SchedulerDeadLetterAttribute,
  type TaskEnvelope,
  parseEnvelope,
} from '../lib/contract';
import type { CliClients } from './clients';
import { CliQueueWithoutDlqError } from './errors';
import { type Platform, type PlatformQueue, findQueue } from './platform';

/** Long-poll wait of each DLQ receive, seconds: long polling asks every SQS server, so an empty answer means empty. */
const RECEIVE_WAIT_SECONDS = 1;

/**
 * A DLQ the CLI reads: a platform queue's (`kind: 'queue'`, whose messages go back to `queue.url`), or the schedules'
 * (`kind: 'schedules'`, firings Scheduler could not deliver, each going back to its task's queue).
 */
export type DeadLetterSource =
  | (PlatformQueue & { readonly kind: 'queue'; readonly dlqUrl: string })
  | { readonly kind: 'schedules'; readonly name: typeof SCHEDULES_DLQ_NAME; readonly dlqUrl: string };

/**
 * The DLQ `queueName` names: the DLQ of that queue of the platform, or, for `schedules`, the schedules' DLQ.
 *
 * @throws CliQueueUnknownError for a name that is neither; CliQueueWithoutDlqError when the outputs name no such DLQ.
 * @example
 * const { dlqUrl } = dlqOf(platform, 'default');
 * const schedules = dlqOf(platform, 'schedules');
 */
export function dlqOf(platform: Platform, queueName: string): DeadLetterSource {
  if (queueName === SCHEDULES_DLQ_NAME && !platform.queues.some((queue) => queue.name === queueName)) {
    if (platform.schedulesDlqUrl === undefined) throw new CliQueueWithoutDlqError(queueName);
    return { kind: 'schedules', name: SCHEDULES_DLQ_NAME, dlqUrl: platform.schedulesDlqUrl };
  }
  const queue = findQueue(platform, queueName);
  if (queue.dlqUrl === undefined) throw new CliQueueWithoutDlqError(queueName);
  return { ...queue, kind: 'queue', dlqUrl: queue.dlqUrl };
}

/**
 * How people read a DLQ's name: `the DLQ of default`, or `the schedules' DLQ`.
 *
 * @example
 * `redrove 3 message(s) from ${dlqLabel('schedules')}`
 */
export function dlqLabel(name: string): string {
  return name === SCHEDULES_DLQ_NAME ? "the schedules' DLQ" : `the DLQ of ${name}`;
}

/** The string value of a message attribute. */
export function attribute(message: Message, name: string): string | undefined {
  return message.MessageAttributes?.[name]?.StringValue;
}

/** A DLQ message's body: the envelope, or why it is not one. */
export interface ReadBody {
  readonly envelope?: TaskEnvelope;
  readonly unreadable?: string;
}

/**
 * Reads a message body as an envelope; a body that is not one is reported, not thrown.
 *
 * @example
 * const { envelope, unreadable } = readBody(message);
 */
export function readBody(message: Message): ReadBody {
  try {
    return { envelope: parseEnvelope(message.Body ?? '') };
  } catch (error) {
    if (error instanceof EnvelopeInvalidError) return { unreadable: error.message };
    throw error;
  }
}

/** The task name of a message: the envelope's, else the `Bosun.TaskName` attribute. */
export function taskNameOf(message: Message, body: ReadBody): string | undefined {
  return body.envelope?.task ?? attribute(message, MessageAttribute.TASK_NAME);
}

/** The dead reason SQS's own redrive policy leaves (it adds no `Bosun.DeadReason` attribute). */
export const RECEIVE_COUNT_EXCEEDED = 'receive-count-exceeded';

/** The dead reason of a schedule firing EventBridge Scheduler could not deliver (it lands in the schedules DLQ). */
export const SCHEDULE_UNDELIVERED = 'schedule-undelivered';

/**
 * Why a dead message is dead: the runtime's `Bosun.DeadReason`, or `receive-count-exceeded` when SQS's redrive policy
 * moved it.
 *
 * @example
 * const reason = deadReasonAttribute(message);
 */
export function deadReasonAttribute(message: Message): string {
  const reason = attribute(message, MessageAttribute.DEAD_REASON);
  if (reason !== undefined) return reason;
  // EventBridge Scheduler dead-letters a firing it could not deliver with its own attributes, never Bosun's.
  return attribute(message, SchedulerDeadLetterAttribute.SCHEDULE_ARN) === undefined ? RECEIVE_COUNT_EXCEEDED : SCHEDULE_UNDELIVERED;
}

/** Which dead messages an operation takes; every given field must match, an empty filter takes every message. */
export interface DeadLetterFilter {
  /** Exact task name (the envelope's, else `Bosun.TaskName`). @default - any task */
  readonly taskName?: string;
  /** Exact dead reason, as {@link deadReasonAttribute} reads it. @default - any reason */
  readonly reason?: string;
  /** Only messages SQS received at or after this time (`SentTimestamp`), epoch ms. @default - no lower bound */
  readonly sentFromMs?: number;
  /** Only messages SQS received before this time, epoch ms. @default - no upper bound */
  readonly sentBeforeMs?: number;
  /** Only these SQS message ids. @default - any message */
  readonly messageIds?: ReadonlySet<string>;
}

/**
 * Whether a dead message matches a filter. A time bound excludes a message whose `SentTimestamp` is unknown.
 *
 * @example
 * if (matchesDeadLetter(message, readBody(message), { taskName: 'demo.flaky' })) take(message);
 */
export function matchesDeadLetter(message: Message, body: ReadBody, filter: DeadLetterFilter): boolean {
  if (filter.messageIds !== undefined && !filter.messageIds.has(message.MessageId ?? '')) return false;
  if (filter.taskName !== undefined && taskNameOf(message, body) !== filter.taskName) return false;
  if (filter.reason !== undefined && deadReasonAttribute(message) !== filter.reason) return false;
  if (filter.sentFromMs !== undefined || filter.sentBeforeMs !== undefined) {
    const sentAt = sentAtMs(message);
    if (sentAt === undefined) return false;
    if (filter.sentFromMs !== undefined && sentAt < filter.sentFromMs) return false;
    if (filter.sentBeforeMs !== undefined && sentAt >= filter.sentBeforeMs) return false;
  }
  return true;
}

/**
 * `ApproximateNumberOfMessages` (visible) and `…NotVisible` (in flight) of a queue.
 *
 * @example
 * const { visible } = await dlqCounts(clients, dlqUrl);
 */
export async function dlqCounts(clients: CliClients, url: string): Promise<{ visible: number; notVisible: number }> {
  const response = await clients.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return {
    visible: Number(response.Attributes?.ApproximateNumberOfMessages ?? 0),
    notVisible: Number(response.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
  };
}

/**
 * Receives up to `max` (at most 10) messages with every message attribute and every system attribute, among them
 * `SentTimestamp` (when SQS received the message; kept when SQS's redrive policy moves a message to its DLQ) and
 * `ApproximateReceiveCount`, which SQS returns only when asked.
 *
 * @example
 * const batch = await receive(clients, dlqUrl, 10, 300);
 */
export async function receive(clients: CliClients, url: string, max: number, visibilitySeconds: number): Promise<Message[]> {
  const response = await clients.sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: url,
      MaxNumberOfMessages: Math.max(1, Math.min(Limits.SQS_MAX_BATCH_ENTRIES, max)),
      VisibilityTimeout: visibilitySeconds,
      WaitTimeSeconds: RECEIVE_WAIT_SECONDS,
      MessageAttributeNames: ['All'],
      MessageSystemAttributeNames: ['All'],
    }),
  );
  return response.Messages ?? [];
}

/**
 * Makes messages visible again at once. Best effort: a handle that expired is already visible.
 *
 * @example
 * await release(clients, dlqUrl, held);
 */
export async function release(clients: CliClients, url: string, messages: readonly Message[]): Promise<void> {
  for (let start = 0; start < messages.length; start += Limits.SQS_MAX_BATCH_ENTRIES) {
    const chunk = messages.slice(start, start + Limits.SQS_MAX_BATCH_ENTRIES);
    await clients.sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: url,
        Entries: chunk.map((message, index) => ({
          Id: String(index),
          ReceiptHandle: message.ReceiptHandle,
          VisibilityTimeout: 0,
        })),
      }),
    );
  }
}
