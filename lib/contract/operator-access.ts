/**
 * The AWS calls the operator tools make that producers do not, by resource: the one owner of that fact for the
 * constructs' operator grants (`PlatformStack.grantMoveFrom`, `grantRedrive`, `grantReadOutputs`). Tests record the
 * tools' real calls against the emulators and check they stay within these lists.
 */
import type { SqsAction } from './consumer-access';

/** An IAM action of CloudFormation, for example `cloudformation:DescribeStacks`. */
export type CloudFormationAction = `cloudformation:${string}`;

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
