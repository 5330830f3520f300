import { Duration, RemovalPolicy, Size, Stack, Validations } from 'aws-cdk-lib';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { BlockPublicAccess, Bucket, BucketEncryption, type CfnBucket, type IBucket, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { EnvVar, Limits } from '../contract';
import { ConstructPropsInvalidError } from './errors';
import { DEFAULT_DLQ_RETENTION } from './task-queue';
import { type ITaskConsumer } from './task-consumer';
import { between, validateProps } from './validation';

/** Key prefix of every claim-check object: the SDK writes `claim-checks/<taskId>/<random hex>`. */
export const CLAIM_CHECK_KEY_PREFIX = 'claim-checks/';

/** Days between the longest DLQ retention and the claim-check expiry, so a redriven task still finds its payload. */
const EXPIRY_MARGIN = Duration.days(7);

/** Props of {@link ClaimCheckBucket}. */
export interface ClaimCheckBucketProps {
  /**
   * Longest DLQ retention of the queues whose tasks this bucket holds payloads for; `expiration` must exceed it, so a
   * dead-lettered task never loses its payload.
   * @default Duration.days(14)
   */
  readonly longestDeadLetterRetention?: Duration;
  /**
   * How long a claim-check object lives before S3 deletes it; longer than `longestDeadLetterRetention`.
   * @default - the longest DLQ retention plus 7 days (21 days)
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
 * The S3 bucket that holds claim-checked payloads: public access blocked, S3-managed encryption, TLS enforced,
 * server access logging, and objects that expire after (never before) the longest DLQ retention.
 *
 * @example
 * const claimChecks = new ClaimCheckBucket(this, 'ClaimChecks', { longestDeadLetterRetention: Duration.days(14) });
 * claimChecks.bindTo(consumer);
 */
export class ClaimCheckBucket extends Construct {
  /** The claim-check bucket. */
  public readonly bucket: Bucket;
  /** When S3 expires claim-check objects. */
  public readonly expiration: Duration;
  /** Envelope size above which payloads are claim-checked. */
  public readonly claimCheckThreshold: Size;

  public constructor(scope: Construct, id: string, props: ClaimCheckBucketProps = {}) {
    super(scope, id);
    const longestDlq = props.longestDeadLetterRetention ?? DEFAULT_DLQ_RETENTION;
    this.expiration = props.expiration ?? longestDlq.plus(EXPIRY_MARGIN);
    this.claimCheckThreshold = props.claimCheckThreshold ?? Size.bytes(Limits.DEFAULT_CLAIM_CHECK_THRESHOLD_BYTES);
    validateProps(this, [
      {
        prop: 'claimCheckThreshold',
        value: this.claimCheckThreshold,
        check: between(Limits.SQS_MIN_MESSAGE_BYTES, Limits.SQS_MAX_MESSAGE_BYTES, 'bytes'),
      },
    ]);
    if (!this.expiration.isUnresolved() && !longestDlq.isUnresolved()) {
      const expirySeconds = this.expiration.toSeconds();
      if (expirySeconds <= longestDlq.toSeconds()) {
        throw new ConstructPropsInvalidError(
          this.node.path,
          'expiration',
          `${expirySeconds} s`,
          `expiration must be longer than the longest DLQ retention (${longestDlq.toSeconds()} s), or a dead-lettered task loses its payload (given ${expirySeconds} s)`,
        );
      }
      if (expirySeconds % Duration.days(1).toSeconds() !== 0) {
        throw new ConstructPropsInvalidError(
          this.node.path,
          'expiration',
          `${expirySeconds} s`,
          `expiration must be a whole number of days, the unit of S3 lifecycle rules (given ${expirySeconds} s)`,
        );
      }
    }

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
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
    });
  }

  /**
   * Tells the consumer the bucket and threshold (`BOSUN_BUCKET_NAME`, `BOSUN_CLAIM_CHECK_THRESHOLD_BYTES`) and grants
   * get, put and delete on claim-check objects only.
   *
   * @example
   * claimChecks.bindTo(consumer);
   */
  public bindTo(consumer: ITaskConsumer): void {
    consumer.addEnvironment(EnvVar.BUCKET_NAME, this.bucket.bucketName);
    consumer.addEnvironment(EnvVar.CLAIM_CHECK_THRESHOLD_BYTES, String(this.claimCheckThreshold.toBytes()));
    consumer.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
        resources: [this.bucket.arnForObjects(`${CLAIM_CHECK_KEY_PREFIX}*`)],
      }),
    );
    const bucketLogicalId = Stack.of(this).resolve((this.bucket.node.defaultChild as CfnBucket).logicalId) as string;
    Validations.of(consumer).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${bucketLogicalId}.Arn>/${CLAIM_CHECK_KEY_PREFIX}*]`,
      reason:
        'Claim-check keys (claim-checks/<taskId>/<random>) are created per task and unknown in advance; the grant is get/put/delete on that prefix of the claim-check bucket only.',
    });
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
