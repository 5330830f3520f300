import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LocalTemplateError } from '../../local/errors';
import { type CfnTemplate, IntrinsicResolver, LOCAL_ACCOUNT_ID } from '../../local/intrinsics';
import { readPlatformTemplate } from '../../local/platform-template';

const pseudo = { region: 'eu-west-1', accountId: LOCAL_ACCOUNT_ID, stackName: 'Bosun-local' };

function templateWith(assetDir: string): CfnTemplate {
  return {
    Parameters: { BootstrapVersion: { Default: '/cdk-bootstrap/hnb659fds/version' } },
    Conditions: { IsLocal: { 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'eu-west-1'] } },
    Resources: {
      Dlq: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'bosun-local-default-dlq', MessageRetentionPeriod: 1209600 } },
      Queue: {
        Type: 'AWS::SQS::Queue',
        Properties: {
          QueueName: { 'Fn::Join': ['-', ['bosun', 'local', 'default']] },
          VisibilityTimeout: 180,
          SqsManagedSseEnabled: true,
          RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': ['Dlq', 'Arn'] }, maxReceiveCount: 5 },
        },
      },
      Bucket: { Type: 'AWS::S3::Bucket', Properties: {} },
      Table: {
        Type: 'AWS::DynamoDB::Table',
        Properties: {
          TableName: 'bosun-local-tasks',
          KeySchema: [{ AttributeName: 'taskId', KeyType: 'HASH' }],
          AttributeDefinitions: [
            { AttributeName: 'taskId', AttributeType: 'S' },
            { AttributeName: 'deadTaskName', AttributeType: 'S' },
          ],
          GlobalSecondaryIndexes: [
            { IndexName: 'dead', KeySchema: [{ AttributeName: 'deadTaskName', KeyType: 'HASH' }], Projection: { ProjectionType: 'ALL' } },
          ],
          TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        },
      },
      Consumer: {
        Type: 'AWS::Lambda::Function',
        Metadata: { 'aws:asset:path': assetDir },
        Properties: {
          Handler: 'index.handler',
          Timeout: 30,
          MemorySize: 512,
          Environment: {
            Variables: {
              QUEUE_URL: { Ref: 'Queue' },
              QUEUE_URLS: { 'Fn::Join': ['', ['{"default":"', { Ref: 'Queue' }, '"}']] },
              DLQ_ARN: { 'Fn::GetAtt': ['Dlq', 'Arn'] },
              WHERE: { 'Fn::Sub': '${AWS::Region}/${Queue.QueueName}/${!Literal}' },
              MODE: { 'Fn::If': ['IsLocal', 'local', 'aws'] },
              APP_ID: { Ref: 'RoutingApp' },
            },
          },
        },
      },
      Unpolled: { Type: 'AWS::Lambda::Function', Properties: { Handler: 'index.handler' } },
      Mapping: {
        Type: 'AWS::Lambda::EventSourceMapping',
        Properties: {
          EventSourceArn: { 'Fn::GetAtt': ['Queue', 'Arn'] },
          FunctionName: { Ref: 'Consumer' },
          BatchSize: 25,
          MaximumBatchingWindowInSeconds: 2,
          ScalingConfig: { MaximumConcurrency: 4 },
          FunctionResponseTypes: ['ReportBatchItemFailures'],
        },
      },
      RoutingApp: { Type: 'AWS::AppConfig::Application', Properties: { Name: 'bosun' } },
      RoutingDoc: {
        Type: 'AWS::AppConfig::HostedConfigurationVersion',
        Properties: { Content: '{"version":1,"defaultDestination":"default","rules":[]}' },
      },
    },
    Outputs: {
      DefaultQueueUrl: { Value: { Ref: 'Queue' } },
      TableName: { Value: { Ref: 'Table' } },
    },
  };
}

describe('readPlatformTemplate', () => {
  let assemblyDir: string;
  beforeAll(() => {
    assemblyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-template-'));
    fs.mkdirSync(path.join(assemblyDir, 'asset.abc'));
    fs.writeFileSync(path.join(assemblyDir, 'asset.abc', 'index.js'), 'exports.handler = async () => null;\n');
  });
  afterAll(() => fs.rmSync(assemblyDir, { recursive: true, force: true }));

  it('reads queues, redrive policies, tables, polled functions, mappings, the routing document and outputs', () => {
    const template = templateWith('asset.abc');
    const resolver = new IntrinsicResolver(template, pseudo);
    const platform = readPlatformTemplate(template, { assemblyDir, resolver, stackName: 'Bosun-local' });

    expect(platform.queues).toEqual([
      { logicalId: 'Dlq', queueName: 'bosun-local-default-dlq', attributes: { MessageRetentionPeriod: '1209600' } },
      {
        logicalId: 'Queue',
        queueName: 'bosun-local-default',
        attributes: { VisibilityTimeout: '180' },
        redrive: { deadLetterQueueLogicalId: 'Dlq', maxReceiveCount: 5 },
      },
    ]);
    expect(platform.buckets).toEqual([{ logicalId: 'Bucket', bucketName: 'bosun-local-bucket' }]);
    expect(platform.tables[0]).toMatchObject({
      tableName: 'bosun-local-tasks',
      ttlAttribute: 'expiresAt',
      globalSecondaryIndexes: [{ IndexName: 'dead' }],
    });
    expect(platform.functions.map((fn) => fn.logicalId)).toEqual(['Consumer']);
    expect(platform.functions[0]).toMatchObject({
      functionName: 'Bosun-local-Consumer',
      modulePath: path.join(assemblyDir, 'asset.abc', 'index.js'),
      exportName: 'handler',
      timeoutSeconds: 30,
      memorySizeMb: 512,
    });
    expect(platform.eventSourceMappings).toEqual([
      {
        logicalId: 'Mapping',
        functionLogicalId: 'Consumer',
        queueLogicalId: 'Queue',
        batchSize: 25,
        maximumBatchingWindowSeconds: 2,
        maxConcurrency: 4,
        reportBatchItemFailures: true,
        enabled: true,
      },
    ]);
    expect(platform.routingDocumentContent).toBe('{"version":1,"defaultDestination":"default","rules":[]}');
  });

  it('resolves environment intrinsics against the registered local resources', () => {
    const template = templateWith('asset.abc');
    const resolver = new IntrinsicResolver(template, pseudo);
    const url = 'http://sqs.eu-west-1.localhost:4566/000000000000/bosun-local-default';
    resolver.register('Queue', {
      ref: url,
      attributes: { Arn: 'arn:aws:sqs:eu-west-1:000000000000:bosun-local-default', QueueName: 'bosun-local-default' },
    });
    resolver.register('Dlq', { ref: 'dlq-url', attributes: { Arn: 'arn:dlq' } });
    const platform = readPlatformTemplate(template, { assemblyDir, resolver, stackName: 'Bosun-local' });

    const env = resolver.resolve(platform.functions[0]!.environment, 'env');

    expect(env).toEqual({
      QUEUE_URL: url,
      QUEUE_URLS: `{"default":"${url}"}`,
      DLQ_ARN: 'arn:dlq',
      WHERE: 'eu-west-1/bosun-local-default/${Literal}',
      MODE: 'local',
      APP_ID: 'local-RoutingApp',
    });
    expect(resolver.resolve(platform.outputs, 'Outputs')).toEqual({ DefaultQueueUrl: url, TableName: 'local-Table' });
  });

  it('names the template path of an unsupported intrinsic or a dangling reference', () => {
    const resolver = new IntrinsicResolver(templateWith('asset.abc'), pseudo);
    expect(() => resolver.resolve({ 'Fn::ImportValue': 'x' }, 'Outputs.X.Value')).toThrow(
      new LocalTemplateError(
        'Outputs.X.Value.Fn::ImportValue',
        'the intrinsic function Fn::ImportValue is not supported by the local platform',
      ),
    );
    expect(() => resolver.resolve({ Ref: 'Nope' }, 'Outputs.Y.Value')).toThrow(
      'Outputs.Y.Value.Ref: Ref to "Nope", which is neither a resource nor a parameter of the template',
    );
  });

  it('fails clearly when a polled function has no bundled asset', () => {
    const template = templateWith('asset.missing');
    const resolver = new IntrinsicResolver(template, pseudo);
    expect(() => readPlatformTemplate(template, { assemblyDir, resolver, stackName: 'Bosun-local' })).toThrow(
      'Resources.Consumer.Properties.Handler: handler "index.handler" has no module asset.missing/index.js/.cjs/.mjs in the asset directory',
    );
  });
});
