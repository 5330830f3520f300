import { CreateTableCommand, type DynamoDBClient, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand, SetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { StackOutput } from '../lib/contract';
import { LocalTemplateError } from './errors';
import type { IntrinsicResolver } from './intrinsics';
import type { PlatformTemplate } from './platform-template';

/** A queue as created in the emulator. */
export interface LocalQueue {
  readonly logicalId: string;
  readonly queueName: string;
  readonly url: string;
  readonly arn: string;
  /** The attributes it was created with (after overrides). */
  readonly attributes: Readonly<Record<string, string>>;
  readonly redrive?: { readonly deadLetterQueueLogicalId: string; readonly maxReceiveCount: number };
}

/** What {@link createLocalResources} needs. */
export interface CreateLocalResourcesOptions {
  readonly sqs: SQSClient;
  readonly s3: S3Client;
  readonly dynamodb: DynamoDBClient;
  readonly region: string;
  readonly accountId: string;
  readonly resolver: IntrinsicResolver;
  /** Replaces the `VisibilityTimeout` of every queue an event source reads, in seconds. @default - the template's */
  readonly visibilityTimeoutSeconds?: number;
}

/**
 * Creates the template's queues (DLQs and redrive policies included), buckets and tables (with their global
 * secondary indexes and TTL) in the emulators, and registers each one's `Ref` and `Fn::GetAtt` values with the
 * resolver so environment variables and outputs resolve to the local resources.
 *
 * @example
 * const queues = await createLocalResources(platformTemplate, { sqs, s3, dynamodb, region, accountId, resolver });
 */
export async function createLocalResources(
  platform: PlatformTemplate,
  options: CreateLocalResourcesOptions,
): Promise<Map<string, LocalQueue>> {
  const { sqs, s3, dynamodb, resolver, region, accountId } = options;
  const polled = new Set(platform.eventSourceMappings.map((mapping) => mapping.queueLogicalId));
  const queues = new Map<string, LocalQueue>();
  for (const queue of platform.queues) {
    const attributes = { ...queue.attributes };
    if (options.visibilityTimeoutSeconds !== undefined && polled.has(queue.logicalId)) {
      attributes['VisibilityTimeout'] = String(options.visibilityTimeoutSeconds);
    }
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: queue.queueName, Attributes: attributes }));
    const url = QueueUrl!;
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
    const arn = Attributes?.QueueArn ?? `arn:aws:sqs:${region}:${accountId}:${queue.queueName}`;
    queues.set(queue.logicalId, {
      logicalId: queue.logicalId,
      queueName: queue.queueName,
      url,
      arn,
      attributes,
      ...(queue.redrive === undefined ? {} : { redrive: queue.redrive }),
    });
    resolver.register(queue.logicalId, { ref: url, attributes: { Arn: arn, QueueUrl: url, QueueName: queue.queueName } });
  }
  // Redrive policies go on after every queue exists, so a DLQ defined after its source resolves too.
  for (const queue of queues.values()) {
    if (queue.redrive === undefined) continue;
    const dlq = queues.get(queue.redrive.deadLetterQueueLogicalId)!;
    await sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl: queue.url,
        Attributes: {
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: queue.redrive.maxReceiveCount }),
        },
      }),
    );
  }
  for (const bucket of platform.buckets) {
    await s3.send(new CreateBucketCommand({ Bucket: bucket.bucketName }));
    resolver.register(bucket.logicalId, {
      ref: bucket.bucketName,
      attributes: {
        Arn: `arn:aws:s3:::${bucket.bucketName}`,
        DomainName: `${bucket.bucketName}.s3.amazonaws.com`,
        RegionalDomainName: `${bucket.bucketName}.s3.${region}.amazonaws.com`,
      },
    });
  }
  for (const table of platform.tables) {
    await dynamodb.send(
      new CreateTableCommand({
        TableName: table.tableName,
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: table.keySchema.map((key) => ({ AttributeName: key.AttributeName, KeyType: key.KeyType as 'HASH' | 'RANGE' })),
        AttributeDefinitions: table.attributeDefinitions.map((attribute) => ({
          AttributeName: attribute.AttributeName,
          AttributeType: attribute.AttributeType as 'S' | 'N' | 'B',
        })),
        ...(table.globalSecondaryIndexes.length === 0
          ? {}
          : {
              GlobalSecondaryIndexes: table.globalSecondaryIndexes.map((index) => ({
                IndexName: index.IndexName,
                KeySchema: index.KeySchema.map((key) => ({
                  AttributeName: key.AttributeName,
                  KeyType: key.KeyType as 'HASH' | 'RANGE',
                })),
                Projection: {
                  ProjectionType: (index.Projection.ProjectionType ?? 'ALL') as 'ALL' | 'KEYS_ONLY' | 'INCLUDE',
                  ...(index.Projection.NonKeyAttributes === undefined
                    ? {}
                    : { NonKeyAttributes: [...index.Projection.NonKeyAttributes] }),
                },
              })),
            }),
      }),
    );
    if (table.ttlAttribute !== undefined) {
      // DynamoDB Local accepts the TTL setting but never deletes expired items.
      await dynamodb.send(
        new UpdateTimeToLiveCommand({
          TableName: table.tableName,
          TimeToLiveSpecification: { AttributeName: table.ttlAttribute, Enabled: true },
        }),
      );
    }
    const arn = `arn:aws:dynamodb:${region}:${accountId}:table/${table.tableName}`;
    resolver.register(table.logicalId, { ref: table.tableName, attributes: { Arn: arn, StreamArn: `${arn}/stream/local` } });
  }
  for (const fn of platform.functions) {
    resolver.register(fn.logicalId, {
      ref: fn.functionName,
      attributes: { Arn: `arn:aws:lambda:${region}:${accountId}:function:${fn.functionName}` },
    });
  }
  return queues;
}

/** A queue the stack imports (names) rather than owns, created locally as it would already exist in AWS. */
export interface ImportedLocalQueue {
  readonly queueName: string;
  /** Its local URL, which the template's AWS URL of it now resolves to. */
  readonly url: string;
  readonly arn: string;
}

/** `https://sqs.<region>.<suffix>/<account>/<name>`: the URL CDK builds for an imported queue (`Queue.fromQueueArn`). */
const AWS_QUEUE_URL = /^https:\/\/sqs\.[a-z0-9-]+\.[a-z0-9.]+\/(\d{12})\/([A-Za-z0-9_-]{1,80})$/;

/**
 * Creates the Celery worker's queue a platform names (`PlatformDefinition.celeryQueue`), read from the template's
 * `CeleryQueueUrl` output: the stack imports that queue, so in AWS it already exists, and locally nothing else would
 * create it. From then on the template's AWS URL of the queue (in `BOSUN_CELERY_QUEUE_URL` and the output) resolves
 * to the local one; its ARN is the same in both, so the consumers' grants on it apply unchanged. Returns `undefined`
 * when the platform names no Celery queue.
 *
 * @example
 * const celeryQueue = await createImportedCeleryQueue(platformTemplate, { sqs, resolver, region, accountId });
 */
export async function createImportedCeleryQueue(
  platform: PlatformTemplate,
  options: Pick<CreateLocalResourcesOptions, 'sqs' | 'resolver' | 'region' | 'accountId'>,
): Promise<ImportedLocalQueue | undefined> {
  const output = platform.outputs[StackOutput.CELERY_QUEUE_URL];
  if (output === undefined) return undefined;
  const where = `Outputs.${StackOutput.CELERY_QUEUE_URL}.Value`;
  const awsUrl = options.resolver.resolveString(output, where);
  const match = AWS_QUEUE_URL.exec(awsUrl);
  if (match === null) {
    throw new LocalTemplateError(where, `must resolve to an SQS queue URL https://sqs.<region>.amazonaws.com/<account>/<name> (resolved to "${awsUrl}")`);
  }
  const queueName = match[2]!;
  const { QueueUrl } = await options.sqs.send(new CreateQueueCommand({ QueueName: queueName }));
  const url = QueueUrl!;
  const { Attributes } = await options.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  options.resolver.substitute(awsUrl, url);
  return { queueName, url, arn: Attributes?.QueueArn ?? `arn:aws:sqs:${options.region}:${options.accountId}:${queueName}` };
}
