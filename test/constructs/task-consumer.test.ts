import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Duration } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { AccountRootPrincipal, Role } from 'aws-cdk-lib/aws-iam';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { EnvVar } from '../../lib/contract';
import {
  CONSUMER_BUNDLING,
  ConstructPropsInvalidError,
  TaskConsumer,
  type TaskConsumerProps,
  TaskQueue,
} from '../../lib/constructs';
import { FIXTURE_ENTRY, FIXTURE_TASKS, templateOf, testStack, thrownBy } from './helpers';

function consumerStack(props: Partial<TaskConsumerProps> = {}, visibilityTimeout = Duration.seconds(360)) {
  const stack = testStack();
  const queue = new TaskQueue(stack, 'Q', { taskQueueName: 'default', maxReceiveCount: 4, visibilityTimeout });
  const consumer = new TaskConsumer(stack, 'C', {
    queue,
    entry: FIXTURE_ENTRY,
    tasks: FIXTURE_TASKS,
    timeout: Duration.seconds(60),
    ...props,
  });
  return { stack, queue, consumer };
}

describe('TaskConsumer.grantPauseConsumption (bosun pause, resume, drain)', () => {
  it('grants reading and updating this consumer\'s mapping, listing mappings, and reading its queue\'s attributes', () => {
    const { stack, consumer } = consumerStack();
    const operator = new Role(stack, 'Operator', { assumedBy: new AccountRootPrincipal() });

    consumer.grantPauseConsumption(operator);

    const template = templateOf(stack);
    const [mappingId] = Object.keys(template.findResources('AWS::Lambda::EventSourceMapping'));
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^Operator') }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Effect: 'Allow',
            Action: ['lambda:GetEventSourceMapping', 'lambda:UpdateEventSourceMapping'],
            Resource: {
              'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp(':lambda:eu-west-1:111111111111:event-source-mapping:$'), { Ref: mappingId }])],
            },
          },
          { Effect: 'Allow', Action: 'lambda:ListEventSourceMappings', Resource: '*' },
          { Effect: 'Allow', Action: 'sqs:GetQueueAttributes', Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^QQueue'), 'Arn'] } },
        ]),
      },
    });
  });
});

describe('TaskConsumer', () => {
  it('runs on nodejs22.x arm64 with the given timeout and memory, logging JSON to its own log group', () => {
    const { stack } = consumerStack({ memorySize: 1024, functionName: 'bosun-dev-default-consumer' });
    const template = templateOf(stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'bosun-dev-default-consumer',
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      Timeout: 60,
      MemorySize: 1024,
      LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: Match.stringLikeRegexp('CLogGroup') } },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('consumes through an event source with ReportBatchItemFailures and maxConcurrency, not reserved concurrency', () => {
    const { stack } = consumerStack({ batchSize: 100, maxBatchingWindow: Duration.seconds(5), maxConcurrency: 20 });
    const template = templateOf(stack);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Q'), 'Arn'] },
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 5,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 20 },
    });
    template.hasResourceProperties('AWS::Lambda::Function', { ReservedConcurrentExecutions: Match.absent() });
  });

  it('binds its own queue: env vars plus consume and send-to-DLQ grants, and no managed policies', () => {
    const { stack } = consumerStack();
    const template = templateOf(stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          [EnvVar.QUEUE_NAME]: 'default',
          [EnvVar.QUEUE_URL]: { Ref: Match.stringLikeRegexp('^QQueue') },
          [EnvVar.DLQ_URL]: { Ref: Match.stringLikeRegexp('^QDeadLetterQueue') },
          [EnvVar.MAX_RECEIVE_COUNT]: '4',
          POWERTOOLS_SERVICE_NAME: 'bosun-default',
          POWERTOOLS_METRICS_NAMESPACE: 'Bosun',
          POWERTOOLS_LOG_LEVEL: 'INFO',
          NODE_OPTIONS: '--enable-source-maps',
        }),
      },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
            Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^CLogGroup'), 'Arn'] },
          }),
          Match.objectLike({
            Action: Match.arrayWith(['sqs:ReceiveMessage', 'sqs:ChangeMessageVisibility', 'sqs:DeleteMessage']),
            Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^QQueue'), 'Arn'] },
          }),
          Match.objectLike({
            Action: Match.arrayWith(['sqs:SendMessage']),
            Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^QDeadLetterQueue'), 'Arn'] },
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::IAM::Role', { ManagedPolicyArns: Match.absent() });
  });

  it('bindTaskQueues sets BOSUN_QUEUE_URLS to a JSON map and grants sending to each queue', () => {
    const { stack, queue, consumer } = consumerStack();
    const bulk = new TaskQueue(stack, 'Bulk', { taskQueueName: 'bulk' });
    consumer.bindTaskQueues([queue, bulk]);
    const template = templateOf(stack);
    const fn = Object.values(template.findResources('AWS::Lambda::Function'))[0] as {
      Properties: { Environment: { Variables: Record<string, unknown> } };
    };
    const urls = stack.resolve(fn.Properties.Environment.Variables[EnvVar.QUEUE_URLS]) as { 'Fn::Join': [string, unknown[]] };
    expect(urls['Fn::Join'][1]).toEqual([
      '{"default":"',
      { Ref: expect.stringMatching(/^QQueue/) },
      '","bulk":"',
      { Ref: expect.stringMatching(/^BulkQueue/) },
      '"}',
    ]);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: Match.arrayWith(['sqs:SendMessage']),
            Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^BulkQueue'), 'Arn'] },
          }),
        ]),
      },
    });
  });

  it('bindLegacyQueue sets BOSUN_LEGACY_QUEUE_URL and grants sending to that queue', () => {
    const { stack, consumer } = consumerStack();
    consumer.bindLegacyQueue(new Queue(stack, 'Legacy'));
    const template = templateOf(stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ [EnvVar.LEGACY_QUEUE_URL]: { Ref: Match.stringLikeRegexp('^Legacy') } }) },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Legacy'), 'Arn'] } }),
        ]),
      },
    });
  });

  it('warns when the visibility timeout is under 6 × the function timeout', () => {
    const { stack } = consumerStack({}, Duration.seconds(120));
    Annotations.fromStack(stack).hasWarning(
      '/Test/C',
      Match.stringLikeRegexp('visibilityTimeout of queue default is 120 s, under 6 × the function timeout \\(360 s\\)'),
    );
  });

  describe('validation', () => {
    const cases: Array<[string, Partial<TaskConsumerProps>, string]> = [
      ['timeout over 900 s', { timeout: Duration.seconds(901) }, 'Test/C: timeout must be between 1 and 900 s (given 901 s)'],
      ['memory under 128 MiB', { memorySize: 64 }, 'Test/C: memorySize must be between 128 and 10240 MiB (given 64)'],
      ['batch size 0', { batchSize: 0 }, 'Test/C: batchSize must be between 1 and 10000 (given 0)'],
      [
        'batching window over 300 s',
        { maxBatchingWindow: Duration.seconds(301) },
        'Test/C: maxBatchingWindow must be between 0 and 300 s (given 301 s)',
      ],
      ['maxConcurrency 1', { maxConcurrency: 1 }, 'Test/C: maxConcurrency must be between 2 and 1000 (given 1)'],
      ['maxConcurrency 1001', { maxConcurrency: 1001 }, 'Test/C: maxConcurrency must be between 2 and 1000 (given 1001)'],
      [
        'batch size above 10 without a batching window',
        { batchSize: 20 },
        'Test/C: maxBatchingWindow must be at least 1 s when batchSize is above 10 (given 0 s with batchSize 20)',
      ],
      [
        'a task with more attempts than the queue receives (SQS would dead-letter it early)',
        { tasks: [...FIXTURE_TASKS, { name: 'demo.flaky', maxAttempts: 6, timeLimitSeconds: 10 }] },
        'Test/C: task "demo.flaky": maxAttempts 6 exceeds the max receive count 4 of queue default; raise maxReceiveCount or lower maxAttempts',
      ],
      [
        'a task whose time limit plus the safety margin exceeds the function timeout (it could never start)',
        { tasks: [{ name: 'report.render', maxAttempts: 1, timeLimitSeconds: 59 }] },
        'Test/C: task "report.render": timeLimitSeconds 59 plus the 2 s safety margin exceeds the timeout 60 s of the consumer of queue default; raise the timeout or lower timeLimitSeconds',
      ],
    ];

    it.each(cases)('rejects %s', (_label, props, message) => {
      const error = thrownBy(() => consumerStack(props));
      expect(error).toBeInstanceOf(ConstructPropsInvalidError);
      expect(error.message).toBe(message);
    });

    it('accepts tasks at the limits: maxAttempts equal to the receive count, time limit plus margin equal to the timeout', () => {
      const { consumer } = consumerStack({ tasks: [{ name: 'demo.edge', maxAttempts: 4, timeLimitSeconds: 58 }] });
      expect(consumer.queue.maxReceiveCount).toBe(4);
    });

    it('rejects a queue visibility timeout shorter than the function timeout', () => {
      const error = thrownBy(() => consumerStack({ timeout: Duration.seconds(60) }, Duration.seconds(30)));
      expect(error.message).toBe(
        'Test/C: visibilityTimeout of queue default must be at least the function timeout (60 s), and AWS recommends 6 × (360 s) (given 30 s)',
      );
    });
  });

  it('bundles with the local esbuild into minified CommonJS with a source map', () => {
    // GIVEN a stack that really bundles
    const stack = testStack({ bundle: true });
    const queue = new TaskQueue(stack, 'Q', { taskQueueName: 'default', visibilityTimeout: Duration.seconds(360) });
    // WHEN
    new TaskConsumer(stack, 'C', { queue, entry: FIXTURE_ENTRY, tasks: FIXTURE_TASKS, timeout: Duration.seconds(60) });
    const assembly = stack.node.root as unknown as { synth(): { directory: string } };
    const outdir = assembly.synth().directory;
    // THEN the asset holds index.js (CJS, minified) and its map
    const assetDir = readdirSync(outdir).find((name) => name.startsWith('asset.'));
    expect(assetDir).toBeDefined();
    const files = readdirSync(join(outdir, assetDir!)).sort();
    expect(files).toEqual(['index.js', 'index.js.map']);
    const code = readFileSync(join(outdir, assetDir!, 'index.js'), 'utf8');
    expect(code).toContain('module.exports');
    expect(code.split('\n').length).toBeLessThan(10);
    expect(code).toContain('//# sourceMappingURL=index.js.map');
    expect(existsSync(join(outdir, assetDir!, 'index.js.map'))).toBe(true);
    expect(CONSUMER_BUNDLING).toMatchObject({ forceDockerBundling: false, minify: true, sourceMap: true, target: 'node22' });
  }, 120_000);
});
