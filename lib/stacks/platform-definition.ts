import { Duration, Size } from 'aws-cdk-lib';
import {
  Limits,
  PERIODIC_TASK_NAME_PATTERN,
  SCHEDULE_INPUT_MAX_CHARS,
  ScheduleExpressionInvalidError,
  type TaskDeclaration,
  parseScheduleExpression,
  periodicTaskInput,
  SCHEDULES_DLQ_NAME,
} from '../contract';
import { isKnownTimeZone } from '../schedules/next-firings';
import { type ConsumerTask, type QueueMonitoringOptions, TaskQueueEncryption } from '../constructs';
import { bulkTasks, demoFlaky, emailSend, exampleTasks } from '../../lambdas/tasks';
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

/**
 * A task published on a schedule by EventBridge Scheduler (Celery beat's periodic tasks, without a beat process).
 * Every firing is a distinct task whose id is `<name>@<scheduled time>`, so a duplicate firing runs once. Build one
 * with {@link periodicTask} so the payload is type-checked against the task's schema.
 */
export interface PeriodicTaskDefinition<TPayload = unknown> {
  /** Name of the periodic task and its schedule: 1–40 lowercase letters, digits or dashes, starting with a letter. */
  readonly name: string;
  /** The task to publish (a `defineTask(...)` result); a consumer of `queue` must register it. */
  readonly task: TaskDeclaration<TPayload>;
  /** The payload every firing carries; checked against the task's schema at synth, at most ~8 KB as JSON. */
  readonly payload: TPayload;
  /**
   * When it fires: `cron(min hour day-of-month month day-of-week year)` (AWS's six fields, `?` in one day field,
   * day-of-week 1-7 = SUN-SAT) or `rate(<n> minute(s)|hour(s)|day(s))`.
   */
  readonly schedule: string;
  /** Queue the firings go to. @default - the first queue whose consumer registers the task */
  readonly queue?: string;
  /** IANA time zone of a cron expression, for example `Europe/Paris`. @default 'UTC' */
  readonly timeZone?: string;
  /** Lets Scheduler fire up to this much later to spread load, 1–1440 minutes. @default - fires on time */
  readonly flexibleWindow?: Duration;
  /** Whether it fires. @default true */
  readonly enabled?: boolean;
}

/**
 * Types a periodic task's payload against its task's schema.
 *
 * @example
 * periodicTask({ name: 'nightly-digest', task: emailSend, payload: { to: 'ops@example.com', subject: 'digest' }, schedule: 'cron(0 3 * * ? *)' });
 */
export function periodicTask<TPayload>(definition: PeriodicTaskDefinition<TPayload>): PeriodicTaskDefinition {
  return definition as PeriodicTaskDefinition;
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
  /**
   * Name of an existing SQS queue, in the stack's account and region, that a Celery worker reads (`celery -Q <name>`
   * with the SQS broker): producers and consumers may hand tasks to it through a `celeryDestination`, whose URL they
   * read from `BOSUN_CELERY_QUEUE_URL` or the `CeleryQueueUrl` output. The platform does not create or own it.
   * @default - none
   */
  readonly celeryQueue?: string;
  /** Envelope size above which payloads go to the claim-check bucket; at most every queue's `maxMessageSize`. */
  readonly claimCheckThreshold: Size;
  /** Encryption at rest of every queue. */
  readonly encryption: TaskQueueEncryption;
  /** Alarm thresholds applied to every queue. @default - the PlatformMonitoring defaults */
  readonly monitoring?: QueueMonitoringOptions;
  /** Tasks EventBridge Scheduler publishes on a cron or rate schedule. @default - none */
  readonly periodicTasks?: readonly PeriodicTaskDefinition[];
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
  periodicTasks: [
    periodicTask({
      name: 'nightly-digest',
      task: emailSend,
      payload: { to: 'ops@example.com', subject: 'Nightly digest' },
      schedule: 'cron(0 3 * * ? *)',
      timeZone: 'Europe/Paris',
    }),
    periodicTask({ name: 'heartbeat', task: demoFlaky, payload: {}, schedule: 'rate(5 minutes)' }),
  ],
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
    if (queue.name === SCHEDULES_DLQ_NAME) {
      throw new PlatformDefinitionInvalidError(
        `queues[${index}].name`,
        `queues[${index}].name must not be "${SCHEDULES_DLQ_NAME}": its DLQ would be named like the schedules' DLQ (bosun-<stage>-${SCHEDULES_DLQ_NAME}-dlq), and the CLI addresses that DLQ by this name (given "${queue.name}")`,
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
  (definition.periodicTasks ?? []).forEach((periodic, index) => validatePeriodicTask(definition, periodic, index));
  if (definition.legacyQueue !== undefined) {
    if (!QUEUE_NAME_PATTERN.test(definition.legacyQueue) || seen.has(definition.legacyQueue)) {
      throw new PlatformDefinitionInvalidError(
        'legacyQueue',
        `legacyQueue must be 1–40 lowercase letters, digits or dashes and differ from every Bosun queue (given "${definition.legacyQueue}")`,
      );
    }
  }
  if (definition.celeryQueue !== undefined && !SQS_QUEUE_NAME_PATTERN.test(definition.celeryQueue)) {
    throw new PlatformDefinitionInvalidError(
      'celeryQueue',
      `celeryQueue must be an SQS queue name: 1–80 letters, digits, hyphens or underscores, standard (no .fifo) (given "${definition.celeryQueue}")`,
    );
  }
}

/** An SQS standard queue's name as SQS accepts it. */
const SQS_QUEUE_NAME_PATTERN = /^[A-Za-z0-9_-]{1,80}$/;

/** Longest flexible window Scheduler allows, in minutes (one day). */
const MAX_FLEXIBLE_WINDOW_MINUTES = 1440;

/**
 * The queue a periodic task's firings go to: its `queue`, or the first queue whose consumer registers the task.
 * Throws {@link PlatformDefinitionInvalidError} when there is none or the named queue does not run the task.
 *
 * @example
 * periodicTaskQueue(DEFAULT_PLATFORM, DEFAULT_PLATFORM.periodicTasks![0]!, 0); // 'default'
 */
export function periodicTaskQueue(definition: PlatformDefinition, periodic: PeriodicTaskDefinition, index: number): string {
  const field = `periodicTasks[${index}]`;
  const runs = (queue: QueueDefinition): boolean => queue.consumer.tasks.some((task) => task.name === periodic.task.name);
  if (periodic.queue !== undefined) {
    const queue = definition.queues.find((candidate) => candidate.name === periodic.queue);
    if (queue === undefined) {
      throw new PlatformDefinitionInvalidError(
        `${field}.queue`,
        `${field}.queue must be one of the queues (${definition.queues.map((q) => q.name).join(', ')}) (given "${periodic.queue}")`,
      );
    }
    if (!runs(queue)) {
      throw new PlatformDefinitionInvalidError(
        `${field}.task`,
        `${field}.task must be registered by the consumer of queue ${queue.name} (registers: ${queue.consumer.tasks.map((t) => t.name).join(', ')}) (given "${periodic.task.name}")`,
      );
    }
    return queue.name;
  }
  const queue = definition.queues.find(runs);
  if (queue === undefined) {
    throw new PlatformDefinitionInvalidError(
      `${field}.task`,
      `${field}.task must be registered by a consumer of one of the queues (given "${periodic.task.name}", which none registers)`,
    );
  }
  return queue.name;
}

function validatePeriodicTask(definition: PlatformDefinition, periodic: PeriodicTaskDefinition, index: number): void {
  const field = `periodicTasks[${index}]`;
  const fail = (at: string, message: string): never => {
    throw new PlatformDefinitionInvalidError(`${field}.${at}`, `${field}.${at} ${message}`);
  };
  if (!PERIODIC_TASK_NAME_PATTERN.test(periodic.name)) {
    fail('name', `must be 1–40 lowercase letters, digits or dashes, starting with a letter (given "${periodic.name}")`);
  }
  if ((definition.periodicTasks ?? []).findIndex((other) => other.name === periodic.name) !== index) {
    fail('name', `must be unique (given "${periodic.name}" twice)`);
  }
  try {
    const expression = parseScheduleExpression(periodic.schedule);
    if (expression.kind === 'at') fail('schedule', `must be a cron(...) or rate(...) expression; at(...) fires once (given "${periodic.schedule}")`);
  } catch (error) {
    if (error instanceof ScheduleExpressionInvalidError) fail('schedule', `is not a valid schedule: ${error.message}`);
    throw error;
  }
  if (periodic.timeZone !== undefined && !isKnownTimeZone(periodic.timeZone)) {
    fail('timeZone', `must be an IANA time zone such as Europe/Paris or UTC (given "${periodic.timeZone}")`);
  }
  const window = periodic.flexibleWindow?.toMinutes({ integral: false });
  if (window !== undefined && (!Number.isInteger(window) || window < 1 || window > MAX_FLEXIBLE_WINDOW_MINUTES)) {
    fail('flexibleWindow', `must be a whole number of minutes between 1 and ${MAX_FLEXIBLE_WINDOW_MINUTES} (given ${window} minutes)`);
  }
  const queue = periodicTaskQueue(definition, periodic, index);
  const parsed = periodic.task.schema.safeParse(periodic.payload);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`);
    fail('payload', `must match the schema of task ${periodic.task.name} (${issues.join('; ')})`);
  }
  const inputChars = periodicTaskInput({ schedule: periodic.name, task: periodic.task.name, payload: periodic.payload, queue }).length;
  if (inputChars > SCHEDULE_INPUT_MAX_CHARS) {
    fail('payload', `makes an envelope of ${inputChars} characters; a schedule's input holds at most ${SCHEDULE_INPUT_MAX_CHARS} (publish large payloads with the SDK, which claim-checks them)`);
  }
}
