import { dynamoDbPermissions, queueArnOfUrl, s3Permissions, sqsPermissions, sqsQueryPermissions } from '../../../local/iam/request-permissions';

const scope = { region: 'us-east-1', accountId: '000000000000' };
const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));
const table = (name: string): string => `arn:aws:dynamodb:us-east-1:000000000000:table/${name}`;

describe('sqsQueryPermissions', () => {
  const form = (body: string): Map<string, string> => new Map(new URLSearchParams(body));

  it('needs what the JSON form needs: the single action of a batch, on the queue its QueueUrl names', () => {
    const url = 'http://127.0.0.1:4566/000000000000/celery';

    expect(sqsQueryPermissions(form(`Action=DeleteMessageBatch&QueueUrl=${encodeURIComponent(url)}`), '/', scope)).toEqual({
      service: 'sqs',
      operation: 'DeleteMessageBatch',
      permissions: [{ action: 'sqs:DeleteMessage', resource: 'arn:aws:sqs:us-east-1:000000000000:celery' }],
    });
  });

  it('takes the queue from the path a kombu request is posted to, and GetQueueUrl from its QueueName', () => {
    expect(sqsQueryPermissions(form('Action=ReceiveMessage&MaxNumberOfMessages=1'), '/000000000000/celery', scope).permissions).toEqual([
      { action: 'sqs:ReceiveMessage', resource: 'arn:aws:sqs:us-east-1:000000000000:celery' },
    ]);
    expect(sqsQueryPermissions(form('Action=GetQueueUrl&QueueName=q'), '/000000000000/other', scope).permissions[0]!.resource).toBe(
      'arn:aws:sqs:us-east-1:000000000000:q',
    );
  });

  it('still names the queue of a request whose other parameters SQS cannot parse', () => {
    expect(sqsQueryPermissions(form('Action=ReceiveMessage&QueueUrl=%2F000000000000%2Fq&WaitTimeSeconds=soon'), '/', scope).permissions).toEqual([
      { action: 'sqs:ReceiveMessage', resource: 'arn:aws:sqs:us-east-1:000000000000:q' },
    ]);
  });
});

describe('sqsPermissions', () => {
  it('needs the single action of a batch call, on the queue its URL names', () => {
    const url = 'http://sqs.us-east-1.localhost:4566/000000000000/bosun-local-default';

    expect(sqsPermissions('AmazonSQS.SendMessageBatch', json({ QueueUrl: url, Entries: [] }), scope).permissions).toEqual([
      { action: 'sqs:SendMessage', resource: 'arn:aws:sqs:us-east-1:000000000000:bosun-local-default' },
    ]);
    expect(sqsPermissions('AmazonSQS.DeleteMessageBatch', json({ QueueUrl: url }), scope).permissions[0]!.action).toBe('sqs:DeleteMessage');
    expect(sqsPermissions('AmazonSQS.GetQueueUrl', json({ QueueName: 'q' }), scope).permissions[0]!.resource).toBe('arn:aws:sqs:us-east-1:000000000000:q');
    expect(sqsPermissions('AmazonSQS.ListQueues', json({}), scope).permissions[0]).toEqual({ action: 'sqs:ListQueues', resource: '*' });
  });

  it("reads the account and name from a queue URL's path", () => {
    expect(queueArnOfUrl('http://127.0.0.1:9324/123456789012/orders', scope)).toBe('arn:aws:sqs:us-east-1:123456789012:orders');
  });
});

describe('dynamoDbPermissions', () => {
  it('needs the action on the table, or on the index a Query names', () => {
    expect(dynamoDbPermissions('DynamoDB_20120810.UpdateItem', json({ TableName: 't' }), scope).permissions).toEqual([
      { action: 'dynamodb:UpdateItem', resource: table('t') },
    ]);
    expect(dynamoDbPermissions('DynamoDB_20120810.Query', json({ TableName: 't', IndexName: 'dead' }), scope).permissions).toEqual([
      { action: 'dynamodb:Query', resource: `${table('t')}/index/dead` },
    ]);
  });

  it('needs each item action of a transaction, and the batch action on every table of a batch', () => {
    const transact = json({
      TransactItems: [
        { Update: { TableName: 'a' } },
        { Put: { TableName: 'b' } },
        { ConditionCheck: { TableName: 'a' } },
        { Update: { TableName: 'a' } },
      ],
    });

    expect(dynamoDbPermissions('DynamoDB_20120810.TransactWriteItems', transact, scope).permissions).toEqual([
      { action: 'dynamodb:UpdateItem', resource: table('a') },
      { action: 'dynamodb:PutItem', resource: table('b') },
      { action: 'dynamodb:ConditionCheckItem', resource: table('a') },
    ]);
    expect(dynamoDbPermissions('DynamoDB_20120810.BatchWriteItem', json({ RequestItems: { a: [], b: [] } }), scope).permissions).toEqual([
      { action: 'dynamodb:BatchWriteItem', resource: table('a') },
      { action: 'dynamodb:BatchWriteItem', resource: table('b') },
    ]);
  });
});

describe('s3Permissions', () => {
  it.each([
    ['GET', '/b/claim-checks/01J.json', 's3:GetObject', 'arn:aws:s3:::b/claim-checks/01J.json'],
    ['HEAD', '/b/claim-checks/01J.json', 's3:GetObject', 'arn:aws:s3:::b/claim-checks/01J.json'],
    ['GET', '/b/k?versionId=3', 's3:GetObjectVersion', 'arn:aws:s3:::b/k'],
    ['PUT', '/b/task-results/01J.json?x-id=PutObject', 's3:PutObject', 'arn:aws:s3:::b/task-results/01J.json'],
    ['DELETE', '/b/k%20with%20space', 's3:DeleteObject', 'arn:aws:s3:::b/k with space'],
    ['PUT', '/b/k?tagging', 's3:PutObjectTagging', 'arn:aws:s3:::b/k'],
    ['POST', '/b/k?uploads', 's3:PutObject', 'arn:aws:s3:::b/k'],
    ['DELETE', '/b/k?uploadId=1', 's3:AbortMultipartUpload', 'arn:aws:s3:::b/k'],
    ['HEAD', '/b', 's3:ListBucket', 'arn:aws:s3:::b'],
    ['GET', '/b?location', 's3:GetBucketLocation', 'arn:aws:s3:::b'],
    ['PUT', '/b', 's3:CreateBucket', 'arn:aws:s3:::b'],
    ['GET', '/', 's3:ListAllMyBuckets', '*'],
  ])('%s %s needs %s on %s', (method, url, action, resource) => {
    expect(s3Permissions(method, url, {}).permissions.map((p) => [p.action, p.resource])).toEqual([[action, resource]]);
  });

  it('puts the listing prefix in the s3:prefix condition key', () => {
    const listing = s3Permissions('GET', '/b?list-type=2&prefix=claim-checks%2F01J&max-keys=1', {});

    expect(listing.operation).toBe('ListObjectsV2');
    expect(listing.permissions[0]!.context).toEqual(new Map([['s3:prefix', ['claim-checks/01J']], ['s3:max-keys', ['1']]]));
  });

  it('needs GetObject on the source of a copy, and DeleteObject on every key of a DeleteObjects', () => {
    expect(s3Permissions('PUT', '/b/to', { 'x-amz-copy-source': '/b/from%2Fa' }).permissions).toEqual([
      { action: 's3:PutObject', resource: 'arn:aws:s3:::b/to' },
      { action: 's3:GetObject', resource: 'arn:aws:s3:::b/from/a' },
    ]);
    const body = Buffer.from('<Delete><Object><Key>a&amp;b</Key></Object><Object><Key>c</Key></Object></Delete>');
    expect(s3Permissions('POST', '/b?delete', {}, body).permissions).toEqual([
      { action: 's3:DeleteObject', resource: 'arn:aws:s3:::b/a&b' },
      { action: 's3:DeleteObject', resource: 'arn:aws:s3:::b/c' },
    ]);
  });
});
