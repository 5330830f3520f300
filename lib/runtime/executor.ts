import type { SQSRecord } from 'aws-lambda';
import { serializeEnvelope, type PendingOutcome, type TaskEnvelope, type TaskErrorRecord } from '../contract';
import { errorRecord, leaseToken, type CloseInput, type TaskStateStore } from '../aws/task-state-store';
import { runAttempt, storeResult } from './attempt';
import type { Decision, MessageOutcome } from './decisions';
import { backoffDelaySeconds, type TaskDefinition, type TaskLogger } from './define-task';
import { MessageActions } from './message-actions';
import type { ResolvedRuntime } from './runtime-config';
import { type BatchMetrics, TaskMetric, UNKNOWN_TASK_DIMENSION, boundTaskLogger } from './runtime-telemetry';
import { payloadStep, type ReadMessage } from './steps';

/** Lease kept while a copy of the message carries an outcome whose side effect failed. */
const CARRIED_LEASE_MS = 5 * 60_000;
/** Lease of a side effect that is not a run (sends, a hand-over). */
const NON_RUN_LEASE_MS = 10_000;
/** Longest wait before running a task that arrived before its ETA: the steps send back anything due later than 1 s. */
const MAX_EARLY_WAIT_MS = 1_000;
/** Longest wait of a new link whose sender still holds the lease (it closes within milliseconds unless it died). */
const NEW_LINK_WAIT_SECONDS = 2;
/** Room after a run's time limit and safety margin for its closing writes and their retries. */
const CLOSE_ROOM_MS = 5_000;

/** One message on its way through the executor. */
interface Job {
  readonly message: ReadMessage;
  readonly task: TaskDefinition | undefined;
  readonly remainingMs: () => number;
  readonly batch: BatchMetrics;
  readonly log: TaskLogger;
  /** The task state store when this task's state is tracked. */
  readonly state: TaskStateStore | undefined;
}

/** The lease a job holds while it makes its side effects. */
interface Held {
  readonly state: TaskStateStore;
  readonly token: string;
}

/**
 * Carries out the decisions of the consumer pipeline, and is the one place that owns the ordering rules:
 * 1. take the task's lease (`claim` to run, `lease` otherwise) before any side effect; a finished task, a stale link,
 *    a foreign id or a live lease elsewhere ends the delivery without effect;
 * 2. make the side effect (send the next link or a copy, hand over, send the DLQ copy, run the handler);
 * 3. close the lease with the transition that says what happened — retried inside the invocation and, if it still
 *    fails, carried by a fresh copy of the message so the next delivery applies it instead of running the task again;
 * 4. only then acknowledge the message (or return it with a visibility for a retry).
 * Payloads are never deleted here: the bucket's lifecycle rule expires them after every copy of the message is gone.
 */
export class Executor {
  private readonly actions: MessageActions;

  public constructor(private readonly r: ResolvedRuntime) {
    this.actions = new MessageActions(r);
  }

  /** A message that is not a readable envelope: to the DLQ with the reason; no task state is touched. */
  public async poison(record: SQSRecord, decision: Decision & { kind: 'deadLetter' }, receiveCount: number, batch: BatchMetrics): Promise<MessageOutcome> {
    batch.count(UNKNOWN_TASK_DIMENSION, TaskMetric.DEAD);
    return this.deadLetterWithoutState(record, decision.reason, decision.detail, receiveCount, undefined);
  }

  /**
   * Carries out `decision` for one readable message. `again` re-runs the pipeline on an envelope (used after a
   * carried `retry` outcome was applied: the copy is the next attempt's message).
   */
  public async execute(
    message: ReadMessage,
    task: TaskDefinition | undefined,
    decision: Decision,
    remainingMs: () => number,
    batch: BatchMetrics,
    again: (envelope: TaskEnvelope) => Promise<MessageOutcome>,
  ): Promise<MessageOutcome> {
    const { envelope } = message;
    const tracked = (task?.stateTracking ?? 'full') === 'full' ? this.r.state : undefined;
    let log = boundTaskLogger(this.r.logger, { taskId: envelope.id, taskName: envelope.task, attempt: message.attempt });
    let job: Job = { message, task, remainingMs, batch, log, state: tracked };
    const metricName = task?.name ?? UNKNOWN_TASK_DIMENSION;

    if (decision.kind === 'later') {
      await this.actions.sendCopy(message.record, this.nextCopy(message, {}), decision.delaySeconds, { keepRedriveMarker: true });
      batch.count(metricName, TaskMetric.RELEASED);
      log.debug('not enough invocation time left for the task; sent back for later', { outcome: 'later', delaySeconds: decision.delaySeconds });
      return 'ack';
    }
    if (decision.kind === 'applyOutcome') return this.applyOutcome(job, decision.outcome, again);

    if (decision.kind === 'run' && envelope.eta !== undefined) {
      // SQS delays are whole seconds, so a task may arrive up to a second before its ETA (it is due within a second:
      // `steps.ts`). Wait out the rest before the claim, so it never starts before its ETA.
      const earlyMs = Date.parse(envelope.eta) - this.r.now();
      if (earlyMs > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(earlyMs, MAX_EARLY_WAIT_MS)));
    }

    let effective = decision;
    let held: Held | undefined;
    if (tracked !== undefined) {
      const token = leaseToken(message.record.messageId);
      const lease = await tracked.acquire({
        task: envelope,
        purpose: decision.kind === 'run' ? 'claim' : 'lease',
        token,
        leaseUntilMs: this.r.now() + this.leaseMs(decision, task),
        queue: this.r.queueName ?? 'unknown',
        attempt: message.attempt,
        redriven: message.redriven,
        interruptible: task?.interruptible ?? false,
        ...(decision.kind === 'handOver' ? { handingOver: decision.route } : {}),
      });
      switch (lease.kind) {
        case 'terminal':
          batch.count(metricName, TaskMetric.DUPLICATE);
          log.debug('task already finished; delivery acknowledged without effect', { outcome: 'duplicate', status: lease.item.status });
          return 'ack';
        case 'stale':
          batch.count(metricName, TaskMetric.DUPLICATE);
          log.debug('a newer copy of the task was sent; stale copy acknowledged', { outcome: 'stale', link: envelope.link ?? 0, newestLink: lease.item.link });
          return 'ack';
        case 'foreign':
          batch.count(UNKNOWN_TASK_DIMENSION, TaskMetric.DEAD);
          return this.deadLetterWithoutState(
            message.record,
            'malformed-message',
            `task id ${envelope.id} belongs to a task named "${lease.item.taskName}", not "${envelope.task}"; the message was not trusted`,
            message.attempt,
            log,
          );
        case 'leased': {
          const waitSeconds = Math.max(1, Math.ceil(((lease.item.leaseUntilMs ?? this.r.now()) - this.r.now()) / 1000));
          if (lease.sameMessage) {
            // An earlier delivery of this very message holds the lease: keep the message until the lease ends.
            await this.actions.changeVisibility(message.record, waitSeconds);
            batch.count(metricName, TaskMetric.RELEASED);
            log.info('an earlier delivery of this message holds the task; returned until its lease ends', { outcome: 'released', waitSeconds });
            return 'retry';
          }
          if ((envelope.link ?? 0) > (lease.item.link ?? 0)) {
            // A newer link than the state knows: the holder has just sent this copy (a move, hop or fresh copy) and
            // not yet recorded it. It is the task's live copy: come back once the holder has closed its lease.
            // The first time, briefly (the sender closes within milliseconds); after that, until its lease ends (it
            // may have died), so waiting never burns more than one more receive.
            const seconds = message.receiveCount === 1 ? Math.min(waitSeconds, NEW_LINK_WAIT_SECONDS) : waitSeconds;
            await this.actions.changeVisibility(message.record, seconds);
            batch.count(metricName, TaskMetric.RELEASED);
            log.debug('the copy that sent this one still holds the task; returned shortly', { outcome: 'released', waitSeconds: seconds });
            return 'retry';
          }
          // Another copy of the same link holds the task, and its own message stays in the queue until it finishes:
          // this one is redundant.
          batch.count(metricName, TaskMetric.DUPLICATE);
          log.debug('another copy of the task holds it; this copy acknowledged', { outcome: 'duplicate', status: lease.item.status });
          return 'ack';
        }
        case 'acquired':
          held = { state: tracked, token };
          if (lease.previous?.handingOver !== undefined && decision.kind !== 'handOver') {
            // An earlier delivery leased the task to hand it over and ended without a close: the destination may have
            // it already. Complete that hand-over (a copy carries it, as after a failed delivery) rather than decide
            // again and, say, run it here after the flags flipped back.
            const route = lease.previous.handingOver;
            log.warn('an earlier hand-over of the task ended without a record; completing it instead of deciding again', { destination: route.destination });
            await this.keepForCarry(job, held);
            await this.carry(job, { transition: 'handOver', token, attempt: message.attempt, route, handedOver: false }, 0);
            batch.count(metricName, TaskMetric.REROUTED);
            return 'ack';
          }
          if (lease.attempt !== undefined && lease.attempt !== message.attempt) {
            // The state counts attempts, one per claim: this run is the next of the task, whatever this copy's own
            // receive count says (a second copy of a task that already ran is its retry, not a second first attempt).
            log = boundTaskLogger(this.r.logger, { taskId: envelope.id, taskName: envelope.task, attempt: lease.attempt });
            job = { ...job, message: { ...message, attempt: lease.attempt }, log };
          }
          if (decision.kind === 'run' && task !== undefined && job.message.attempt > task.maxAttempts) {
            effective = {
              kind: 'deadLetter',
              reason: 'attempts-exhausted',
              detail: `task "${task.name}" already used ${job.message.attempt - 1} of ${task.maxAttempts} attempts`,
              attempts: job.message.attempt - 1,
            };
          } else if (decision.kind === 'run' && lease.previous?.status === 'running' && task !== undefined && !task.idempotent) {
            effective = {
              kind: 'deadLetter',
              reason: 'non-retryable',
              detail: `task "${task.name}" is not idempotent and an earlier attempt was interrupted mid-run; not running it again`,
            };
          }
          break;
      }
    }

    try {
      return await this.carryOut(job, effective, held);
    } catch (error) {
      // Nothing certain was achieved: give the lease back so the next delivery need not wait it out.
      if (held !== undefined) {
        await held.state.close(envelope.id, held.token, { transition: 'release' }).catch((releaseError: unknown) =>
          log.warn('lease could not be released; it expires at the end of the invocation', { error: errorRecord(releaseError) }),
        );
      }
      throw error;
    }
  }

  private async carryOut(job: Job, decision: Exclude<Decision, { kind: 'later' | 'applyOutcome' }>, held: Held | undefined): Promise<MessageOutcome> {
    const { message, batch, log } = job;
    const { envelope, record } = message;
    const metricName = job.task?.name ?? UNKNOWN_TASK_DIMENSION;
    const link = (envelope.link ?? 0) + 1;
    switch (decision.kind) {
      case 'hop': {
        await this.actions.sendCopy(record, this.nextCopy(message, { link }), decision.delaySeconds);
        await this.closeLink(job, held, { transition: 'hop', link, eta: envelope.eta as string });
        batch.count(metricName, TaskMetric.SCHEDULED);
        log.debug('task scheduled towards its ETA', { outcome: 'scheduled', delaySeconds: decision.delaySeconds, link });
        return 'ack';
      }
      case 'hold': {
        await this.actions.sendCopy(record, this.nextCopy(message, { link }), decision.delaySeconds);
        await this.closeLink(job, held, { transition: 'hold', link });
        batch.count(metricName, TaskMetric.RELEASED);
        log.info(decision.why === 'paused' ? 'task is paused; held back' : 'message reached its max receive count; sent as a fresh copy', {
          outcome: 'held',
          delaySeconds: decision.delaySeconds,
        });
        return 'ack';
      }
      case 'move': {
        await this.actions.sendCopy(record, this.nextCopy(message, { link, route: decision.route }), 0, { queueUrl: decision.queueUrl });
        await this.closeLink(job, held, { transition: 'move', link, queue: decision.queue, route: decision.route });
        batch.count(metricName, TaskMetric.REROUTED);
        log.info('task moved to another queue by the routing flags', { outcome: 'rerouted', destination: decision.queue });
        return 'ack';
      }
      case 'handOver': {
        try {
          await decision.destination.deliver({ envelope: { ...envelope, route: decision.route }, payload: decision.payload, decision: decision.decision });
        } catch (deliverError) {
          if (held === undefined) throw deliverError;
          // As with a DLQ copy: the delivery may have landed (a lost response), so the task is not given up to another
          // copy; the outcome travels with a copy of the message, whose delivery records `rerouted`, then delivers.
          log.error('the hand-over failed; a copy of the message carries it', { destination: decision.route.destination, error: errorRecord(deliverError) });
          await this.keepForCarry(job, held);
          await this.carry(job, { transition: 'handOver', token: held.token, attempt: message.attempt, route: decision.route, handedOver: false }, 0);
          return 'ack';
        }
        if (held !== undefined) {
          await this.closeOrCarry(job, held, { transition: 'handOver', queue: decision.route.destination, route: decision.route }, 0);
        }
        batch.count(metricName, TaskMetric.REROUTED);
        log.info('task handed over by the routing flags', { outcome: 'rerouted', destination: decision.route.destination, reason: decision.decision.reason });
        return 'ack';
      }
      case 'deadLetter':
        batch.count(metricName, TaskMetric.DEAD);
        return this.deadLetter(job, held, decision.reason, decision.detail, { type: decision.reason, message: decision.detail.slice(0, 1024) }, decision.attempts);
      case 'run':
        return this.run(job, held, decision.payload, decision.payloadBytes);
    }
  }

  private async run(job: Job, held: Held | undefined, payload: unknown, payloadBytes: number): Promise<MessageOutcome> {
    const { message, batch, log } = job;
    const task = job.task as TaskDefinition;
    const { envelope } = message;
    batch.count(task.name, TaskMetric.STARTED);
    batch.milliseconds(task.name, TaskMetric.QUEUE_WAIT, Math.max(0, this.r.now() - Date.parse(envelope.eta ?? envelope.publishedAt)));
    batch.bytes(task.name, payloadBytes >= 0 ? payloadBytes : Buffer.byteLength(message.record.body, 'utf8'));
    const outcome = await runAttempt({ task, envelope, payload, attempt: message.attempt, remainingMs: job.remainingMs, log, now: this.r.now });
    batch.milliseconds(task.name, TaskMetric.DURATION, outcome.durationMs);
    batch.percent(task.name, TaskMetric.TIME_LIMIT_USED, Math.min(100, (outcome.durationMs / (task.timeLimitSeconds * 1000)) * 100));

    if (outcome.ok) {
      if (held !== undefined) {
        // The task ran: a result that cannot be stored is recorded as lost (resultNotStored), never run again.
        const stored = await storeResult(this.r, envelope, outcome.result);
        await this.closeOrCarry(job, held, { transition: 'succeed', ...stored }, 0);
      }
      batch.count(task.name, TaskMetric.SUCCEEDED);
      log.info('task succeeded', { outcome: 'succeeded', durationMs: outcome.durationMs });
      return 'ack';
    }

    batch.count(task.name, TaskMetric.FAILED);
    const error = errorRecord(outcome.failure);
    if (outcome.nonRetryable || message.attempt >= task.maxAttempts) {
      batch.count(task.name, TaskMetric.DEAD);
      return this.deadLetter(job, held, outcome.nonRetryable ? 'non-retryable' : 'attempts-exhausted', `${error.type}: ${error.message}`, error);
    }
    const delaySeconds = backoffDelaySeconds(task.backoff, message.attempt, this.r.random);
    batch.count(task.name, TaskMetric.RETRIED);
    log.warn('task failed; retrying after backoff', { outcome: 'retrying', durationMs: outcome.durationMs, delaySeconds, error });
    if (held !== undefined) {
      const carried = await this.closeOrCarry(job, held, { transition: 'retry', error }, delaySeconds);
      // The carried copy is the next attempt's message.
      if (carried) return 'ack';
    }
    await this.actions.changeVisibility(message.record, delaySeconds);
    return 'retry';
  }

  /** Sends the DLQ copy with the reason, then records `dead`. Without a DLQ the message stays for SQS's redrive. */
  private async deadLetter(
    job: Job,
    held: Held | undefined,
    reason: Parameters<MessageActions['sendToDeadLetterQueue']>[1],
    detail: string,
    error: TaskErrorRecord,
    attemptsUsed?: number,
  ): Promise<MessageOutcome> {
    const { message, log } = job;
    const attempts = attemptsUsed ?? message.attempt;
    if (this.r.dlqUrl === undefined) {
      log.error('task is dead but no DLQ is configured; leaving it to the queue redrive policy', { outcome: 'dead', deadReason: reason });
      throw new Error('no DLQ configured');
    }
    try {
      await this.actions.sendToDeadLetterQueue(message.record, reason, detail, attempts);
    } catch (sendError) {
      if (held === undefined) throw sendError;
      // Releasing the lease now would let another copy take the task while this DLQ copy may have landed (a lost
      // response): the outcome travels with a copy of the message instead, which records `dead`, then sends the copy.
      log.error('the DLQ copy could not be sent; a copy of the message carries the dead-letter outcome', { error: errorRecord(sendError) });
      await this.keepForCarry(job, held);
      await this.carry(job, { transition: 'deadLetter', token: held.token, attempt: attempts, reason, detail, error, deadLetterSent: false }, 0);
      return 'ack';
    }
    if (held !== undefined) {
      await this.closeOrCarry(job, held, { transition: 'deadLetter', reason, error, attempts }, 0, detail);
    }
    log.error('task sent to the DLQ', { outcome: 'dead', deadReason: reason, detail });
    return 'ack';
  }

  private async deadLetterWithoutState(
    record: SQSRecord,
    reason: Parameters<MessageActions['sendToDeadLetterQueue']>[1],
    detail: string,
    attempts: number,
    log: TaskLogger | undefined,
  ): Promise<MessageOutcome> {
    const logger = log ?? boundTaskLogger(this.r.logger, { messageId: record.messageId });
    if (this.r.dlqUrl === undefined) {
      logger.error('message is dead but no DLQ is configured; leaving it to the queue redrive policy', { outcome: 'dead', deadReason: reason });
      return 'retry';
    }
    await this.actions.sendToDeadLetterQueue(record, reason, detail, attempts);
    logger.error('message sent to the DLQ', { outcome: 'dead', deadReason: reason, detail, messageId: record.messageId });
    return 'ack';
  }

  /**
   * Closes the lease with a hop, hold or move: the new link is already sent, so a failure to record it only means the
   * state shows the older link until the new copy arrives (which is accepted: its link is newer).
   */
  private async closeLink(job: Job, held: Held | undefined, input: CloseInput): Promise<void> {
    if (held === undefined) return;
    try {
      const result = await held.state.close(job.message.envelope.id, held.token, input);
      if (result === 'refused') job.log.warn('the lease was taken over before the new link was recorded', { transition: input.transition });
    } catch (error) {
      job.log.error('the new link could not be recorded; the copy carries it', { transition: input.transition, error: errorRecord(error) });
    }
  }

  /**
   * Closes the lease with an outcome (`succeed`, `retry`, `deadLetter`, `handOver`). If the write still fails after
   * its retries, sends a copy of the message carrying the outcome (after `delaySeconds`), so the next delivery applies
   * it instead of running the task again. Returns whether the outcome was carried.
   */
  private async closeOrCarry(
    job: Job,
    held: Held,
    input: Extract<CloseInput, { transition: 'succeed' | 'retry' | 'deadLetter' | 'handOver' }>,
    delaySeconds: number,
    detail?: string,
  ): Promise<boolean> {
    const { message, log } = job;
    try {
      const result = await held.state.close(message.envelope.id, held.token, input);
      if (result === 'refused') {
        log.warn('the lease expired and another delivery took the task over before this outcome was recorded', { transition: input.transition });
      }
      return false;
    } catch (error) {
      log.error('the outcome could not be recorded; a copy of the message carries it', { transition: input.transition, error: errorRecord(error) });
    }
    const outcome: PendingOutcome = {
      transition: input.transition,
      token: held.token,
      attempt: input.transition === 'deadLetter' ? input.attempts : message.attempt,
      ...(input.transition === 'succeed' ? succeedFields(input) : {}),
      ...(input.transition === 'retry' || input.transition === 'deadLetter' ? { error: input.error } : {}),
      ...(input.transition === 'deadLetter' ? { reason: input.reason, deadLetterSent: true, ...(detail === undefined ? {} : { detail }) } : {}),
      ...(input.transition === 'handOver' ? { route: input.route } : {}),
    };
    await this.carry(job, outcome, delaySeconds);
    return true;
  }

  /**
   * Delivers a hand-over whose first delivery failed, after its `rerouted` record: the payload is read again (inline
   * or from its claim check). If it fails again the message comes back, the record meets its own write, and the
   * delivery is tried again.
   */
  private async deliverCarried(job: Job, outcome: PendingOutcome): Promise<void> {
    const route = outcome.route ?? { destination: 'unknown', ruleId: null };
    const destination = this.r.destinations.get(route.destination);
    if (destination === undefined) {
      job.log.error('a carried hand-over names a destination this consumer does not have; not delivered', { destination: route.destination });
      return;
    }
    const { outcome: _carried, ...envelope } = job.message.envelope;
    const payload = await payloadStep(envelope, this.r);
    if ('decision' in payload) {
      job.log.error('a carried hand-over lost its payload; not delivered', { destination: route.destination });
      return;
    }
    await destination.deliver({
      envelope: { ...envelope, route },
      payload: payload.value,
      decision: { destination: route.destination, ruleId: route.ruleId, paused: false, killed: false, reason: 'a hand-over carried after its first delivery failed' },
    });
    job.log.info('task handed over by the routing flags', { outcome: 'rerouted', destination: route.destination });
  }

  /**
   * Extends the lease until a carried outcome can arrive (a backlog may hold its copy a while): no other copy takes
   * the task in between and, say, runs it in Bosun while the hand-over it carries already landed. Best effort.
   */
  private async keepForCarry(job: Job, held: Held): Promise<void> {
    try {
      await held.state.close(job.message.envelope.id, held.token, { transition: 'extend', leaseUntilMs: this.r.now() + CARRIED_LEASE_MS });
    } catch (error) {
      job.log.warn('the lease could not be extended for the carried outcome', { error: errorRecord(error) });
    }
  }

  /** Sends a copy of the message carrying `outcome` (attempts used so far: this attempt, so the copy's first receive counts as the next). */
  private async carry(job: Job, outcome: PendingOutcome, delaySeconds: number): Promise<void> {
    const { message } = job;
    await this.actions.sendCopy(message.record, { ...message.envelope, attempts: message.attempt, outcome }, delaySeconds);
  }

  private async applyOutcome(job: Job, outcome: PendingOutcome, again: (envelope: TaskEnvelope) => Promise<MessageOutcome>): Promise<MessageOutcome> {
    const { message, log } = job;
    if (job.state !== undefined) {
      const input: CloseInput =
        outcome.transition === 'succeed'
          ? { transition: 'succeed', ...succeedFields(outcome) }
          : outcome.transition === 'retry'
            ? { transition: 'retry', error: outcome.error ?? { type: 'Error', message: 'unknown' } }
            : outcome.transition === 'deadLetter'
              ? { transition: 'deadLetter', reason: (outcome.reason ?? 'non-retryable') as never, error: outcome.error ?? { type: 'Error', message: 'unknown' }, attempts: outcome.attempt }
              : { transition: 'handOver', queue: outcome.route?.destination ?? 'unknown', route: outcome.route ?? { destination: 'unknown', ruleId: null } };
      const result = await job.state.close(message.envelope.id, outcome.token, input);
      log.info('a carried outcome was applied to the task state', { outcome: outcome.transition, applied: result === 'applied' });
      if (result === 'applied' && outcome.transition === 'deadLetter' && outcome.deadLetterSent === false) {
        // The state says dead now; the DLQ copy (of the envelope without the outcome) follows. If the send fails, the
        // message comes back, the close meets its own write, and the send is tried again.
        const { outcome: _carried, ...original } = message.envelope;
        const detail = outcome.detail ?? `${input.transition === 'deadLetter' ? input.error.type : 'Error'}: dead-lettered`;
        await this.actions.sendToDeadLetterQueue(message.record, input.transition === 'deadLetter' ? input.reason : 'non-retryable', detail, outcome.attempt, serializeEnvelope(original));
        log.error('task sent to the DLQ', { outcome: 'dead', deadReason: outcome.reason, detail });
      }
      if (result === 'applied' && outcome.transition === 'handOver' && outcome.handedOver === false) {
        await this.deliverCarried(job, outcome);
      }
      if (result === 'refused' || outcome.transition !== 'retry') return 'ack';
    } else if (outcome.transition !== 'retry') {
      return 'ack';
    }
    // A retry's copy is also the next attempt's message.
    const { outcome: _applied, ...next } = message.envelope;
    return again(next);
  }

  /**
   * How long a lease holds: a run's time limit plus room for its closing writes; any other side effect (a send or a
   * hand-over) {@link NON_RUN_LEASE_MS}. Long enough that no other copy takes the task over while the holder is still
   * at work; a delivery of the same message after a crash that finds it live waits it out once.
   */
  private leaseMs(decision: Decision, task: TaskDefinition | undefined): number {
    return decision.kind === 'run' && task !== undefined
      ? task.timeLimitSeconds * 1000 + this.r.safetyMarginMs + CLOSE_ROOM_MS
      : NON_RUN_LEASE_MS;
  }

  /** The envelope of a new copy: attempts so far (this receive did not run the task), with changes. */
  private nextCopy(message: ReadMessage, changes: Partial<Pick<TaskEnvelope, 'link' | 'route'>>): TaskEnvelope {
    return { ...message.envelope, attempts: message.attempt - 1, ...changes };
  }
}

/** The result fields a success carries, between a close input and a carried outcome (absent ones left out). */
function succeedFields(from: Pick<PendingOutcome, 'result' | 'resultRef' | 'resultNotStored'>): Pick<PendingOutcome, 'result' | 'resultRef' | 'resultNotStored'> {
  return {
    ...(from.result === undefined ? {} : { result: from.result }),
    ...(from.resultRef === undefined ? {} : { resultRef: from.resultRef }),
    ...(from.resultNotStored === undefined ? {} : { resultNotStored: from.resultNotStored }),
  };
}
