import { App, Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { parseEnvelope, substituteSchedulerContext } from '../../lib/contract';
import { TaskQueueEncryption } from '../../lib/constructs';
import {
  DEFAULT_PLATFORM,
  PlatformDefinitionInvalidError,
  type PlatformDefinition,
  PlatformStack,
  RECOMMENDED_CONTEXT,
  periodicTask,
} from '../../lib/stacks';
import { demoFlaky, emailSend, reportRender } from '../../lambdas/tasks';
import { thrownBy } from '../constructs/helpers';

function synth(definition: PlatformDefinition = DEFAULT_PLATFORM) {
  const app = new App({ context: { ...RECOMMENDED_CONTEXT, 'aws:cdk:bundling-stacks': [] } });
  const stack = new PlatformStack(app, 'Bosun-test', { stage: 'test', definition, env: { account: '111111111111', region: 'eu-west-1' } });
  return { app, stack, template: Template.fromStack(stack) };
}

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

const digest = periodicTask({
  name: 'nightly-digest',
  task: emailSend,
  payload: { to: 'ops@example.com', subject: 'Nightly digest' },
  schedule: 'cron(0 3 * * ? *)',
  timeZone: 'Europe/Paris',
});

describe('periodic tasks in the platform definition', () => {
  const { stack, template } = synth({ ...DEFAULT_PLATFORM, periodicTasks: [digest, periodicTask({ ...digest, name: 'spread', flexibleWindow: Duration.minutes(15), enabled: false })] });
  const resources = template.toJSON().Resources as Resources;

  it('makes one schedule group and one schedule per periodic task, in its time zone, targeting its queue', () => {
    template.resourceCountIs('AWS::Scheduler::ScheduleGroup', 2);
    template.hasResourceProperties('AWS::Scheduler::ScheduleGroup', { Name: 'bosun-test-periodic' });
    template.hasResourceProperties('AWS::Scheduler::ScheduleGroup', { Name: 'bosun-test-eta' });
    template.resourceCountIs('AWS::Scheduler::Schedule', 2);
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      Name: 'nightly-digest',
      ScheduleExpression: 'cron(0 3 * * ? *)',
      ScheduleExpressionTimezone: 'Europe/Paris',
      FlexibleTimeWindow: { Mode: 'OFF' },
      State: 'ENABLED',
      Target: Match.objectLike({
        Arn: { 'Fn::GetAtt': [stack.getLogicalId(stack.taskQueues[0]!.queue.node.defaultChild as never), 'Arn'] },
        RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 },
        DeadLetterConfig: { Arn: Match.anyValue() },
      }),
    });
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      Name: 'spread',
      FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 15 },
      State: 'DISABLED',
    });
  });

  it('sends an envelope the consumer reads, whose task id is the schedule and the scheduled time', () => {
    const schedule = Object.values(resources).find((r) => r.Type === 'AWS::Scheduler::Schedule' && r.Properties['Name'] === 'nightly-digest')!;
    const input = (schedule.Properties['Target'] as { Input: string }).Input;
    const fired = parseEnvelope(substituteSchedulerContext(input, { scheduledTime: '2026-11-30T02:00:00Z', executionId: 'exec-1' }));
    expect(fired).toMatchObject({
      id: 'nightly-digest@2026-11-30T02:00:00Z',
      task: 'email.send',
      payload: { to: 'ops@example.com', subject: 'Nightly digest' },
      route: { destination: 'default', ruleId: null },
      publishedAt: '2026-11-30T02:00:00Z',
      traceId: 'exec-1',
      attempts: 0,
    });
  });

  it('gives each schedule its own role, trusted by Scheduler of this account only, that may send to its queue and the schedules DLQ only', () => {
    const schedule = Object.values(resources).find((r) => r.Type === 'AWS::Scheduler::Schedule' && r.Properties['Name'] === 'nightly-digest')!;
    const roleId = ((schedule.Properties['Target'] as { RoleArn: { 'Fn::GetAtt': string[] } }).RoleArn['Fn::GetAtt'])[0]!;
    expect(resources[roleId]!.Properties['AssumeRolePolicyDocument']).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Action: 'sts:AssumeRole',
          Effect: 'Allow',
          Principal: { Service: 'scheduler.amazonaws.com' },
          Condition: { StringEquals: { 'aws:SourceAccount': '111111111111' } },
        },
      ],
    });
    const statements = Object.values(resources)
      .filter((r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties['Roles']).includes(roleId))
      .flatMap((r) => (r.Properties['PolicyDocument'] as { Statement: Array<{ Action: unknown; Resource: unknown }> }).Statement);
    const queueId = stack.getLogicalId(stack.taskQueues[0]!.queue.node.defaultChild as never);
    const dlqId = stack.getLogicalId(stack.schedules.deadLetterQueue.node.defaultChild as never);
    expect(statements).toEqual([
      expect.objectContaining({ Action: 'sqs:SendMessage', Resource: { 'Fn::GetAtt': [queueId, 'Arn'] } }),
      expect.objectContaining({ Action: 'sqs:SendMessage', Resource: { 'Fn::GetAtt': [dlqId, 'Arn'] } }),
    ]);
  });

  it('adds the queue key to the role when the queues are KMS-encrypted', () => {
    const kms = synth({ ...DEFAULT_PLATFORM, encryption: TaskQueueEncryption.KMS, periodicTasks: [digest] });
    const policies = Object.values(kms.template.toJSON().Resources as Resources).filter(
      (r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties['Roles']).includes('NightlyDigestRole'),
    );
    expect(JSON.stringify(policies)).toContain('kms:GenerateDataKey');
  });

  it('creates no schedule without periodic tasks', () => {
    const none = synth({ ...DEFAULT_PLATFORM, periodicTasks: [] });
    none.template.resourceCountIs('AWS::Scheduler::Schedule', 0);
  });

  it('leaves no unacknowledged cdk-nag finding', () => {
    const { app } = synth({ ...DEFAULT_PLATFORM, encryption: TaskQueueEncryption.KMS });
    expect(new AwsSolutionsChecks().validateScope(app).violations).toEqual([]);
  });

  describe('validation at synth', () => {
    const cases: Array<[string, PlatformDefinition['periodicTasks'], string]> = [
      [
        'a five-field Unix cron',
        [{ ...digest, schedule: 'cron(0 3 * * *)' }],
        'periodicTasks[0].schedule is not a valid schedule: a cron expression has six fields: minutes hours day-of-month month day-of-week year, for example cron(0 3 * * ? *); this one has 5 (given "cron(0 3 * * *)")',
      ],
      [
        'a rate with a bad unit',
        [{ ...digest, schedule: 'rate(1 minutes)' }],
        'periodicTasks[0].schedule is not a valid schedule: a rate of 1 takes a singular unit and a larger rate a plural one, for example rate(1 hour) or rate(2 hours) (given "rate(1 minutes)")',
      ],
      [
        'a one-time at() expression',
        [{ ...digest, schedule: 'at(2026-12-01T10:00:00)' }],
        'periodicTasks[0].schedule must be a cron(...) or rate(...) expression; at(...) fires once (given "at(2026-12-01T10:00:00)")',
      ],
      [
        'an unknown queue',
        [{ ...digest, queue: 'nightly' }],
        'periodicTasks[0].queue must be one of the queues (default, bulk) (given "nightly")',
      ],
      [
        'a task the named queue does not run',
        [periodicTask({ ...digest, task: demoFlaky, payload: {}, queue: 'bulk' })],
        'periodicTasks[0].task must be registered by the consumer of queue bulk (registers: report.render, email.send, chaos.work, chaos.fixable) (given "demo.flaky")',
      ],
      [
        'a task no consumer registers',
        [periodicTask({ ...digest, task: { name: 'billing.close', schema: demoFlaky.schema }, payload: {} })],
        'periodicTasks[0].task must be registered by a consumer of one of the queues (given "billing.close", which none registers)',
      ],
      [
        'a payload that fails the task schema',
        [{ ...digest, payload: { subject: 'no recipient' } }],
        'periodicTasks[0].payload must match the schema of task email.send (to: Invalid input: expected string, received undefined)',
      ],
      [
        'a payload too large for a schedule input',
        [periodicTask({ name: 'big', task: reportRender, payload: { title: 'big', rows: Array.from({ length: 2000 }, () => 'row') }, schedule: 'rate(1 day)' })],
        'periodicTasks[0].payload makes an envelope of 12291 characters; a schedule\'s input holds at most 8192 (publish large payloads with the SDK, which claim-checks them)',
      ],
      ['an unknown time zone', [{ ...digest, timeZone: 'Mars/Olympus' }], 'periodicTasks[0].timeZone must be an IANA time zone such as Europe/Paris or UTC (given "Mars/Olympus")'],
      [
        'a flexible window over a day',
        [{ ...digest, flexibleWindow: Duration.hours(25) }],
        'periodicTasks[0].flexibleWindow must be a whole number of minutes between 1 and 1440 (given 1500 minutes)',
      ],
      ['a duplicate name', [digest, digest], 'periodicTasks[1].name must be unique (given "nightly-digest" twice)'],
      [
        'a name Scheduler would reject',
        [{ ...digest, name: 'Nightly_Digest' }],
        'periodicTasks[0].name must be 1–40 lowercase letters, digits or dashes, starting with a letter (given "Nightly_Digest")',
      ],
    ];

    it.each(cases)('rejects %s', (_label, periodicTasks, message) => {
      const error = thrownBy(() => synth({ ...DEFAULT_PLATFORM, periodicTasks }));
      expect(error).toBeInstanceOf(PlatformDefinitionInvalidError);
      expect(error.message).toBe(message);
    });
  });
});
