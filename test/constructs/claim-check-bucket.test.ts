import { Duration, Size } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { EnvVar, MIN_CLAIM_CHECK_RETENTION_SECONDS } from '../../lib/contract';
import { ClaimCheckBucket, ConstructPropsInvalidError, TaskConsumer, TaskQueue } from '../../lib/constructs';
import { FIXTURE_ENTRY, FIXTURE_TASKS, templateOf, testStack, thrownBy } from './helpers';

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

  it('expires claim checks and results after 45 days by default, past the furthest ETA plus the longest DLQ stay', () => {
    const stack = testStack();
    new ClaimCheckBucket(stack, 'B');
    templateOf(stack).hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ Id: 'expire-claim-checks', Prefix: 'claim-checks/', ExpirationInDays: 45, Status: 'Enabled' }),
          Match.objectLike({ Id: 'expire-task-results', Prefix: 'task-results/', ExpirationInDays: 45, Status: 'Enabled' }),
          Match.objectLike({ Id: 'abort-incomplete-uploads', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } }),
        ]),
      },
    });
    expect(MIN_CLAIM_CHECK_RETENTION_SECONDS).toBe(45 * 86_400);
  });

  it('honours a longer expiration given in whole days', () => {
    const stack = testStack();
    new ClaimCheckBucket(stack, 'B', { expiration: Duration.days(60) });
    templateOf(stack).hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ Id: 'expire-claim-checks', ExpirationInDays: 60 }),
          Match.objectLike({ Id: 'expire-task-results', ExpirationInDays: 60 }),
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

  it('bindTo sets the bucket env var and grants get on claim-checks/*, put on task-results/*, and a prefix-limited list', () => {
    const stack = testStack();
    const queue = new TaskQueue(stack, 'Q', { taskQueueName: 'default', visibilityTimeout: Duration.seconds(360) });
    const consumer = new TaskConsumer(stack, 'C', { queue, entry: FIXTURE_ENTRY, tasks: FIXTURE_TASKS, timeout: Duration.seconds(60) });
    new ClaimCheckBucket(stack, 'B', { claimCheckThreshold: Size.kibibytes(128) }).bindTo(consumer);
    const template = templateOf(stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          [EnvVar.BUCKET_NAME]: { Ref: Match.stringLikeRegexp('^BBucket') },
        }),
      },
    });
    const bucketArn = { 'Fn::GetAtt': [Match.stringLikeRegexp('^BBucket'), 'Arn'] };
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          { Effect: 'Allow', Action: 's3:GetObject', Resource: { 'Fn::Join': ['', [bucketArn, '/claim-checks/*']] } },
          { Effect: 'Allow', Action: 's3:PutObject', Resource: { 'Fn::Join': ['', [bucketArn, '/task-results/*']] } },
          { Effect: 'Allow', Action: 's3:ListBucket', Resource: bucketArn, Condition: { StringLike: { 's3:prefix': 'claim-checks/*' } } },
        ]),
      },
    });
    expect(JSON.stringify(template.findResources('AWS::IAM::Policy'))).not.toContain('s3:DeleteObject');
  });

  describe('validation', () => {
    it('rejects an expiration shorter than the furthest ETA plus the longest DLQ stay', () => {
      const stack = testStack();
      const error = thrownBy(() => new ClaimCheckBucket(stack, 'B', { expiration: Duration.days(21) }));
      expect(error).toBeInstanceOf(ConstructPropsInvalidError);
      expect(error.message).toBe(
        'Test/B: expiration must be at least 3888000 s (45 days: the furthest ETA of 30 days, plus the longest DLQ stay of 14 days, plus 1 day), or a claim-checked task can outlive its payload (given 1814400 s)',
      );
    });

    it('rejects an expiration that is not whole days', () => {
      const stack = testStack();
      expect(thrownBy(() => new ClaimCheckBucket(stack, 'B', { expiration: Duration.hours(1090) })).message).toBe(
        'Test/B: expiration must be a whole number of days, the unit of S3 lifecycle rules (given 3924000 s)',
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
