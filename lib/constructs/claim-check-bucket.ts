import { Duration, RemovalPolicy, Size, Stack, Validations } from 'aws-cdk-lib';
import { Effect, Grant, type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { BlockPublicAccess, Bucket, BucketEncryption, type CfnBucket, type IBucket, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import {
  CLAIM_CHECK_KEY_PREFIX,
  CONSOLE_AWS_ACCESS,
  CONSUMER_AWS_ACCESS,
  EnvVar,
  PRODUCER_AWS_ACCESS,
  Limits,
  MAX_DEAD_LETTER_SECONDS,
  MAX_ETA_SECONDS,
  MIN_CLAIM_CHECK_RETENTION_SECONDS,
  TASK_RESULT_KEY_PREFIX,
} from '../contract';
import { type ITaskConsumer } from './task-consumer';
import { between, validateProps } from './validation';

/** Seconds in one day, the unit of S3 lifecycle rules. */
const DAY_SECONDS = Duration.days(1).toSeconds();

/** Props of {@link ClaimCheckBucket}. */
export interface ClaimCheckBucketProps {
  /**
   * How long a claim-check or result object lives before S3 deletes it: whole days, at least 45 days
   * (`MIN_CLAIM_CHECK_RETENTION_SECONDS`: the furthest accepted ETA, plus the longest DLQ stay, plus one day), so no
   * accepted task outlives its payload.
   * @default - Duration.seconds(MIN_CLAIM_CHECK_RETENTION_SECONDS) (45 days)
   */
  readonly expiration?: Duration;
  /**
   * Envelope size above which producers move a payload to this bucket. 1 KiB–1 MiB (the SQS message limit).
   * @default Size.kibibytes(256)
   */
  readonly claimCheckThreshold?: Size;
  /**
   * Bucket that receives the server access logs.
   * @default - a dedicated log bucket, with the same encryption and TLS policy, whose logs expire after 90 days
   *   (needs the `@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy` feature flag, which `createBosunApp` sets)
   */
  readonly serverAccessLogsBucket?: IBucket;
  /**
   * What happens to the bucket when the stack is deleted (S3 refuses to delete a bucket that still holds objects).
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The S3 bucket that holds claim-checked payloads (`claim-checks/`) and large task results (`task-results/`): public
 * access blocked, S3-managed encryption, TLS enforced, server access logging, and objects that expire only after the
 * furthest ETA plus the longest DLQ stay. Nobody deletes claim checks by hand: a redelivered or redriven copy of a
 * message may still reference one, so the lifecycle is the only deleter.
 *
 * @example
 * const claimChecks = new ClaimCheckBucket(this, 'ClaimChecks', { claimCheckThreshold: Size.kibibytes(256) });
 * claimChecks.bindTo(consumer);
 */
export class ClaimCheckBucket extends Construct {
  /** The claim-check bucket. */
  public readonly bucket: Bucket;
  /**
   * When S3 expires claim-check objects and task results. Results share the claim-check retention: 45 days outlives
   * the 30-day TTL the runtime gives a task-state item after its last write, so a result reference in a live item
   * never points at an expired object, and one retention keeps the bucket's rules simple.
   */
  public readonly expiration: Duration;
  /** Envelope size above which payloads are claim-checked. */
  public readonly claimCheckThreshold: Size;

  public constructor(scope: Construct, id: string, props: ClaimCheckBucketProps = {}) {
    super(scope, id);
    this.expiration = props.expiration ?? Duration.seconds(MIN_CLAIM_CHECK_RETENTION_SECONDS);
    this.claimCheckThreshold = props.claimCheckThreshold ?? Size.bytes(Limits.DEFAULT_CLAIM_CHECK_THRESHOLD_BYTES);
    validateProps(this, [
      {
        prop: 'claimCheckThreshold',
        value: this.claimCheckThreshold,
        check: between(Limits.SQS_MIN_MESSAGE_BYTES, Limits.SQS_MAX_MESSAGE_BYTES, 'bytes'),
      },
      {
        prop: 'expiration',
        value: this.expiration,
        check: (seconds, given) =>
          seconds >= MIN_CLAIM_CHECK_RETENTION_SECONDS
            ? undefined
            : `must be at least ${MIN_CLAIM_CHECK_RETENTION_SECONDS} s (${MIN_CLAIM_CHECK_RETENTION_SECONDS / DAY_SECONDS} days: the furthest ETA of ${MAX_ETA_SECONDS / DAY_SECONDS} days, plus the longest DLQ stay of ${MAX_DEAD_LETTER_SECONDS / DAY_SECONDS} days, plus 1 day), or a claim-checked task can outlive its payload (given ${given})`,
      },
      {
        prop: 'expiration',
        value: this.expiration,
        check: (seconds, given) =>
          seconds % DAY_SECONDS === 0 ? undefined : `must be a whole number of days, the unit of S3 lifecycle rules (given ${given})`,
      },
    ]);

    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const logsBucket = props.serverAccessLogsBucket ?? this.createLogsBucket(removalPolicy);
    this.bucket = new Bucket(this, 'Bucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: logsBucket,
      serverAccessLogsPrefix: 'claim-checks/',
      removalPolicy,
      lifecycleRules: [
        { id: 'expire-claim-checks', prefix: CLAIM_CHECK_KEY_PREFIX, expiration: this.expiration },
        { id: 'expire-task-results', prefix: TASK_RESULT_KEY_PREFIX, expiration: this.expiration },
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
    });
  }

  /**
   * Tells the consumer the bucket (`BOSUN_BUCKET_NAME`; consumers only read claim checks, so the threshold, which
   * producers use, is a stack output instead) and grants
   * exactly the S3 access of `CONSUMER_AWS_ACCESS`: each object action on its key prefix only, and each bucket action
   * (ListBucket) with an `s3:prefix` condition limited to its prefix.
   *
   * @example
   * claimChecks.bindTo(consumer);
   */
  public bindTo(consumer: ITaskConsumer): void {
    consumer.addEnvironment(EnvVar.BUCKET_NAME, this.bucket.bucketName);
    const bucketLogicalId = Stack.of(this).resolve((this.bucket.node.defaultChild as CfnBucket).logicalId) as string;
    for (const access of CONSUMER_AWS_ACCESS.claimCheckBucket.objects) {
      const keys = `${access.keyPrefix}*`;
      consumer.grantPrincipal.addToPrincipalPolicy(
        new PolicyStatement({ effect: Effect.ALLOW, actions: [access.action], resources: [this.bucket.arnForObjects(keys)] }),
      );
      Validations.of(consumer).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${bucketLogicalId}.Arn>/${keys}]`,
        reason: `Keys under ${access.keyPrefix} are created per task and unknown in advance; the consumer ${access.purpose}, with ${access.action} on that prefix of the claim-check bucket only.`,
      });
    }
    for (const access of CONSUMER_AWS_ACCESS.claimCheckBucket.bucket) {
      consumer.grantPrincipal.addToPrincipalPolicy(
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions: [access.action],
          resources: [this.bucket.bucketArn],
          conditions: { StringLike: { 's3:prefix': `${access.keyPrefix}*` } },
        }),
      );
    }
  }

  /**
   * Grants a producer exactly the S3 access of `PRODUCER_AWS_ACCESS`: each object action (upload, and the undo of an
   * upload whose send failed) on its key prefix of this bucket only. A grantee that is a construct gets the cdk-nag
   * acknowledgement of the prefix wildcard, with the reason.
   *
   * @example
   * claimChecks.grantPublish(serviceRole);
   */
  public grantPublish(grantee: IGrantable): Grant {
    const bucketLogicalId = Stack.of(this).resolve((this.bucket.node.defaultChild as CfnBucket).logicalId) as string;
    const grants = PRODUCER_AWS_ACCESS.claimCheckBucket.objects.map((access) => {
      const keys = `${access.keyPrefix}*`;
      if (Construct.isConstruct(grantee)) {
        Validations.of(grantee).acknowledge({
          id: `AwsSolutions-IAM5[Resource::<${bucketLogicalId}.Arn>/${keys}]`,
          reason: `Keys under ${access.keyPrefix} are created per task and unknown in advance; the producer ${access.purpose}, with ${access.action} on that prefix of the claim-check bucket only.`,
        });
      }
      return Grant.addToPrincipal({ grantee, actions: [access.action], resourceArns: [this.bucket.arnForObjects(keys)] });
    });
    return grants.reduce((all, grant) => all.combine(grant));
  }

  /**
   * Grants an operator's console reading claim-checked payloads, exactly the S3 access of `CONSOLE_AWS_ACCESS`:
   * `GetObject` on the claim-check prefix only, and `ListBucket` with an `s3:prefix` condition limited to it (so a
   * missing object answers 404, not 403). A grantee that is a construct gets the cdk-nag acknowledgement of the
   * prefix wildcard, with the reason.
   *
   * @example
   * claimChecks.grantReadClaimChecks(onCallRole);
   */
  public grantReadClaimChecks(grantee: IGrantable): Grant {
    const bucketLogicalId = Stack.of(this).resolve((this.bucket.node.defaultChild as CfnBucket).logicalId) as string;
    const objects = CONSOLE_AWS_ACCESS.claimCheckBucket.objects.map((access) => {
      const keys = `${access.keyPrefix}*`;
      if (Construct.isConstruct(grantee)) {
        Validations.of(grantee).acknowledge({
          id: `AwsSolutions-IAM5[Resource::<${bucketLogicalId}.Arn>/${keys}]`,
          reason: `Keys under ${access.keyPrefix} are created per task and unknown in advance; the console ${access.purpose}, with ${access.action} on that prefix of the claim-check bucket only.`,
        });
      }
      return Grant.addToPrincipal({ grantee, actions: [access.action], resourceArns: [this.bucket.arnForObjects(keys)] });
    });
    const bucket = CONSOLE_AWS_ACCESS.claimCheckBucket.bucket.map((access) =>
      Grant.addToPrincipal({
        grantee,
        actions: [access.action],
        resourceArns: [this.bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': `${access.keyPrefix}*` } },
      }),
    );
    return [...objects, ...bucket].reduce((all, grant) => all.combine(grant));
  }

  private createLogsBucket(removalPolicy: RemovalPolicy): Bucket {
    const logs = new Bucket(this, 'AccessLogs', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(90) }],
    });
    Validations.of(logs).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the access-log bucket of the claim-check bucket; logging it into itself would loop.',
    });
    return logs;
  }
}

