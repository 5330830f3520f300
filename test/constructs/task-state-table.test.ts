import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { EnvVar, TaskTable } from '../../lib/contract';
import { TaskConsumer, TaskQueue, TaskStateTable } from '../../lib/constructs';
import { FIXTURE_ENTRY, templateOf, testStack } from './helpers';

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
      GlobalSecondaryIndexes: [
        {
          IndexName: TaskTable.DEAD_TASKS_INDEX,
          KeySchema: [
            { AttributeName: TaskTable.DEAD_TASK_NAME, KeyType: 'HASH' },
            { AttributeName: TaskTable.DEAD_AT, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
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

  it('bindTo sets BOSUN_TABLE_NAME and grants item access on the table and the dead-tasks index, without Scan', () => {
    const stack = testStack();
    const queue = new TaskQueue(stack, 'Q', { taskQueueName: 'default', visibilityTimeout: Duration.seconds(360) });
    const consumer = new TaskConsumer(stack, 'C', { queue, entry: FIXTURE_ENTRY, timeout: Duration.seconds(60) });
    new TaskStateTable(stack, 'T').bindTo(consumer);
    const template = templateOf(stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ [EnvVar.TABLE_NAME]: { Ref: Match.stringLikeRegexp('^TTable') } }) },
    });
    const policies = template.findResources('AWS::IAM::Policy');
    const statements = Object.values(policies).flatMap(
      (p) => (p as { Properties: { PolicyDocument: { Statement: Array<{ Action: string | string[]; Resource: unknown }> } } }).Properties.PolicyDocument.Statement,
    );
    const dynamo = statements.find((s) => Array.isArray(s.Action) && s.Action.includes('dynamodb:PutItem'));
    expect(dynamo).toBeDefined();
    expect(dynamo!.Action).toEqual([
      'dynamodb:GetItem',
      'dynamodb:Query',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
      'dynamodb:ConditionCheckItem',
    ]);
    expect(JSON.stringify(dynamo!.Resource)).toContain('/index/dead-by-task-name');
    expect(JSON.stringify(dynamo!.Resource)).not.toContain('*');
  });
});
