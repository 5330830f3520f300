import type { Message, MessageAttributeValue } from '@aws-sdk/client-sqs';
import { type MoveDecision, describeError, moveMessages } from '../lib/aws/queue-mover';
import type { ReopenResult, TaskStateStore } from '../lib/aws/task-state-store';
import {
  DEAD_LETTER_ATTRIBUTES,
  DEAD_REASONS,
  type DeadReason,
  MessageAttribute,
  SchedulerDeadLetterAttribute,
  type TaskEnvelope,
  type TaskStatus,
  isTerminalStatus,
  serializeEnvelope,
} from '../lib/contract';
import { type CliClients, taskStateStore } from './clients';
import {
  type DeadLetterFilter,
  type DeadLetterSource,
  type ReadBody,
  attribute,
  dlqLabel,
  dlqOf,
  matchesDeadLetter,
  readBody,
} from './dead-letters';
import type { Platform } from './platform';

/** Seconds a redrive holds a received message (the ones it sends, and the ones it leaves, put back at the end). */
export const REDRIVE_HOLD_SECONDS = 300;
/** Default redrive rate, messages per second (AWS's own message move task tops out at 500/s). */
export const DEFAULT_REDRIVE_RATE = 50;

/** Options of {@link redriveDeadLetters}. */
export interface RedriveOptions {
  /** Redrive only messages of this task name; others are put back untouched. @default - every message */
  readonly taskName?: string;
  /**
   * Redrive only the messages that match (task name, dead reason, sent time, message ids; `taskName` above adds to
   * it); others are put back untouched. @default - every message
   */
  readonly filter?: DeadLetterFilter;
  /** Most messages sent per second. @default 50 */
  readonly ratePerSecond?: number;
  /** Most messages to redrive (each one sent back, deleted as redundant, or failed counts). @default - the whole snapshot */
  readonly max?: number;
  /** Called once with the snapshot's size, then once per message redriven, deleted or failed. */
  readonly onProgress?: (event: { readonly kind: 'start'; readonly total: number } | { readonly kind: 'message' }) => void;
  /** Receive → send → delete loops run in parallel, 1–100. @default 1 */
  readonly concurrency?: number;
  /** Clock, epoch ms; the snapshot is every message SQS received before its first reading. @default Date.now */
  readonly now?: () => number;
}

/** A message that was not redriven and stays in the DLQ. */
export interface RedriveFailure {
  readonly messageId: string;
  readonly taskId?: string;
  /** Error name and message (never the payload), and what was done about the task's state. */
  readonly error: string;
}

/** A DLQ message deleted without a send: its task is alive or finished, so the copy is redundant. */
export interface RedundantCopy {
  readonly messageId: string;
  readonly taskId: string;
  /** The task's status when the redrive found it. */
  readonly status: TaskStatus;
}

/** What `dlq redrive` did. */
export interface RedriveResult {
  readonly queue: string;
  readonly dlqUrl: string;
  readonly taskName?: string;
  /** Start of the run, ISO-8601: only messages SQS received before it (their `SentTimestamp`) are redriven. */
  readonly startedAt: string;
  /** The DLQ's `ApproximateNumberOfMessages` at the start: the size of the snapshot. */
  readonly snapshot: number;
  /** Copies sent back (their DLQ messages deleted, or listed in `deleteFailures`). */
  readonly redriven: number;
  /** Messages of other task names (or that did not match the filter), left in the DLQ. */
  readonly skipped: number;
  /** With a filter of message ids: the ids the run did not find among the DLQ's visible messages. */
  readonly notFound?: readonly string[];
  /** Messages whose send certainly failed (SQS answered with a client error) or whose state could not be changed: kept in the DLQ; a reopened state was made `dead` again. */
  readonly failures: readonly RedriveFailure[];
  /** Messages whose send may or may not have reached SQS (no answer, a server error): kept in the DLQ, state left `queued`; the next redrive sends them again. */
  readonly unknownOutcomes: readonly RedriveFailure[];
  /** Messages sent back (or found redundant) whose DLQ copy could not be deleted: a duplicate delivery, which Bosun runs once. */
  readonly deleteFailures: readonly RedriveFailure[];
  /** Tasks whose state went from `dead` back to `queued` (`reopen`) and whose copy was sent. */
  readonly stateReset: number;
  /** Tasks found `queued` as an earlier redrive's reopen left them (its send had an unknown outcome): sent again. */
  readonly resent: readonly string[];
  /** Tasks found alive or finished: their DLQ copies were deleted without a send. */
  readonly redundant: readonly RedundantCopy[];
  /** Tasks with no state item (state tracking off, or the item expired): sent back as they were, with fresh attempts. */
  readonly stateMissing: readonly string[];
  /** Live tasks whose newest copy SQS's own redrive policy moved to the DLQ (no `Bosun.DeadReason`): sent back. */
  readonly movedBySqs: readonly string[];
  /** Schedules' DLQ: tasks of firings Scheduler could not deliver, sent to their task's queue (no state yet, or still `scheduled`). */
  readonly firings: readonly string[];
  /** Messages sent, per destination queue URL. */
  readonly byDestination: Readonly<Record<string, number>>;
  /** Bodies that were not readable envelopes, sent back unchanged. */
  readonly unreadable: number;
  /**
   * Messages left for the next run: sent to the DLQ after the start (a task that died again during this run), or a
   * second DLQ copy of a task this run already handled.
   */
  readonly leftForNextRun: number;
  /** DLQ messages in flight when the redrive started (being peeked or redriven elsewhere): not in the snapshot. */
  readonly inFlightAtStart: number;
}

/** What to do with one message of the snapshot, decided from its body and its task's state. */
type Plan =
  | {
      readonly kind: 'send';
      readonly why: 'reopened' | 'resend' | 'no-state' | 'moved-by-sqs' | 'unreadable' | 'firing';
      readonly body: string;
      /** The reopen to undo if the send certainly failed. */
      readonly reopened?: Extract<ReopenResult, { kind: 'reopened' }>;
    }
  | { readonly kind: 'redundant'; readonly taskId: string; readonly status: TaskStatus }
  | { readonly kind: 'failed'; readonly error: string };

/** Scheduler's attributes on a dead-lettered firing: stripped from the copy, as Bosun's own dead-letter attributes are. */
const SCHEDULER_DEAD_LETTER_ATTRIBUTES: ReadonlySet<string> = new Set<string>(Object.values(SchedulerDeadLetterAttribute));

function redriveAttributes(message: Message): Record<string, MessageAttributeValue> {
  const attributes: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    if (DEAD_LETTER_ATTRIBUTES.has(name) || SCHEDULER_DEAD_LETTER_ATTRIBUTES.has(name) || value.DataType === undefined) continue;
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
 * Where a dead message goes back to. From a queue's DLQ: the platform queue named by its `Bosun.SourceQueue`
 * attribute (matched by URL or queue name, so only a queue of this platform is ever a target), else the queue whose
 * DLQ it is in. From the schedules' DLQ: its task's queue — the Bosun queue its envelope was routed to, else the
 * queue of the firing's `TARGET_ARN` — and undefined when neither is a queue of this platform.
 */
function destinationOf(platform: Platform, source: DeadLetterSource, message: Message, envelope: TaskEnvelope | undefined): string | undefined {
  if (source.kind === 'schedules') {
    const routed = platform.queues.find((candidate) => candidate.name === envelope?.route?.destination);
    if (routed !== undefined) return routed.url;
    const target = attribute(message, SchedulerDeadLetterAttribute.TARGET_ARN);
    const targetName = target?.split(':').pop();
    return platform.queues.find((candidate) => candidate.arn === target || lastPathSegment(candidate.url) === targetName)?.url;
  }
  const sourceQueue = attribute(message, MessageAttribute.SOURCE_QUEUE);
  if (sourceQueue === undefined) return source.url;
  const match = platform.queues.find(
    (candidate) => candidate.url === sourceQueue || lastPathSegment(candidate.url) === lastPathSegment(sourceQueue),
  );
  return match?.url ?? source.url;
}

function deadReasonOf(message: Message): DeadReason {
  const reason = attribute(message, MessageAttribute.DEAD_REASON);
  return DEAD_REASONS.find((known) => known === reason) ?? 'receive-count-exceeded';
}

function deadAttemptsOf(message: Message): number {
  const attempts = Number(attribute(message, MessageAttribute.ATTEMPTS));
  return Number.isSafeInteger(attempts) && attempts >= 0 ? attempts : 0;
}

/** The body of a redriven copy: the same envelope with a fresh set of attempts and, when given, a new link. */
function copyBody(envelope: TaskEnvelope, link: number | undefined): string {
  return serializeEnvelope({ ...envelope, attempts: 0, ...(link === undefined ? {} : { link }) });
}

/**
 * Decides what to do with one dead message of a readable envelope, reopening its task's state when it is dead.
 * The only state write here is `reopen`; the rest reads what a refused reopen returned.
 */
async function planFor(state: TaskStateStore, message: Message, envelope: TaskEnvelope): Promise<Plan> {
  const reopened = await state.reopen(envelope.id);
  if (reopened.kind === 'reopened') return { kind: 'send', why: 'reopened', body: copyBody(envelope, reopened.link), reopened };
  const item = reopened.item;
  if (item === undefined) return { kind: 'send', why: 'no-state', body: copyBody(envelope, undefined) };
  const deadLink = envelope.link ?? 0;
  const itemLink = item.link ?? 0;
  // Exactly as a reopen of this very copy left it (queued, the next link, no attempt, no lease): an earlier redrive
  // reopened it and its send had an unknown outcome. Sending again is safe: the consumer runs a task once.
  if (item.status === 'queued' && item.attempts === 0 && item.leaseUntilMs === undefined && itemLink === deadLink + 1) {
    return {
      kind: 'send',
      why: 'resend',
      body: copyBody(envelope, itemLink),
      reopened: { kind: 'reopened', link: itemLink, ...(item.leaseToken === undefined ? {} : { leaseToken: item.leaseToken }) },
    };
  }
  // SQS's redrive policy moved the task's newest copy while the task was alive: no other copy is left.
  if (!isTerminalStatus(item.status) && attribute(message, MessageAttribute.DEAD_REASON) === undefined && deadLink >= itemLink) {
    return { kind: 'send', why: 'moved-by-sqs', body: copyBody(envelope, undefined) };
  }
  if (item.status === 'dead') {
    return { kind: 'failed', error: 'the task died again while it was being reopened; the next redrive takes it' };
  }
  return { kind: 'redundant', taskId: envelope.id, status: item.status };
}

/**
 * Sends dead messages back to their source queue, at a bounded rate, and works the same against fauxqs (which has
 * no `StartMessageMoveTask`) and AWS (whose move task can neither filter by task name nor reopen task state).
 *
 * **Snapshot (ADR 0006: every loop over a queue works from a snapshot and ends).** The run records its start time and
 * the DLQ's visible count, and redrives only messages SQS received before the start (`SentTimestamp`, which SQS keeps
 * when its redrive policy moves a message). A task that dies again during the run makes a new DLQ message, sent after
 * the start: it is left for the next run. A second DLQ copy (in the snapshot) of the same death of a task whose copy
 * this run sent is redundant and deleted; a copy of a later death, or of a task whose copy was not sent, is left. The
 * run ends at a receive that brings nothing, or only messages sent after the start, or after `max` messages. The loop
 * itself is the move engine's (`moveMessages` in `lib/aws/queue-mover.ts`, shared with `bosun move`): copies go out
 * with `SendMessageBatch`, their DLQ messages are deleted with `DeleteMessageBatch` once accepted.
 *
 * **Ordering, per message (ADR 0006: undo only what certainly failed).**
 * 1. Read the envelope. A body that is not one is sent back unchanged and counted.
 * 2. `reopen` the task's state (`dead` → `queued`, a fresh set of attempts, a new link) BEFORE the send: a consumer
 *    that received the copy while the state still said `dead` would acknowledge it without running it.
 * 3. Send the copy to the source queue with `attempts: 0`, `link` = the reopened link, and the dead-letter attributes
 *    stripped.
 * 4. Only after the send succeeded, delete the DLQ message.
 * 5. If the send certainly failed (a `Failed` batch entry, or a 4xx answer to the only attempt), undo the reopen with `rebury` (`queued` →
 *    `dead`, only while nothing touched the task since) and keep the DLQ message. If the outcome is unknown (no
 *    answer, 5xx), keep both as they are and report it: a later redrive finds the state `queued` as the reopen left
 *    it and sends the copy again (the consumer runs a task once even if two copies arrive).
 * When `reopen` is refused because the task is alive or finished (running, retrying, succeeded, rerouted, cancelled,
 * or queued/scheduled after a consumer touched it), the DLQ copy is redundant: it is deleted without a send and
 * reported — except the newest copy of a live task that SQS's own redrive policy moved (no `Bosun.DeadReason`), which
 * is the task's only copy and is sent back. A task with no state item (state tracking off, or expired) is sent back
 * with a fresh set of attempts.
 *
 * Messages of other task names, and those left for the next run, are held while the redrive runs (so they are not
 * received over and over) and put back untouched at the end.
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
  const state = taskStateStore(platform, clients);
  const firings: string[] = [];
  /** Tasks this run took one message of: a second message of the same task is deferred to the end. */
  const handledTasks = new Set<string>();
  /**
   * Tasks whose copy this run sent, with the link of the DLQ copy it sent: a second DLQ copy of the same death (same
   * link or older) is redundant; one with a newer link is the redriven copy dying again and is left for the next run.
   */
  const sentTasks = new Map<string, number>();
  const resent: string[] = [];
  const redundant: RedundantCopy[] = [];
  const stateMissing: string[] = [];
  const movedBySqs: string[] = [];
  let stateReset = 0;
  let unreadable = 0;
  let skipped = 0;
  const filter: DeadLetterFilter = { ...options.filter, ...(options.taskName === undefined ? {} : { taskName: options.taskName }) };
  const foundIds = new Set<string>();
  const bodies = new WeakMap<Message, ReadBody>();
  const bodyOf = (message: Message): ReadBody => {
    let body = bodies.get(message);
    if (body === undefined) {
      body = readBody(message);
      bodies.set(message, body);
    }
    return body;
  };
  const taskKeyOf = (message: Message, body: ReadBody): string => body.envelope?.id ?? `body:${message.MD5OfBody ?? message.MessageId ?? ''}`;

  /** `rebury` after a send that certainly failed; says what became of the state, for the failure line. */
  const undoReopen = async (plan: Extract<Plan, { kind: 'send' }>, message: Message, taskId: string | undefined): Promise<string> => {
    if (plan.reopened === undefined || taskId === undefined) return '';
    try {
      const result = await state.rebury(taskId, {
        link: plan.reopened.link,
        ...(plan.reopened.leaseToken === undefined ? {} : { leaseToken: plan.reopened.leaseToken }),
        reason: deadReasonOf(message),
        attempts: deadAttemptsOf(message),
      });
      return result.kind === 'reburied' ? ' (state dead again)' : ` (state left ${result.item?.status ?? 'missing'}: touched since the reopen)`;
    } catch (error) {
      return ` (state left queued, the rebury failed: ${describeError(error)}; the next redrive sends it again)`;
    }
  };

  const decideOne = async (message: Message): Promise<MoveDecision> => {
    const messageId = message.MessageId ?? '';
    const body = bodyOf(message);
    const taskId = body.envelope?.id ?? attribute(message, MessageAttribute.TASK_ID);
    const label = taskId === undefined ? {} : { taskId };
    // One send per task per run: a second copy waits for the end (an older duplicate, or a death during the run that
    // the clocks placed before the start).
    const taskKey = taskKeyOf(message, body);
    if (handledTasks.has(taskKey)) return { kind: 'defer' };
    handledTasks.add(taskKey);
    // Decided before any state write: a firing whose task's queue this platform does not have stays in the DLQ.
    const destination = destinationOf(platform, queue, message, body.envelope);
    if (destination === undefined) {
      const target = attribute(message, SchedulerDeadLetterAttribute.TARGET_ARN) ?? 'none';
      const routed = body.envelope?.route?.destination ?? 'none';
      return { kind: 'fail', error: `no queue of this platform for this firing (routed to ${routed}, target ${target})`, ...label };
    }
    let plan: Plan;
    try {
      plan =
        body.envelope === undefined
          ? { kind: 'send', why: 'unreadable', body: message.Body ?? '' }
          : await planFor(state, message, body.envelope);
    } catch (error) {
      plan = { kind: 'failed', error: describeError(error) };
    }
    // A firing never reached a queue: its task has no state yet (periodic) or is still `scheduled` (far ETA).
    if (queue.kind === 'schedules' && plan.kind === 'send' && (plan.why === 'no-state' || plan.why === 'moved-by-sqs')) {
      plan = { ...plan, why: 'firing' };
    }
    if (plan.kind === 'failed') return { kind: 'fail', error: plan.error, ...label };
    if (plan.kind === 'redundant') {
      const copy: RedundantCopy = { messageId, taskId: plan.taskId, status: plan.status };
      return { kind: 'delete', ...label, onDeleted: () => void redundant.push(copy) };
    }
    const sendPlan = plan;
    return {
      kind: 'send',
      queueUrl: destination,
      body: sendPlan.body,
      attributes: redriveAttributes(message),
      ...label,
      unknownNote: ' (state left queued; the next redrive sends it again)',
      undo: () => undoReopen(sendPlan, message, taskId),
      onSent: () => {
        if (body.envelope !== undefined) sentTasks.set(body.envelope.id, body.envelope.link ?? 0);
        switch (sendPlan.why) {
          case 'reopened':
            stateReset += 1;
            break;
          case 'unreadable':
            unreadable += 1;
            break;
          case 'resend':
            resent.push(taskId ?? messageId);
            break;
          case 'no-state':
            stateMissing.push(taskId ?? messageId);
            break;
          case 'moved-by-sqs':
            movedBySqs.push(taskId ?? messageId);
            break;
          case 'firing':
            firings.push(taskId ?? messageId);
            break;
        }
      },
    };
  };

  const run = await moveMessages({
    sqs: clients.sqs,
    sourceUrl: queue.dlqUrl,
    concurrency: options.concurrency ?? 1,
    ratePerSecond: options.ratePerSecond ?? DEFAULT_REDRIVE_RATE,
    holdSeconds: REDRIVE_HOLD_SECONDS,
    ...(options.max === undefined ? {} : { max: options.max }),
    ...(options.now === undefined ? {} : { now: options.now }),
    filter: (message) => {
      if (matchesDeadLetter(message, bodyOf(message), filter)) {
        foundIds.add(message.MessageId ?? '');
        return true;
      }
      skipped += 1;
      return false;
    },
    decide: (messages) => Promise.all(messages.map(decideOne)),
    // A second DLQ copy of the same death of a task whose copy this run sent (a DLQ send retried after a lost
    // response) is redundant: the task's live copy is out. A copy of a later death (a newer link), or of a task whose
    // first copy was not sent, stays for the next run.
    decideDeferred: async (message) => {
      const body = bodyOf(message);
      const taskKey = taskKeyOf(message, body);
      const sentLink = sentTasks.get(taskKey);
      if (sentLink === undefined || (body.envelope?.link ?? 0) > sentLink) return { kind: 'keep' };
      const taskId = body.envelope?.id ?? taskKey;
      // Reopened and sent by this run: the task is queued.
      const copy: RedundantCopy = { messageId: message.MessageId ?? '', taskId, status: 'queued' };
      return { kind: 'delete', taskId, onDeleted: () => void redundant.push(copy) };
    },
    onProgress: (event) => {
      if (event.kind === 'start') options.onProgress?.({ kind: 'start', total: event.total });
      else for (let index = 0; index < event.handled; index += 1) options.onProgress?.({ kind: 'message' });
    },
  });
  return {
    queue: queueName,
    dlqUrl: queue.dlqUrl,
    ...(options.taskName === undefined ? {} : { taskName: options.taskName }),
    startedAt: run.startedAt,
    snapshot: run.snapshot,
    redriven: run.moved,
    skipped,
    ...(filter.messageIds === undefined ? {} : { notFound: [...filter.messageIds].filter((id) => !foundIds.has(id)) }),
    failures: run.failures,
    unknownOutcomes: run.unknownOutcomes,
    deleteFailures: run.deleteFailures,
    stateReset,
    resent,
    redundant,
    stateMissing,
    movedBySqs,
    firings,
    byDestination: run.byDestination,
    unreadable,
    leftForNextRun: run.leftForNextRun,
    inFlightAtStart: run.inFlightAtStart,
  };
}

/** Most individual tasks a summary for people lists per kind; `--json` lists all. */
const MAX_LISTED = 5;

function listed(ids: readonly string[]): string {
  const shown = ids.slice(0, MAX_LISTED);
  const more = ids.length - shown.length;
  return `${shown.join(', ')}${more > 0 ? `, and ${more} more; --json lists all` : ''}`;
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
    `redrove ${result.redriven} message(s) of ${scope} from ${dlqLabel(result.queue)} ` +
      `(snapshot: about ${result.snapshot} message(s) dead-lettered before ${result.startedAt})`,
    ...Object.entries(result.byDestination).map(([url, count]) => `  ${count} to ${url}`),
    `task states reopened from dead to queued: ${result.stateReset}`,
  ];
  if (result.resent.length > 0) {
    lines.push(`sent again (still queued from an earlier redrive whose send had an unknown outcome): ${result.resent.length} (${listed(result.resent)})`);
  }
  if (result.stateMissing.length > 0) {
    lines.push(`no task state recorded, sent back with fresh attempts: ${result.stateMissing.length} (${listed(result.stateMissing)})`);
  }
  if (result.firings.length > 0) {
    lines.push(`undelivered schedule firings sent to their task's queue: ${result.firings.length} (${listed(result.firings)})`);
  }
  if (result.movedBySqs.length > 0) {
    lines.push(`live tasks whose copy SQS moved to the DLQ, sent back: ${result.movedBySqs.length} (${listed(result.movedBySqs)})`);
  }
  if (result.redundant.length > 0) {
    lines.push(
      `redundant DLQ copies deleted, their tasks alive or finished: ${result.redundant.length} (` +
        `${listed(result.redundant.map((copy) => `${copy.taskId} ${copy.status}`))})`,
    );
  }
  if (result.skipped > 0) lines.push(`left in the DLQ (other task names): ${result.skipped}`);
  if (result.leftForNextRun > 0) {
    lines.push(`left for the next run: ${result.leftForNextRun} message(s) dead-lettered during this run (a task that died again) or a second copy of a task this run handled`);
  }
  if (result.inFlightAtStart > 0) {
    lines.push(`not seen: ${result.inFlightAtStart} message(s) were in flight in the DLQ (a peek or another redrive); run again once they are visible`);
  }
  if (result.unreadable > 0) lines.push(`unreadable bodies sent back unchanged: ${result.unreadable}`);
  for (const failure of result.failures) {
    lines.push(`failed (kept in the DLQ): ${failure.taskId ?? failure.messageId}: ${failure.error}`);
  }
  for (const unknown of result.unknownOutcomes) {
    lines.push(`outcome unknown (kept in the DLQ; the consumer runs the task once): ${unknown.taskId ?? unknown.messageId}: ${unknown.error}`);
  }
  for (const failure of result.deleteFailures) {
    lines.push(`not deleted from the DLQ (a later delivery of it runs nothing twice): ${failure.taskId ?? failure.messageId}: ${failure.error}`);
  }
  return `${lines.join('\n')}\n`;
}
