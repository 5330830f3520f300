/**
 * Every AWS call a Bosun producer makes (the SDK's `TaskClient`: publish, publishBatch, cancel), by resource: the one
 * owner of that fact. `PlatformStack.grantPublish` grants exactly this; an SDK test checks the client's real calls
 * stay within it, so a call missing here fails a test rather than a service in AWS.
 */
import { CLAIM_CHECK_KEY_PREFIX } from './storage';
import type { DynamoDbAction, S3ObjectAccess, SqsAction } from './consumer-access';

/** An IAM action of AppConfig, for example `appconfig:GetLatestConfiguration`. */
export type AppConfigAction = `appconfig:${string}`;

/** An IAM action of EventBridge Scheduler, for example `scheduler:CreateSchedule`. */
export type SchedulerAction = `scheduler:${string}`;

/** The AWS access a producer needs, by resource. */
export interface ProducerAwsAccess {
  /** Item actions on the task-state table (the table only: no index). */
  readonly taskStateTable: { readonly actions: readonly DynamoDbAction[] };
  /** Object actions on the claim-check bucket, each on one key prefix (no bucket-level action). */
  readonly claimCheckBucket: { readonly objects: readonly S3ObjectAccess[] };
  /** SQS actions, by queue. */
  readonly queues: {
    /** On every Bosun task queue (not their DLQs). */
    readonly taskQueues: readonly SqsAction[];
    /** On the queue of the system being migrated from, when the platform has one: publish-time hand-overs. */
    readonly legacyQueue: readonly SqsAction[];
    /** On the Celery worker's queue, when the platform names one: publish-time hand-overs to a `celeryDestination`. */
    readonly celeryQueue: readonly SqsAction[];
  };
  /** On the routing document's AppConfig configuration profile: the routing decision of every publish. */
  readonly routingProfile: { readonly actions: readonly AppConfigAction[] };
  /**
   * Far ETAs as one-time schedules: actions on the schedules of the ETA schedule group only (not the periodic
   * tasks' group), and `iam:PassRole` of the ETA schedule role, passed to Scheduler only.
   */
  readonly etaSchedules: { readonly actions: readonly SchedulerAction[]; readonly passRole: readonly 'iam:PassRole'[] };
}

/**
 * What a producer's role allows, and nothing more:
 * - the records a publish writes before its message exists (dedup gates, far ETAs, hand-overs at publish): a
 *   conditional `PutItem` each (also the puts inside `TransactWriteItems`, which IAM authorizes per item), a
 *   consistent `GetItem` (`getTask`, `waitForTask`, and after a refused condition), the `UpdateItem` of
 *   `handedOver` and `cancel`, and the conditional `DeleteItem` that undoes a record when the send certainly failed;
 * - claim-checked payloads: `PutObject` under `claim-checks/`, and `DeleteObject` there to undo an upload whose send
 *   certainly failed;
 * - `SendMessage` (which also authorizes `SendMessageBatch`) on the task queues, the legacy queue and the Celery queue;
 * - reading the routing document from AppConfig;
 * - creating a far-ETA task's one-time schedule (passing the ETA schedule role) and deleting it when the task is
 *   cancelled.
 *
 * @example
 * for (const action of PRODUCER_AWS_ACCESS.taskStateTable.actions) console.log(action);
 */
export const PRODUCER_AWS_ACCESS: ProducerAwsAccess = {
  taskStateTable: { actions: ['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'] },
  claimCheckBucket: {
    objects: [
      { action: 's3:PutObject', keyPrefix: CLAIM_CHECK_KEY_PREFIX, purpose: 'uploads payloads above the claim-check threshold' },
      { action: 's3:DeleteObject', keyPrefix: CLAIM_CHECK_KEY_PREFIX, purpose: 'removes the upload of a publish whose send certainly failed' },
    ],
  },
  queues: {
    taskQueues: ['sqs:SendMessage'],
    legacyQueue: ['sqs:SendMessage'],
    celeryQueue: ['sqs:SendMessage'],
  },
  routingProfile: { actions: ['appconfig:StartConfigurationSession', 'appconfig:GetLatestConfiguration'] },
  etaSchedules: { actions: ['scheduler:CreateSchedule', 'scheduler:DeleteSchedule'], passRole: ['iam:PassRole'] },
};
