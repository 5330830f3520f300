import { Duration } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  TextWidget,
  TreatMissingData,
  AlarmStatusWidget,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { type ITopic, Topic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ConstructPropsInvalidError } from './errors';
import { type TaskConsumer } from './task-consumer';
import { type ITaskQueue } from './task-queue';

/** Alarm thresholds keyed by severity; an absent severity has no alarm. */
export interface SeverityThresholds<T> {
  /** Threshold of the warning alarm. @default - no warning alarm */
  readonly warning?: T;
  /** Threshold of the critical alarm. @default - no critical alarm */
  readonly critical?: T;
}

/** Alarm severity. */
export type AlarmSeverity = keyof SeverityThresholds<unknown>;

/** Alarm options for one task queue; one set can apply to every queue. */
export interface QueueMonitoringOptions {
  /**
   * Alarm when the DLQ holds more than this many visible messages (`ApproximateNumberOfMessagesVisible`, which,
   * unlike `NumberOfMessagesSent`, also counts redrive moves). 0 or more.
   * @default { critical: 0 } - any dead task is critical
   */
  readonly deadLetterDepth?: SeverityThresholds<number>;
  /**
   * Alarm when the oldest message of the task queue is older than this.
   * @default { warning: Duration.minutes(15), critical: Duration.hours(1) }
   */
  readonly ageOfOldestMessage?: SeverityThresholds<Duration>;
}

/** Props of {@link PlatformMonitoring}. */
export interface PlatformMonitoringProps {
  /**
   * CloudWatch dashboard name.
   * @default - a name CloudFormation generates
   */
  readonly dashboardName?: string;
  /**
   * Prefix of every alarm name, for example `bosun-dev`.
   * @default 'bosun'
   */
  readonly alarmNamePrefix?: string;
  /**
   * Alarm options applied to every queue unless `monitorQueue` overrides them.
   * @default - the defaults of QueueMonitoringOptions
   */
  readonly queueDefaults?: QueueMonitoringOptions;
  /**
   * Topic notified when an alarm fires and recovers.
   * @default - a new KMS-encrypted, TLS-only topic when `createAlarmTopic` is true, otherwise none
   */
  readonly alarmTopic?: ITopic;
  /**
   * Create an encrypted (customer-managed KMS key, rotated) topic that only accepts TLS, for alarm notifications.
   * Ignored when `alarmTopic` is given.
   * @default false
   */
  readonly createAlarmTopic?: boolean;
}

const DEFAULT_DEAD_LETTER_DEPTH: SeverityThresholds<number> = { critical: 0 };
const DEFAULT_AGE_OF_OLDEST_MESSAGE: SeverityThresholds<Duration> = {
  warning: Duration.minutes(15),
  critical: Duration.hours(1),
};
const PERIOD = Duration.minutes(1);

/**
 * The platform's dashboard and alarms: per queue backlog, age of the oldest message, DLQ depth and received/deleted
 * throughput; per consumer invocations, errors, throttles and duration. Alarms on DLQ depth and message age with
 * thresholds keyed by severity, optionally notifying an SNS topic. The DLQ alarms also drive AppConfig rollbacks.
 *
 * @example
 * const monitoring = new PlatformMonitoring(this, 'Monitoring', { alarmNamePrefix: 'bosun-dev' });
 * monitoring.monitorQueue(queue);
 * monitoring.monitorConsumer(consumer);
 */
export class PlatformMonitoring extends Construct {
  /** The platform dashboard. */
  public readonly dashboard: Dashboard;
  /** Topic the alarms notify, if any. */
  public readonly alarmTopic?: ITopic;
  /** Every DLQ-depth alarm, in the order the queues were added (AppConfig rollback monitors). */
  public readonly deadLetterAlarms: Alarm[] = [];
  /** Every alarm this construct created. */
  public readonly alarms: Alarm[] = [];
  private readonly prefix: string;
  private readonly queueDefaults: QueueMonitoringOptions;

  public constructor(scope: Construct, id: string, props: PlatformMonitoringProps = {}) {
    super(scope, id);
    this.prefix = props.alarmNamePrefix ?? 'bosun';
    this.queueDefaults = props.queueDefaults ?? {};
    validateQueueOptions(this, this.queueDefaults);
    this.alarmTopic = props.alarmTopic ?? (props.createAlarmTopic === true ? this.createTopic() : undefined);
    this.dashboard = new Dashboard(this, 'Dashboard', { dashboardName: props.dashboardName });
    this.dashboard.addWidgets(
      new TextWidget({
        markdown: '# Bosun\nPer queue: backlog, oldest message, DLQ depth, throughput. Per consumer: invocations, errors, throttles, duration.',
        width: 24,
        height: 2,
      }),
    );
  }

  /**
   * Adds a queue's row to the dashboard and its DLQ-depth and message-age alarms.
   *
   * @example
   * monitoring.monitorQueue(queue, { deadLetterDepth: { warning: 0, critical: 100 } });
   */
  public monitorQueue(queue: ITaskQueue, options: QueueMonitoringOptions = {}): Alarm[] {
    validateQueueOptions(this, options);
    const dlq = options.deadLetterDepth ?? this.queueDefaults.deadLetterDepth ?? DEFAULT_DEAD_LETTER_DEPTH;
    const age = options.ageOfOldestMessage ?? this.queueDefaults.ageOfOldestMessage ?? DEFAULT_AGE_OF_OLDEST_MESSAGE;
    const name = queue.taskQueueName;
    const created: Alarm[] = [];
    for (const severity of ['warning', 'critical'] as const) {
      const depth = dlq[severity];
      if (depth !== undefined) {
        const alarm = this.alarm(`${name}-dlq-depth-${severity}`, queue.metricDeadLetterDepth({ period: PERIOD }), depth,
          `${severity}: the DLQ of queue ${name} holds more than ${depth} visible message(s): tasks are dead-lettering`);
        this.deadLetterAlarms.push(alarm);
        created.push(alarm);
      }
      const oldest = age[severity];
      if (oldest !== undefined) {
        created.push(this.alarm(`${name}-oldest-message-${severity}`, queue.metricAgeOfOldestMessage({ period: PERIOD }),
          oldest.toSeconds(), `${severity}: the oldest message of queue ${name} is older than ${oldest.toHumanString()}: consumers are not keeping up`));
      }
    }
    this.dashboard.addWidgets(
      new TextWidget({ markdown: `## Queue \`${name}\``, width: 24, height: 1 }),
      graph(`${name}: backlog`, [queue.metricBacklog({ period: PERIOD, label: 'visible messages' })]),
      graph(`${name}: age of oldest message (s)`, [queue.metricAgeOfOldestMessage({ period: PERIOD, label: 'seconds' })]),
      graph(`${name}: DLQ depth`, [queue.metricDeadLetterDepth({ period: PERIOD, label: 'dead messages' })]),
      graph(`${name}: received / deleted`, [
        queue.metricReceived({ period: PERIOD, label: 'received' }),
        queue.metricDeleted({ period: PERIOD, label: 'deleted' }),
      ]),
    );
    if (created.length > 0) {
      this.dashboard.addWidgets(new AlarmStatusWidget({ title: `${name}: alarms`, alarms: created, width: 24, height: 2 }));
    }
    return created;
  }

  /**
   * Adds the schedules' DLQ to the dashboard and alarms on its depth (`ApproximateNumberOfMessagesVisible`): each
   * message is a firing of a periodic task or a far ETA that Scheduler could not deliver after its retries, so its
   * task never reached a queue. Not an AppConfig rollback alarm: routing does not decide where a firing goes.
   *
   * @example
   * monitoring.monitorSchedules(schedules.deadLetterQueue, { deadLetterDepth: { critical: 0 } });
   */
  public monitorSchedules(deadLetterQueue: IQueue, options: Pick<QueueMonitoringOptions, 'deadLetterDepth'> = {}): Alarm[] {
    validateQueueOptions(this, options);
    const thresholds = options.deadLetterDepth ?? this.queueDefaults.deadLetterDepth ?? DEFAULT_DEAD_LETTER_DEPTH;
    const depth = deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: 'Maximum' });
    const created: Alarm[] = [];
    for (const severity of ['warning', 'critical'] as const) {
      const threshold = thresholds[severity];
      if (threshold === undefined) continue;
      created.push(this.alarm(`schedules-dlq-depth-${severity}`, depth, threshold,
        `${severity}: the schedules' DLQ holds more than ${threshold} visible message(s): Scheduler could not deliver firings of periodic tasks or far ETAs (bosun dlq peek schedules)`));
    }
    this.dashboard.addWidgets(
      new TextWidget({ markdown: '## Schedules (EventBridge Scheduler)', width: 24, height: 1 }),
      graph('schedules: DLQ depth', [depth.with({ label: 'undelivered firings' })]),
      ...(created.length === 0 ? [] : [new AlarmStatusWidget({ title: 'schedules: alarms', alarms: created, width: 18, height: 6 })]),
    );
    return created;
  }

  /**
   * Adds a consumer's row to the dashboard: invocations, errors, throttles and duration.
   *
   * @example
   * monitoring.monitorConsumer(consumer);
   */
  public monitorConsumer(consumer: TaskConsumer): void {
    const name = consumer.queue.taskQueueName;
    this.dashboard.addWidgets(
      graph(`${name} consumer: invocations`, [consumer.metricInvocations({ period: PERIOD })]),
      graph(`${name} consumer: errors`, [consumer.metricErrors({ period: PERIOD })]),
      graph(`${name} consumer: throttles`, [consumer.metricThrottles({ period: PERIOD })]),
      graph(`${name} consumer: duration p99 (ms)`, [consumer.metricDuration({ period: PERIOD })]),
    );
  }

  private alarm(suffix: string, metric: IMetric, threshold: number, description: string): Alarm {
    const alarm = new Alarm(this, toId(suffix), {
      alarmName: `${this.prefix}-${suffix}`,
      alarmDescription: description,
      metric,
      threshold,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    if (this.alarmTopic !== undefined) {
      alarm.addAlarmAction(new SnsAction(this.alarmTopic));
      alarm.addOkAction(new SnsAction(this.alarmTopic));
    }
    this.alarms.push(alarm);
    return alarm;
  }

  private createTopic(): Topic {
    const key = new Key(this, 'AlarmTopicKey', {
      enableKeyRotation: true,
      description: 'Encrypts the Bosun alarm topic',
    });
    // CloudWatch publishes to an encrypted topic only if the key lets it; AWS-managed alias/aws/sns does not.
    key.grant(new ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    return new Topic(this, 'AlarmTopic', { masterKey: key, enforceSSL: true });
  }
}

function graph(title: string, metrics: IMetric[]): GraphWidget {
  return new GraphWidget({ title, left: metrics, width: 6, height: 6 });
}

function toId(suffix: string): string {
  return suffix
    .split(/[^A-Za-z0-9]+/)
    .filter((part) => part.length > 0)
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join('');
}

function validateQueueOptions(scope: Construct, options: QueueMonitoringOptions): void {
  const checks: Array<[string, SeverityThresholds<number>, string]> = [];
  if (options.deadLetterDepth !== undefined) checks.push(['deadLetterDepth', options.deadLetterDepth, '']);
  if (options.ageOfOldestMessage !== undefined) {
    const { warning, critical } = options.ageOfOldestMessage;
    checks.push(['ageOfOldestMessage', { warning: warning?.toSeconds(), critical: critical?.toSeconds() }, ' s']);
  }
  for (const [prop, { warning, critical }, unit] of checks) {
    for (const [severity, value] of [['warning', warning], ['critical', critical]] as const) {
      if (value !== undefined && value < 0) {
        throw new ConstructPropsInvalidError(scope.node.path, `${prop}.${severity}`, `${value}${unit}`,
          `${prop}.${severity} must be 0 or more (given ${value}${unit})`);
      }
    }
    if (warning !== undefined && critical !== undefined && warning > critical) {
      throw new ConstructPropsInvalidError(scope.node.path, `${prop}.warning`, `${warning}${unit}`,
        `${prop}.warning must not exceed ${prop}.critical (${critical}${unit}) (given ${warning}${unit})`);
    }
  }
}
