import { ArnFormat, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { type IQueue, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  CONSOLE_AWS_ACCESS,
  EnvVar,
  PRODUCER_AWS_ACCESS,
  QUEUE_MOVER_AWS_ACCESS,
  STACK_OUTPUTS_AWS_ACCESS,
  STATUS_AWS_ACCESS,
  StackOutput,
  defaultRoutingDocument,
  etaScheduleGroupName,
  periodicScheduleGroupName,
  schedulesDeadLetterQueueName,
  periodicTaskInput,
  queueOutputKey,
} from '../contract';
import {
  ClaimCheckBucket,
  DEFAULT_DLQ_RETENTION,
  PlatformMonitoring,
  RoutingFlags,
  TaskConsumer,
  TaskQueue,
  TaskSchedules,
  TaskStateTable,
} from '../constructs';
import { PlatformDefinitionInvalidError } from './errors';
import {
  DEFAULT_PLATFORM,
  type PlatformDefinition,
  periodicTaskQueue,
  validatePlatformDefinition,
} from './platform-definition';

/** Stage names: lowercase, starting with a letter, short enough for every physical name that carries them. */
export const STAGE_PATTERN = /^[a-z][a-z0-9-]{0,19}$/;

/** Stages whose data outlives the stack: table retained with deletion protection on. */
export const PROTECTED_STAGES: readonly string[] = ['prod'];

/** Returns the props unchanged once the stage is valid; runs before `Stack` validates the stack name. */
function checkStage(props: PlatformStackProps): PlatformStackProps {
  if (!STAGE_PATTERN.test(props.stage)) {
    throw new PlatformDefinitionInvalidError(
      'stage',
      `stage must be 1–20 lowercase letters, digits or dashes, starting with a letter (given "${props.stage}")`,
    );
  }
  return props;
}

/** Props of {@link PlatformStack}. */
export interface PlatformStackProps extends StackProps {
  /** Deployment stage, carried by every physical name (`bosun-<stage>-…`), for example `dev` or `prod`. */
  readonly stage: string;
  /**
   * The queues, consumers and settings to deploy.
   * @default DEFAULT_PLATFORM
   */
  readonly definition?: PlatformDefinition;
  /**
   * Create an encrypted, TLS-only SNS topic the alarms notify.
   * @default false
   */
  readonly createAlarmTopic?: boolean;
}

/**
 * The Bosun platform: per queue a task queue with its DLQ and a consumer, a claim-check bucket, a task-state table,
 * AppConfig routing flags rolled back by the DLQ alarms, a dashboard, the legacy stand-in queue, and outputs that
 * give producers and the ops CLI everything they need.
 *
 * @example
 * const app = new App();
 * new PlatformStack(app, 'Bosun-dev', { stage: 'dev' });
 */
export class PlatformStack extends Stack {
  /** Task queues, in definition order. */
  public readonly taskQueues: readonly TaskQueue[];
  /** Consumers, in definition order. */
  public readonly consumers: readonly TaskConsumer[];
  public readonly claimChecks: ClaimCheckBucket;
  public readonly taskState: TaskStateTable;
  public readonly routing: RoutingFlags;
  public readonly monitoring: PlatformMonitoring;
  /** The stand-in queue of the system being migrated from, when the definition has one. */
  public readonly legacyQueue?: Queue;
  /** The Celery worker's queue named by the definition's `celeryQueue` (imported: the platform does not own it). */
  public readonly celeryQueue?: IQueue;
  /** EventBridge Scheduler: the periodic tasks' schedules, and the group and role of far-ETA one-time schedules. */
  public readonly schedules: TaskSchedules;

  public constructor(scope: Construct, id: string, props: PlatformStackProps) {
    super(scope, id, checkStage(props));
    const definition = props.definition ?? DEFAULT_PLATFORM;
    validatePlatformDefinition(definition);
    const prefix = `bosun-${props.stage}`;
    const isProtected = PROTECTED_STAGES.includes(props.stage);

    this.taskQueues = definition.queues.map(
      (queue) =>
        new TaskQueue(this, queueOutputKey(queue.name, 'Queue'), {
          taskQueueName: queue.name,
          queueName: `${prefix}-${queue.name}`,
          maxReceiveCount: queue.maxReceiveCount,
          retentionPeriod: queue.retention,
          deadLetterRetentionPeriod: DEFAULT_DLQ_RETENTION,
          visibilityTimeout: TaskQueue.visibilityTimeoutFor(queue.consumer.timeout),
          maxMessageSize: queue.maxMessageSize,
          encryption: definition.encryption,
        }),
    );

    if (definition.legacyQueue !== undefined) {
      this.legacyQueue = new Queue(this, 'LegacyQueue', {
        queueName: `${prefix}-${definition.legacyQueue}`,
        encryption: QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: DEFAULT_DLQ_RETENTION,
        visibilityTimeout: Duration.seconds(30),
      });
      Validations.of(this.legacyQueue).acknowledge({
        id: 'AwsSolutions-SQS3',
        reason:
          'Stands in for the queue of the system being migrated from: that system owns its consumers and its dead-letter handling; Bosun only sends to it.',
      });
    }

    if (definition.celeryQueue !== undefined) {
      this.celeryQueue = Queue.fromQueueArn(
        this,
        'CeleryQueue',
        this.formatArn({ service: 'sqs', resource: definition.celeryQueue, arnFormat: ArnFormat.NO_RESOURCE_NAME }),
      );
    }

    this.claimChecks = new ClaimCheckBucket(this, 'ClaimChecks', {
      claimCheckThreshold: definition.claimCheckThreshold,
    });
    this.taskState = new TaskStateTable(this, 'TaskState', {
      tableName: `${prefix}-tasks`,
      removalPolicy: isProtected ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      deletionProtection: isProtected,
    });

    this.monitoring = new PlatformMonitoring(this, 'Monitoring', {
      dashboardName: prefix,
      alarmNamePrefix: prefix,
      queueDefaults: definition.monitoring,
      createAlarmTopic: props.createAlarmTopic,
    });
    definition.queues.forEach((queue, index) => {
      this.monitoring.monitorQueue(this.taskQueues[index]!, queue.monitoring);
    });

    this.routing = new RoutingFlags(this, 'Routing', {
      applicationName: prefix,
      environmentName: props.stage,
      initialDocument: defaultRoutingDocument(definition.defaultQueue),
      rollbackAlarms: this.monitoring.deadLetterAlarms,
    });

    this.consumers = definition.queues.map((queue, index) => {
      const consumer = new TaskConsumer(this, queueOutputKey(queue.name, 'Consumer'), {
        queue: this.taskQueues[index]!,
        entry: queue.consumer.entry,
        tasks: queue.consumer.tasks,
        functionName: `${prefix}-${queue.name}-consumer`,
        timeout: queue.consumer.timeout,
        memorySize: queue.consumer.memorySize,
        batchSize: queue.consumer.batchSize,
        maxBatchingWindow: queue.consumer.maxBatchingWindow,
        maxConcurrency: queue.consumer.maxConcurrency,
        environment: { [EnvVar.STAGE]: props.stage },
      });
      consumer.bindTaskQueues(this.taskQueues);
      this.claimChecks.bindTo(consumer);
      this.taskState.bindTo(consumer);
      this.routing.bindTo(consumer);
      if (this.legacyQueue !== undefined) consumer.bindLegacyQueue(this.legacyQueue);
      if (this.celeryQueue !== undefined) consumer.bindCeleryQueue(this.celeryQueue);
      this.monitoring.monitorConsumer(consumer);
      return consumer;
    });

    this.schedules = new TaskSchedules(this, 'PeriodicTasks', {
      groupName: periodicScheduleGroupName(props.stage),
      etaGroupName: etaScheduleGroupName(props.stage),
      etaQueues: this.taskQueues,
      deadLetterQueueName: schedulesDeadLetterQueueName(props.stage),
    });
    this.monitoring.monitorSchedules(this.schedules.deadLetterQueue);
    (definition.periodicTasks ?? []).forEach((periodic, index) => {
      const queueName = periodicTaskQueue(definition, periodic, index);
      this.schedules.addPeriodicTask({
        name: periodic.name,
        queue: this.taskQueues.find((queue) => queue.taskQueueName === queueName)!,
        input: periodicTaskInput({ schedule: periodic.name, task: periodic.task.name, payload: periodic.payload, queue: queueName }),
        scheduleExpression: periodic.schedule,
        timeZone: periodic.timeZone,
        flexibleWindow: periodic.flexibleWindow,
        enabled: periodic.enabled,
        description: `Bosun periodic task: ${periodic.task.name} on ${queueName}`,
      });
    });

    this.addOutputs(props.stage);
  }

  /**
   * Grants a producer — a service's role that publishes with the SDK's `TaskClient` — exactly the access of
   * `PRODUCER_AWS_ACCESS`: `SendMessage` on every task queue (not their DLQs), on the legacy queue and on the Celery queue, with the queue
   * keys' `kms:GenerateDataKey`/`kms:Decrypt` when the queues are KMS-encrypted; the task-state records of publish and
   * cancel on the table; uploads (and their undo) under `claim-checks/`; reading the routing document; and creating
   * and deleting far-ETA one-time schedules in the ETA group, passing the ETA schedule role to Scheduler only.
   *
   * @example
   * const platform = new PlatformStack(app, 'Bosun-dev', { stage: 'dev' });
   * platform.grantPublish(ordersService.role);
   */
  public grantPublish(grantee: IGrantable): Grant {
    const sendTo = (queue: IQueue, actions: readonly string[]): Grant => {
      const send = Grant.addToPrincipal({ grantee, actions: [...actions], resourceArns: [queue.queueArn] });
      return queue.encryptionMasterKey === undefined
        ? send
        : send.combine(queue.encryptionMasterKey.grant(grantee, 'kms:GenerateDataKey', 'kms:Decrypt'));
    };
    const grants = [
      ...this.taskQueues.map((queue) => sendTo(queue.queue, PRODUCER_AWS_ACCESS.queues.taskQueues)),
      ...(this.legacyQueue === undefined ? [] : [sendTo(this.legacyQueue, PRODUCER_AWS_ACCESS.queues.legacyQueue)]),
      ...(this.celeryQueue === undefined ? [] : [sendTo(this.celeryQueue, PRODUCER_AWS_ACCESS.queues.celeryQueue)]),
      this.taskState.grantPublish(grantee),
      this.claimChecks.grantPublish(grantee),
      this.routing.grantRead(grantee),
      this.schedules.grantScheduleEtas(grantee),
    ];
    return grants.reduce((all, grant) => all.combine(grant));
  }

  /**
   * Grants an operator what `bosun move <source> --to <queue>` calls: the move engine's source actions of
   * `QUEUE_MOVER_AWS_ACCESS` on `source` only (with its key's `kms:Decrypt` when KMS-encrypted), and everything a
   * producer may do (`grantPublish`), since copies go to task queues and wrapped bodies are published.
   *
   * @example
   * platform.grantMoveFrom(migrationRole, legacyJobsQueue);
   */
  public grantMoveFrom(grantee: IGrantable, source: IQueue): Grant {
    return this.grantMoveSource(grantee, source).combine(this.grantPublish(grantee));
  }

  /**
   * Grants an operator what `bosun dlq redrive` calls: the move engine's source actions on every task queue's DLQ and
   * on the schedules' DLQ (`bosun dlq redrive schedules`), and everything a producer may do (`grantPublish`: the
   * copies, and the task-state `reopen`/`rebury` updates).
   *
   * @example
   * platform.grantRedrive(onCallRole);
   */
  public grantRedrive(grantee: IGrantable): Grant {
    return [...this.taskQueues.map((queue) => queue.deadLetterQueue), this.schedules.deadLetterQueue]
      .map((dlq) => this.grantMoveSource(grantee, dlq))
      .reduce((all, grant) => all.combine(grant))
      .combine(this.grantPublish(grantee));
  }

  /**
   * Grants reading this stack's outputs (`STACK_OUTPUTS_AWS_ACCESS` on this stack only), which
   * `taskClientOptionsFromStack` and the CLI's `--aws` do at start-up.
   *
   * @example
   * platform.grantReadOutputs(ordersService.role);
   */
  public grantReadOutputs(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({ grantee, actions: [...STACK_OUTPUTS_AWS_ACCESS.stack], resourceArns: [this.stackId] });
  }

  /**
   * Grants what `bosun status --aws` calls (`STATUS_AWS_ACCESS`): the depths of every task queue, every DLQ and the
   * schedules' DLQ, a scan of the task-state table, each queue's event source mappings (their state: enabled or
   * paused) and the age of the oldest message — the last two on `*`, since IAM cannot scope them — plus reading the
   * stack outputs (`grantReadOutputs`).
   *
   * @example
   * platform.grantReadStatus(onCallRole);
   */
  public grantReadStatus(grantee: IGrantable): Grant {
    if (Construct.isConstruct(grantee)) {
      Validations.of(grantee).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: `bosun status calls ${STATUS_AWS_ACCESS.anyResource.join(' and ')}, which support no resource-level permissions; they only read (mapping states, SQS metrics).`,
      });
    }
    const queues = [...this.taskQueues.flatMap((queue) => [queue.queue, queue.deadLetterQueue]), this.schedules.deadLetterQueue];
    return [
      Grant.addToPrincipal({ grantee, actions: [...STATUS_AWS_ACCESS.queues], resourceArns: queues.map((queue) => queue.queueArn) }),
      Grant.addToPrincipal({ grantee, actions: [...STATUS_AWS_ACCESS.table], resourceArns: [this.taskState.table.tableArn] }),
      Grant.addToPrincipal({ grantee, actions: [...STATUS_AWS_ACCESS.anyResource], resourceArns: ['*'] }),
      this.grantReadOutputs(grantee),
    ].reduce((all, grant) => all.combine(grant));
  }

  /**
   * Grants an operator what `bosun console --aws` calls: exactly `CONSOLE_AWS_ACCESS` — queue depths of every task
   * queue and DLQ and of the schedules' DLQ, each queue's event source mappings (paused or not), reading (and handing back) DLQ messages, `GetItem` on the task-state table, claim-checked payloads
   * under their prefix, and the runtime's metrics (`cloudwatch:GetMetricData`, which has no resource-level
   * permissions) — plus reading the routing document and this stack's outputs. With `allowActions`, also what its
   * redrive and delete call: `grantRedrive`.
   *
   * @example
   * platform.grantConsole(onCallRole, { allowActions: true });
   */
  public grantConsole(grantee: IGrantable, options: { readonly allowActions?: boolean } = {}): Grant {
    const queues = this.taskQueues.map((queue) => queue.queue);
    const dlqs = this.taskQueues.map((queue) => queue.deadLetterQueue);
    const onQueues = (targets: readonly IQueue[], actions: readonly string[]): Grant => {
      const grant = Grant.addToPrincipal({ grantee, actions: [...actions], resourceArns: targets.map((queue) => queue.queueArn) });
      const keys = targets.flatMap((queue) => (queue.encryptionMasterKey === undefined ? [] : [queue.encryptionMasterKey]));
      return keys.reduce((all, key) => all.combine(key.grantDecrypt(grantee)), grant);
    };
    if (Construct.isConstruct(grantee)) {
      Validations.of(grantee).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: `${[...CONSOLE_AWS_ACCESS.metrics, ...CONSOLE_AWS_ACCESS.eventSourceMappings].join(' and ')} support no resource-level permissions; the console only reads with them (the runtime's task metrics, whether each queue's consumers are paused).`,
      });
    }
    const grants = [
      onQueues([...queues, ...dlqs, this.schedules.deadLetterQueue], CONSOLE_AWS_ACCESS.queues),
      onQueues(dlqs, CONSOLE_AWS_ACCESS.deadLetterQueues),
      Grant.addToPrincipal({ grantee, actions: [...CONSOLE_AWS_ACCESS.taskStateTable.actions], resourceArns: [this.taskState.table.tableArn] }),
      this.claimChecks.grantReadClaimChecks(grantee),
      Grant.addToPrincipal({ grantee, actions: [...CONSOLE_AWS_ACCESS.metrics, ...CONSOLE_AWS_ACCESS.eventSourceMappings], resourceArns: ['*'] }),
      this.routing.grantRead(grantee),
      this.grantReadOutputs(grantee),
      ...(options.allowActions === true ? [this.grantRedrive(grantee)] : []),
    ];
    return grants.reduce((all, grant) => all.combine(grant));
  }

  private grantMoveSource(grantee: IGrantable, source: IQueue): Grant {
    const receive = Grant.addToPrincipal({ grantee, actions: [...QUEUE_MOVER_AWS_ACCESS.source], resourceArns: [source.queueArn] });
    return source.encryptionMasterKey === undefined ? receive : receive.combine(source.encryptionMasterKey.grantDecrypt(grantee));
  }

  private addOutputs(stage: string): void {
    const output = (key: string, value: string, description: string): void => {
      new CfnOutput(this, key, { value, description });
    };
    output(StackOutput.STAGE, stage, 'Deployment stage');
    output(StackOutput.BUCKET_NAME, this.claimChecks.bucket.bucketName, 'Claim-check bucket');
    output(
      StackOutput.CLAIM_CHECK_THRESHOLD_BYTES,
      String(this.claimChecks.claimCheckThreshold.toBytes()),
      'Largest envelope producers send inline, in bytes; larger payloads go to the claim-check bucket',
    );
    output(StackOutput.TABLE_NAME, this.taskState.table.tableName, 'Task-state table');
    output(StackOutput.APPCONFIG_APPLICATION_ID, this.routing.application.applicationId, 'AppConfig application of the routing flags');
    output(StackOutput.APPCONFIG_ENVIRONMENT_ID, this.routing.environment.environmentId, 'AppConfig environment of the routing flags');
    output(StackOutput.APPCONFIG_PROFILE_ID, this.routing.configuration.configurationProfileId, 'AppConfig configuration profile of the routing document');
    output(StackOutput.ETA_SCHEDULE_GROUP, this.schedules.etaGroup.ref, 'Schedule group of far-ETA one-time schedules');
    output(StackOutput.ETA_SCHEDULE_ROLE_ARN, this.schedules.etaRole.roleArn, 'Role far-ETA schedules send with (producers pass it)');
    output(StackOutput.ETA_SCHEDULE_DLQ_ARN, this.schedules.deadLetterQueue.queueArn, 'DLQ of schedule firings Scheduler could not deliver');
    output(StackOutput.SCHEDULES_DLQ_URL, this.schedules.deadLetterQueue.queueUrl, 'URL of the DLQ of schedule firings Scheduler could not deliver');
    output(StackOutput.QUEUE_NAMES, JSON.stringify(this.taskQueues.map((q) => q.taskQueueName)), 'Bosun queue names, in definition order (JSON array)');
    if (this.legacyQueue !== undefined) {
      output(StackOutput.LEGACY_QUEUE_URL, this.legacyQueue.queueUrl, 'Queue of the system being migrated from (legacy destination)');
    }
    if (this.celeryQueue !== undefined) {
      output(StackOutput.CELERY_QUEUE_URL, this.celeryQueue.queueUrl, 'Queue of the Celery worker a celeryDestination hands tasks to');
    }
    for (const queue of this.taskQueues) {
      const name = queue.taskQueueName;
      output(queueOutputKey(name, StackOutput.QUEUE_URL_SUFFIX), queue.queue.queueUrl, `URL of queue ${name}`);
      output(queueOutputKey(name, StackOutput.QUEUE_ARN_SUFFIX), queue.queue.queueArn, `ARN of queue ${name}`);
      output(queueOutputKey(name, StackOutput.DLQ_URL_SUFFIX), queue.deadLetterQueue.queueUrl, `URL of the DLQ of queue ${name}`);
      output(queueOutputKey(name, StackOutput.DLQ_ARN_SUFFIX), queue.deadLetterQueue.queueArn, `ARN of the DLQ of queue ${name}`);
    }
  }
}
