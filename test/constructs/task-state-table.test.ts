import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { AccountRootPrincipal, Role } from 'aws-cdk-lib/aws-iam';
import { EnvVar, TaskTable } from '../../lib/contract';
import { TaskConsumer, TaskQueue, TaskStateTable } from '../../lib/constructs';
import { FIXTURE_ENTRY, FIXTURE_TASKS, templateOf, testStack } from './helpers';

describe('TaskStateTable', () => {
  it('is on-demand, keyed by task id, with TTL and point-in-time recovery', () => {
    const stack = testStack();
    new TaskStateTable(stack, 'T', { tableName: 'bosun-dev-tasks' });
    const template = templateOf(stack);
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: 'bosun-dev-tasks',
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: TaskTable.PARTITION_KEY, KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: TaskTable.TTL_ATTRIBUTE, Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
    });
  });

  it('has the sparse dead-tasks index: task name partition, dead-at sort key', () => {
    const stack = testStack();
    new TaskStateTable(stack, 'T');
    templateOf(stack).hasResourceProperties('AWS::DynamoDB::Table', {
      AttributeDefinitions: Match.arrayWith([
        { AttributeName: TaskTable.PARTITION_KEY, AttributeType: 'S' },
        { AttributeName: TaskTable.DEAD_TASK_NAME, AttributeType: 'S' },
        { AttributeName: TaskTable.DEAD_AT, AttributeType: 'S' },
      ]),
      GlobalSecondaryIndexes: Match.arrayWith([
        {
          IndexName: TaskTable.DEAD_TASKS_INDEX,
          KeySchema: [
            { AttributeName: TaskTable.DEAD_TASK_NAME, KeyType: 'HASH' },
            { AttributeName: TaskTable.DEAD_AT, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ]),
    });
  });

  it('has the sparse running-tasks index: queue shard partition, lease-end (number) sort key, what a drain prints', () => {
    const stack = testStack();
    new TaskStateTable(stack, 'T');
    templateOf(stack).hasResourceProperties('AWS::DynamoDB::Table', {
      AttributeDefinitions: Match.arrayWith([
        { AttributeName: TaskTable.RUNNING_SHARD, AttributeType: 'S' },
        { AttributeName: TaskTable.LEASE_UNTIL_MS, AttributeType: 'N' },
      ]),
      GlobalSecondaryIndexes: Match.arrayWith([
        {
          IndexName: TaskTable.RUNNING_INDEX,
          KeySchema: [
            { AttributeName: TaskTable.RUNNING_SHARD, KeyType: 'HASH' },
            { AttributeName: TaskTable.LEASE_UNTIL_MS, KeyType: 'RANGE' },
          ],
          Projection: {
            ProjectionType: 'INCLUDE',
            NonKeyAttributes: ['taskName', 'status', 'queue', 'attempts', 'startedAt', 'interruptible'],
          },
        },
      ]),
    });
  });

  it('grantListRunning allows dynamodb:Query on the running index only, not on the table', () => {
    const stack = testStack();
    const table = new TaskStateTable(stack, 'T', { tableName: 'bosun-dev-tasks' });
    const operator = new Role(stack, 'Operator', { assumedBy: new AccountRootPrincipal() });
    table.grantListRunning(operator);
    const template = templateOf(stack);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: 'dynamodb:Query',
            Resource: {
              'Fn::Join': ['', Match.arrayWith([{ Ref: Match.stringLikeRegexp('^TTable') }, `/index/${TaskTable.RUNNING_INDEX}`])],
            },
          },
        ],
      },
    });
  });

  it('retains the table by default and honours the removal policy and deletion protection given', () => {
    const retained = testStack();
    new TaskStateTable(retained, 'T');
    templateOf(retained).hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });

    const destroyed = testStack();
    new TaskStateTable(destroyed, 'T', { removalPolicy: RemovalPolicy.DESTROY, deletionProtection: true });
    templateOf(destroyed).hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Delete',
      Properties: Match.objectLike({ DeletionProtectionEnabled: true }),
    });
  });

  it('bindTo sets BOSUN_TABLE_NAME and grants only UpdateItem and GetItem, on the table and not its index', () => {
    const stack = testStack();
    const queue = new TaskQueue(stack, 'Q', { taskQueueName: 'default', visibilityTimeout: Duration.seconds(360) });
    const consumer = new TaskConsumer(stack, 'C', { queue, entry: FIXTURE_ENTRY, tasks: FIXTURE_TASKS, timeout: Duration.seconds(60) });
    new TaskStateTable(stack, 'T').bindTo(consumer);
    const template = templateOf(stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ [EnvVar.TABLE_NAME]: { Ref: Match.stringLikeRegexp('^TTable') } }) },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Effect: 'Allow',
            Action: ['dynamodb:UpdateItem', 'dynamodb:GetItem'],
            Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^TTable'), 'Arn'] },
          },
        ]),
      },
    });
    const policies = JSON.stringify(template.findResources('AWS::IAM::Policy'));
    for (const unused of ['dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:ConditionCheckItem', 'dynamodb:Scan']) {
      expect(policies).not.toContain(unused);
    }
    expect(policies).not.toContain('/index/');
  });
});
