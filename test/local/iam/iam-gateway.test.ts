import { CreateTableCommand, DeleteTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand, TransactWriteItemsCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient, SendMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LOCAL_CREDENTIALS } from '../../../local/emulators';
import { type IamDenial, IamGateway } from '../../../local/iam/iam-gateway';
import type { RoleAccess } from '../../../local/iam/template-iam';
import { LOCAL_ACCOUNT_ID } from '../../../local/intrinsics';
import { emulatorClients, emulatorEndpoints, uniqueName } from '../../support/emulator-env';
import { botocoreSqsCalls } from '../../support/python';

/**
 * The IAM gateway in front of the real emulators: a caller signing with its role's key gets what the role allows and
 * AWS's own errors for the rest; the operator's key is not checked.
 */

const endpoints = emulatorEndpoints();
const scope = { region: endpoints.region, accountId: LOCAL_ACCOUNT_ID };
const operator = emulatorClients();
const bucket = uniqueName('iam');
const table = uniqueName('iam');
const queueName = uniqueName('iam-own');
const otherQueueName = uniqueName('iam-other');
const bucketArn = `arn:aws:s3:::${bucket}`;
const tableArn = `arn:aws:dynamodb:${scope.region}:${LOCAL_ACCOUNT_ID}:table/${table}`;
const queueArn = (name: string): string => `arn:aws:sqs:${scope.region}:${LOCAL_ACCOUNT_ID}:${name}`;
const CALLER_KEY = 'LOCALFNTestConsumer';
const denialLogFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-iam-')), 'iam-denials.log');

const role: RoleAccess = {
  logicalId: 'TestRole',
  roleName: 'Bosun-local-TestRole',
  arn: `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/Bosun-local-TestRole`,
  unknownManagedPolicies: [],
  identity: [
    { Effect: 'Allow', Action: 's3:GetObject', Resource: `${bucketArn}/*` },
    { Effect: 'Allow', Action: 's3:PutObject', Resource: `${bucketArn}/task-results/*` },
    { Effect: 'Allow', Action: 's3:ListBucket', Resource: bucketArn, Condition: { StringLike: { 's3:prefix': 'claim-checks/*' } } },
    { Effect: 'Allow', Action: ['dynamodb:UpdateItem', 'dynamodb:GetItem'], Resource: tableArn },
    { Effect: 'Allow', Action: ['sqs:SendMessage', 'sqs:GetQueueAttributes'], Resource: queueArn(queueName) },
  ],
};

let gateway: IamGateway;
let caller: { s3: S3Client; sqs: SQSClient; dynamodb: DynamoDBClient };
let queueUrl: string;
let otherQueueUrl: string;
const denials: IamDenial[] = [];

beforeAll(async () => {
  await operator.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await operator.dynamodb.send(
    new CreateTableCommand({
      TableName: table,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'taskId', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'taskId', AttributeType: 'S' }],
    }),
  );
  queueUrl = (await operator.sqs.send(new CreateQueueCommand({ QueueName: queueName }))).QueueUrl!;
  otherQueueUrl = (await operator.sqs.send(new CreateQueueCommand({ QueueName: otherQueueName }))).QueueUrl!;
  gateway = await IamGateway.start({
    upstreams: { sqs: endpoints.sqsEndpoint, s3: endpoints.s3Endpoint, dynamodb: endpoints.dynamoDbEndpoint },
    callers: [{ accessKeyId: CALLER_KEY, label: 'test-consumer', sessionName: 'test-consumer', role }],
    resourcePolicies: [
      // The CDK's enforceSSL statement, which a loopback platform treats as TLS, and a deny of its own.
      {
        logicalId: 'BucketPolicy',
        resourceArns: [bucketArn],
        statements: [
          { Effect: 'Deny', Principal: { AWS: '*' }, Action: 's3:*', Resource: [bucketArn, `${bucketArn}/*`], Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
          { Effect: 'Deny', Principal: { AWS: '*' }, Action: 's3:PutObject', Resource: `${bucketArn}/task-results/frozen/*` },
        ],
      },
    ],
    scope,
    upstreamAccessKeyId: LOCAL_CREDENTIALS.accessKeyId,
    denialLogFile,
    onDenial: (denial) => denials.push(denial),
  });
  const common = { region: scope.region, credentials: { accessKeyId: CALLER_KEY, secretAccessKey: 'unused' }, endpoint: gateway.endpoint, maxAttempts: 1 };
  caller = { s3: new S3Client({ ...common, forcePathStyle: true }), sqs: new SQSClient(common), dynamodb: new DynamoDBClient(common) };
});

afterAll(async () => {
  caller?.s3.destroy();
  caller?.sqs.destroy();
  caller?.dynamodb.destroy();
  await gateway?.stop();
  await operator.dynamodb.send(new DeleteTableCommand({ TableName: table }));
  for (const url of [queueUrl, otherQueueUrl]) await operator.sqs.send(new DeleteQueueCommand({ QueueUrl: url }));
  operator.s3.destroy();
  operator.sqs.destroy();
  operator.dynamodb.destroy();
});

async function failure(call: Promise<unknown>): Promise<{ name: string; status?: number; message: string }> {
  try {
    await call;
  } catch (error) {
    const e = error as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, message: e.message, ...(e.$metadata?.httpStatusCode === undefined ? {} : { status: e.$metadata.httpStatusCode }) };
  }
  throw new Error('the call succeeded');
}

async function objectExists(key: string): Promise<boolean> {
  const listed = await operator.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key }));
  return (listed.Contents ?? []).some((object) => object.Key === key);
}

describe('IamGateway', () => {
  describe('S3', () => {
    it('lets the role write under task-results/ and refuses any other prefix with a 403 AccessDenied, writing nothing', async () => {
      await caller.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'task-results/a.json', Body: '{"ok":true}' }));
      const refused = await failure(caller.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'claim-checks/a.json', Body: 'secret payload' })));

      expect(await objectExists('task-results/a.json')).toBe(true);
      expect(refused).toMatchObject({ name: 'AccessDenied', status: 403 });
      expect(refused.message).toBe(
        `User: arn:aws:sts::${LOCAL_ACCOUNT_ID}:assumed-role/Bosun-local-TestRole/test-consumer is not authorized to perform: s3:PutObject on resource: ${bucketArn}/claim-checks/a.json because no identity-based policy allows the s3:PutObject action`,
      );
      expect(await objectExists('claim-checks/a.json')).toBe(false);
    });

    it("applies a bucket policy's explicit deny over the role's allow, and ignores its aws:SecureTransport deny", async () => {
      const refused = await failure(caller.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'task-results/frozen/b.json', Body: '{}' })));

      expect(refused).toMatchObject({ name: 'AccessDenied', status: 403 });
      expect(refused.message).toMatch(/with an explicit deny in a resource-based policy$/);
    });

    it('answers a missing key 404 NoSuchKey where the role may list its prefix, and 403 AccessDenied elsewhere, as AWS does', async () => {
      await operator.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'other/present.json', Body: 'x' }));

      const listable = await failure(caller.s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'claim-checks/missing.json' })));
      const unlistable = await failure(caller.s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'other/missing.json' })));
      const head = await failure(caller.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'other/missing.json' })));
      const present = await caller.s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'other/present.json' }));

      expect(listable).toMatchObject({ name: 'NoSuchKey', status: 404 });
      expect(unlistable).toMatchObject({ name: 'AccessDenied', status: 403 });
      expect(head).toMatchObject({ status: 403 });
      expect(await present.Body?.transformToString()).toBe('x');
    });

    it('checks s3:ListBucket against the s3:prefix condition of the listing', async () => {
      const listed = await caller.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'claim-checks/' }));
      const refused = await failure(caller.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'task-results/' })));

      expect(listed.$metadata.httpStatusCode).toBe(200);
      expect(refused).toMatchObject({ name: 'AccessDenied', status: 403 });
    });
  });

  describe('SQS', () => {
    it('lets the role send to its queue and refuses another queue with AccessDenied, sending nothing', async () => {
      await caller.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'allowed' }));
      const refused = await failure(caller.sqs.send(new SendMessageCommand({ QueueUrl: otherQueueUrl, MessageBody: 'denied' })));
      const batch = await failure(
        caller.sqs.send(new SendMessageBatchCommand({ QueueUrl: otherQueueUrl, Entries: [{ Id: '1', MessageBody: 'denied' }] })),
      );
      const received = await operator.sqs.send(new ReceiveMessageCommand({ QueueUrl: otherQueueUrl, WaitTimeSeconds: 0 }));

      expect(refused).toMatchObject({ name: 'AccessDenied', status: 403 });
      expect(refused.message).toContain(`sqs:SendMessage on resource: ${queueArn(otherQueueName)}`);
      expect(batch).toMatchObject({ name: 'AccessDenied' });
      expect(received.Messages ?? []).toHaveLength(0);
    });

    it('refuses an action the role lacks on its own queue', async () => {
      expect(await failure(caller.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 0 })))).toMatchObject({ name: 'AccessDenied' });
      const attributes = await caller.sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
      expect(attributes.Attributes?.['QueueArn']).toBe(queueArn(queueName));
    });
  });

  describe('SQS in the query protocol (botocore 1.29, kombu)', () => {
    it('checks a botocore caller as it checks a JSON one: its queue allowed, another queue and a missing action refused with AccessDenied', async () => {
      const [sent, refused, notAllowed] = await botocoreSqsCalls({ endpoint: gateway.endpoint, region: scope.region, accessKeyId: CALLER_KEY }, [
        { operation: 'send_message', params: { QueueUrl: queueUrl, MessageBody: 'allowed by query' } },
        { operation: 'send_message', params: { QueueUrl: otherQueueUrl, MessageBody: 'denied' } },
        { operation: 'receive_message', params: { QueueUrl: queueUrl, WaitTimeSeconds: 0 } },
      ]);
      const received = await operator.sqs.send(new ReceiveMessageCommand({ QueueUrl: otherQueueUrl, WaitTimeSeconds: 0 }));

      expect(sent).toMatchObject({ ok: true });
      expect(refused).toEqual({
        ok: false,
        code: 'AccessDenied',
        type: 'Sender',
        status: 403,
        message:
          `User: arn:aws:sts::${LOCAL_ACCOUNT_ID}:assumed-role/Bosun-local-TestRole/test-consumer is not authorized to perform: sqs:SendMessage ` +
          `on resource: ${queueArn(otherQueueName)} because no identity-based policy allows the sqs:SendMessage action`,
      });
      expect(notAllowed).toMatchObject({ ok: false, code: 'AccessDenied', status: 403 });
      expect(received.Messages ?? []).toHaveLength(0);
      expect(denials).toContainEqual(expect.objectContaining({ service: 'sqs', operation: 'ReceiveMessage', action: 'sqs:ReceiveMessage', resource: queueArn(queueName) }));
    });

    it("checks a kombu-style request posted to the queue's own path against that queue", async () => {
      const post = (queue: string): Promise<Response> =>
        fetch(`${gateway.endpoint}/${LOCAL_ACCOUNT_ID}/${queue}`, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
            authorization: `AWS4-HMAC-SHA256 Credential=${CALLER_KEY}/20260101/${scope.region}/sqs/aws4_request, SignedHeaders=host, Signature=0`,
          },
          body: 'Action=SendMessage&MessageBody=kombu',
        });

      const allowed = await post(queueName);
      const refused = await post(otherQueueName);
      const refusedBody = await refused.text();

      expect(allowed.status).toBe(200);
      expect(await allowed.text()).toMatch(/<SendMessageResponse [^>]*><SendMessageResult>.*<MessageId>/);
      expect(refused.status).toBe(403);
      expect(refused.headers.get('content-type')).toBe('text/xml');
      expect(refusedBody).toContain(`<Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: `);
      expect(refusedBody).toContain(`sqs:SendMessage on resource: ${queueArn(otherQueueName)}`);
    });
  });

  describe('DynamoDB', () => {
    it("lets the role update items in the operator's own database, and refuses PutItem with AccessDeniedException", async () => {
      await caller.dynamodb.send(
        new UpdateItemCommand({ TableName: table, Key: { taskId: { S: 't1' } }, UpdateExpression: 'SET s = :s', ExpressionAttributeValues: { ':s': { S: 'running' } } }),
      );
      const refused = await failure(caller.dynamodb.send(new PutItemCommand({ TableName: table, Item: { taskId: { S: 't2' } } })));
      const seen = await operator.dynamodb.send(new GetItemCommand({ TableName: table, Key: { taskId: { S: 't1' } } }));

      expect(seen.Item?.['s']).toEqual({ S: 'running' });
      expect(refused).toMatchObject({ name: 'AccessDeniedException', status: 400 });
      expect(refused.message).toContain(`dynamodb:PutItem on resource: ${tableArn}`);
    });

    it('checks each item of a TransactWriteItems against its own action', async () => {
      const update = { Update: { TableName: table, Key: { taskId: { S: 't3' } }, UpdateExpression: 'SET s = :s', ExpressionAttributeValues: { ':s': { S: 'a' } } } };
      await caller.dynamodb.send(new TransactWriteItemsCommand({ TransactItems: [update] }));
      const refused = await failure(
        caller.dynamodb.send(new TransactWriteItemsCommand({ TransactItems: [update, { Put: { TableName: table, Item: { taskId: { S: 't4' } } } }] })),
      );

      expect(refused).toMatchObject({ name: 'AccessDeniedException' });
      expect(refused.message).toContain('dynamodb:PutItem');
    });
  });

  it('lets the operator (any key but a role) through unchecked', async () => {
    const common = { region: scope.region, credentials: LOCAL_CREDENTIALS, endpoint: gateway.endpoint };
    const s3 = new S3Client({ ...common, forcePathStyle: true });
    try {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'claim-checks/by-operator.json', Body: '{}' }));
      expect(await objectExists('claim-checks/by-operator.json')).toBe(true);
    } finally {
      s3.destroy();
    }
  });

  it('logs every denial as one JSON line with role, action and resource, never the payload', () => {
    const lines = fs.readFileSync(denialLogFile, 'utf8').trim().split('\n');
    const logged = lines.map((line) => JSON.parse(line) as IamDenial);

    expect(logged).toHaveLength(denials.length);
    expect(gateway.denials).toBe(denials.length);
    expect(logged).toContainEqual(
      expect.objectContaining({ role: 'Bosun-local-TestRole', caller: 'test-consumer', action: 's3:PutObject', resource: `${bucketArn}/claim-checks/a.json`, reason: 'no-allow' }),
    );
    expect(logged).toContainEqual(
      expect.objectContaining({ action: 's3:ListBucket', resource: bucketArn, operation: 'GetObject', reason: 'missing-object-without-list' }),
    );
    expect(fs.readFileSync(denialLogFile, 'utf8')).not.toMatch(/secret payload|denied"/);
  });
});
