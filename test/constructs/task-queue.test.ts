import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { Duration, Lazy, Size } from 'aws-cdk-lib';
import { Key } from 'aws-cdk-lib/aws-kms';
import { ConstructPropsInvalidError, TaskQueue, TaskQueueEncryption } from '../../lib/constructs';
import { templateOf, testStack, thrownBy } from './helpers';

describe('TaskQueue', () => {
  it('creates a standard queue with a redrive policy to its DLQ, an explicit 1 MiB size and SQS-managed encryption', () => {
    // GIVEN
    const stack = testStack();
    // WHEN
    new TaskQueue(stack, 'Q', { taskQueueName: 'default', queueName: 'bosun-dev-default', maxReceiveCount: 7 });
    // THEN
    const template = templateOf(stack);
    template.resourceCountIs('AWS::SQS::Queue', 2);
    template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: 'bosun-dev-default',
      MaximumMessageSize: 1_048_576,
      MessageRetentionPeriod: 4 * 24 * 3600,
      VisibilityTimeout: 30,
      SqsManagedSseEnabled: true,
      FifoQueue: Match.absent(),
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('QDeadLetterQueue'), 'Arn'] }, maxReceiveCount: 7 },
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: 'bosun-dev-default-dlq',
      MaximumMessageSize: 1_048_576,
      MessageRetentionPeriod: 14 * 24 * 3600,
      SqsManagedSseEnabled: true,
    });
  });

  it('denies every non-TLS request to the queue and its DLQ', () => {
    const stack = testStack();
    new TaskQueue(stack, 'Q', { taskQueueName: 'default' });
    const template = templateOf(stack);
    template.resourceCountIs('AWS::SQS::QueuePolicy', 2);
    template.allResourcesProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('encrypts both queues with a rotated customer-managed key when encryption is KMS', () => {
    const stack = testStack();
    new TaskQueue(stack, 'Q', { taskQueueName: 'default', encryption: TaskQueueEncryption.KMS });
    const template = templateOf(stack);
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.allResourcesProperties('AWS::SQS::Queue', {
      KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('QKey'), 'Arn'] },
    });
  });

  it('derives the visibility timeout as 6 × the function timeout', () => {
    expect(TaskQueue.visibilityTimeoutFor(Duration.seconds(60)).toSeconds()).toBe(360);
    const stack = testStack();
    new TaskQueue(stack, 'Q', { taskQueueName: 'bulk', visibilityTimeout: TaskQueue.visibilityTimeoutFor(Duration.minutes(5)) });
    templateOf(stack).hasResourceProperties('AWS::SQS::Queue', { VisibilityTimeout: 1800 });
  });

  it('sets a delivery delay within SQS limits', () => {
    const stack = testStack();
    new TaskQueue(stack, 'Q', { taskQueueName: 'default', deliveryDelay: Duration.seconds(900) });
    templateOf(stack).hasResourceProperties('AWS::SQS::Queue', { DelaySeconds: 900 });
  });

  it('warns that maxReceiveCount 1 means no retries', () => {
    const stack = testStack();
    new TaskQueue(stack, 'Q', { taskQueueName: 'default', maxReceiveCount: 1 });
    Annotations.fromStack(stack).hasWarning('/Test/Q', Match.stringLikeRegexp('maxReceiveCount is 1: a task that fails once goes straight to the DLQ'));
  });

  describe('validation', () => {
    const cases: Array<[string, Parameters<typeof build>[0], string]> = [
      ['maxReceiveCount 0', { maxReceiveCount: 0 }, 'Test/Q: maxReceiveCount must be between 1 and 1000 (given 0)'],
      ['maxReceiveCount 1001', { maxReceiveCount: 1001 }, 'Test/Q: maxReceiveCount must be between 1 and 1000 (given 1001)'],
      [
        'retention under 60 s',
        { retentionPeriod: Duration.seconds(59) },
        'Test/Q: retentionPeriod must be between 60 and 1209600 s (given 59 s)',
      ],
      [
        'retention over 14 days',
        { retentionPeriod: Duration.days(15) },
        'Test/Q: retentionPeriod must be between 60 and 1209600 s (given 1296000 s)',
      ],
      [
        'DLQ retention equal to the source',
        { retentionPeriod: Duration.days(14), deadLetterRetentionPeriod: Duration.days(14) },
        'Test/Q: deadLetterRetentionPeriod must be longer than retentionPeriod (1209600 s), because a dead-lettered message keeps its original enqueue time (given 1209600 s)',
      ],
      [
        'DLQ retention shorter than the source',
        { retentionPeriod: Duration.days(4), deadLetterRetentionPeriod: Duration.days(1) },
        'Test/Q: deadLetterRetentionPeriod must be longer than retentionPeriod (345600 s), because a dead-lettered message keeps its original enqueue time (given 86400 s)',
      ],
      [
        'delay over 900 s',
        { deliveryDelay: Duration.seconds(901) },
        'Test/Q: deliveryDelay must be between 0 and 900 s (given 901 s)',
      ],
      [
        'visibility timeout over 12 h',
        { visibilityTimeout: Duration.hours(13) },
        'Test/Q: visibilityTimeout must be between 0 and 43200 s (given 46800 s)',
      ],
      [
        'message size under 1 KiB',
        { maxMessageSize: Size.bytes(1023) },
        'Test/Q: maxMessageSize must be between 1024 and 1048576 bytes (given 1023 bytes)',
      ],
      [
        'message size over 1 MiB',
        { maxMessageSize: Size.mebibytes(2) },
        'Test/Q: maxMessageSize must be between 1024 and 1048576 bytes (given 2097152 bytes)',
      ],
    ];

    function build(props: Partial<ConstructorParameters<typeof TaskQueue>[2]>): void {
      const stack = testStack();
      new TaskQueue(stack, 'Q', { taskQueueName: 'default', ...props });
    }

    it.each(cases)('rejects %s', (_label, props, message) => {
      const error = thrownBy(() => build(props));
      expect(error).toBeInstanceOf(ConstructPropsInvalidError);
      expect(error.message).toBe(message);
    });

    it('names the prop and the value given on the error', () => {
      const caught = thrownBy(() => build({ maxReceiveCount: 0 }));
      expect(caught).toMatchObject({ name: 'ConstructPropsInvalidError', prop: 'maxReceiveCount', given: '0', constructPath: 'Test/Q' });
    });

    it('rejects an encryption key without KMS encryption', () => {
      const stack = testStack();
      const key = new Key(stack, 'K');
      expect(thrownBy(() => new TaskQueue(stack, 'Q', { taskQueueName: 'default', encryptionKey: key })).message).toBe(
        'Test/Q: encryptionKey is only used with encryption KMS (given encryption SQS_MANAGED and a key)',
      );
    });

    it('skips values that are unresolved tokens', () => {
      const stack = testStack();
      const count = Lazy.number({ produce: () => 0 });
      expect(() => new TaskQueue(stack, 'Q', { taskQueueName: 'default', maxReceiveCount: count })).not.toThrow();
    });
  });
});
