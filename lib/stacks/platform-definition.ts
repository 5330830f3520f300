import { Duration, Size } from 'aws-cdk-lib';
import { Limits } from '../contract';
import { type ConsumerTask, type QueueMonitoringOptions, TaskQueueEncryption } from '../constructs';
import { bulkTasks, exampleTasks } from '../../lambdas/tasks';
import { PlatformDefinitionInvalidError } from './errors';

/** How one queue's consumer function runs. */
export interface ConsumerDefinition {
  /** Entry file exporting `handler`, relative to the project root, for example `lambdas/default-consumer.ts`. */
  readonly entry: string;
  /**
   * The tasks `entry` registers (its `defineTask(...)` results). Checked at synth: each task's `maxAttempts` at most
   * the queue's `maxReceiveCount`, and its time limit plus the runtime's 2 s safety margin at most `timeout`.
   */
  readonly tasks: readonly ConsumerTask[];
  /** Function timeout, 1–900 s; the queue's visibility timeout is derived from it (6 ×). */
  readonly timeout: Duration;
  /** Function memory in MiB, 128–10240. */
  readonly memorySize: number;
  /** Most messages per batch, 1–10000 (above 10 needs a batching window). */
  readonly batchSize: number;
  /** How long the event source gathers a batch, 0–300 s. */
  readonly maxBatchingWindow: Duration;
  /** Most concurrent invocations, 2–1000. */
  readonly maxConcurrency: number;
}

/** One Bosun queue: the queue, its DLQ and its consumer. */
export interface QueueDefinition {
  /** Logical name: lowercase letters, digits and dashes, for example `default`. Used in routing documents. */
  readonly name: string;
  /** The consumer that runs this queue's tasks. */
  readonly consumer: ConsumerDefinition;
  /** Attempts before a task moves to the DLQ, 1–1000. */
  readonly maxReceiveCount: number;
  /** How long the queue keeps a task, 60 s–14 days (the DLQ keeps it 14 days). */
  readonly retention: Duration;
  /** Largest message the queue accepts, 1 KiB–1 MiB. @default Size.mebibytes(1) */
  readonly maxMessageSize?: Size;
  /** Alarm thresholds of this queue. @default - the platform's monitoring defaults */
  readonly monitoring?: QueueMonitoringOptions;
}

/** The whole platform, in one typed place: what `cdk deploy` creates. */
export interface PlatformDefinition {
  /** The queues, in order; at least one. */
  readonly queues: readonly QueueDefinition[];
  /** Queue every task goes to in the initial routing document; one of `queues`. */
  readonly defaultQueue: string;
  /**
   * Logical name of the stand-in queue of the system being migrated from (the example `legacy` destination forwards
   * to it), or `undefined` for none.
   */
  readonly legacyQueue?: string;
  /** Envelope size above which payloads go to the claim-check bucket; at most every queue's `maxMessageSize`. */
  readonly claimCheckThreshold: Size;
  /** Encryption at rest of every queue. */
  readonly encryption: TaskQueueEncryption;
  /** Alarm thresholds applied to every queue. @default - the PlatformMonitoring defaults */
  readonly monitoring?: QueueMonitoringOptions;
}

/**
 * The platform `bin/app.ts` deploys: `default` runs every example task; `bulk` takes large batches of
 * `report.render` and `email.send`; `legacy-inbox` stands in for the queue of the system being migrated from.
 *
 * @example
 * new PlatformStack(app, 'Bosun-dev', { stage: 'dev', definition: DEFAULT_PLATFORM });
 */
export const DEFAULT_PLATFORM: PlatformDefinition = {
  queues: [
    {
      name: 'default',
      consumer: {
        entry: 'lambdas/default-consumer.ts',
        tasks: exampleTasks,
        timeout: Duration.seconds(30),
        memorySize: 512,
        batchSize: 10,
        maxBatchingWindow: Duration.seconds(0),
        maxConcurrency: 10,
      },
      maxReceiveCount: 5,
      retention: Duration.days(4),
    },
    {
      name: 'bulk',
      consumer: {
        entry: 'lambdas/bulk-consumer.ts',
        tasks: bulkTasks,
        timeout: Duration.minutes(5),
        memorySize: 1024,
        batchSize: 100,
        maxBatchingWindow: Duration.seconds(5),
        maxConcurrency: 5,
      },
      maxReceiveCount: 5,
      retention: Duration.days(4),
      monitoring: { ageOfOldestMessage: { warning: Duration.hours(1), critical: Duration.hours(6) } },
    },
  ],
  defaultQueue: 'default',
  legacyQueue: 'legacy-inbox',
  claimCheckThreshold: Size.bytes(Limits.DEFAULT_CLAIM_CHECK_THRESHOLD_BYTES),
  encryption: TaskQueueEncryption.SQS_MANAGED,
};

/** Queue names: lowercase, starting with a letter, short enough for `bosun-<stage>-<name>-dlq` to fit 80 characters. */
export const QUEUE_NAME_PATTERN = /^[a-z][a-z0-9-]{0,39}$/;

/**
 * Checks what the constructs cannot see on their own: names, uniqueness, the default queue, and the claim-check
 * threshold against each queue's message size. Throws {@link PlatformDefinitionInvalidError}.
 *
 * @example
 * validatePlatformDefinition(DEFAULT_PLATFORM);
 */
export function validatePlatformDefinition(definition: PlatformDefinition): void {
  if (definition.queues.length === 0) {
    throw new PlatformDefinitionInvalidError('queues', 'queues must list at least one queue (given none)');
  }
  const seen = new Set<string>();
  definition.queues.forEach((queue, index) => {
    if (!QUEUE_NAME_PATTERN.test(queue.name)) {
      throw new PlatformDefinitionInvalidError(
        `queues[${index}].name`,
        `queues[${index}].name must be 1–40 lowercase letters, digits or dashes, starting with a letter (given "${queue.name}")`,
      );
    }
    if (seen.has(queue.name)) {
      throw new PlatformDefinitionInvalidError(
        `queues[${index}].name`,
        `queues[${index}].name must be unique (given "${queue.name}" twice)`,
      );
    }
    seen.add(queue.name);
    const maxMessageBytes = queue.maxMessageSize?.toBytes() ?? Limits.SQS_MAX_MESSAGE_BYTES;
    if (definition.claimCheckThreshold.toBytes() > maxMessageBytes) {
      throw new PlatformDefinitionInvalidError(
        'claimCheckThreshold',
        `claimCheckThreshold must not exceed the maxMessageSize of queue ${queue.name} (${maxMessageBytes} bytes) (given ${definition.claimCheckThreshold.toBytes()} bytes)`,
      );
    }
  });
  if (!seen.has(definition.defaultQueue)) {
    throw new PlatformDefinitionInvalidError(
      'defaultQueue',
      `defaultQueue must be one of the queues (${[...seen].join(', ')}) (given "${definition.defaultQueue}")`,
    );
  }
  if (definition.legacyQueue !== undefined) {
    if (!QUEUE_NAME_PATTERN.test(definition.legacyQueue) || seen.has(definition.legacyQueue)) {
      throw new PlatformDefinitionInvalidError(
        'legacyQueue',
        `legacyQueue must be 1–40 lowercase letters, digits or dashes and differ from every Bosun queue (given "${definition.legacyQueue}")`,
      );
    }
  }
}
