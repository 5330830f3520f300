/**
 * Every AWS call a Bosun consumer makes, by resource: the one owner of that fact. The constructs grant exactly this
 * (and derive their policy statements from it); a runtime test checks the runtime's real calls stay within it. The
 * emulators enforce no IAM, so a call missing here passes every local test and fails in AWS.
 */
import { CLAIM_CHECK_KEY_PREFIX, TASK_RESULT_KEY_PREFIX } from './storage';

/** An IAM action of DynamoDB, for example `dynamodb:GetItem`. */
export type DynamoDbAction = `dynamodb:${string}`;
/** An IAM action of S3, for example `s3:GetObject`. */
export type S3Action = `s3:${string}`;
/** An IAM action of SQS, for example `sqs:SendMessage`. */
export type SqsAction = `sqs:${string}`;

/** One S3 object action the consumer makes, on keys under one prefix of the claim-check bucket. */
export interface S3ObjectAccess {
  /** The action, for example `s3:GetObject`. */
  readonly action: S3Action;
  /** Key prefix the action is limited to, from `storage.ts`, for example `claim-checks/`. */
  readonly keyPrefix: string;
  /** Why the consumer makes the call. */
  readonly purpose: string;
}

/** One bucket-level S3 action the consumer makes, limited by an `s3:prefix` condition (StringLike `<keyPrefix>*`). */
export interface S3BucketAccess {
  /** The action, for example `s3:ListBucket`. */
  readonly action: S3Action;
  /** The only key prefix the `s3:prefix` condition lets the action name. */
  readonly keyPrefix: string;
  /** Why the consumer needs the grant. */
  readonly purpose: string;
}

/** The AWS access a consumer needs, by resource. */
export interface ConsumerAwsAccess {
  /** Item actions on the task-state table (the table only: no index). */
  readonly taskStateTable: { readonly actions: readonly DynamoDbAction[] };
  /** Access to the claim-check bucket. */
  readonly claimCheckBucket: {
    /** Object actions, each on one key prefix. */
    readonly objects: readonly S3ObjectAccess[];
    /** Bucket actions, each with an `s3:prefix` condition. */
    readonly bucket: readonly S3BucketAccess[];
  };
  /** SQS actions, by queue. */
  readonly queues: {
    /** On the queue the consumer serves: what its event source mapping needs, plus re-sends (ETA hops, holds, refreshes). */
    readonly own: readonly SqsAction[];
    /** On its own queue's DLQ: dead-lettering with a reason. */
    readonly deadLetterQueue: readonly SqsAction[];
    /** On every other Bosun queue: reroutes. */
    readonly otherTaskQueues: readonly SqsAction[];
    /** On the queue of the system being migrated from: hand-overs to the legacy destination. */
    readonly legacyQueue: readonly SqsAction[];
    /** On the Celery worker's queue: hand-overs to a `celeryDestination` (Celery protocol-2 messages). */
    readonly celeryQueue: readonly SqsAction[];
  };
}

/**
 * What a consumer's role allows, and nothing more: conditional state transitions with a consistent read after a
 * refused condition; reading claim-checked payloads (never writing or deleting them: the bucket lifecycle expires
 * them); writing large results; listing the claim-check prefix so a missing payload is a 404, not a 403; and the
 * sends of retries, re-sends, dead-letters, reroutes and hand-overs.
 *
 * @example
 * for (const access of CONSUMER_AWS_ACCESS.claimCheckBucket.objects) console.log(access.action, access.keyPrefix);
 */
export const CONSUMER_AWS_ACCESS: ConsumerAwsAccess = {
  taskStateTable: { actions: ['dynamodb:UpdateItem', 'dynamodb:GetItem'] },
  claimCheckBucket: {
    objects: [
      { action: 's3:GetObject', keyPrefix: CLAIM_CHECK_KEY_PREFIX, purpose: 'reads claim-checked payloads' },
      { action: 's3:PutObject', keyPrefix: TASK_RESULT_KEY_PREFIX, purpose: 'writes results above the inline limit' },
    ],
    bucket: [
      {
        action: 's3:ListBucket',
        keyPrefix: CLAIM_CHECK_KEY_PREFIX,
        purpose: 'makes GetObject of a missing claim check answer 404 NoSuchKey instead of 403 AccessDenied',
      },
    ],
  },
  queues: {
    own: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes', 'sqs:SendMessage'],
    deadLetterQueue: ['sqs:SendMessage'],
    otherTaskQueues: ['sqs:SendMessage'],
    legacyQueue: ['sqs:SendMessage'],
    celeryQueue: ['sqs:SendMessage'],
  },
};
