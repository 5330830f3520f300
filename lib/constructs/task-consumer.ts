import { isAbsolute, join } from 'node:path';
import { Annotations, Duration, Stack, Token, Validations } from 'aws-cdk-lib';
import { type Metric, type MetricOptions } from 'aws-cdk-lib/aws-cloudwatch';
import { Grant, type IGrantable, type IPrincipal, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LoggingFormat } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { type BundlingOptions, NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { type IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct, type IConstruct } from 'constructs';
import { CONSUMER_AWS_ACCESS, EnvVar, Limits, METRICS_NAMESPACE } from '../contract';
import { CONSUMER_ARCHITECTURE, CONSUMER_BUNDLING, CONSUMER_RUNTIME } from './consumer-bundling';
import { ConstructPropsInvalidError } from './errors';
import { findProjectRoot } from './project-root';
import { type ITaskQueue } from './task-queue';
import { between, validateProps } from './validation';

export { METRICS_NAMESPACE };

/**
 * A Lambda consumer other constructs can bind to: each resource construct's `bindTo(consumer)` sets the env vars the
 * runtime reads and grants exactly the access they imply, in one call.
 */
export interface ITaskConsumer extends IConstruct, IGrantable {
  /** The consumer function. */
  readonly function: NodejsFunction;
  /** Sets one environment variable of the consumer function. */
  addEnvironment(name: string, value: string): void;
}

/**
 * What the consumer needs to know of one task it runs to check it at synth; a runtime `defineTask(...)` result
 * satisfies it structurally.
 */
export interface ConsumerTask {
  /** Task name, for example `email.send`. */
  readonly name: string;
  /** Attempts the task may use in all; at most the queue's `maxReceiveCount`, or SQS dead-letters it early. */
  readonly maxAttempts: number;
  /** Longest time one attempt may run, in seconds; plus the runtime's safety margin, at most the function timeout. */
  readonly timeLimitSeconds: number;
}

/**
 * Time the consumer runtime keeps between an attempt's time limit and the invocation's end, to record the outcome
 * (the runtime's `DEFAULT_SAFETY_MARGIN_MS`): an attempt starts only if its time limit plus this margin is left.
 */
export const TASK_TIME_LIMIT_SAFETY_MARGIN = Duration.seconds(2);

/** Props of {@link TaskConsumer}. */
export interface TaskConsumerProps {
  /** The task queue this consumer serves; its event source reads from it and failures go to its DLQ. */
  readonly queue: ITaskQueue;
  /**
   * The tasks the entry registers. Each task's `maxAttempts` must be at most the queue's `maxReceiveCount`, and its
   * `timeLimitSeconds` plus {@link TASK_TIME_LIMIT_SAFETY_MARGIN} at most `timeout`: otherwise SQS dead-letters the
   * task before its attempts run out, or the task can never start.
   */
  readonly tasks: readonly ConsumerTask[];
  /** Entry file exporting `handler`, absolute or relative to `projectRoot`, for example `lambdas/default-consumer.ts`. */
  readonly entry: string;
  /**
   * Folder relative entries, the lockfile and esbuild resolve against.
   * @default - the nearest folder above this module that holds a package-lock.json
   */
  readonly projectRoot?: string;
  /**
   * Function timeout: the longest one batch may run. 1–900 s; the queue's visibility timeout must be at least this
   * (AWS recommends 6 ×).
   * @default Duration.seconds(60)
   */
  readonly timeout?: Duration;
  /**
   * Function memory in MiB (CPU scales with it). 128–10240.
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * Most messages per batch. 1–10000; above 10 needs a `maxBatchingWindow`.
   * @default 10
   */
  readonly batchSize?: number;
  /**
   * How long the event source gathers a batch before invoking. 0–300 s.
   * @default Duration.seconds(0)
   */
  readonly maxBatchingWindow?: Duration;
  /**
   * Most concurrent invocations the event source drives. 2–1000. Bosun caps concurrency here rather than with
   * reserved concurrency: a throttled invocation still counts as a receive and pushes tasks to the DLQ unprocessed.
   * @default 10
   */
  readonly maxConcurrency?: number;
  /**
   * Extra environment variables.
   * @default - only the variables Bosun binds
   */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * Physical function name.
   * @default - a name CloudFormation generates
   */
  readonly functionName?: string;
  /**
   * Retention of the function's log group.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * Powertools log level (`DEBUG`, `INFO`, `WARN`, `ERROR`).
   * @default 'INFO'
   */
  readonly logLevel?: string;
  /**
   * esbuild options.
   * @default CONSUMER_BUNDLING
   */
  readonly bundling?: BundlingOptions;
}

const DEFAULT_TIMEOUT = Duration.seconds(60);
const DEFAULT_MEMORY_MIB = 512;
const DEFAULT_BATCH_SIZE = 10;
const DEFAULT_MAX_CONCURRENCY = 10;
const MIN_MEMORY_MIB = 128;
const MAX_MEMORY_MIB = 10_240;

/**
 * A Bosun consumer: a `NodejsFunction` (Node.js 22, arm64, bundled by the local esbuild) with an SQS event source
 * that reports partial batch failures and caps concurrency with `maxConcurrency`. Binds its own queue's env vars
 * together with the grants they imply; other resources bind with their `bindTo(consumer)`.
 *
 * @example
 * const consumer = new TaskConsumer(this, 'DefaultConsumer', {
 *   queue,
 *   entry: 'lambdas/default-consumer.ts',
 *   tasks: exampleTasks,
 *   timeout: Duration.seconds(60),
 *   batchSize: 10,
 *   maxConcurrency: 10,
 * });
 * consumer.bindTaskQueues([queue, bulkQueue]);
 */
export class TaskConsumer extends Construct implements ITaskConsumer {
  /** The consumer function. */
  public readonly function: NodejsFunction;
  /** The function's role, to grant to. */
  public readonly grantPrincipal: IPrincipal;
  /** The queue this consumer serves. */
  public readonly queue: ITaskQueue;
  /** The function's log group. */
  public readonly logGroup: LogGroup;
  /** The SQS event source mapping that feeds the function from its queue. */
  public readonly eventSource: SqsEventSource;

  public constructor(scope: Construct, id: string, props: TaskConsumerProps) {
    super(scope, id);
    const timeout = props.timeout ?? DEFAULT_TIMEOUT;
    const batchSize = props.batchSize ?? DEFAULT_BATCH_SIZE;
    const maxConcurrency = props.maxConcurrency ?? DEFAULT_MAX_CONCURRENCY;
    const memorySize = props.memorySize ?? DEFAULT_MEMORY_MIB;
    const visibility = props.queue.visibilityTimeout;

    validateProps(this, [
      { prop: 'timeout', value: timeout, check: between(1, Limits.LAMBDA_MAX_TIMEOUT_SECONDS, 's') },
      { prop: 'memorySize', value: memorySize, check: between(MIN_MEMORY_MIB, MAX_MEMORY_MIB, 'MiB') },
      { prop: 'batchSize', value: batchSize, check: between(1, Limits.ESM_MAX_BATCH_SIZE) },
      {
        prop: 'maxBatchingWindow',
        value: props.maxBatchingWindow,
        check: between(0, Limits.ESM_MAX_BATCHING_WINDOW_SECONDS, 's'),
      },
      {
        prop: 'maxConcurrency',
        value: maxConcurrency,
        check: between(Limits.ESM_MIN_MAX_CONCURRENCY, Limits.ESM_MAX_MAX_CONCURRENCY),
      },
      {
        prop: 'visibilityTimeout',
        value: visibility,
        check: (seconds, given) =>
          timeout.isUnresolved() || seconds >= timeout.toSeconds()
            ? undefined
            : `of queue ${props.queue.taskQueueName} must be at least the function timeout (${timeout.toSeconds()} s), and AWS recommends ${Limits.VISIBILITY_TO_FUNCTION_TIMEOUT_RATIO} × (${timeout.toSeconds() * Limits.VISIBILITY_TO_FUNCTION_TIMEOUT_RATIO} s) (given ${given})`,
      },
    ]);
    const windowSeconds = props.maxBatchingWindow?.isUnresolved() ? 1 : (props.maxBatchingWindow?.toSeconds() ?? 0);
    if (batchSize > Limits.ESM_MAX_BATCH_SIZE_WITHOUT_WINDOW && windowSeconds === 0) {
      throw new ConstructPropsInvalidError(
        this.node.path,
        'maxBatchingWindow',
        `${windowSeconds} s`,
        `maxBatchingWindow must be at least 1 s when batchSize is above ${Limits.ESM_MAX_BATCH_SIZE_WITHOUT_WINDOW} (given ${windowSeconds} s with batchSize ${batchSize})`,
      );
    }
    if (
      !visibility.isUnresolved() &&
      !timeout.isUnresolved() &&
      visibility.toSeconds() < timeout.toSeconds() * Limits.VISIBILITY_TO_FUNCTION_TIMEOUT_RATIO
    ) {
      Annotations.of(this).addWarningV2(
        'bosun:taskConsumer:shortVisibilityTimeout',
        `visibilityTimeout of queue ${props.queue.taskQueueName} is ${visibility.toSeconds()} s, under ${Limits.VISIBILITY_TO_FUNCTION_TIMEOUT_RATIO} × the function timeout (${timeout.toSeconds() * Limits.VISIBILITY_TO_FUNCTION_TIMEOUT_RATIO} s): retried batches may be delivered twice`,
      );
    }

    this.validateTasks(props.tasks, props.queue, timeout);

    const projectRoot = props.projectRoot ?? findProjectRoot(__dirname);
    this.queue = props.queue;
    this.logGroup = new LogGroup(this, 'LogGroup', { retention: props.logRetention ?? RetentionDays.ONE_MONTH });
    // An explicit role without the AWSLambdaBasicExecutionRole managed policy: logs go to this log group only.
    const role = new Role(this, 'Role', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    this.logGroup.grantWrite(role);
    this.function = new NodejsFunction(this, 'Function', {
      entry: isAbsolute(props.entry) ? props.entry : join(projectRoot, props.entry),
      handler: 'handler',
      projectRoot,
      depsLockFilePath: join(projectRoot, 'package-lock.json'),
      runtime: CONSUMER_RUNTIME,
      architecture: CONSUMER_ARCHITECTURE,
      functionName: props.functionName,
      timeout,
      memorySize,
      role,
      logGroup: this.logGroup,
      loggingFormat: LoggingFormat.JSON,
      bundling: props.bundling ?? CONSUMER_BUNDLING,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: `bosun-${props.queue.taskQueueName}`,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        POWERTOOLS_LOG_LEVEL: props.logLevel ?? 'INFO',
        ...props.environment,
      },
    });
    this.function.node.addDependency(role);
    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Pinned to nodejs22.x, an LTS runtime Lambda supports until 2027, matching the esbuild target (node22) the bundle and its tests are built for; moving to a newer runtime is a deliberate change of CONSUMER_RUNTIME and the target together.',
    });
    this.grantPrincipal = this.function.grantPrincipal;

    this.eventSource = new SqsEventSource(props.queue.queue, {
      batchSize,
      maxBatchingWindow: props.maxBatchingWindow,
      maxConcurrency,
      reportBatchItemFailures: true,
    });
    this.function.addEventSource(this.eventSource);
    this.addEnvironment(EnvVar.QUEUE_NAME, props.queue.taskQueueName);
    this.addEnvironment(EnvVar.QUEUE_URL, props.queue.queue.queueUrl);
    this.addEnvironment(EnvVar.MAX_RECEIVE_COUNT, String(props.queue.maxReceiveCount));
    this.addEnvironment(EnvVar.DLQ_URL, props.queue.deadLetterQueue.queueUrl);
    props.queue.grantSendToDeadLetterQueue(this);
    this.acknowledgeKeyGrant(props.queue.deadLetterQueue);
  }

  /**
   * Lets an operator's role (or a deploy pipeline's) pause and resume this consumer as `bosun pause`, `resume` and
   * `drain` do: `lambda:GetEventSourceMapping` and `lambda:UpdateEventSourceMapping` on this consumer's mapping,
   * `lambda:ListEventSourceMappings` (which IAM cannot limit to a resource) and `sqs:GetQueueAttributes` on its queue
   * (the CLI finds the mapping by the queue's ARN). Pair it with `TaskStateTable.grantListRunning` for a drain.
   *
   * @example
   * consumer.grantPauseConsumption(deployRole);
   */
  public grantPauseConsumption(grantee: IGrantable): Grant {
    const mapping = Grant.addToPrincipal({
      grantee,
      actions: ['lambda:GetEventSourceMapping', 'lambda:UpdateEventSourceMapping'],
      resourceArns: [this.eventSource.eventSourceMappingArn],
    });
    Grant.addToPrincipal({ grantee, actions: ['lambda:ListEventSourceMappings'], resourceArns: ['*'] });
    this.queue.queue.grant(grantee, 'sqs:GetQueueAttributes');
    return mapping;
  }

  /** Throws {@link ConstructPropsInvalidError} for the first task the queue or the function timeout cannot run. */
  private validateTasks(tasks: readonly ConsumerTask[], queue: ITaskQueue, timeout: Duration): void {
    const maxReceiveCount = queue.maxReceiveCount;
    const marginSeconds = TASK_TIME_LIMIT_SAFETY_MARGIN.toSeconds();
    for (const task of tasks) {
      if (!Token.isUnresolved(maxReceiveCount) && task.maxAttempts > maxReceiveCount) {
        throw new ConstructPropsInvalidError(
          this.node.path,
          'tasks',
          String(task.maxAttempts),
          `task "${task.name}": maxAttempts ${task.maxAttempts} exceeds the max receive count ${maxReceiveCount} of queue ${queue.taskQueueName}; raise maxReceiveCount or lower maxAttempts`,
        );
      }
      if (!timeout.isUnresolved() && task.timeLimitSeconds + marginSeconds > timeout.toSeconds()) {
        throw new ConstructPropsInvalidError(
          this.node.path,
          'tasks',
          `${task.timeLimitSeconds} s`,
          `task "${task.name}": timeLimitSeconds ${task.timeLimitSeconds} plus the ${marginSeconds} s safety margin exceeds the timeout ${timeout.toSeconds()} s of the consumer of queue ${queue.taskQueueName}; raise the timeout or lower timeLimitSeconds`,
        );
      }
    }
  }

  /** Sets one environment variable of the consumer function. */
  public addEnvironment(name: string, value: string): void {
    this.function.addEnvironment(name, value);
  }

  /**
   * Lets the consumer send to every listed Bosun queue (ETA re-sends, reroutes) and tells it their URLs in
   * `BOSUN_QUEUE_URLS` (a JSON object of queue name → URL).
   *
   * @example
   * consumer.bindTaskQueues([defaultQueue, bulkQueue]);
   */
  public bindTaskQueues(queues: readonly ITaskQueue[]): void {
    const urls: Record<string, string> = {};
    for (const queue of queues) {
      urls[queue.taskQueueName] = queue.queue.queueUrl;
      queue.grantPublish(this);
      this.acknowledgeKeyGrant(queue.queue);
    }
    this.addEnvironment(EnvVar.QUEUE_URLS, Stack.of(this).toJsonString(urls));
  }

  /**
   * Lets the consumer hand tasks to the queue of the system being migrated from, whose URL it reads from
   * `BOSUN_LEGACY_QUEUE_URL`.
   *
   * @example
   * consumer.bindLegacyQueue(legacyInbox);
   */
  public bindLegacyQueue(queue: IQueue): void {
    this.addEnvironment(EnvVar.LEGACY_QUEUE_URL, queue.queueUrl);
    queue.grantSendMessages(this);
  }

  /**
   * Lets the consumer hand tasks to a Celery worker's SQS queue (a `celeryDestination`), whose URL it reads from
   * `BOSUN_CELERY_QUEUE_URL`: exactly `CONSUMER_AWS_ACCESS.queues.celeryQueue` on that queue.
   *
   * @example
   * consumer.bindCeleryQueue(Queue.fromQueueArn(stack, 'Celery', 'arn:aws:sqs:eu-west-1:123456789012:celery'));
   */
  public bindCeleryQueue(queue: IQueue): void {
    this.addEnvironment(EnvVar.CELERY_QUEUE_URL, queue.queueUrl);
    Grant.addToPrincipal({ grantee: this, actions: [...CONSUMER_AWS_ACCESS.queues.celeryQueue], resourceArns: [queue.queueArn] });
    if (queue.encryptionMasterKey !== undefined) queue.encryptionMasterKey.grant(this, 'kms:GenerateDataKey', 'kms:Decrypt');
  }

  /** Acknowledges the wildcard KMS actions that sending to a KMS-encrypted queue requires, scoped to that key. */
  private acknowledgeKeyGrant(queue: IQueue): void {
    if (queue.encryptionMasterKey === undefined) return;
    for (const action of ['kms:ReEncrypt*', 'kms:GenerateDataKey*']) {
      Validations.of(this).acknowledge({
        id: `AwsSolutions-IAM5[Action::${action}]`,
        reason:
          'Sending to a KMS-encrypted queue needs the kms:ReEncrypt* and kms:GenerateDataKey* action families (as granted by sqs grantSendMessages); the grant is limited to the queue keys.',
      });
    }
  }

  /** Invocations of the consumer function. */
  public metricInvocations(props?: MetricOptions): Metric {
    return this.function.metricInvocations({ statistic: 'Sum', ...props });
  }

  /** Invocations that ended in an error (a failed batch, not a failed task: tasks fail through partial batch responses). */
  public metricErrors(props?: MetricOptions): Metric {
    return this.function.metricErrors({ statistic: 'Sum', ...props });
  }

  /** Throttled invocations. */
  public metricThrottles(props?: MetricOptions): Metric {
    return this.function.metricThrottles({ statistic: 'Sum', ...props });
  }

  /** Invocation duration. */
  public metricDuration(props?: MetricOptions): Metric {
    return this.function.metricDuration({ statistic: 'p99', ...props });
  }
}
