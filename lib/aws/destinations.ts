import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { CeleryMappingError, CeleryTaskMap, encodeCeleryMessage, type CeleryTaskMapping } from '../celery';
import { Limits, type CustomDelivery, type CustomDestination } from '../contract';
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

/** Options of {@link celeryDestination}. */
export interface CeleryDestinationOptions {
  /** Destination name the routing document uses, for example `celery`. Must not clash with a Bosun queue name. */
  readonly name: string;
  /** URL of the SQS queue the Celery worker reads (`celery -Q <name>` with the SQS broker). */
  readonly queueUrl: string;
  /**
   * Celery queue name written as `delivery_info.routing_key` (kombu uses it to put unacknowledged messages back on a
   * warm shutdown).
   * @default - the last path segment of `queueUrl`
   */
  readonly queueName?: string;
  /** SQS client (share one per process). */
  readonly sqs: SQSClient;
  /** Which Celery task each Bosun task is, and how its payload becomes args/kwargs. A task not listed is refused. */
  readonly tasks: readonly CeleryTaskMapping[] | CeleryTaskMap;
  /**
   * The Bosun queue where a task with an ETA beyond SQS's 900 s delay waits until due; its consumer must re-check the
   * route and register this same destination, and hands the task over when due.
   * @default - none: publishing a task with a farther ETA to this destination is refused
   */
  readonly holdQueue?: string;
  /** Clock, for tests (the same as the task client's and the consumer's). @default Date.now */
  readonly now?: () => number;
}

/**
 * A custom destination that hands Bosun tasks to a Celery worker on SQS as Celery task protocol-2 messages (see
 * `encodeCeleryMessage`), so a task moves between Bosun and Celery by a routing rule, both ways. The Bosun task id is
 * the Celery task id; the task's attempts so far are Celery's `retries`. A wait of up to 900 s is the message's SQS
 * `DelaySeconds` and the message carries no `eta`: a Celery worker would hold an `eta` in memory, and run the task
 * again each time the visibility timeout passed. A farther ETA waits on Bosun's scheduled path on `holdQueue` and is
 * handed over when due.
 *
 * @example
 * const celery = celeryDestination({
 *   name: 'celery', queueUrl: process.env.CELERY_QUEUE_URL!, sqs, holdQueue: 'default',
 *   tasks: [{ task: 'math.add', celeryTask: 'app.add', args: ['x', 'y'] }],
 * });
 * const client = createTaskClient({ ...options, destinations: [celery] });
 */
export function celeryDestination(options: CeleryDestinationOptions): CustomDestination {
  const tasks = options.tasks instanceof CeleryTaskMap ? options.tasks : new CeleryTaskMap(options.tasks);
  const queue = options.queueName ?? decodeURIComponent(new URL(options.queueUrl).pathname.split('/').pop() ?? '');
  const now = options.now ?? Date.now;
  return {
    name: options.name,
    farEta: {
      maxDelaySeconds: Limits.SQS_MAX_DELAY_SECONDS,
      ...(options.holdQueue === undefined ? {} : { holdQueue: options.holdQueue }),
    },
    check(task: string, payload: unknown): string | undefined {
      try {
        tasks.toCelery(task, payload);
        return undefined;
      } catch (error) {
        if (error instanceof CeleryMappingError) return error.message;
        throw error;
      }
    },
    async deliver(delivery: CustomDelivery): Promise<void> {
      const { envelope } = delivery;
      const call = tasks.toCelery(envelope.task, delivery.payload);
      const etaMs = envelope.eta === undefined ? Number.NaN : Date.parse(envelope.eta);
      const waitSeconds = Number.isNaN(etaMs) ? 0 : Math.max(0, Math.ceil((etaMs - now()) / 1000));
      if (waitSeconds > Limits.SQS_MAX_DELAY_SECONDS) {
        // Never an in-memory ETA on the worker: the caller must hold the task until it is due (farEta.holdQueue).
        throw new AwsCallFailedError(
          'SQS',
          `SendMessage to Celery destination "${options.name}"`,
          envelope.id,
          new Error(`the task is due in ${waitSeconds} s, beyond SQS's ${Limits.SQS_MAX_DELAY_SECONDS} s delay; it must wait on a Bosun queue (holdQueue) until due`),
        );
      }
      try {
        await options.sqs.send(
          new SendMessageCommand({
            QueueUrl: options.queueUrl,
            MessageBody: encodeCeleryMessage({
              task: call.celeryTask,
              id: envelope.id,
              args: call.args,
              kwargs: call.kwargs,
              retries: envelope.attempts,
              queue,
            }),
            ...(waitSeconds > 0 ? { DelaySeconds: waitSeconds } : {}),
          }),
        );
      } catch (error) {
        throw new AwsCallFailedError('SQS', `SendMessage to Celery destination "${options.name}"`, envelope.id, error);
      }
    },
  };
}
