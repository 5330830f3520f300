import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { randomBytes } from 'node:crypto';
import { type AwsClients, createAwsClients } from '../../lib/aws/clients';
import { type EmulatorEndpoints, LOCAL_CREDENTIALS } from '../../local/emulators';

/** Environment variables through which the global setup passes emulator endpoints to test workers. */
export const TEST_ENV = {
  SQS_ENDPOINT: 'BOSUN_TEST_SQS_ENDPOINT',
  S3_ENDPOINT: 'BOSUN_TEST_S3_ENDPOINT',
  DYNAMODB_ENDPOINT: 'BOSUN_TEST_DYNAMODB_ENDPOINT',
  REGION: 'BOSUN_TEST_REGION',
} as const;

/** The endpoints of the emulators the global setup started. */
export function emulatorEndpoints(): EmulatorEndpoints {
  const read = (name: string): string => {
    const value = process.env[name];
    if (value === undefined) throw new Error(`${name} is not set: the jest global setup did not start the emulators`);
    return value;
  };
  return {
    sqsEndpoint: read(TEST_ENV.SQS_ENDPOINT),
    s3Endpoint: read(TEST_ENV.S3_ENDPOINT),
    dynamoDbEndpoint: read(TEST_ENV.DYNAMODB_ENDPOINT),
    region: read(TEST_ENV.REGION),
  };
}

/** SDK clients pointed at the emulators. */
export interface EmulatorClients {
  readonly sqs: SQSClient;
  readonly s3: S3Client;
  readonly dynamodb: DynamoDBClient;
}

/** Creates SDK clients for the emulators (one set per test file; destroy them in `afterAll`). */
export function emulatorClients(endpoints: EmulatorEndpoints = emulatorEndpoints()): EmulatorClients {
  const common = { region: endpoints.region, credentials: LOCAL_CREDENTIALS };
  return {
    sqs: new SQSClient({ ...common, endpoint: endpoints.sqsEndpoint }),
    s3: new S3Client({ ...common, endpoint: endpoints.s3Endpoint, forcePathStyle: true }),
    dynamodb: new DynamoDBClient({ ...common, endpoint: endpoints.dynamoDbEndpoint }),
  };
}

/** The SDK's own clients (`createAwsClients`), pointed at the emulators through the env vars the local platform sets. */
export function sdkClientsForEmulators(endpoints: EmulatorEndpoints = emulatorEndpoints()): AwsClients {
  return createAwsClients({
    region: endpoints.region,
    credentials: LOCAL_CREDENTIALS,
    env: {
      AWS_ENDPOINT_URL_SQS: endpoints.sqsEndpoint,
      AWS_ENDPOINT_URL_S3: endpoints.s3Endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamoDbEndpoint,
      BOSUN_S3_FORCE_PATH_STYLE: 'true',
    },
  });
}

/** A resource name unique to this test run, for example `bosun-it-retry-3f9a1c`. */
export function uniqueName(label: string): string {
  return `bosun-it-${label}-${randomBytes(4).toString('hex')}`.toLowerCase();
}
