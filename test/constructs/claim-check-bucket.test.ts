import { Duration, Size } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { EnvVar } from '../../lib/contract';
import { CLAIM_CHECK_KEY_PREFIX, ClaimCheckBucket, ConstructPropsInvalidError, TaskConsumer, TaskQueue } from '../../lib/constructs';
import { CLAIM_CHECK_PREFIX } from '../../lib/aws/claim-check';
import { FIXTURE_ENTRY, templateOf, testStack, thrownBy } from './helpers';

describe('ClaimCheckBucket', () => {
  it('blocks public access, encrypts, and enforces TLS', () => {
    const stack = testStack();
    new ClaimCheckBucket(stack, 'B');
    const template = templateOf(stack);
    template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      LoggingConfiguration: { DestinationBucketName: { Ref: Match.stringLikeRegexp('^BAccessLogs') }, LogFilePrefix: 'claim-checks/' },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: Match.stringLikeRegexp('^BBucket') },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('expires claim checks 7 days after the longest DLQ retention, so a dead task keeps its payload', () => {
    const stack = testStack();
    new ClaimCheckBucket(stack, 'B', { longestDeadLetterRetention: Duration.days(14) });
    templateOf(stack).hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ Id: 'expire-claim-checks', Prefix: 'claim-checks/', ExpirationInDays: 21, Status: 'Enabled' }),
          Match.objectLike({ Id: 'abort-incomplete-uploads', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } }),
        ]),
      },
    });
  });

  it('delivers access logs through a bucket policy, not an ACL', () => {
    const stack = testStack();
    new ClaimCheckBucket(stack, 'B');
    const template = templateOf(stack);
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: Match.stringLikeRegexp('^BAccessLogs') },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Allow', Principal: { Service: 'logging.s3.amazonaws.com' }, Action: 's3:PutObject' }),
        ]),
      },
    });
    template.allResourcesProperties('AWS::S3::Bucket', { AccessControl: Match.absent() });
  });

  it('bindTo sets the bucket and threshold env vars and grants get/put/delete on claim-checks/* only', () => {
    const stack = testStack();
    const queue = new TaskQueue(stack, 'Q', { taskQueueName: 'default', visibilityTimeout: Duration.seconds(360) });
    const consumer = new TaskConsumer(stack, 'C', { queue, entry: FIXTURE_ENTRY, timeout: Duration.seconds(60) });
    new ClaimCheckBucket(stack, 'B', { claimCheckThreshold: Size.kibibytes(128) }).bindTo(consumer);
    const template = templateOf(stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          [EnvVar.BUCKET_NAME]: { Ref: Match.stringLikeRegexp('^BBucket') },
          [EnvVar.CLAIM_CHECK_THRESHOLD_BYTES]: '131072',
        }),
      },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Effect: 'Allow',
            Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
            Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^BBucket'), 'Arn'] }, '/claim-checks/*']] },
          },
        ]),
      },
    });
  });

  it('grants on the same key prefix the SDK writes claim checks under', () => {
    expect(CLAIM_CHECK_KEY_PREFIX).toBe(CLAIM_CHECK_PREFIX);
  });

  describe('validation', () => {
    it('rejects an expiration not longer than the longest DLQ retention', () => {
      const stack = testStack();
      const error = thrownBy(() => new ClaimCheckBucket(stack, 'B', { expiration: Duration.days(14) }));
      expect(error).toBeInstanceOf(ConstructPropsInvalidError);
      expect(error.message).toBe(
        'Test/B: expiration must be longer than the longest DLQ retention (1209600 s), or a dead-lettered task loses its payload (given 1209600 s)',
      );
    });

    it('rejects an expiration that is not whole days', () => {
      const stack = testStack();
      expect(thrownBy(() => new ClaimCheckBucket(stack, 'B', { expiration: Duration.hours(400) })).message).toBe(
        'Test/B: expiration must be a whole number of days, the unit of S3 lifecycle rules (given 1440000 s)',
      );
    });

    it('rejects a threshold above the 1 MiB SQS message limit', () => {
      const stack = testStack();
      expect(thrownBy(() => new ClaimCheckBucket(stack, 'B', { claimCheckThreshold: Size.mebibytes(2) })).message).toBe(
        'Test/B: claimCheckThreshold must be between 1024 and 1048576 bytes (given 2097152 bytes)',
      );
    });
  });
});
