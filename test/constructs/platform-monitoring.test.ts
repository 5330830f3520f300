import { Duration } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { ConstructPropsInvalidError, PlatformMonitoring, TaskConsumer, TaskQueue } from '../../lib/constructs';
import { FIXTURE_ENTRY, FIXTURE_TASKS, templateOf, testStack, thrownBy } from './helpers';

function monitoredStack(props: ConstructorParameters<typeof PlatformMonitoring>[2] = {}) {
  const stack = testStack();
  const queue = new TaskQueue(stack, 'Q', { taskQueueName: 'default', visibilityTimeout: Duration.seconds(360) });
  const consumer = new TaskConsumer(stack, 'C', { queue, entry: FIXTURE_ENTRY, tasks: FIXTURE_TASKS, timeout: Duration.seconds(60) });
  const monitoring = new PlatformMonitoring(stack, 'M', { alarmNamePrefix: 'bosun-dev', dashboardName: 'bosun-dev', ...props });
  return { stack, queue, consumer, monitoring };
}

describe('PlatformMonitoring', () => {
  it('alarms on visible DLQ messages above 0 by default, not on NumberOfMessagesSent', () => {
    const { stack, queue, monitoring } = monitoredStack();
    monitoring.monitorQueue(queue);
    const template = templateOf(stack);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'bosun-dev-default-dlq-depth-critical',
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^QDeadLetterQueue'), 'QueueName'] } }],
      Statistic: 'Maximum',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    });
    expect(JSON.stringify(template.toJSON())).not.toContain('NumberOfMessagesSent');
    expect(monitoring.deadLetterAlarms).toHaveLength(1);
  });

  it('alarms on the age of the oldest message at each configured severity', () => {
    const { stack, queue, monitoring } = monitoredStack();
    monitoring.monitorQueue(queue, { ageOfOldestMessage: { warning: Duration.minutes(5), critical: Duration.minutes(30) } });
    const template = templateOf(stack);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'bosun-dev-default-oldest-message-warning',
      MetricName: 'ApproximateAgeOfOldestMessage',
      Threshold: 300,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'bosun-dev-default-oldest-message-critical',
      Threshold: 1800,
    });
    template.resourceCountIs('AWS::CloudWatch::Alarm', 3);
  });

  it('creates only the severities given', () => {
    const { stack, queue, monitoring } = monitoredStack({ queueDefaults: { deadLetterDepth: { warning: 0, critical: 50 }, ageOfOldestMessage: {} } });
    monitoring.monitorQueue(queue);
    const template = templateOf(stack);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 2);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'bosun-dev-default-dlq-depth-warning', Threshold: 0 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'bosun-dev-default-dlq-depth-critical', Threshold: 50 });
  });

  it('draws queue and consumer metrics on one dashboard', () => {
    const { stack, queue, consumer, monitoring } = monitoredStack();
    monitoring.monitorQueue(queue);
    monitoring.monitorConsumer(consumer);
    const template = templateOf(stack);
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    const dashboard = Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0] as { Properties: { DashboardBody: unknown } };
    const body = JSON.stringify(dashboard.Properties.DashboardBody);
    for (const metric of [
      'ApproximateNumberOfMessagesVisible',
      'ApproximateAgeOfOldestMessage',
      'NumberOfMessagesReceived',
      'NumberOfMessagesDeleted',
      'Invocations',
      'Errors',
      'Throttles',
      'Duration',
    ]) {
      expect(body).toContain(metric);
    }
  });

  it('optionally notifies a KMS-encrypted, TLS-only topic on alarm and recovery', () => {
    const { stack, queue, monitoring } = monitoredStack({ createAlarmTopic: true });
    monitoring.monitorQueue(queue);
    const template = templateOf(stack);
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^MAlarmTopicKey'), 'Arn'] } });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
      },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^MAlarmTopic') }],
      OKActions: [{ Ref: Match.stringLikeRegexp('^MAlarmTopic') }],
    });
  });

  it('creates no topic unless asked', () => {
    const { stack, queue, monitoring } = monitoredStack();
    monitoring.monitorQueue(queue);
    templateOf(stack).resourceCountIs('AWS::SNS::Topic', 0);
  });

  describe('monitorSchedules', () => {
    it("alarms on the schedules' DLQ depth (visible messages above 0 by default), apart from the rollback alarms", () => {
      const { stack, monitoring } = monitoredStack();
      const dlq = new Queue(stack, 'SchedulesDlq', { enforceSSL: true });
      const alarms = monitoring.monitorSchedules(dlq);
      const template = templateOf(stack);
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: 'bosun-dev-schedules-dlq-depth-critical',
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^SchedulesDlq'), 'QueueName'] } }],
        Statistic: 'Maximum',
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
        AlarmDescription: Match.stringLikeRegexp('bosun dlq peek schedules'),
      });
      expect(alarms).toHaveLength(1);
      expect(monitoring.alarms).toContain(alarms[0]);
      expect(monitoring.deadLetterAlarms).toHaveLength(0);
    });

    it('takes the severities given, and the queue defaults otherwise', () => {
      const { stack, monitoring } = monitoredStack({ queueDefaults: { deadLetterDepth: { warning: 0, critical: 10 } } });
      monitoring.monitorSchedules(new Queue(stack, 'SchedulesDlq', { enforceSSL: true }));
      const template = templateOf(stack);
      template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'bosun-dev-schedules-dlq-depth-warning', Threshold: 0 });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'bosun-dev-schedules-dlq-depth-critical', Threshold: 10 });

      const other = monitoredStack();
      other.monitoring.monitorSchedules(new Queue(other.stack, 'SchedulesDlq', { enforceSSL: true }), { deadLetterDepth: { warning: 5 } });
      templateOf(other.stack).resourcePropertiesCountIs('AWS::CloudWatch::Alarm', { AlarmName: Match.stringLikeRegexp('schedules-dlq') }, 1);
      templateOf(other.stack).hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'bosun-dev-schedules-dlq-depth-warning', Threshold: 5 });
    });

    it('rejects a negative threshold', () => {
      const { stack, monitoring } = monitoredStack();
      const error = thrownBy(() => monitoring.monitorSchedules(new Queue(stack, 'SchedulesDlq'), { deadLetterDepth: { warning: -1 } }));
      expect(error.message).toBe('Test/M: deadLetterDepth.warning must be 0 or more (given -1)');
    });
  });

  describe('validation', () => {
    it('rejects a negative DLQ depth threshold', () => {
      const error = thrownBy(() => monitoredStack({ queueDefaults: { deadLetterDepth: { critical: -1 } } }));
      expect(error).toBeInstanceOf(ConstructPropsInvalidError);
      expect(error.message).toBe('Test/M: deadLetterDepth.critical must be 0 or more (given -1)');
    });

    it('rejects a warning threshold above the critical one', () => {
      const { queue, monitoring } = monitoredStack();
      const error = thrownBy(() =>
        monitoring.monitorQueue(queue, { ageOfOldestMessage: { warning: Duration.hours(2), critical: Duration.hours(1) } }),
      );
      expect(error.message).toBe('Test/M: ageOfOldestMessage.warning must not exceed ageOfOldestMessage.critical (3600 s) (given 7200 s)');
    });
  });
});
