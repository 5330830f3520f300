import { Arn, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Grant, type IGrantable, type IRole, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { type IQueue, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { CfnSchedule, CfnScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';
import { PRODUCER_AWS_ACCESS } from '../contract';
import { DEFAULT_DLQ_RETENTION, type ITaskQueue } from './task-queue';
import { between, validateProps } from './validation';

/** Most retries Scheduler makes of a firing whose target call failed: its own default, 185. */
export const DEFAULT_SCHEDULE_RETRY_ATTEMPTS = 185;
/** How long Scheduler keeps retrying a firing: its own default and maximum, 24 hours. */
export const DEFAULT_SCHEDULE_MAX_EVENT_AGE = Duration.hours(24);

/** Props of {@link TaskSchedules}. */
export interface TaskSchedulesProps {
  /** Name of the schedule group of the periodic tasks, for example `bosun-dev-periodic`. */
  readonly groupName: string;
  /** Name of the schedule group of far-ETA tasks' one-time schedules, for example `bosun-dev-eta`. */
  readonly etaGroupName: string;
  /** The task queues a far-ETA schedule may send to. */
  readonly etaQueues: readonly ITaskQueue[];
  /** Physical name of the DLQ of firings Scheduler could not deliver. @default - a name CloudFormation generates */
  readonly deadLetterQueueName?: string;
  /**
   * Retries of a firing whose delivery failed, 0–185.
   * @default 185
   */
  readonly retryAttempts?: number;
  /**
   * How long a firing is retried before it goes to the DLQ, 60 s–24 h.
   * @default Duration.hours(24)
   */
  readonly maxEventAge?: Duration;
}

/** One periodic task of {@link TaskSchedules.addPeriodicTask}. */
export interface PeriodicTaskScheduleProps {
  /** Schedule name in the group: the periodic task's name, for example `nightly-report`. */
  readonly name: string;
  /** The queue the firings send the task to. */
  readonly queue: ITaskQueue;
  /** The message body each firing sends: a Bosun envelope holding Scheduler's context attributes. */
  readonly input: string;
  /** `cron(...)` or `rate(...)` expression. */
  readonly scheduleExpression: string;
  /** IANA time zone of the expression. @default 'UTC' */
  readonly timeZone?: string;
  /** Window within which Scheduler may fire (spreads load), 1–1440 min. @default - fires on time */
  readonly flexibleWindow?: Duration;
  /** Whether the schedule fires. @default true */
  readonly enabled?: boolean;
  /** Summary shown in the console. @default - none */
  readonly description?: string;
}

/**
 * Bosun's periodic tasks on EventBridge Scheduler: a schedule group, and per task an `AWS::Scheduler::Schedule`
 * that sends a Bosun envelope straight to the task's queue — no beat process to keep alive, and never two of them —
 * with its own role allowed `sqs:SendMessage` on that queue and the schedules' DLQ only (plus the queue key when
 * KMS-encrypted), a retry policy, and a DLQ for firings it could not deliver. Also the far ETAs' side: a schedule
 * group producers create one-time schedules in, and the role those schedules send with (to the task queues and the
 * DLQ only), granted with {@link TaskSchedules.grantScheduleEtas}.
 *
 * @example
 * const schedules = new TaskSchedules(this, 'Schedules', { groupName: 'bosun-dev-periodic' });
 * schedules.addPeriodicTask({ name: 'nightly-report', queue, input, scheduleExpression: 'cron(0 3 * * ? *)' });
 */
export class TaskSchedules extends Construct {
  /** The schedule group every periodic task is in. */
  public readonly group: CfnScheduleGroup;
  /** Where Scheduler puts firings it could not deliver to their queue. */
  public readonly deadLetterQueue: Queue;
  /** The group of far-ETA tasks' one-time schedules. */
  public readonly etaGroup: CfnScheduleGroup;
  /** The role far-ETA schedules send with: `sqs:SendMessage` on the task queues and the DLQ. */
  public readonly etaRole: Role;
  /** Schedules by periodic task name. */
  public readonly schedules: ReadonlyMap<string, CfnSchedule>;
  private readonly byName = new Map<string, CfnSchedule>();
  private readonly retryAttempts: number;
  private readonly maxEventAge: Duration;

  public constructor(scope: Construct, id: string, props: TaskSchedulesProps) {
    super(scope, id);
    validateProps(this, [
      { prop: 'retryAttempts', value: props.retryAttempts, check: between(0, DEFAULT_SCHEDULE_RETRY_ATTEMPTS) },
      { prop: 'maxEventAge', value: props.maxEventAge, check: between(60, DEFAULT_SCHEDULE_MAX_EVENT_AGE.toSeconds(), 's') },
    ]);
    this.schedules = this.byName;
    this.retryAttempts = props.retryAttempts ?? DEFAULT_SCHEDULE_RETRY_ATTEMPTS;
    this.maxEventAge = props.maxEventAge ?? DEFAULT_SCHEDULE_MAX_EVENT_AGE;
    this.group = new CfnScheduleGroup(this, 'Group', { name: props.groupName });
    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      ...(props.deadLetterQueueName === undefined ? {} : { queueName: props.deadLetterQueueName }),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: DEFAULT_DLQ_RETENTION,
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'It is the dead-letter queue of the periodic tasks’ schedules (EventBridge Scheduler sends undeliverable firings here).',
    });
    this.etaGroup = new CfnScheduleGroup(this, 'EtaGroup', { name: props.etaGroupName });
    this.etaRole = this.schedulerRole('EtaRole', 'Sends far-ETA tasks from their one-time schedules to the task queues');
    for (const queue of props.etaQueues) sendOnly(this.etaRole, queue.queue);
    sendOnly(this.etaRole, this.deadLetterQueue);
  }

  /**
   * Grants a producer what publishing far ETAs as one-time schedules takes (`PRODUCER_AWS_ACCESS.etaSchedules`):
   * creating and deleting schedules in the ETA group only, and passing the ETA role to Scheduler only.
   *
   * @example
   * schedules.grantScheduleEtas(service.role);
   */
  public grantScheduleEtas(grantee: IGrantable): Grant {
    const schedules = Arn.format(
      { service: 'scheduler', resource: 'schedule', resourceName: `${this.etaGroup.ref}/*` },
      Stack.of(this),
    );
    if (Construct.isConstruct(grantee)) {
      Validations.of(grantee).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/<${Stack.of(this).getLogicalId(this.etaGroup)}>/*]`,
        reason: 'One-time schedules are created per far-ETA task and named after it (unknown in advance); the producer creates and deletes them in the ETA schedule group only.',
      });
    }
    const manage = Grant.addToPrincipal({ grantee, actions: [...PRODUCER_AWS_ACCESS.etaSchedules.actions], resourceArns: [schedules] });
    const pass = Grant.addToPrincipal({
      grantee,
      actions: [...PRODUCER_AWS_ACCESS.etaSchedules.passRole],
      resourceArns: [this.etaRole.roleArn],
      conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
    });
    return manage.combine(pass);
  }

  private schedulerRole(id: string, description: string): Role {
    return new Role(this, id, {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
      description,
    });
  }

  /**
   * Adds one periodic task: its schedule and the role the schedule sends with.
   *
   * @example
   * schedules.addPeriodicTask({ name: 'heartbeat', queue, input, scheduleExpression: 'rate(5 minutes)' });
   */
  public addPeriodicTask(props: PeriodicTaskScheduleProps): CfnSchedule {
    const id = pascalCase(props.name);
    const role = this.schedulerRole(`${id}Role`, `Sends the periodic task ${props.name} to queue ${props.queue.taskQueueName}`);
    sendOnly(role, props.queue.queue);
    sendOnly(role, this.deadLetterQueue);
    const window = props.flexibleWindow;
    const schedule = new CfnSchedule(this, id, {
      name: props.name,
      groupName: this.group.ref,
      scheduleExpression: props.scheduleExpression,
      scheduleExpressionTimezone: props.timeZone ?? 'UTC',
      flexibleTimeWindow:
        window === undefined ? { mode: 'OFF' } : { mode: 'FLEXIBLE', maximumWindowInMinutes: window.toMinutes() },
      state: props.enabled === false ? 'DISABLED' : 'ENABLED',
      ...(props.description === undefined ? {} : { description: props.description }),
      target: {
        arn: props.queue.queue.queueArn,
        roleArn: role.roleArn,
        input: props.input,
        retryPolicy: {
          maximumRetryAttempts: this.retryAttempts,
          maximumEventAgeInSeconds: this.maxEventAge.toSeconds(),
        },
        deadLetterConfig: { arn: this.deadLetterQueue.queueArn },
      },
    });
    // The role's policy must exist before Scheduler validates the target with it.
    schedule.node.addDependency(role);
    this.byName.set(props.name, schedule);
    return schedule;
  }
}

/** `sqs:SendMessage` on one queue, with its KMS key's data-key use when it has one: nothing else. */
function sendOnly(role: IRole, queue: IQueue): void {
  Grant.addToPrincipal({ grantee: role, actions: ['sqs:SendMessage'], resourceArns: [queue.queueArn] });
  queue.encryptionMasterKey?.grant(role, 'kms:GenerateDataKey', 'kms:Decrypt');
}

function pascalCase(name: string): string {
  return name
    .split('-')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');
}
