import type { Message } from '@aws-sdk/client-sqs';
import type { Command } from 'commander';
import { type DeadReason, MessageAttribute, SchedulerDeadLetterAttribute } from '../lib/contract';
import { MAX_MOVE_CONCURRENCY, type MoveFailure, moveMessages } from '../lib/aws/queue-mover';
import { parseInstant, parseNonNegativeInteger, parsePositiveNumber } from './arguments';
import type { CliClients } from './clients';
import { CliUsageError } from './errors';
import {
  type DeadLetterFilter,
  attribute,
  deadReasonAttribute,
  dlqCounts,
  dlqLabel,
  dlqOf,
  matchesDeadLetter,
  readBody,
  receive,
  release,
  taskNameOf,
} from './dead-letters';
import { formatDuration, renderJson, renderTable, startProgress } from './output';
import type { Platform } from './platform';
import { type CliSession, type TargetOptions, addTargetOptions } from './program';
import { DEFAULT_REDRIVE_RATE, redriveDeadLetters, renderRedrive } from './redrive';

export { DEFAULT_REDRIVE_RATE, REDRIVE_HOLD_SECONDS, redriveDeadLetters, renderRedrive } from './redrive';
export type { RedriveFailure, RedriveOptions, RedriveResult, RedundantCopy } from './redrive';

/** Seconds a peeked message stays hidden at most if the CLI dies before putting it back. */
export const PEEK_VISIBILITY_SECONDS = 30;
/** Default number of messages `dlq peek` shows. */
export const DEFAULT_PEEK_MAX = 10;

/** One dead message as `dlq peek` shows it. The payload only when asked for. */
export interface DeadMessage {
  readonly messageId: string;
  readonly taskId?: string;
  readonly taskName?: string;
  /**
   * Why it is dead: the runtime's `Bosun.DeadReason`, `receive-count-exceeded` when SQS's redrive moved it, or
   * `schedule-undelivered` for a firing Scheduler could not deliver (see `firing`).
   */
  readonly deadReason: DeadReason | 'schedule-undelivered' | string;
  readonly deadDetail?: string;
  /** Attempts used (`Bosun.Attempts`), when the runtime recorded them. */
  readonly attempts?: number;
  /** How many times the DLQ copy itself has been received (peeks count). */
  readonly receiveCount: number;
  /** Time since the message was first sent, ms (SQS keeps the original time when its redrive moves a message). */
  readonly ageMs?: number;
  /** Queue the message came from (`Bosun.SourceQueue`), when recorded. */
  readonly sourceQueue?: string;
  /** A firing Scheduler could not deliver, from its dead-letter attributes (the schedules' DLQ). */
  readonly firing?: UndeliveredFiring;
  /** Why the body is not a readable envelope, when it is not. */
  readonly unreadable?: string;
  /** The claim-check reference, when the payload is in S3 (`--show-payload`). */
  readonly claimCheck?: { readonly bucket: string; readonly key: string; readonly bytes: number };
  /** The inline payload (`--show-payload` only). */
  readonly payload?: unknown;
}

/** What Scheduler's attributes say of a firing it dead-lettered. */
export interface UndeliveredFiring {
  /** Schedule group and name (`bosun-dev-periodic/heartbeat`, `bosun-dev-eta/eta.<taskId>`), from `SCHEDULE_ARN`. */
  readonly schedule: string;
  readonly executionId?: string;
  /** `ERROR_CODE` of the last delivery attempt. */
  readonly errorCode?: string;
  /** Retries Scheduler made (`RETRY_ATTEMPTS`). */
  readonly retryAttempts?: number;
  /** The queue it could not reach (`TARGET_ARN`). */
  readonly targetArn?: string;
}

function firingOf(message: Message): UndeliveredFiring | undefined {
  const A = SchedulerDeadLetterAttribute;
  const scheduleArn = attribute(message, A.SCHEDULE_ARN);
  if (scheduleArn === undefined) return undefined;
  const executionId = attribute(message, A.EXECUTION_ID);
  const errorCode = attribute(message, A.ERROR_CODE);
  const retries = Number(attribute(message, A.RETRY_ATTEMPTS));
  const targetArn = attribute(message, A.TARGET_ARN);
  return {
    schedule: scheduleArn.slice(scheduleArn.indexOf(':schedule/') + ':schedule/'.length),
    ...(executionId === undefined ? {} : { executionId }),
    ...(errorCode === undefined ? {} : { errorCode }),
    ...(Number.isSafeInteger(retries) && attribute(message, A.RETRY_ATTEMPTS) !== undefined ? { retryAttempts: retries } : {}),
    ...(targetArn === undefined ? {} : { targetArn }),
  };
}

/** What `dlq peek` reports. */
export interface PeekResult {
  readonly queue: string;
  readonly dlqUrl: string;
  /** `ApproximateNumberOfMessages` of the DLQ before the peek. */
  readonly approximateDepth: number;
  readonly messages: readonly DeadMessage[];
}

function describeDeadMessage(message: Message, now: number, showPayload: boolean): DeadMessage {
  const body = readBody(message);
  const envelope = body.envelope;
  const sentAt = Number(message.Attributes?.['SentTimestamp']);
  const attempts = Number(attribute(message, MessageAttribute.ATTEMPTS));
  const taskId = envelope?.id ?? attribute(message, MessageAttribute.TASK_ID);
  const taskName = taskNameOf(message, body);
  const firing = firingOf(message);
  const errorMessage = attribute(message, SchedulerDeadLetterAttribute.ERROR_MESSAGE);
  const deadDetail =
    attribute(message, MessageAttribute.DEAD_DETAIL) ??
    (firing === undefined ? undefined : `${firing.errorCode ?? 'error'}${errorMessage === undefined ? '' : `: ${errorMessage}`}`);
  const sourceQueue = attribute(message, MessageAttribute.SOURCE_QUEUE);
  return {
    messageId: message.MessageId ?? '',
    deadReason: deadReasonAttribute(message),
    receiveCount: Number(message.Attributes?.['ApproximateReceiveCount'] ?? 0),
    ...(taskId === undefined ? {} : { taskId }),
    ...(taskName === undefined ? {} : { taskName }),
    ...(deadDetail === undefined ? {} : { deadDetail }),
    ...(Number.isFinite(attempts) && attribute(message, MessageAttribute.ATTEMPTS) !== undefined ? { attempts } : {}),
    ...(Number.isFinite(sentAt) ? { ageMs: Math.max(0, now - sentAt) } : {}),
    ...(sourceQueue === undefined ? {} : { sourceQueue }),
    ...(firing === undefined ? {} : { firing }),
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

/** Default most matching messages {@link listDeadLetters} returns. */
export const DEFAULT_LIST_LIMIT = 100;
/** Default most messages {@link listDeadLetters} reads to find the matching ones. */
export const DEFAULT_LIST_SCAN_MAX = 5000;

/** Options of {@link listDeadLetters}. */
export interface ListDeadLettersOptions {
  /** Which messages to list. @default - every message */
  readonly filter?: DeadLetterFilter;
  /** Most matching messages to return. @default 100 */
  readonly limit?: number;
  /** Most messages to read to find them. @default 5000 */
  readonly scanMax?: number;
}

/** What {@link listDeadLetters} found. */
export interface DeadLetterListing {
  readonly queue: string;
  readonly dlqUrl: string;
  /** The DLQ's visible + in-flight count before the listing. */
  readonly approximateDepth: number;
  /** Distinct messages read. */
  readonly scanned: number;
  /** Whether the listing stopped at `limit` or `scanMax` before it had seen every visible message. */
  readonly truncated: boolean;
  /** The matching messages as received (bodies included: the caller decides what to show). */
  readonly messages: readonly Message[];
}

/**
 * Lists the dead messages of a queue's DLQ that match a filter, without removing them: receives with a short
 * visibility timeout, holding what it read so each receive brings new messages, until a receive brings nothing new,
 * `limit` messages matched or `scanMax` were read; then puts every received message straight back (visibility 0).
 * Like a peek, each read counts as a receive of the DLQ copy.
 *
 * @example
 * const { messages } = await listDeadLetters(platform, clients, 'default', { filter: { reason: 'attempts-exhausted' } });
 */
export async function listDeadLetters(
  platform: Platform,
  clients: CliClients,
  queueName: string,
  options: ListDeadLettersOptions = {},
): Promise<DeadLetterListing> {
  const { dlqUrl } = dlqOf(platform, queueName);
  const limit = options.limit ?? DEFAULT_LIST_LIMIT;
  const scanMax = options.scanMax ?? DEFAULT_LIST_SCAN_MAX;
  const counts = await dlqCounts(clients, dlqUrl);
  const received: Message[] = [];
  const seen = new Set<string>();
  const matched: Message[] = [];
  let truncated = false;
  try {
    for (;;) {
      if (matched.length >= limit || seen.size >= scanMax) {
        truncated = true;
        break;
      }
      const batch = await receive(clients, dlqUrl, scanMax - seen.size, PEEK_VISIBILITY_SECONDS);
      received.push(...batch);
      const fresh = batch.filter((message) => !seen.has(message.MessageId ?? ''));
      if (fresh.length === 0) break;
      for (const message of fresh) {
        seen.add(message.MessageId ?? '');
        if (matched.length < limit && matchesDeadLetter(message, readBody(message), options.filter ?? {})) matched.push(message);
      }
    }
  } finally {
    await release(clients, dlqUrl, received);
  }
  return {
    queue: queueName,
    dlqUrl,
    approximateDepth: counts.visible + counts.notVisible,
    scanned: seen.size,
    truncated,
    messages: matched,
  };
}


/** What {@link deleteDeadLetters} did. */
export interface DeleteDeadLettersResult {
  readonly queue: string;
  /** Message ids deleted from the DLQ. */
  readonly deleted: readonly string[];
  /** Requested ids not found among the DLQ's visible messages (already gone, or in flight). */
  readonly notFound: readonly string[];
  /** Messages whose delete failed: still in the DLQ. */
  readonly failures: readonly MoveFailure[];
}

/**
 * Deletes the given messages from a queue's DLQ, for good: their tasks stay `dead` in the task-state table. Runs on
 * the move engine (`moveMessages`, as `dlq redrive` does) with a filter of the ids and a `delete` decision, so it
 * works from a snapshot, holds what it reads and puts every other message back untouched.
 *
 * @example
 * const { deleted, notFound } = await deleteDeadLetters(platform, clients, 'default', ['6a1f…']);
 */
export async function deleteDeadLetters(
  platform: Platform,
  clients: CliClients,
  queueName: string,
  messageIds: readonly string[],
  onProgress?: (event: { readonly kind: 'start'; readonly total: number } | { readonly kind: 'message' }) => void,
): Promise<DeleteDeadLettersResult> {
  const { dlqUrl } = dlqOf(platform, queueName);
  const wanted = new Set(messageIds);
  const deleted: string[] = [];
  const run = await moveMessages({
    sqs: clients.sqs,
    sourceUrl: dlqUrl,
    concurrency: 1,
    filter: (message) => wanted.has(message.MessageId ?? ''),
    decide: async (messages) =>
      messages.map((message) => {
        const taskId = readBody(message).envelope?.id ?? attribute(message, MessageAttribute.TASK_ID);
        return {
          kind: 'delete' as const,
          ...(taskId === undefined ? {} : { taskId }),
          onDeleted: () => void deleted.push(message.MessageId ?? ''),
        };
      }),
    onProgress: (event) => {
      if (event.kind === 'start') onProgress?.({ kind: 'start', total: Math.min(event.total, wanted.size) });
      else for (let index = 0; index < event.handled; index += 1) onProgress?.({ kind: 'message' });
    },
  });
  const failures = [...run.failures, ...run.deleteFailures];
  const touched = new Set([...deleted, ...failures.map((failure) => failure.messageId)]);
  return { queue: queueName, deleted, notFound: messageIds.filter((id) => !touched.has(id)), failures };
}

/**
 * Renders a peek for people.
 *
 * @example
 * io.write(renderPeek(result, false, io.columns));
 */
export function renderPeek(result: PeekResult, showPayload: boolean, width?: number): string {
  const label = dlqLabel(result.queue);
  const heading = `${label[0]!.toUpperCase()}${label.slice(1)}: about ${result.approximateDepth} message(s); showing ${result.messages.length}\n`;
  if (result.messages.length === 0) return heading;
  const firings = result.messages.some((message) => message.firing !== undefined);
  const table = renderTable(
    ['task', 'task id', 'reason', firings ? 'schedule' : 'attempts', 'age', 'detail'],
    result.messages.map((message) => [
      message.taskName ?? '?',
      message.taskId ?? '?',
      message.deadReason,
      firings ? (message.firing === undefined ? '-' : `${message.firing.schedule} (${message.firing.retryAttempts ?? '?'} retries)`) : message.attempts,
      formatDuration(message.ageMs),
      message.unreadable ?? message.deadDetail,
    ]),
    width,
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

interface PeekCommandOptions extends TargetOptions {
  readonly max: number;
  readonly showPayload: boolean;
}

interface RedriveCommandOptions extends TargetOptions {
  readonly task?: string;
  readonly reason?: string;
  readonly since?: string;
  readonly until?: string;
  readonly rate: number;
  readonly max?: number;
  readonly concurrency: number;
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
      .argument('<queue>', "queue name, for example default, or schedules for the schedules' DLQ (firings Scheduler could not deliver)")
      .option('--max <n>', 'most messages to show', parseNonNegativeInteger, DEFAULT_PEEK_MAX)
      .option('--show-payload', 'also print inline payloads and claim-check references', false),
  ).action(async (queueName: string, options: PeekCommandOptions) => {
    await session.withTarget(options, async ({ platform, clients, io, json }) => {
      const result = await peekDeadLetters(platform, clients, queueName, { max: options.max, showPayload: options.showPayload });
      io.write(json ? renderJson(result) : renderPeek(result, options.showPayload, io.columns));
    });
  });
  addTargetOptions(
    dlq
      .command('redrive')
      .description(
        'Send the messages dead-lettered before the start back to their source queue with a fresh set of attempts; ' +
          'a message leaves the DLQ only after its copy is sent (or its task is found alive or finished).',
      )
      .argument('<queue>', "queue name, for example default, or schedules (each firing goes to its task's queue)")
      .option('--task <name>', 'only messages of this task name (others stay in the DLQ)')
      .option('--reason <reason>', 'only messages dead for this reason, for example attempts-exhausted (others stay)')
      .option('--since <iso>', 'only messages dead-lettered (sent) at or after this time', parseInstant)
      .option('--until <iso>', 'only messages dead-lettered (sent) before this time', parseInstant)
      .option('--rate <n>', 'most messages per second', parsePositiveNumber, DEFAULT_REDRIVE_RATE)
      .option('--max <n>', 'most messages to redrive', parseNonNegativeInteger)
      .option('--concurrency <n>', `receive → send → delete loops in parallel, 1-${MAX_MOVE_CONCURRENCY}`, parseNonNegativeInteger, 1),
  ).action(async (queueName: string, options: RedriveCommandOptions) => {
    if (options.concurrency < 1 || options.concurrency > MAX_MOVE_CONCURRENCY) {
      throw new CliUsageError('--concurrency', `must be a whole number from 1 to ${MAX_MOVE_CONCURRENCY} (given ${options.concurrency})`);
    }
    await session.withTarget(options, async ({ platform, clients, io, json }) => {
      let progress = startProgress(io, true, 'redrive', 0);
      let done = 0;
      const result = await redriveDeadLetters(platform, clients, queueName, {
        ratePerSecond: options.rate,
        concurrency: options.concurrency,
        ...(options.task === undefined ? {} : { taskName: options.task }),
        filter: {
          ...(options.reason === undefined ? {} : { reason: options.reason }),
          ...(options.since === undefined ? {} : { sentFromMs: Date.parse(options.since) }),
          ...(options.until === undefined ? {} : { sentBeforeMs: Date.parse(options.until) }),
        },
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
      return result.failures.length > 0 || result.unknownOutcomes.length > 0 ? 1 : 0;
    });
  });
}
