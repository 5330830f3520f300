import { Arn, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Effect, Grant, type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { CONSUMER_AWS_ACCESS, EnvVar, PRODUCER_AWS_ACCESS, TaskAttribute, TaskTable } from '../contract';
import { type ITaskConsumer } from './task-consumer';

/** Attributes the running-tasks index carries besides its keys: what a drain prints. */
const RUNNING_INDEX_ATTRIBUTES = [
  TaskAttribute.TASK_NAME,
  TaskAttribute.STATUS,
  TaskAttribute.QUEUE,
  TaskAttribute.ATTEMPTS,
  TaskAttribute.STARTED_AT,
  TaskAttribute.INTERRUPTIBLE,
] as const;

/** Props of {@link TaskStateTable}. */
export interface TaskStateTableProps {
  /**
   * Physical table name.
   * @default - a name CloudFormation generates
   */
  readonly tableName?: string;
  /**
   * What happens to the table when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Refuse `DeleteTable` calls, whatever the removal policy.
   * @default false
   */
  readonly deletionProtection?: boolean;
}

/**
 * The task-state table: one item per task, on-demand, TTL on `expiresAt`, point-in-time recovery, and the sparse
 * `dead-by-task-name` index (partition `deadTaskName`, sort `deadAt`) that lists the dead tasks of one task name in a
 * time range. A task is read by id with `GetItem` on `taskId`. Neither access pattern scans, and only dead items
 * carry the index key, so ordinary traffic never writes to the index and a busy task name cannot make it hot. The
 * sparse `running-by-queue` index (partition `runningShard` = `<queue>#<shard>`, sort `leaseUntilMs`) lists the tasks
 * whose handler runs now, for `bosun drain`.
 *
 * @example
 * const table = new TaskStateTable(this, 'TaskState', { tableName: 'bosun-dev-tasks' });
 * table.bindTo(consumer);
 */
export class TaskStateTable extends Construct {
  /** The task-state table. */
  public readonly table: Table;

  public constructor(scope: Construct, id: string, props: TaskStateTableProps = {}) {
    super(scope, id);
    this.table = new Table(this, 'Table', {
      tableName: props.tableName,
      partitionKey: { name: TaskTable.PARTITION_KEY, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: TaskTable.TTL_ATTRIBUTE,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.AWS_MANAGED,
      deletionProtection: props.deletionProtection ?? false,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: TaskTable.DEAD_TASKS_INDEX,
      partitionKey: { name: TaskTable.DEAD_TASK_NAME, type: AttributeType.STRING },
      sortKey: { name: TaskTable.DEAD_AT, type: AttributeType.STRING },
      projectionType: ProjectionType.ALL,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: TaskTable.RUNNING_INDEX,
      partitionKey: { name: TaskTable.RUNNING_SHARD, type: AttributeType.STRING },
      sortKey: { name: TaskTable.LEASE_UNTIL_MS, type: AttributeType.NUMBER },
      projectionType: ProjectionType.INCLUDE,
      nonKeyAttributes: [...RUNNING_INDEX_ATTRIBUTES],
    });
  }

  /** ARN of the running-tasks index. */
  public get runningTasksIndexArn(): string {
    return Arn.format(
      { service: 'dynamodb', resource: 'table', resourceName: `${this.table.tableName}/index/${TaskTable.RUNNING_INDEX}` },
      Stack.of(this),
    );
  }

  /**
   * Lets an operator's role (or a deploy pipeline's) list the running tasks of the queues, as `bosun drain` does:
   * `dynamodb:Query` on the running-tasks index, and nothing on the table.
   *
   * @example
   * table.grantListRunning(deployRole);
   */
  public grantListRunning(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({ grantee, actions: ['dynamodb:Query'], resourceArns: [this.runningTasksIndexArn] });
  }

  /** ARN of the dead-tasks index. */
  public get deadTasksIndexArn(): string {
    return Arn.format(
      { service: 'dynamodb', resource: 'table', resourceName: `${this.table.tableName}/index/${TaskTable.DEAD_TASKS_INDEX}` },
      Stack.of(this),
    );
  }

  /**
   * Tells the consumer the table (`BOSUN_TABLE_NAME`) and grants exactly the DynamoDB actions of `CONSUMER_AWS_ACCESS`
   * (conditional `UpdateItem` transitions and a consistent `GetItem` after a refused condition) on the table, and
   * nothing on its index: no queries, scans, puts, deletes or table management.
   *
   * @example
   * table.bindTo(consumer);
   */
  public bindTo(consumer: ITaskConsumer): void {
    consumer.addEnvironment(EnvVar.TABLE_NAME, this.table.tableName);
    consumer.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: [...CONSUMER_AWS_ACCESS.taskStateTable.actions],
        resources: [this.table.tableArn],
      }),
    );
  }

  /**
   * Grants a producer exactly the DynamoDB actions of `PRODUCER_AWS_ACCESS` on the table (the conditional records a
   * publish writes, reads after a refused condition, hand-over and cancel updates, the undo of a record), and nothing
   * on its index.
   *
   * @example
   * table.grantPublish(serviceRole);
   */
  public grantPublish(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({ grantee, actions: [...PRODUCER_AWS_ACCESS.taskStateTable.actions], resourceArns: [this.table.tableArn] });
  }
}
