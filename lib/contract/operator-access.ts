/**
 * The AWS calls the operator tools make that producers do not, by resource: the one owner of that fact for the
 * constructs' operator grants (`PlatformStack.grantMoveFrom`, `grantRedrive`, `grantReadOutputs`, `grantReadStatus`, `grantConsole`).
 * Tests record the tools' real calls against the emulators and check they stay within these lists.
 */
import type { DynamoDbAction, S3BucketAccess, S3ObjectAccess, SqsAction } from './consumer-access';
import { CLAIM_CHECK_KEY_PREFIX } from './storage';

/** An IAM action of CloudFormation, for example `cloudformation:DescribeStacks`. */
export type CloudFormationAction = `cloudformation:${string}`;
/** An IAM action of Lambda, for example `lambda:ListEventSourceMappings`. */
export type LambdaAction = `lambda:${string}`;
/** An IAM action of CloudWatch, for example `cloudwatch:GetMetricData`. */
export type CloudWatchAction = `cloudwatch:${string}`;

/** What `bosun status` calls, by resource. */
export interface StatusAwsAccess {
  /** On every task queue, every DLQ and the schedules' DLQ: depths, and the queue ARN mappings are listed by. */
  readonly queues: readonly SqsAction[];
  /** On the task-state table: the counts by status and the oldest waiting task. */
  readonly table: readonly DynamoDbAction[];
  /**
   * On no resource IAM can name (`*`): each queue's event source mappings and their states (`ListEventSourceMappings`
   * has no resource-level permission), and the age of the oldest message (`GetMetricData` neither).
   */
  readonly anyResource: readonly (LambdaAction | CloudWatchAction)[];
}

/**
 * The access of `bosun status` (besides reading the stack outputs, `STACK_OUTPUTS_AWS_ACCESS`).
 *
 * @example
 * for (const action of STATUS_AWS_ACCESS.anyResource) console.log(action);
 */
export const STATUS_AWS_ACCESS: StatusAwsAccess = {
  queues: ['sqs:GetQueueAttributes'],
  table: ['dynamodb:Scan'],
  anyResource: ['lambda:ListEventSourceMappings', 'cloudwatch:GetMetricData'],
};

/** What the move engine (`bosun move`, `bosun dlq redrive`) calls on the queue it moves from and the one it moves to. */
export interface QueueMoverAwsAccess {
  /**
   * On the source: receive, delete after the copy was accepted (`DeleteMessageBatch` is authorized as
   * `DeleteMessage`), hand back what it leaves (`ChangeMessageVisibilityBatch` as `ChangeMessageVisibility`), and its
   * message count at the start.
   */
  readonly source: readonly SqsAction[];
  /** On the destination: the copies (`SendMessageBatch` is authorized as `SendMessage`). */
  readonly destination: readonly SqsAction[];
}

/**
 * The move engine's access: exactly these actions, on exactly its two queues.
 *
 * @example
 * for (const action of QUEUE_MOVER_AWS_ACCESS.source) console.log(action);
 */
export const QUEUE_MOVER_AWS_ACCESS: QueueMoverAwsAccess = {
  source: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes'],
  destination: ['sqs:SendMessage'],
};

/**
 * What reading a deployed platform's stack outputs needs (`taskClientOptionsFromStack`, the CLI's `--aws`): one
 * `DescribeStacks` of the platform stack.
 */
export const STACK_OUTPUTS_AWS_ACCESS: { readonly stack: readonly CloudFormationAction[] } = {
  stack: ['cloudformation:DescribeStacks'],
};

/** The AWS calls the Bosun console (`bosun console --aws`) makes to read a deployed platform, by resource. */
export interface ConsoleAwsAccess {
  /** On every task queue and DLQ, and the schedules' DLQ: the overview's depths. */
  readonly queues: readonly SqsAction[];
  /** On every DLQ: the DLQ browser reads messages and hands them straight back (it deletes nothing). */
  readonly deadLetterQueues: readonly SqsAction[];
  /** On the task-state table: task lookup. */
  readonly taskStateTable: { readonly actions: readonly `dynamodb:${string}`[] };
  /** On the claim-check bucket: a payload shown on request, and a missing object told apart from a refusal. */
  readonly claimCheckBucket: { readonly objects: readonly S3ObjectAccess[]; readonly bucket: readonly S3BucketAccess[] };
  /** CloudWatch, which has no resource-level permissions for it: the runtime's task metrics for the throughput chart. */
  readonly metrics: readonly `cloudwatch:${string}`[];
  /** Lambda, which has no resource-level permissions for it: whether each queue's consumers are enabled or paused. */
  readonly eventSourceMappings: readonly LambdaAction[];
}

/**
 * The console's read access: exactly these actions on exactly these resources, besides reading the routing document
 * and the stack outputs (as a producer and `--aws` do). Its redrive and delete (`--allow-actions`) are `bosun dlq
 * redrive`'s access (`grantRedrive`): the move engine's source actions on the DLQs and a producer's access.
 *
 * @example
 * for (const action of CONSOLE_AWS_ACCESS.deadLetterQueues) console.log(action);
 */
export const CONSOLE_AWS_ACCESS: ConsoleAwsAccess = {
  queues: ['sqs:GetQueueAttributes'],
  deadLetterQueues: ['sqs:ReceiveMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes'],
  taskStateTable: { actions: ['dynamodb:GetItem'] },
  claimCheckBucket: {
    objects: [{ action: 's3:GetObject', keyPrefix: CLAIM_CHECK_KEY_PREFIX, purpose: 'shows a claim-checked payload on request' }],
    bucket: [
      {
        action: 's3:ListBucket',
        keyPrefix: CLAIM_CHECK_KEY_PREFIX,
        purpose: 'gets 404 instead of 403 for a claim-check object that expired, so the console says it is gone',
      },
    ],
  },
  metrics: ['cloudwatch:GetMetricData'],
  eventSourceMappings: ['lambda:ListEventSourceMappings'],
};
