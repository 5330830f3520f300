import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { CustomDelivery, CustomDestination } from '../contract';
import { AwsCallFailedError } from './errors';

/** Options of {@link sqsForwardingDestination}. */
export interface SqsForwardingDestinationOptions {
  /** Destination name the routing document uses, for example `legacy`. Must not clash with a Bosun queue name. */
  readonly name: string;
  /** URL of the other system's SQS queue. */
  readonly queueUrl: string;
  /** SQS client (share one per process). */
  readonly sqs: SQSClient;
}

/**
 * The message body {@link sqsForwardingDestination} sends: the task as a plain JSON object, payload inline, so the
 * system being migrated from needs no Bosun code to read it.
 */
export interface ForwardedTaskMessage {
  /** Task name. */
  readonly task: string;
  /** Bosun task id (stable: a task switched back and forth keeps it). */
  readonly id: string;
  /** The payload, inline (already resolved from its claim check). */
  readonly payload: unknown;
  /** Earliest run time, ISO-8601 UTC, when the task has one. */
  readonly eta?: string;
  /** When the task was first published, ISO-8601 UTC. */
  readonly publishedAt: string;
  /** The routing rule that sent it here, or `null` for the default destination. */
  readonly ruleId: string | null;
  /** Trace id, when the publisher passed one. */
  readonly traceId?: string;
  /** Routing context the publisher passed. */
  readonly context?: Readonly<Record<string, string>>;
}

/**
 * A custom destination that hands tasks to a plain SQS queue of the system being migrated from (for example the
 * queue a Celery or Huey worker still reads). The body is a {@link ForwardedTaskMessage}; the payload is inline, so
 * a payload beyond the queue's message size limit fails the delivery (the task stays where it was).
 *
 * @example
 * const legacy = sqsForwardingDestination({ name: 'legacy', queueUrl: process.env.BOSUN_LEGACY_QUEUE_URL!, sqs });
 * const client = createTaskClient({ ...options, destinations: [legacy] });
 */
export function sqsForwardingDestination(options: SqsForwardingDestinationOptions): CustomDestination {
  return {
    name: options.name,
    async deliver(delivery: CustomDelivery): Promise<void> {
      const { envelope } = delivery;
      const message: ForwardedTaskMessage = {
        task: envelope.task,
        id: envelope.id,
        payload: delivery.payload,
        ...(envelope.eta === undefined ? {} : { eta: envelope.eta }),
        publishedAt: envelope.publishedAt,
        ruleId: delivery.decision.ruleId,
        ...(envelope.traceId === undefined ? {} : { traceId: envelope.traceId }),
        ...(envelope.context === undefined ? {} : { context: envelope.context }),
      };
      const etaMs = envelope.eta === undefined ? Number.NaN : Date.parse(envelope.eta);
      const delaySeconds = Number.isNaN(etaMs) ? 0 : Math.min(900, Math.max(0, Math.ceil((etaMs - Date.now()) / 1000)));
      try {
        await options.sqs.send(
          new SendMessageCommand({
            QueueUrl: options.queueUrl,
            MessageBody: JSON.stringify(message),
            ...(delaySeconds > 0 ? { DelaySeconds: delaySeconds } : {}),
            MessageAttributes: {
              task: { DataType: 'String', StringValue: envelope.task },
              id: { DataType: 'String', StringValue: envelope.id },
            },
          }),
        );
      } catch (error) {
        throw new AwsCallFailedError('SQS', `SendMessage to custom destination "${options.name}"`, envelope.id, error);
      }
    },
  };
}
