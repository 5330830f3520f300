import { App, Duration, Size } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { EnvVar, StackOutput, queueOutputKey } from '../../lib/contract';
import {
  DEFAULT_PLATFORM,
  PlatformDefinitionInvalidError,
  type PlatformDefinition,
  PlatformStack,
  RECOMMENDED_CONTEXT,
} from '../../lib/stacks';
import { ConstructPropsInvalidError } from '../../lib/constructs';
import { taskClientOptionsFromOutputs } from '../../lib/sdk';
import { thrownBy } from '../constructs/helpers';

function synthStack(stage = 'test', definition: PlatformDefinition = DEFAULT_PLATFORM, app = newApp()) {
  const stack = new PlatformStack(app, `Bosun-${stage}`, {
    stage,
    definition,
    env: { account: '111111111111', region: 'eu-west-1' },
  });
  return { app, stack, template: Template.fromStack(stack) };
}

function newApp(): App {
  return new App({ context: { ...RECOMMENDED_CONTEXT, 'aws:cdk:bundling-stacks': [] } });
}

/** Env var values the local platform can resolve: Ref, Fn::GetAtt, Fn::Join, Fn::Sub or a literal. */
function isSimpleIntrinsic(value: unknown): boolean {
  if (typeof value === 'string') return true;
  if (typeof value !== 'object' || value === null) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && ['Ref', 'Fn::GetAtt', 'Fn::Join', 'Fn::Sub'].includes(keys[0]!);
}

describe('PlatformStack', () => {
  const { template } = synthStack();

  it('deploys every platform resource', () => {
    // 2 × (queue + DLQ), the legacy stand-in, the periodic tasks' schedules DLQ
    template.resourceCountIs('AWS::SQS::Queue', 6);
    template.resourceCountIs('AWS::Scheduler::Schedule', DEFAULT_PLATFORM.periodicTasks!.length);
    template.resourceCountIs('AWS::Lambda::Function', 2);
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 2);
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.resourceCountIs('AWS::S3::Bucket', 2);
    template.resourceCountIs('AWS::AppConfig::Application', 1);
    template.resourceCountIs('AWS::AppConfig::Environment', 1);
    template.resourceCountIs('AWS::AppConfig::ConfigurationProfile', 1);
    template.resourceCountIs('AWS::AppConfig::HostedConfigurationVersion', 1);
    template.resourceCountIs('AWS::AppConfig::DeploymentStrategy', 1);
    template.resourceCountIs('AWS::AppConfig::Deployment', 1);
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });

  it('names every queue, DLQ and the table after the stage', () => {
    for (const name of ['bosun-test-default', 'bosun-test-default-dlq', 'bosun-test-bulk', 'bosun-test-bulk-dlq', 'bosun-test-legacy-inbox']) {
      template.hasResourceProperties('AWS::SQS::Queue', { QueueName: name });
    }
    template.hasResourceProperties('AWS::DynamoDB::Table', { TableName: 'bosun-test-tasks' });
    template.hasResourceProperties('AWS::Lambda::Function', { FunctionName: 'bosun-test-default-consumer' });
    template.hasResourceProperties('AWS::AppConfig::Application', { Name: 'bosun-test' });
  });

  it('derives each queue visibility timeout as 6 × its consumer timeout, with the definition retention and receive count', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: 'bosun-test-default',
      VisibilityTimeout: 180,
      MessageRetentionPeriod: 345_600,
      RedrivePolicy: Match.objectLike({ maxReceiveCount: 5 }),
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: 'bosun-test-bulk',
      VisibilityTimeout: 1800,
      RedrivePolicy: Match.objectLike({ maxReceiveCount: 5 }),
    });
  });

  it('configures each event source from the platform definition', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DefaultQueue[0-9A-F]{8}$'), 'Arn'] },
      BatchSize: 10,
      MaximumBatchingWindowInSeconds: 0,
      ScalingConfig: { MaximumConcurrency: 10 },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 5,
      ScalingConfig: { MaximumConcurrency: 5 },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    template.hasResourceProperties('AWS::Lambda::Function', { FunctionName: 'bosun-test-bulk-consumer', Timeout: 300, MemorySize: 1024 });
  });

  it('gives every consumer every contract env var it needs, as simple intrinsics', () => {
    const functions = Object.values(template.findResources('AWS::Lambda::Function')) as Array<{
      Properties: { Environment: { Variables: Record<string, unknown> } };
    }>;
    expect(functions).toHaveLength(2);
    const required = [
      EnvVar.STAGE,
      EnvVar.QUEUE_NAME,
      EnvVar.QUEUE_URL,
      EnvVar.DLQ_URL,
      EnvVar.QUEUE_URLS,
      EnvVar.MAX_RECEIVE_COUNT,
      EnvVar.BUCKET_NAME,
      EnvVar.TABLE_NAME,
      EnvVar.APPCONFIG_APPLICATION_ID,
      EnvVar.APPCONFIG_ENVIRONMENT_ID,
      EnvVar.APPCONFIG_PROFILE_ID,
      EnvVar.LEGACY_QUEUE_URL,
      'POWERTOOLS_SERVICE_NAME',
      'POWERTOOLS_METRICS_NAMESPACE',
      'POWERTOOLS_LOG_LEVEL',
    ];
    for (const fn of functions) {
      const vars = fn.Properties.Environment.Variables;
      expect(Object.keys(vars)).toEqual(expect.arrayContaining(required));
      expect(vars[EnvVar.STAGE]).toBe('test');
      expect(vars.POWERTOOLS_METRICS_NAMESPACE).toBe('Bosun');
      for (const value of Object.values(vars)) expect(isSimpleIntrinsic(value)).toBe(true);
    }
  });

  it("alarms on the schedules' DLQ depth, named after the stage, apart from the routing rollback", () => {
    template.hasResourceProperties('AWS::SQS::Queue', { QueueName: 'bosun-test-schedules-dlq' });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'bosun-test-schedules-dlq-depth-critical',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^PeriodicTasksDeadLetterQueue'), 'QueueName'] } }],
      Threshold: 0,
    });
    const environment = Object.values(template.findResources('AWS::AppConfig::Environment'))[0] as { Properties: { Monitors: unknown[] } };
    expect(JSON.stringify(environment.Properties.Monitors)).not.toMatch(/Schedules/);
  });

  it('ties the routing rollback to the DLQ alarms of every queue', () => {
    template.hasResourceProperties('AWS::AppConfig::Environment', {
      Name: 'test',
      Monitors: [
        Match.objectLike({ AlarmArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('DefaultDlqDepthCritical'), 'Arn'] } }),
        Match.objectLike({ AlarmArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('BulkDlqDepthCritical'), 'Arn'] } }),
      ],
    });
    const version = Object.values(template.findResources('AWS::AppConfig::HostedConfigurationVersion'))[0] as {
      Properties: { Content: string };
    };
    expect(JSON.parse(version.Properties.Content)).toEqual({ version: 1, defaultDestination: 'default', rules: [] });
  });

  it('outputs everything producers and the ops CLI need, under the contract keys', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    const expected = [
      StackOutput.STAGE,
      StackOutput.BUCKET_NAME,
      StackOutput.CLAIM_CHECK_THRESHOLD_BYTES,
      StackOutput.TABLE_NAME,
      StackOutput.APPCONFIG_APPLICATION_ID,
      StackOutput.APPCONFIG_ENVIRONMENT_ID,
      StackOutput.APPCONFIG_PROFILE_ID,
      StackOutput.QUEUE_NAMES,
      StackOutput.LEGACY_QUEUE_URL,
      StackOutput.ETA_SCHEDULE_GROUP,
      StackOutput.ETA_SCHEDULE_ROLE_ARN,
      StackOutput.ETA_SCHEDULE_DLQ_ARN,
      StackOutput.SCHEDULES_DLQ_URL,
      ...['default', 'bulk'].flatMap((q) =>
        [StackOutput.QUEUE_URL_SUFFIX, StackOutput.QUEUE_ARN_SUFFIX, StackOutput.DLQ_URL_SUFFIX, StackOutput.DLQ_ARN_SUFFIX].map(
          (suffix) => queueOutputKey(q, suffix),
        ),
      ),
    ];
    expect(Object.keys(outputs).sort()).toEqual([...expected].sort());
    expect(outputs[StackOutput.QUEUE_NAMES]!.Value).toBe('["default","bulk"]');
    expect(outputs[StackOutput.STAGE]!.Value).toBe('test');
    expect(outputs[StackOutput.CLAIM_CHECK_THRESHOLD_BYTES]!.Value).toBe('262144');
    expect(outputs.BulkDlqUrl!.Value).toEqual({ Ref: expect.stringMatching(/^BulkQueueDeadLetterQueue/) });
    expect(outputs[StackOutput.SCHEDULES_DLQ_URL]!.Value).toEqual({ Ref: expect.stringMatching(/^PeriodicTasksDeadLetterQueue/) });
    expect(outputs.DefaultQueueArn!.Value).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^DefaultQueue[0-9A-F]{8}$/), 'Arn'] });
  });

  it("publishes the definition's claim-check threshold as an output, and producers built from the outputs use it", () => {
    // GIVEN a platform whose payloads above 128 KiB go to S3
    const { template: custom } = synthStack('test', { ...DEFAULT_PLATFORM, claimCheckThreshold: Size.kibibytes(128) });
    // WHEN a producer takes its options from the stack outputs
    const outputs = custom.toJSON().Outputs as Record<string, { Value: unknown }>;
    const literal = Object.fromEntries(
      Object.entries(outputs).map(([key, output]) => [key, typeof output.Value === 'string' ? output.Value : `resolved-${key}`]),
    );
    // THEN its threshold is the platform's
    expect(outputs[StackOutput.CLAIM_CHECK_THRESHOLD_BYTES]!.Value).toBe('131072');
    expect(taskClientOptionsFromOutputs(literal).claimCheckThresholdBytes).toBe(131_072);
  });

  it('lets two stages live side by side in one account', () => {
    const app = newApp();
    const env = { account: '111111111111', region: 'eu-west-1' };
    const devStack = new PlatformStack(app, 'Bosun-dev', { stage: 'dev', env });
    const prodStack = new PlatformStack(app, 'Bosun-prod', { stage: 'prod', env });
    const dev = Template.fromStack(devStack);
    const prod = Template.fromStack(prodStack);
    const names = (t: Template) =>
      Object.values(t.findResources('AWS::SQS::Queue')).map((q) => (q as { Properties: { QueueName: string } }).Properties.QueueName);
    expect(names(dev).filter((n) => names(prod).includes(n))).toEqual([]);
  });

  it('retains the prod table with deletion protection, and deletes other stages’ tables', () => {
    synthStack('prod').template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({ DeletionProtectionEnabled: true }),
    });
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete' });
  });

  it('matches the snapshot, asset hashes scrubbed', () => {
    const json = JSON.stringify(template.toJSON(), null, 1).replace(/[0-9a-f]{64}(\.zip)?/g, '<asset-hash>');
    expect(JSON.parse(json)).toMatchSnapshot();
  });

  describe('validation', () => {
    const queue = DEFAULT_PLATFORM.queues[0]!;
    const cases: Array<[string, PlatformDefinition, string]> = [
      ['no queues', { ...DEFAULT_PLATFORM, queues: [] }, 'queues must list at least one queue (given none)'],
      [
        'a queue name with capitals',
        { ...DEFAULT_PLATFORM, queues: [{ ...queue, name: 'Default' }] },
        'queues[0].name must be 1–40 lowercase letters, digits or dashes, starting with a letter (given "Default")',
      ],
      [
        'a queue named like the schedules DLQ',
        { ...DEFAULT_PLATFORM, queues: [queue, { ...queue, name: 'schedules' }] },
        'queues[1].name must not be "schedules": its DLQ would be named like the schedules\' DLQ (bosun-<stage>-schedules-dlq), and the CLI addresses that DLQ by this name (given "schedules")',
      ],
      [
        'a duplicate queue name',
        { ...DEFAULT_PLATFORM, queues: [queue, queue] },
        'queues[1].name must be unique (given "default" twice)',
      ],
      [
        'a default queue that does not exist',
        { ...DEFAULT_PLATFORM, defaultQueue: 'missing' },
        'defaultQueue must be one of the queues (default, bulk) (given "missing")',
      ],
      [
        'a claim-check threshold above a queue message size',
        { ...DEFAULT_PLATFORM, queues: [{ ...queue, maxMessageSize: Size.kibibytes(128) }] },
        'claimCheckThreshold must not exceed the maxMessageSize of queue default (131072 bytes) (given 262144 bytes)',
      ],
      [
        'a legacy queue named like a Bosun queue',
        { ...DEFAULT_PLATFORM, legacyQueue: 'bulk' },
        'legacyQueue must be 1–40 lowercase letters, digits or dashes and differ from every Bosun queue (given "bulk")',
      ],
    ];

    it.each(cases)('rejects %s', (_label, definition, message) => {
      const error = thrownBy(() => synthStack('test', definition));
      expect(error).toBeInstanceOf(PlatformDefinitionInvalidError);
      expect(error.message).toBe(message);
    });

    it('rejects a stage that cannot be part of a resource name', () => {
      expect(thrownBy(() => synthStack('Prod_1')).message).toBe(
        'stage must be 1–20 lowercase letters, digits or dashes, starting with a letter (given "Prod_1")',
      );
    });

    it('rejects a task with more attempts than its queue receives, naming the task, both numbers and the fix', () => {
      const flaky = { ...queue, consumer: { ...queue.consumer, tasks: [{ name: 'demo.flaky', maxAttempts: 6, timeLimitSeconds: 10 }] } };
      const error = thrownBy(() => synthStack('test', { ...DEFAULT_PLATFORM, queues: [flaky], periodicTasks: [] }));
      expect(error).toBeInstanceOf(ConstructPropsInvalidError);
      expect(error.message).toBe(
        'Bosun-test/DefaultConsumer: task "demo.flaky": maxAttempts 6 exceeds the max receive count 5 of queue default; raise maxReceiveCount or lower maxAttempts',
      );
    });

    it('rejects a task whose time limit plus the safety margin does not fit its consumer timeout', () => {
      const slow = { ...queue, consumer: { ...queue.consumer, tasks: [{ name: 'report.render', maxAttempts: 3, timeLimitSeconds: 29 }] } };
      expect(thrownBy(() => synthStack('test', { ...DEFAULT_PLATFORM, queues: [slow], periodicTasks: [] })).message).toBe(
        'Bosun-test/DefaultConsumer: task "report.render": timeLimitSeconds 29 plus the 2 s safety margin exceeds the timeout 30 s of the consumer of queue default; raise the timeout or lower timeLimitSeconds',
      );
    });

    it('passes construct invariants through from the definition', () => {
      const slow = { ...queue, consumer: { ...queue.consumer, timeout: Duration.minutes(16) } };
      expect(thrownBy(() => synthStack('test', { ...DEFAULT_PLATFORM, queues: [slow] })).message).toBe(
        'Bosun-test/DefaultConsumer: timeout must be between 1 and 900 s (given 960 s)',
      );
    });
  });
});
