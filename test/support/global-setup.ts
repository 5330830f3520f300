import { startEmulators } from '../../local/emulators';
import { TEST_ENV } from './emulator-env';

/**
 * Starts fauxqs and DynamoDB Local once for the whole jest run and hands their endpoints to the test workers through
 * environment variables (workers inherit the parent's environment). Every test creates uniquely named resources.
 */
export default async function globalSetup(): Promise<void> {
  const emulators = await startEmulators();
  process.env[TEST_ENV.SQS_ENDPOINT] = emulators.sqsEndpoint;
  process.env[TEST_ENV.S3_ENDPOINT] = emulators.s3Endpoint;
  process.env[TEST_ENV.DYNAMODB_ENDPOINT] = emulators.dynamoDbEndpoint;
  process.env[TEST_ENV.REGION] = emulators.region;
  (globalThis as { __bosunEmulators?: { stop(): Promise<void> } }).__bosunEmulators = emulators;
}
