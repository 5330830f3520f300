import type { CustomDestination, DeadReason, PendingOutcome, RouteDecision, RouteStamp } from '../contract';

/**
 * What the steps of the consumer pipeline decide for one message. The steps only read (the envelope, the task
 * registry, the routing document, the claim-check object); the executor carries a decision out and owns the ordering
 * rules: take the task's lease before any side effect, make the side effect, close the lease with the matching state
 * transition, then acknowledge or return the message.
 */
export type Decision =
  /** Run an attempt of the task with this payload. */
  | { readonly kind: 'run'; readonly payload: unknown; readonly payloadBytes: number }
  /** Send the next link of a far-ETA chain with this delay. */
  | { readonly kind: 'hop'; readonly delaySeconds: number }
  /**
   * Send a fresh copy back to the same queue after a delay: a paused task, or a message at its queue's max receive
   * count (so SQS never moves it to the DLQ without a reason).
   */
  | { readonly kind: 'hold'; readonly delaySeconds: number; readonly why: 'paused' | 'receive-count' }
  /** Send the task to another Bosun queue. */
  | { readonly kind: 'move'; readonly queue: string; readonly queueUrl: string; readonly route: RouteStamp }
  /** Hand the task to a custom destination. */
  | {
      readonly kind: 'handOver';
      readonly destination: CustomDestination;
      readonly route: RouteStamp;
      readonly payload: unknown;
      readonly decision: RouteDecision;
    }
  /**
   * Send the message to the DLQ with the reason. `attempts`: attempts used, when not the attempt this delivery would
   * have been (a task whose budget was spent without a run).
   */
  | { readonly kind: 'deadLetter'; readonly reason: DeadReason; readonly detail: string; readonly attempts?: number }
  /**
   * Not enough time is left in this invocation: send a fresh copy after a delay (a re-send, not a visibility change,
   * so the receive does not count toward SQS's redrive). No lease is needed: nothing runs and no state changes.
   */
  | { readonly kind: 'later'; readonly delaySeconds: number }
  /** Apply a closing state write a previous invocation could not make (the message carries it). */
  | { readonly kind: 'applyOutcome'; readonly outcome: PendingOutcome };

/** The message-level result: `ack` (deleted by the event source) or `retry` (reported in `batchItemFailures`). */
export type MessageOutcome = 'ack' | 'retry';
