import { Annotations, Duration, Size } from 'aws-cdk-lib';
import { type Metric, type MetricOptions } from 'aws-cdk-lib/aws-cloudwatch';
import { type Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { type IKey, Key } from 'aws-cdk-lib/aws-kms';
import { type IQueue, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct, type IConstruct } from 'constructs';
import { Limits } from '../contract';
import { ConstructPropsInvalidError } from './errors';
import { between, validateProps } from './validation';

/** How a task queue and its DLQ are encrypted at rest. */
export enum TaskQueueEncryption {
  /** SQS-managed keys (SSE-SQS): no key to manage, no KMS cost. */
  SQS_MANAGED = 'SQS_MANAGED',
  /** A customer-managed KMS key (SSE-KMS): auditable key use, key policy control, KMS request cost. */
  KMS = 'KMS',
}

/** Default attempts before a message moves to the DLQ. */
export const DEFAULT_MAX_RECEIVE_COUNT = 5;
/** Default retention of a task queue: 4 days, the SQS default. */
export const DEFAULT_QUEUE_RETENTION = Duration.days(4);
/** Retention of a DLQ: 14 days, the SQS maximum, so a dead task waits as long as possible for its fix. */
export const DEFAULT_DLQ_RETENTION = Duration.seconds(Limits.SQS_MAX_RETENTION_SECONDS);

/** A Bosun task queue: a standard SQS queue, its DLQ and the settings consumers and monitoring need. */
export interface ITaskQueue extends IConstruct {
  /** Logical queue name used in routing documents and env vars, for example `default`. */
  readonly taskQueueName: string;
  /** The task queue. */
  readonly queue: IQueue;
  /** The queue's DLQ. */
  readonly deadLetterQueue: IQueue;
  /** Receives before a message moves to the DLQ. */
  readonly maxReceiveCount: number;
  /** Visibility timeout of the task queue. */
  readonly visibilityTimeout: Duration;
  /** Grants sending tasks to the queue (publishing, ETA re-sends, reroutes). */
  grantPublish(grantee: IGrantable): Grant;
  /** Grants sending to the DLQ (a consumer dead-letters poison messages directly). */
  grantSendToDeadLetterQueue(grantee: IGrantable): Grant;
  /** Visible messages waiting in the task queue. */
  metricBacklog(props?: MetricOptions): Metric;
  /** Age of the oldest message in the task queue. */
  metricAgeOfOldestMessage(props?: MetricOptions): Metric;
  /** Visible messages in the DLQ (not `NumberOfMessagesSent`, which misses redrive moves). */
  metricDeadLetterDepth(props?: MetricOptions): Metric;
  /** Messages received from the task queue. */
  metricReceived(props?: MetricOptions): Metric;
  /** Messages deleted from the task queue (finished, successfully or not). */
  metricDeleted(props?: MetricOptions): Metric;
}

/** Props of {@link TaskQueue}. */
export interface TaskQueueProps {
  /** Logical queue name used in routing documents, env vars and output keys, for example `default`. */
  readonly taskQueueName: string;
  /**
   * Physical name of the SQS queue; the DLQ is named `<queueName>-dlq`.
   * @default - a name CloudFormation generates
   */
  readonly queueName?: string;
  /**
   * Receives before a message moves to the DLQ: the number of attempts a task gets. 1–1000.
   * @default 5
   */
  readonly maxReceiveCount?: number;
  /**
   * How long the task queue keeps a message. 60 s–14 days, shorter than `deadLetterRetentionPeriod`.
   * @default Duration.days(4)
   */
  readonly retentionPeriod?: Duration;
  /**
   * How long the DLQ keeps a message, counted from the original enqueue (a standard queue keeps that timestamp when it
   * dead-letters), so it must exceed `retentionPeriod`. 60 s–14 days.
   * @default Duration.days(14)
   */
  readonly deadLetterRetentionPeriod?: Duration;
  /**
   * Visibility timeout of the task queue: how long a received task stays hidden before it is retried. 0 s–12 h.
   * Derive it from the consumer's timeout with {@link TaskQueue.visibilityTimeoutFor}.
   * @default Duration.seconds(30)
   */
  readonly visibilityTimeout?: Duration;
  /**
   * Delay applied to every message of the queue. 0–900 s.
   * @default Duration.seconds(0)
   */
  readonly deliveryDelay?: Duration;
  /**
   * Largest message the queue accepts. 1 KiB–1 MiB; set explicitly so the queue never silently keeps the old
   * 256 KiB default.
   * @default Size.mebibytes(1)
   */
  readonly maxMessageSize?: Size;
  /**
   * Encryption at rest of the queue and its DLQ.
   * @default TaskQueueEncryption.SQS_MANAGED
   */
  readonly encryption?: TaskQueueEncryption;
  /**
   * KMS key for `TaskQueueEncryption.KMS`; only allowed with that encryption.
   * @default - a new key with rotation on, when `encryption` is KMS
   */
  readonly encryptionKey?: IKey;
}

/**
 * A standard SQS task queue with its DLQ: redrive policy, explicit maximum message size, SQS-managed or KMS
 * encryption, TLS enforced by queue policy, and a DLQ that outlives the queue's retention. Validates its props at
 * synth.
 *
 * @example
 * const queue = new TaskQueue(this, 'DefaultQueue', {
 *   taskQueueName: 'default',
 *   queueName: 'bosun-dev-default',
 *   maxReceiveCount: 5,
 *   visibilityTimeout: TaskQueue.visibilityTimeoutFor(Duration.seconds(60)),
 * });
 */
export class TaskQueue extends Construct implements ITaskQueue {
  /**
   * The visibility timeout AWS recommends for a queue consumed by a Lambda function: 6 × the function timeout, so a
   * batch that is retried on throttling is not re-delivered while still running.
   *
   * @example
   * TaskQueue.visibilityTimeoutFor(Duration.seconds(60)) // 360 s
   */
  public static visibilityTimeoutFor(functionTimeout: Duration): Duration {
    return Duration.seconds(functionTimeout.toSeconds() * Limits.VISIBILITY_TO_FUNCTION_TIMEOUT_RATIO);
  }

  /** Logical queue name, for example `default`. */
  public readonly taskQueueName: string;
  /** The task queue. */
  public readonly queue: Queue;
  /** The queue's DLQ. */
  public readonly deadLetterQueue: Queue;
  /** Receives before a message moves to the DLQ. */
  public readonly maxReceiveCount: number;
  /** Visibility timeout of the task queue. */
  public readonly visibilityTimeout: Duration;
  /** The KMS key, when the queues use `TaskQueueEncryption.KMS`. */
  public readonly encryptionKey?: IKey;

  public constructor(scope: Construct, id: string, props: TaskQueueProps) {
    super(scope, id);
    const maxReceiveCount = props.maxReceiveCount ?? DEFAULT_MAX_RECEIVE_COUNT;
    const retentionPeriod = props.retentionPeriod ?? DEFAULT_QUEUE_RETENTION;
    const deadLetterRetentionPeriod = props.deadLetterRetentionPeriod ?? DEFAULT_DLQ_RETENTION;
    const visibilityTimeout = props.visibilityTimeout ?? Duration.seconds(30);
    const maxMessageSize = props.maxMessageSize ?? Size.bytes(Limits.SQS_MAX_MESSAGE_BYTES);
    const encryption = props.encryption ?? TaskQueueEncryption.SQS_MANAGED;

    validateProps(this, [
      {
        prop: 'maxReceiveCount',
        value: maxReceiveCount,
        check: between(Limits.SQS_MIN_MAX_RECEIVE_COUNT, Limits.SQS_MAX_MAX_RECEIVE_COUNT),
      },
      {
        prop: 'retentionPeriod',
        value: retentionPeriod,
        check: between(Limits.SQS_MIN_RETENTION_SECONDS, Limits.SQS_MAX_RETENTION_SECONDS, 's'),
      },
      {
        prop: 'deadLetterRetentionPeriod',
        value: deadLetterRetentionPeriod,
        check: between(Limits.SQS_MIN_RETENTION_SECONDS, Limits.SQS_MAX_RETENTION_SECONDS, 's'),
      },
      {
        prop: 'deadLetterRetentionPeriod',
        value: deadLetterRetentionPeriod,
        check: (seconds, given) =>
          retentionPeriod.isUnresolved() || seconds > retentionPeriod.toSeconds()
            ? undefined
            : `must be longer than retentionPeriod (${retentionPeriod.toSeconds()} s), because a dead-lettered message keeps its original enqueue time (given ${given})`,
      },
      {
        prop: 'visibilityTimeout',
        value: visibilityTimeout,
        check: between(0, Limits.SQS_MAX_VISIBILITY_TIMEOUT_SECONDS, 's'),
      },
      { prop: 'deliveryDelay', value: props.deliveryDelay, check: between(0, Limits.SQS_MAX_DELAY_SECONDS, 's') },
      {
        prop: 'maxMessageSize',
        value: maxMessageSize,
        check: between(Limits.SQS_MIN_MESSAGE_BYTES, Limits.SQS_MAX_MESSAGE_BYTES, 'bytes'),
      },
    ]);
    if (props.encryptionKey !== undefined && encryption !== TaskQueueEncryption.KMS) {
      throw new ConstructPropsInvalidError(
        this.node.path,
        'encryptionKey',
        'a KMS key',
        `encryptionKey is only used with encryption KMS (given encryption ${encryption} and a key)`,
      );
    }
    if (maxReceiveCount === 1) {
      Annotations.of(this).addWarningV2(
        'bosun:taskQueue:noRetries',
        'maxReceiveCount is 1: a task that fails once goes straight to the DLQ, without a retry',
      );
    }

    this.taskQueueName = props.taskQueueName;
    this.maxReceiveCount = maxReceiveCount;
    this.visibilityTimeout = visibilityTimeout;
    this.encryptionKey =
      encryption === TaskQueueEncryption.KMS
        ? (props.encryptionKey ?? new Key(this, 'Key', { enableKeyRotation: true, description: `Bosun task queue ${props.taskQueueName}` }))
        : undefined;
    const encryptionProps =
      this.encryptionKey === undefined
        ? { encryption: QueueEncryption.SQS_MANAGED }
        : { encryption: QueueEncryption.KMS, encryptionMasterKey: this.encryptionKey };

    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      queueName: props.queueName === undefined ? undefined : `${props.queueName}-dlq`,
      retentionPeriod: deadLetterRetentionPeriod,
      maxMessageSizeBytes: maxMessageSize.toBytes(),
      enforceSSL: true,
      ...encryptionProps,
    });
    this.queue = new Queue(this, 'Queue', {
      queueName: props.queueName,
      retentionPeriod,
      visibilityTimeout,
      deliveryDelay: props.deliveryDelay,
      maxMessageSizeBytes: maxMessageSize.toBytes(),
      enforceSSL: true,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount },
      ...encryptionProps,
    });
  }

  /** {@inheritDoc ITaskQueue.grantPublish} */
  public grantPublish(grantee: IGrantable): Grant {
    return this.queue.grantSendMessages(grantee);
  }

  /** {@inheritDoc ITaskQueue.grantSendToDeadLetterQueue} */
  public grantSendToDeadLetterQueue(grantee: IGrantable): Grant {
    return this.deadLetterQueue.grantSendMessages(grantee);
  }

  /** {@inheritDoc ITaskQueue.metricBacklog} */
  public metricBacklog(props?: MetricOptions): Metric {
    return this.queue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', ...props });
  }

  /** {@inheritDoc ITaskQueue.metricAgeOfOldestMessage} */
  public metricAgeOfOldestMessage(props?: MetricOptions): Metric {
    return this.queue.metricApproximateAgeOfOldestMessage({ statistic: 'Maximum', ...props });
  }

  /** {@inheritDoc ITaskQueue.metricDeadLetterDepth} */
  public metricDeadLetterDepth(props?: MetricOptions): Metric {
    return this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', ...props });
  }

  /** {@inheritDoc ITaskQueue.metricReceived} */
  public metricReceived(props?: MetricOptions): Metric {
    return this.queue.metricNumberOfMessagesReceived({ statistic: 'Sum', ...props });
  }

  /** {@inheritDoc ITaskQueue.metricDeleted} */
  public metricDeleted(props?: MetricOptions): Metric {
    return this.queue.metricNumberOfMessagesDeleted({ statistic: 'Sum', ...props });
  }
}
