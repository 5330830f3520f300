import { AppConfigDataClient } from '@aws-sdk/client-appconfigdata';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TaskStateStore } from '../lib/aws/task-state-store';
import { LOCAL_CREDENTIALS } from '../local/emulators';
import type { Platform } from './platform';

/** The AWS SDK clients one CLI invocation uses, pointed at the platform's target. */
export interface CliClients {
  readonly sqs: SQSClient;
  readonly s3: S3Client;
  readonly dynamodb: DynamoDBDocumentClient;
  readonly appConfigData: AppConfigDataClient;
  /** CloudWatch, for SQS metrics that are not queue attributes (age of the oldest message); AWS target only. */
  readonly cloudwatch?: CloudWatchClient;
  /**
   * Lambda, for the event source mappings (`pause`, `resume`, `drain`): AWS, or the local platform's mapping API.
   * Absent for a local platform whose `platform.json` names no such API (started before it existed).
   */
  readonly lambda?: LambdaClient;
  /** Closes every client's sockets so the process can exit. */
  destroy(): void;
}

/**
 * Creates the clients for a platform: the emulator endpoints with static local credentials for the local target, the
 * default credential chain (or `--profile`) and the region for AWS.
 *
 * @example
 * const clients = createCliClients(await loadLocalPlatform());
 * try { ... } finally { clients.destroy(); }
 */
export function createCliClients(platform: Platform): CliClients {
  const base = {
    region: platform.region,
    ...(platform.endpoints === undefined ? {} : { credentials: LOCAL_CREDENTIALS }),
    ...(platform.profile === undefined ? {} : { profile: platform.profile }),
  };
  const sqs = new SQSClient({ ...base, ...(platform.endpoints === undefined ? {} : { endpoint: platform.endpoints.sqs }) });
  const s3 = new S3Client({
    ...base,
    ...(platform.endpoints === undefined ? {} : { endpoint: platform.endpoints.s3, forcePathStyle: true }),
  });
  const rawDynamodb = new DynamoDBClient({
    ...base,
    ...(platform.endpoints === undefined ? {} : { endpoint: platform.endpoints.dynamodb }),
  });
  const dynamodb = DynamoDBDocumentClient.from(rawDynamodb, { marshallOptions: { removeUndefinedValues: true } });
  const appConfigData = new AppConfigDataClient(base);
  const cloudwatch = platform.target === 'aws' ? new CloudWatchClient(base) : undefined;
  const lambdaEndpoint = platform.endpoints === undefined ? undefined : platform.endpoints.lambda;
  const lambda =
    platform.endpoints === undefined || lambdaEndpoint !== undefined
      ? new LambdaClient({ ...base, ...(lambdaEndpoint === undefined ? {} : { endpoint: lambdaEndpoint }) })
      : undefined;
  return {
    sqs,
    s3,
    dynamodb,
    appConfigData,
    ...(cloudwatch === undefined ? {} : { cloudwatch }),
    ...(lambda === undefined ? {} : { lambda }),
    destroy() {
      cloudwatch?.destroy();
      lambda?.destroy();
      sqs.destroy();
      s3.destroy();
      dynamodb.destroy();
      rawDynamodb.destroy();
      appConfigData.destroy();
    },
  };
}

/**
 * The task-state adapter for a platform's table: the one way the CLI writes task state (`reopen`, `rebury`, `cancel`).
 *
 * @example
 * const state = taskStateStore(platform, clients);
 * await state.cancel(taskId);
 */
export function taskStateStore(platform: Platform, clients: CliClients): TaskStateStore {
  return new TaskStateStore({ dynamodb: clients.dynamodb, tableName: platform.tableName });
}
