import { CreateTableCommand, DeleteTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { uniqueName } from '../../support/emulator-env';

export { sdkClientsForEmulators } from '../../support/emulator-env';

export async function createQueue(sqs: SQSClient, label: string): Promise<string> {
  const created = await sqs.send(
    new CreateQueueCommand({ QueueName: uniqueName(label), Attributes: { MaximumMessageSize: String(1024 * 1024) } }),
  );
  return created.QueueUrl as string;
}

export async function deleteQueue(sqs: SQSClient, url: string): Promise<void> {
  await sqs.send(new DeleteQueueCommand({ QueueUrl: url }));
}

/** Receives until `count` messages arrived or `timeoutMs` passed. */
export async function receiveAll(sqs: SQSClient, url: string, count: number, timeoutMs = 5000): Promise<Message[]> {
  const messages: Message[] = [];
  const deadline = Date.now() + timeoutMs;
  while (messages.length < count && Date.now() < deadline) {
    const response = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
        VisibilityTimeout: 300,
      }),
    );
    messages.push(...(response.Messages ?? []));
  }
  return messages;
}

export async function createTable(dynamodb: DynamoDBClient, label: string): Promise<string> {
  const name = uniqueName(label);
  await dynamodb.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'taskId', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'taskId', KeyType: 'HASH' }],
    }),
  );
  return name;
}

export async function deleteTable(dynamodb: DynamoDBClient, name: string): Promise<void> {
  await dynamodb.send(new DeleteTableCommand({ TableName: name }));
}

export async function createBucket(s3: S3Client, label: string): Promise<string> {
  const name = uniqueName(label);
  await s3.send(new CreateBucketCommand({ Bucket: name }));
  return name;
}

export async function listKeys(s3: S3Client, bucket: string): Promise<string[]> {
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  return (listed.Contents ?? []).map((object) => object.Key as string);
}

export async function emptyAndDeleteBucket(s3: S3Client, bucket: string): Promise<void> {
  for (const key of await listKeys(s3, bucket)) await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
  await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
}

/** A JSON payload whose serialized form is exactly `bytes` long (ASCII). */
export function payloadOfBytes(bytes: number): { data: string } {
  const overhead = JSON.stringify({ data: '' }).length;
  return { data: 'x'.repeat(bytes - overhead) };
}
