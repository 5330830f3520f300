import { CreateTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
import { randomBytes } from 'node:crypto';
import { type Caller, FaultProxy, type FaultRates, NO_FAULTS } from '../../bench/chaos/fault-proxy';
import { LOCAL_CREDENTIALS } from '../../local/emulators';
import { emulatorEndpoints } from '../support/emulator-env';

const endpoints = emulatorEndpoints();
const suffix = randomBytes(4).toString('hex');
const common = { region: endpoints.region, credentials: LOCAL_CREDENTIALS };

async function withProxy(rates: FaultRates, run: (clients: { sqs: SQSClient; s3: S3Client; dynamodb: DynamoDBClient }, proxy: FaultProxy) => Promise<void>): Promise<void> {
  const caller: Caller = 'producer';
  const proxy = await FaultProxy.start({
    sqsS3Upstream: endpoints.sqsEndpoint,
    dynamoDbUpstream: endpoints.dynamoDbEndpoint,
    rates: { [caller]: rates },
    seed: 7,
  });
  const endpoint = proxy.endpoint(caller);
  const clients = {
    sqs: new SQSClient({ ...common, endpoint }),
    s3: new S3Client({ ...common, endpoint, forcePathStyle: true }),
    dynamodb: new DynamoDBClient({ ...common, endpoint }),
  };
  try {
    await run(clients, proxy);
  } finally {
    clients.sqs.destroy();
    clients.s3.destroy();
    clients.dynamodb.destroy();
    await proxy.stop();
  }
}

describe('FaultProxy', () => {
  it('forwards SQS, S3 and DynamoDB calls and counts them by caller, service and operation', async () => {
    await withProxy(NO_FAULTS, async ({ sqs, s3, dynamodb }, proxy) => {
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `chaos-proxy-${suffix}` }));
      await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: JSON.stringify({ id: 'T1' }) }));
      await s3.send(new CreateBucketCommand({ Bucket: `chaos-proxy-${suffix}` }));
      await s3.send(new PutObjectCommand({ Bucket: `chaos-proxy-${suffix}`, Key: 'claim-checks/T1/abc', Body: 'x'.repeat(300 * 1024) }));
      const object = await s3.send(new GetObjectCommand({ Bucket: `chaos-proxy-${suffix}`, Key: 'claim-checks/T1/abc' }));

      expect((await object.Body?.transformToString())?.length).toBe(300 * 1024);
      expect(proxy.counts()).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ caller: 'producer', service: 'sqs', operation: 'SendMessage', forwarded: 1, billedUnits: 1 }),
          expect.objectContaining({ caller: 'producer', service: 's3', operation: 'PutObject', forwarded: 1 }),
          expect.objectContaining({ caller: 'producer', service: 's3', operation: 'GetObject', forwarded: 1 }),
        ]),
      );
      expect(proxy.faults).toEqual([]);
      void dynamodb;
    });
  });

  it('answers throttling errors the AWS SDK retries, in each service wire format', async () => {
    await withProxy({ transientError: 0.3, lostResponse: 0, duplicateSend: 0 }, async ({ sqs, s3, dynamodb }, proxy) => {
      const table = `chaos-proxy-${suffix}`;
      await dynamodb.send(
        new CreateTableCommand({
          TableName: table,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [{ AttributeName: 'taskId', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'taskId', KeyType: 'HASH' }],
        }),
      ).catch((error: Error) => {
        if (error.name !== 'ResourceInUseException') throw error;
      });
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `chaos-proxy-t-${suffix}` }));
      await s3.send(new CreateBucketCommand({ Bucket: `chaos-proxy-t-${suffix}` })).catch(() => undefined);
      const attempts: number[] = [];
      const record = async (call: Promise<{ $metadata: { attempts?: number } }>): Promise<void> => {
        try {
          attempts.push((await call).$metadata.attempts ?? 0);
        } catch (error) {
          // Only after the SDK's own retries ran out.
          expect((error as { $metadata?: { attempts?: number } }).$metadata?.attempts).toBeGreaterThan(1);
        }
      };
      for (let i = 0; i < 10; i += 1) {
        await record(sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: JSON.stringify({ id: `S${i}` }) })));
        await record(dynamodb.send(new PutItemCommand({ TableName: table, Item: { taskId: { S: `D${i}` } } })));
        await record(s3.send(new PutObjectCommand({ Bucket: `chaos-proxy-t-${suffix}`, Key: `claim-checks/C${i}/k`, Body: 'x' })));
      }
      await dynamodb.send(new PutItemCommand({ TableName: table, Item: { taskId: { S: 'D9' } } })).catch(() => undefined);

      expect(Math.max(...attempts)).toBeGreaterThan(1);

      const kinds = new Set(proxy.faults.map((fault) => `${fault.service}:${fault.kind}`));
      expect(kinds).toEqual(new Set(['sqs:transient-error', 'dynamodb:transient-error', 's3:transient-error']));
      expect(proxy.faults.find((fault) => fault.service === 'dynamodb' && fault.operation === 'PutItem')?.taskIds[0]).toMatch(/^D\d$/);
      expect(proxy.faults.find((fault) => fault.service === 's3' && fault.operation === 'PutObject')?.taskIds[0]).toMatch(/^C\d$/);
      expect(proxy.faults.find((fault) => fault.service === 'sqs' && fault.operation === 'SendMessage')?.taskIds[0]).toMatch(/^S\d$/);
      const item = await dynamodb.send(new GetItemCommand({ TableName: table, Key: { taskId: { S: 'D9' } }, ConsistentRead: true }));
      expect(item.Item?.['taskId']?.S).toBe('D9');
    });
  });

  it('applies a request whose response it loses, and the SDK retry sends a second copy', async () => {
    await withProxy({ transientError: 0, lostResponse: 1, duplicateSend: 0 }, async ({ sqs }, proxy) => {
      const direct = new SQSClient({ ...common, endpoint: endpoints.sqsEndpoint });
      const { QueueUrl } = await direct.send(new CreateQueueCommand({ QueueName: `chaos-proxy-lost-${suffix}` }));
      const send = sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: JSON.stringify({ id: 'L1' }) }));

      await expect(send).rejects.toMatchObject({ $metadata: expect.objectContaining({ attempts: 3 }) });
      const attributes = await direct.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }));
      expect(attributes.Attributes?.['ApproximateNumberOfMessages']).toBe('3');
      expect(proxy.faults.map((fault) => [fault.kind, fault.taskIds])).toEqual([
        ['lost-response', ['L1']],
        ['lost-response', ['L1']],
        ['lost-response', ['L1']],
      ]);
      direct.destroy();
    });
  });

  it('sends a SendMessage twice on a duplicate send and answers once', async () => {
    await withProxy({ transientError: 0, lostResponse: 0, duplicateSend: 1 }, async ({ sqs }, proxy) => {
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `chaos-proxy-dup-${suffix}` }));
      const sent = await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: JSON.stringify({ id: 'P1' }) }));
      const attributes = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }));

      expect(sent.$metadata.attempts).toBe(1);
      expect(attributes.Attributes?.['ApproximateNumberOfMessages']).toBe('2');
      expect(proxy.faults.map((fault) => [fault.operation, fault.kind, fault.taskIds])).toEqual([['SendMessage', 'duplicate-send', ['P1']]]);
    });
  });
});
