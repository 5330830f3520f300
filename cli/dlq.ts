import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Command } from 'commander';
import {
  type DeadReason,
  EnvelopeInvalidError,
  Limits,
  MessageAttribute,
  TaskTable,
  type TaskEnvelope,
  parseEnvelope,
  serializeEnvelope,
} from '../lib/contract';
import { parseNonNegativeInteger, parsePositiveNumber } from './arguments';
import type { CliClients } from './clients';
import { CliQueueWithoutDlqError } from './errors';
import { formatDuration, renderJson, renderTable, startProgress } from './output';
import { type Platform, type PlatformQueue, findQueue } from './platform';
import { type CliSession, type TargetOptions, addTargetOptions } from './program';

/** Seconds a peeked message stays hidden at most if the CLI dies before putting it back. */
export const PEEK_VISIBILITY_SECONDS = 30;
/** Seconds a redrive holds a received message (the ones it sends, and the other tasks' it puts back at the end). */
export const REDRIVE_HOLD_SECONDS = 300;
/** Default number of messages `dlq peek` shows. */
export const DEFAULT_PEEK_MAX = 10;
/** Default redrive rate, messages per second (AWS's own message move task tops out at 500/s). */
export const DEFAULT_REDRIVE_RATE = 50;
/** Most individual tasks a summary for people lists per kind; `--json` lists all. */
const MAX_LISTED = 5;
/** Long-poll wait of each DLQ receive, seconds: long polling asks every SQS server, so an empty answer means empty. */
const RECEIVE_WAIT_SECONDS = 1;
/** Dead-letter attributes a redrive strips from the copy it sends back. */
const DEAD_ATTRIBUTES: ReadonlySet<string> = new Set([
  MessageAttribute.DEAD_REASON,
  MessageAttribute.DEAD_DETAIL,
  MessageAttribute.ATTEMPTS,
  MessageAttribute.SOURCE_QUEUE,
]);

/** One dead message as `dlq peek` shows it. The payload only when asked for. */
export interface DeadMessage {
  readonly messageId: string;
  readonly taskId?: string;
  readonly taskName?: string;
  /** Why it is dead: the runtime's `Bosun.DeadReason`, or `receive-count-exceeded` when SQS's redrive moved it. */
  readonly deadReason: DeadReason | string;
  readonly deadDetail?: string;
  /** Attempts used (`Bosun.Attempts`), when the runtime recorded them. */
  readonly attempts?: number;
  /** How many times the DLQ copy itself has been received (peeks count). */
  readonly receiveCount: number;
  /** Time since the message was first sent, ms (SQS keeps the original time when its redrive moves a message). */
  readonly ageMs?: number;
  /** Queue the message came from (`Bosun.SourceQueue`), when recorded. */
  readonly sourceQueue?: string;
  /** Why the body is not a readable envelope, when it is not. */
  readonly unreadable?: string;
  /** The claim-check reference, when the payload is in S3 (`--show-payload`). */
  readonly claimCheck?: { readonly bucket: string; readonly key: string; readonly bytes: number };
  /** The inline payload (`--show-payload` only). */
  readonly payload?: unknown;
}

/** What `dlq peek` reports. */
export interface PeekResult {
  readonly queue: string;
  readonly dlqUrl: string;
  /** `ApproximateNumberOfMessages` of the DLQ before the peek. */
  readonly approximateDepth: number;
  readonly messages: readonly DeadMessage[];
}

function dlqOf(platform: Platform, queueName: string): PlatformQueue & { readonly dlqUrl: string } {
  const queue = findQueue(platform, queueName);
  if (queue.dlqUrl === undefined) throw new CliQueueWithoutDlqError(queueName);
  return { ...queue, dlqUrl: queue.dlqUrl };
}

function attribute(message: Message, name: string): string | undefined {
  return message.MessageAttributes?.[name]?.StringValue;
}

interface ReadBody {
  readonly envelope?: TaskEnvelope;
  readonly unreadable?: string;
}

function readBody(message: Message): ReadBody {
  try {
    return { envelope: parseEnvelope(message.Body ?? '') };
  } catch (error) {
    if (error instanceof EnvelopeInvalidError) return { unreadable: error.message };
    throw error;
  }
}

function taskNameOf(message: Message, body: ReadBody): string | undefined {
  return body.envelope?.task ?? attribute(message, MessageAttribute.TASK_NAME);
}

async function dlqCounts(clients: CliClients, url: string): Promise<{ visible: number; notVisible: number }> {
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

async function receive(clients: CliClients, url: string, max: number, visibilitySeconds: number): Promise<Message[]> {
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

/** Makes messages visible again at once. Best effort: a handle that expired is already visible. */
async function release(clients: CliClients, url: string, messages: readonly Message[]): Promise<void> {
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

function describeDeadMessage(message: Message, now: number, showPayload: boolean): DeadMessage {
  const body = readBody(message);
  const envelope = body.envelope;
  const sentAt = Number(message.Attributes?.['SentTimestamp']);
  const attempts = Number(attribute(message, MessageAttribute.ATTEMPTS));
  const taskId = envelope?.id ?? attribute(message, MessageAttribute.TASK_ID);
  const taskName = taskNameOf(message, body);
  const deadDetail = attribute(message, MessageAttribute.DEAD_DETAIL);
  const sourceQueue = attribute(message, MessageAttribute.SOURCE_QUEUE);
  return {
    messageId: message.MessageId ?? '',
    deadReason: attribute(message, MessageAttribute.DEAD_REASON) ?? 'receive-count-exceeded',
    receiveCount: Number(message.Attributes?.['ApproximateReceiveCount'] ?? 0),
    ...(taskId === undefined ? {} : { taskId }),
    ...(taskName === undefined ? {} : { taskName }),
    ...(deadDetail === undefined ? {} : { deadDetail }),
    ...(Number.isFinite(attempts) && attribute(message, MessageAttribute.ATTEMPTS) !== undefined ? { attempts } : {}),
    ...(Number.isFinite(sentAt) ? { ageMs: Math.max(0, now - sentAt) } : {}),
    ...(sourceQueue === undefined ? {} : { sourceQueue }),
    ...(body.unreadable === undefined ? {} : { unreadable: body.unreadable }),
    ...(showPayload && envelope?.claimCheck !== undefined
      ? { claimCheck: { bucket: envelope.claimCheck.bucket, key: envelope.claimCheck.key, bytes: envelope.claimCheck.bytes } }
      : {}),
    ...(showPayload && envelope !== undefined && 'payload' in envelope ? { payload: envelope.payload } : {}),
  };
}

/** Options of {@link peekDeadLetters}. */
export interface PeekOptions {
  /** Most messages to show. @default 10 */
  readonly max?: number;
  /** Include inline payloads and claim-check references. @default false */
  readonly showPayload?: boolean;
  /** Clock, epoch ms. @default Date.now */
  readonly now?: () => number;
}

/**
 * Shows dead messages of a queue's DLQ without removing them: receives with a short visibility timeout, then puts
 * every received message straight back (visibility 0). Each peek counts as a receive of the DLQ copy.
 *
 * @example
 * const { messages } = await peekDeadLetters(platform, clients, 'default', { max: 20 });
 */
export async function peekDeadLetters(
  platform: Platform,
  clients: CliClients,
  queueName: string,
  options: PeekOptions = {},
): Promise<PeekResult> {
  const { dlqUrl } = dlqOf(platform, queueName);
  const max = options.max ?? DEFAULT_PEEK_MAX;
  const depth = (await dlqCounts(clients, dlqUrl)).visible;
  const received: Message[] = [];
  const seen = new Set<string>();
  try {
    while (seen.size < max) {
      const batch = await receive(clients, dlqUrl, max - seen.size, PEEK_VISIBILITY_SECONDS);
      received.push(...batch);
      const fresh = batch.filter((message) => !seen.has(message.MessageId ?? ''));
      if (fresh.length === 0) break;
      fresh.forEach((message) => seen.add(message.MessageId ?? ''));
    }
  } finally {
    await release(clients, dlqUrl, received);
  }
  const now = (options.now ?? Date.now)();
  const unique = new Map<string, Message>();
  for (const message of received) unique.set(message.MessageId ?? '', message);
  return {
    queue: queueName,
    dlqUrl,
    approximateDepth: depth,
    messages: [...unique.values()].slice(0, max).map((message) => describeDeadMessage(message, now, options.showPayload === true)),
  };
}

/**
 * Renders a peek for people.
 *
 * @example
 * io.write(renderPeek(result));
 */
export function renderPeek(result: PeekResult, showPayload: boolean): string {
  const heading = `DLQ of ${result.queue}: about ${result.approximateDepth} message(s); showing ${result.messages.length}\n`;
  if (result.messages.length === 0) return heading;
  const table = renderTable(
    ['task', 'task id', 'reason', 'attempts', 'age', 'detail'],
    result.messages.map((message) => [
      message.taskName ?? '?',
      message.taskId ?? '?',
      message.deadReason,
      message.attempts,
      formatDuration(message.ageMs),
      message.unreadable ?? message.deadDetail,
    ]),
  );
  if (!showPayload) return `${heading}${table}`;
  const payloads = result.messages
    .map((message) => {
      const shown =
        message.claimCheck !== undefined
          ? `claim check s3://${message.claimCheck.bucket}/${message.claimCheck.key} (${message.claimCheck.bytes} bytes)`
          : message.payload === undefined
            ? '(no readable payload)'
            : JSON.stringify(message.payload);
      return `${message.taskId ?? message.messageId}: ${shown}\n`;
    })
    .join('');
  return `${heading}${table}${payloads}`;
}

/** Options of {@link redriveDeadLetters}. */
export interface RedriveOptions {
  /** Redrive only messages of this task name; others are put back untouched. @default - every message */
  readonly taskName?: string;
  /** Most messages sent per second. @default 50 */
  readonly ratePerSecond?: number;
  /** Most messages to redrive. @default - until the DLQ is empty */
  readonly max?: number;
  /** Called once with the DLQ's approximate depth, then once per message redriven, failed or skipped. */
  readonly onProgress?: (event: { readonly kind: 'start'; readonly total: number } | { readonly kind: 'message' }) => void;
  /** Clock, epoch ms. @default Date.now */
  readonly now?: () => number;
}

/** A message that could not be redriven; it stays in the DLQ. */
export interface RedriveFailure {
  readonly messageId: string;
  readonly taskId?: string;
  /** Error name and message (never the payload). */
  readonly error: string;
}

/** What `dlq redrive` did. */
export interface RedriveResult {
  readonly queue: string;
  readonly dlqUrl: string;
  readonly taskName?: string;
  /** Messages sent back and deleted from the DLQ. */
  readonly redriven: number;
  /** Messages of other task names put back in the DLQ. */
  readonly skipped: number;
  /** Messages that stay in the DLQ because the send failed. */
  readonly failures: readonly RedriveFailure[];
  /** Messages sent back whose DLQ copy could not be deleted (a duplicate delivery, which Bosun runs once). */
  readonly deleteFailures: readonly RedriveFailure[];
  /** Tasks whose state went from `dead` back to `queued`. */
  readonly stateReset: number;
  /** Tasks redriven whose state was not `dead` (left as it was), with what it was. */
  readonly stateNotDead: readonly { readonly taskId: string; readonly status: string }[];
  /** Messages sent, per destination queue URL. */
  readonly byDestination: Readonly<Record<string, number>>;
  /** Bodies that were not readable envelopes, sent back unchanged. */
  readonly unreadable: number;
  /** DLQ messages in flight when the redrive started (being peeked or redriven elsewhere): not seen by this run. */
  readonly inFlightAtStart: number;
}

function redriveAttributes(message: Message): Record<string, MessageAttributeValue> {
  const attributes: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    if (DEAD_ATTRIBUTES.has(name) || value.DataType === undefined) continue;
    attributes[name] = {
      DataType: value.DataType,
      ...(value.StringValue === undefined ? {} : { StringValue: value.StringValue }),
      ...(value.BinaryValue === undefined ? {} : { BinaryValue: value.BinaryValue }),
    };
  }
  return attributes;
}

function lastPathSegment(url: string): string {
  return url.replace(/\/+$/, '').split('/').pop() ?? url;
}

/**
 * Where a dead message goes back to: the platform queue named by its `Bosun.SourceQueue` attribute (matched by URL
 * or queue name, so only a queue of this platform is ever a target), else the queue whose DLQ it is in.
 */
function destinationOf(platform: Platform, queue: PlatformQueue, message: Message): string {
  const source = attribute(message, MessageAttribute.SOURCE_QUEUE);
  if (source === undefined) return queue.url;
  const match = platform.queues.find(
    (candidate) => candidate.url === source || lastPathSegment(candidate.url) === lastPathSegment(source),
  );
  return match?.url ?? queue.url;
}

function isConditionalCheckFailed(error: unknown): error is Error & { Item?: Record<string, unknown> } {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

type StateReset =
  | { readonly kind: 'reset'; readonly previous: Record<string, unknown> }
  | { readonly kind: 'not-dead'; readonly status: string };

/**
 * Moves the task's state from `dead` back to `queued` BEFORE the copy is sent: a consumer that received the copy while
 * the state still said `dead` would acknowledge it without running it. Conditional, so a task that is not dead is
 * left alone.
 */
async function resetState(platform: Platform, clients: CliClients, taskId: string, now: string): Promise<StateReset> {
  try {
    const response = await clients.dynamodb.send(
      new UpdateCommand({
        TableName: platform.tableName,
        Key: { [TaskTable.PARTITION_KEY]: taskId },
        ConditionExpression: '#status = :dead',
        UpdateExpression: 'SET #status = :queued, #updatedAt = :now REMOVE #deadTaskName, #deadAt, #deadReason',
        ExpressionAttributeNames: {
          '#status': 'status',
          '#updatedAt': 'updatedAt',
          '#deadTaskName': TaskTable.DEAD_TASK_NAME,
          '#deadAt': TaskTable.DEAD_AT,
          '#deadReason': 'deadReason',
        },
        ExpressionAttributeValues: { ':dead': 'dead', ':queued': 'queued', ':now': now },
        ReturnValues: 'ALL_OLD',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    return { kind: 'reset', previous: response.Attributes ?? {} };
  } catch (error) {
    if (!isConditionalCheckFailed(error)) throw error;
    const status = error.Item?.['status'];
    return { kind: 'not-dead', status: typeof status === 'string' ? status : 'missing' };
  }
}

/** Puts the state back to `dead` after a failed send, if nothing else touched it since. Best effort. */
async function restoreState(
  platform: Platform,
  clients: CliClients,
  taskId: string,
  resetAt: string,
  previous: Record<string, unknown>,
): Promise<void> {
  const restored: Record<string, unknown> = {
    ':dead': 'dead',
    ':queued': 'queued',
    ':resetAt': resetAt,
    ':updatedAt': previous['updatedAt'] ?? resetAt,
  };
  const sets = ['#status = :dead', '#updatedAt = :updatedAt'];
  const names: Record<string, string> = { '#status': 'status', '#updatedAt': 'updatedAt' };
  for (const [placeholder, field] of [
    ['deadTaskName', TaskTable.DEAD_TASK_NAME],
    ['deadAt', TaskTable.DEAD_AT],
    ['deadReason', 'deadReason'],
  ] as const) {
    if (previous[field] === undefined) continue;
    names[`#${placeholder}`] = field;
    restored[`:${placeholder}`] = previous[field];
    sets.push(`#${placeholder} = :${placeholder}`);
  }
  try {
    await clients.dynamodb.send(
      new UpdateCommand({
        TableName: platform.tableName,
        Key: { [TaskTable.PARTITION_KEY]: taskId },
        ConditionExpression: '#status = :queued AND #updatedAt = :resetAt',
        UpdateExpression: `SET ${sets.join(', ')}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: restored,
      }),
    );
  } catch (error) {
    if (!isConditionalCheckFailed(error)) throw error;
  }
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Sends dead messages back to their source queue, at a bounded rate, and works the same against fauxqs (which has
 * no `StartMessageMoveTask`) and AWS (whose move task cannot filter by task name).
 *
 * For each message: the task's state goes from `dead` to `queued` (conditional); a copy is sent with the same body and
 * attributes minus the dead-letter ones, and with the envelope's `attempts` reset to 0, so the task gets a fresh set of
 * attempts (the runtime counts `envelope.attempts` + the receive count); only after the send succeeded is the DLQ
 * message deleted. A failed send leaves the message in the DLQ and restores the state. Messages of other task names
 * are held while the redrive runs and put back untouched at the end.
 *
 * @example
 * const result = await redriveDeadLetters(platform, clients, 'default', { taskName: 'demo.flaky', ratePerSecond: 10 });
 */
export async function redriveDeadLetters(
  platform: Platform,
  clients: CliClients,
  queueName: string,
  options: RedriveOptions = {},
): Promise<RedriveResult> {
  const queue = dlqOf(platform, queueName);
  const clock = options.now ?? Date.now;
  const intervalMs = 1000 / (options.ratePerSecond ?? DEFAULT_REDRIVE_RATE);
  const max = options.max ?? Number.POSITIVE_INFINITY;
  const counts = await dlqCounts(clients, queue.dlqUrl);
  const total = Math.min(counts.visible, max);
  options.onProgress?.({ kind: 'start', total });

  const held: Message[] = [];
  const seen = new Set<string>();
  const failures: RedriveFailure[] = [];
  const deleteFailures: RedriveFailure[] = [];
  const stateNotDead: { taskId: string; status: string }[] = [];
  const byDestination: Record<string, number> = {};
  let redriven = 0;
  let skipped = 0;
  let stateReset = 0;
  let unreadable = 0;
  let nextSendAt = clock();

  const redriveOne = async (message: Message, body: ReadBody): Promise<void> => {
    const messageId = message.MessageId ?? '';
    const taskId = body.envelope?.id ?? attribute(message, MessageAttribute.TASK_ID);
    const destination = destinationOf(platform, queue, message);
    // Reserve a send slot before the first await, so the messages of one batch, redriven concurrently, keep the rate.
    const slot = Math.max(nextSendAt, clock());
    nextSendAt = slot + intervalMs;
    if (slot > clock()) await sleep(slot - clock());

    let reset: StateReset | undefined;
    const resetAt = new Date(clock()).toISOString();
    if (body.envelope !== undefined) {
      reset = await resetState(platform, clients, body.envelope.id, resetAt);
      if (reset.kind === 'not-dead') stateNotDead.push({ taskId: body.envelope.id, status: reset.status });
    } else {
      unreadable += 1;
    }
    const messageBody =
      body.envelope === undefined ? (message.Body ?? '') : serializeEnvelope({ ...body.envelope, attempts: 0 });
    try {
      await clients.sqs.send(
        new SendMessageCommand({ QueueUrl: destination, MessageBody: messageBody, MessageAttributes: redriveAttributes(message) }),
      );
    } catch (error) {
      failures.push({ messageId, ...(taskId === undefined ? {} : { taskId }), error: describeError(error) });
      held.push(message);
      if (body.envelope !== undefined && reset?.kind === 'reset') {
        await restoreState(platform, clients, body.envelope.id, resetAt, reset.previous);
      }
      return;
    }
    if (reset?.kind === 'reset') stateReset += 1;
    redriven += 1;
    byDestination[destination] = (byDestination[destination] ?? 0) + 1;
    try {
      await clients.sqs.send(new DeleteMessageCommand({ QueueUrl: queue.dlqUrl, ReceiptHandle: message.ReceiptHandle }));
    } catch (error) {
      deleteFailures.push({ messageId, ...(taskId === undefined ? {} : { taskId }), error: describeError(error) });
    }
  };

  try {
    while (redriven + failures.length < max) {
      const batch = await receive(clients, queue.dlqUrl, max - redriven - failures.length, REDRIVE_HOLD_SECONDS);
      if (batch.length === 0) break;
      const fresh = batch.filter((message) => !seen.has(message.MessageId ?? ''));
      held.push(...batch.filter((message) => seen.has(message.MessageId ?? '')));
      // Every message came round again: the hold expired on a long run; all that is left is held or failed.
      if (fresh.length === 0) break;
      const chosen: [Message, ReadBody][] = [];
      for (const message of fresh) {
        seen.add(message.MessageId ?? '');
        const body = readBody(message);
        const matches = options.taskName === undefined || taskNameOf(message, body) === options.taskName;
        if (!matches || redriven + failures.length + chosen.length >= max) {
          if (!matches) skipped += 1;
          held.push(message);
          continue;
        }
        chosen.push([message, body]);
      }
      await Promise.all(
        chosen.map(async ([message, body]) => {
          await redriveOne(message, body);
          options.onProgress?.({ kind: 'message' });
        }),
      );
    }
  } finally {
    await release(clients, queue.dlqUrl, held);
  }
  return {
    queue: queueName,
    dlqUrl: queue.dlqUrl,
    ...(options.taskName === undefined ? {} : { taskName: options.taskName }),
    redriven,
    skipped,
    failures,
    deleteFailures,
    stateReset,
    stateNotDead,
    byDestination,
    unreadable,
    inFlightAtStart: counts.notVisible,
  };
}

/**
 * Renders a redrive summary for people.
 *
 * @example
 * io.write(renderRedrive(result));
 */
export function renderRedrive(result: RedriveResult): string {
  const scope = result.taskName === undefined ? 'every task' : `task ${result.taskName}`;
  const lines = [
    `redrove ${result.redriven} message(s) of ${scope} from the DLQ of ${result.queue}`,
    ...Object.entries(result.byDestination).map(([url, count]) => `  ${count} to ${url}`),
    `task states reset from dead to queued: ${result.stateReset}`,
  ];
  if (result.skipped > 0) lines.push(`left in the DLQ (other task names): ${result.skipped}`);
  if (result.inFlightAtStart > 0) {
    lines.push(`not seen: ${result.inFlightAtStart} message(s) were in flight in the DLQ (a peek or another redrive); run again once they are visible`);
  }
  if (result.unreadable > 0) lines.push(`unreadable bodies sent back unchanged: ${result.unreadable}`);
  if (result.stateNotDead.length > 0) {
    const shown = result.stateNotDead.slice(0, MAX_LISTED);
    const more = result.stateNotDead.length - shown.length;
    lines.push(
      `task states not dead, left as they were: ${result.stateNotDead.length} (` +
        `${shown.map((entry) => `${entry.taskId} ${entry.status}`).join(', ')}${more > 0 ? `, and ${more} more; --json lists all` : ''})`,
    );
  }
  for (const failure of result.failures) {
    lines.push(`failed (kept in the DLQ): ${failure.taskId ?? failure.messageId}: ${failure.error}`);
  }
  for (const failure of result.deleteFailures) {
    lines.push(`sent but not deleted from the DLQ (will be delivered twice, runs once): ${failure.taskId ?? failure.messageId}: ${failure.error}`);
  }
  return `${lines.join('\n')}\n`;
}

interface PeekCommandOptions extends TargetOptions {
  readonly max: number;
  readonly showPayload: boolean;
}

interface RedriveCommandOptions extends TargetOptions {
  readonly task?: string;
  readonly rate: number;
  readonly max?: number;
}

/**
 * Registers `bosun dlq peek` and `bosun dlq redrive`.
 *
 * @example
 * registerDlqCommands(program, session);
 */
export function registerDlqCommands(program: Command, session: CliSession): void {
  const dlq = program.command('dlq').description("Inspect and redrive a queue's dead-letter queue.");
  addTargetOptions(
    dlq
      .command('peek')
      .description('Show dead messages (task, id, reason, attempts, age) without removing them.')
      .argument('<queue>', 'queue name, for example default')
      .option('--max <n>', 'most messages to show', parseNonNegativeInteger, DEFAULT_PEEK_MAX)
      .option('--show-payload', 'also print inline payloads and claim-check references', false),
  ).action(async (queueName: string, options: PeekCommandOptions) => {
    await session.withTarget(options, async ({ platform, clients, io, json }) => {
      const result = await peekDeadLetters(platform, clients, queueName, { max: options.max, showPayload: options.showPayload });
      io.write(json ? renderJson(result) : renderPeek(result, options.showPayload));
    });
  });
  addTargetOptions(
    dlq
      .command('redrive')
      .description(
        'Send dead messages back to their source queue with a fresh set of attempts; a message leaves the DLQ only after its copy is sent.',
      )
      .argument('<queue>', 'queue name, for example default')
      .option('--task <name>', 'only messages of this task name (others stay in the DLQ)')
      .option('--rate <n>', 'most messages per second', parsePositiveNumber, DEFAULT_REDRIVE_RATE)
      .option('--max <n>', 'most messages to redrive', parseNonNegativeInteger),
  ).action(async (queueName: string, options: RedriveCommandOptions) => {
    await session.withTarget(options, async ({ platform, clients, io, json }) => {
      let progress = startProgress(io, true, 'redrive', 0);
      let done = 0;
      const result = await redriveDeadLetters(platform, clients, queueName, {
        ratePerSecond: options.rate,
        ...(options.task === undefined ? {} : { taskName: options.task }),
        ...(options.max === undefined ? {} : { max: options.max }),
        onProgress: (event) => {
          if (event.kind === 'start') progress = startProgress(io, json, 'redrive', event.total);
          else {
            done += 1;
            progress.setTotal(done);
            progress.increment();
          }
        },
      });
      progress.stop();
      io.write(json ? renderJson(result) : renderRedrive(result));
      return result.failures.length > 0 ? 1 : 0;
    });
  });
}
