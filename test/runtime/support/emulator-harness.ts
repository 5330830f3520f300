import { CreateTableCommand, DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type Message,
  type QueueAttributeName,
} from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { TaskTable } from '../../../lib/contract';
import type { AwsClients } from '../../../lib/aws/clients';
import type { RuntimeClients } from '../../../lib/runtime';
import { emulatorClients, emulatorEndpoints, sdkClientsForEmulators, uniqueName, type EmulatorClients } from '../../support/emulator-env';
import { lambdaContext } from './factories';

/** Real emulator resources of one test: a queue with its DLQ (redrive policy), a task table and a bucket. */
export interface RuntimeResources {
  readonly name: string;
  readonly queueUrl: string;
  readonly dlqUrl: string;
  readonly otherQueueUrl: string;
  readonly tableName: string;
  readonly bucketName: string;
  readonly maxReceiveCount: number;
}

/**
 * Runtime clients for the emulators that nobody else holds (`createAwsClients` returns one cached set per process), so
 * a test may add middleware to them to inject a fault. Destroy them after the test.
 */
export function isolatedRuntimeClients(): RuntimeClients & { destroy(): void } {
  const raw = emulatorClients(emulatorEndpoints());
  const dynamodb = DynamoDBDocumentClient.from(raw.dynamodb, { marshallOptions: { removeUndefinedValues: true } });
  return {
    sqs: raw.sqs,
    s3: raw.s3,
    dynamodb,
    destroy: () => {
      raw.sqs.destroy();
      raw.s3.destroy();
      raw.dynamodb.destroy();
    },
  };
}

/** Clients for the emulators: the SDK's (document client) and raw ones for setup. */
export function harnessClients(): { sdk: AwsClients; raw: EmulatorClients } {
  const endpoints = emulatorEndpoints();
  const sdk = sdkClientsForEmulators(endpoints);
  return { sdk, raw: emulatorClients(endpoints) };
}

/** Creates the resources of one test, uniquely named. */
export async function createResources(raw: EmulatorClients, label: string, maxReceiveCount = 5): Promise<RuntimeResources> {
  const name = uniqueName(label);
  const dlq = await raw.sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }));
  const dlqArnOut = await raw.sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }));
  const queue = await raw.sqs.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: {
        VisibilityTimeout: '30',
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArnOut.Attributes?.['QueueArn'], maxReceiveCount }),
      },
    }),
  );
  const other = await raw.sqs.send(new CreateQueueCommand({ QueueName: `${name}-other` }));
  await raw.dynamodb.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: TaskTable.PARTITION_KEY, AttributeType: 'S' },
        { AttributeName: TaskTable.DEAD_TASK_NAME, AttributeType: 'S' },
        { AttributeName: TaskTable.DEAD_AT, AttributeType: 'S' },
      ],
      KeySchema: [{ AttributeName: TaskTable.PARTITION_KEY, KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [
        {
          IndexName: TaskTable.DEAD_TASKS_INDEX,
          KeySchema: [
            { AttributeName: TaskTable.DEAD_TASK_NAME, KeyType: 'HASH' },
            { AttributeName: TaskTable.DEAD_AT, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    }),
  );
  await raw.s3.send(new CreateBucketCommand({ Bucket: name }));
  return {
    name,
    queueUrl: queue.QueueUrl as string,
    dlqUrl: dlq.QueueUrl as string,
    otherQueueUrl: other.QueueUrl as string,
    tableName: name,
    bucketName: name,
    maxReceiveCount,
  };
}

/** Deletes the resources of one test. */
export async function deleteResources(raw: EmulatorClients, resources: RuntimeResources): Promise<void> {
  for (const url of [resources.queueUrl, resources.dlqUrl, resources.otherQueueUrl]) {
    await raw.sqs.send(new DeleteQueueCommand({ QueueUrl: url }));
  }
  await raw.dynamodb.send(new DeleteTableCommand({ TableName: resources.tableName }));
  const listed = await raw.s3.send(new ListObjectsV2Command({ Bucket: resources.bucketName }));
  for (const object of listed.Contents ?? []) {
    await raw.s3.send(new DeleteObjectCommand({ Bucket: resources.bucketName, Key: object.Key }));
  }
  await raw.s3.send(new DeleteBucketCommand({ Bucket: resources.bucketName }));
}

/** Sends one raw body to a queue. */
export async function sendBody(clients: AwsClients, queueUrl: string, body: string): Promise<void> {
  await clients.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
}

/** Receives what is visible now (up to 10 messages), with every attribute. */
export async function receive(clients: AwsClients, queueUrl: string, waitSeconds = 0): Promise<Message[]> {
  const out = await clients.sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: waitSeconds,
      MessageSystemAttributeNames: ['All'],
      MessageAttributeNames: ['All'],
    }),
  );
  return out.Messages ?? [];
}

/** The SQS record the event source mapping would build from a received message. */
export function toRecord(message: Message, queueUrl: string): SQSRecord {
  const attributes = message.Attributes ?? {};
  return {
    messageId: message.MessageId as string,
    receiptHandle: message.ReceiptHandle as string,
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attributes['ApproximateReceiveCount'] ?? '1',
      SentTimestamp: attributes['SentTimestamp'] ?? String(Date.now()),
      SenderId: attributes['SenderId'] ?? 'local',
      ApproximateFirstReceiveTimestamp: attributes['ApproximateFirstReceiveTimestamp'] ?? String(Date.now()),
    },
    messageAttributes: Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
        name,
        { dataType: value.DataType ?? 'String', stringValue: value.StringValue, stringListValues: [], binaryListValues: [] },
      ]),
    ),
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueUrl,
    awsRegion: 'us-east-1',
  };
}

/**
 * Does what the Lambda event source mapping does with messages it received: invoke the handler with them, then delete
 * every message not reported in `batchItemFailures`. Returns the handler's response.
 */
export async function deliver(
  clients: AwsClients,
  queueUrl: string,
  messages: readonly Message[],
  handler: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>,
  context: Context = lambdaContext(60_000),
): Promise<SQSBatchResponse> {
  const records = messages.map((message) => toRecord(message, queueUrl));
  const response = await handler({ Records: records }, context);
  const failed = new Set(response.batchItemFailures.map((failure) => failure.itemIdentifier));
  for (const record of records) {
    if (failed.has(record.messageId)) continue;
    try {
      await clients.sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: record.receiptHandle }));
    } catch {
      // As the event source mapping: a failed delete only means the message comes back (and is then a duplicate).
    }
  }
  return response;
}

/**
 * Does what the Lambda event source mapping does, once: receive a batch, invoke the handler (with `context`, by
 * default 60 s left), delete every message not reported in `batchItemFailures`. Returns the handler's response and
 * how many messages it got.
 */
export async function pollOnce(
  clients: AwsClients,
  queueUrl: string,
  handler: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>,
  waitSeconds = 1,
  context?: Context,
): Promise<{ received: number; response: SQSBatchResponse }> {
  const messages = await receive(clients, queueUrl, waitSeconds);
  if (messages.length === 0) return { received: 0, response: { batchItemFailures: [] } };
  const response = await deliver(clients, queueUrl, messages, handler, context);
  return { received: messages.length, response };
}

/** Makes a received (in-flight) message visible again at once, as if its visibility timeout had passed. */
export async function makeVisible(clients: AwsClients, queueUrl: string, message: Message): Promise<void> {
  await clients.sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle, VisibilityTimeout: 0 }));
}

/**
 * Receives the only message of a queue `times` times without deleting it, as invocations that died mid-batch would:
 * its `ApproximateReceiveCount` grows by `times` and the message is visible again afterwards.
 */
export async function burnReceives(clients: AwsClients, queueUrl: string, times: number): Promise<void> {
  for (let i = 0; i < times; i += 1) {
    const [message] = await receive(clients, queueUrl, 1);
    if (message === undefined) throw new Error(`receive ${i + 1} of ${times} found no message in ${queueUrl}`);
    await makeVisible(clients, queueUrl, message);
  }
}

/** The queue's approximate counts: visible now, in flight, and delayed (sent with a delay not yet over). */
export async function queueCounts(clients: AwsClients, queueUrl: string): Promise<{ visible: number; inFlight: number; delayed: number }> {
  const out = await clients.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
    }),
  );
  const count = (name: QueueAttributeName): number => Number(out.Attributes?.[name] ?? 'NaN');
  return {
    visible: count('ApproximateNumberOfMessages'),
    inFlight: count('ApproximateNumberOfMessagesNotVisible'),
    delayed: count('ApproximateNumberOfMessagesDelayed'),
  };
}

/** Polls until `done()` holds or the deadline passes; returns whether it held. */
export async function pollUntil(
  clients: AwsClients,
  queueUrl: string,
  handler: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>,
  done: () => Promise<boolean>,
  timeoutMs = 20_000,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await done()) return true;
    await pollOnce(clients, queueUrl, handler, 1);
  }
  return done();
}
