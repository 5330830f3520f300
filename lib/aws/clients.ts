import { AppConfigDataClient } from '@aws-sdk/client-appconfigdata';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { EnvVar } from '../contract';

/** The AWS SDK clients Bosun uses, created once per configuration and shared. */
export interface AwsClients {
  readonly sqs: SQSClient;
  readonly s3: S3Client;
  /** Document client: items in and out as plain JavaScript objects, `undefined` attributes dropped. */
  readonly dynamodb: DynamoDBDocumentClient;
  readonly appConfigData: AppConfigDataClient;
}

/** Static credentials, for the local emulators or tests. */
export interface StaticCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** Options of {@link createAwsClients}. */
export interface CreateAwsClientsOptions {
  /**
   * AWS region.
   * @default - `AWS_REGION`, then `AWS_DEFAULT_REGION` from `env`, then the SDK's own resolution
   */
  readonly region?: string;
  /**
   * Environment to read endpoints (`AWS_ENDPOINT_URL_SQS`, `AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL_DYNAMODB`,
   * `AWS_ENDPOINT_URL_APPCONFIGDATA`, or the shared `AWS_ENDPOINT_URL`), the region and
   * `BOSUN_S3_FORCE_PATH_STYLE` from.
   * @default process.env
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * Credentials. Leave unset in AWS so the default provider chain applies.
   * @default - the SDK's default credential provider chain
   */
  readonly credentials?: StaticCredentials;
  /**
   * Named profile of the shared AWS config and credentials files, for credentials (and a region the profile sets).
   * @default - the SDK's default credential provider chain (`AWS_PROFILE` included)
   */
  readonly profile?: string;
  /**
   * Most sockets kept open per client. Every socket stays alive between calls.
   * @default 50
   */
  readonly maxSockets?: number;
}

/** Default socket pool size per client. */
const DEFAULT_MAX_SOCKETS = 50;

const cache = new Map<string, AwsClients>();

function endpointFor(env: Readonly<Record<string, string | undefined>>, service: string): string | undefined {
  const specific = env[`AWS_ENDPOINT_URL_${service}`];
  if (specific !== undefined && specific !== '') return specific;
  const shared = env['AWS_ENDPOINT_URL'];
  return shared !== undefined && shared !== '' ? shared : undefined;
}

function keepAliveHandler(maxSockets: number): NodeHttpHandler {
  return new NodeHttpHandler({
    httpAgent: new HttpAgent({ keepAlive: true, maxSockets }),
    httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets }),
  });
}

/**
 * Removes the SDK's logger middleware. With no logger configured the SDK logs to a no-op logger, yet the middleware
 * still walks and copies every request and response to filter sensitive fields for it: measurable CPU per call for
 * nothing. These clients never get a logger, so nothing is lost.
 */
function withoutNoOpLogging<T extends { middlewareStack: { remove(name: string): boolean } }>(client: T): T {
  client.middlewareStack.remove('loggerMiddleware');
  return client;
}

/**
 * Creates (or returns the already created) AWS SDK clients for Bosun: keep-alive HTTP agents, endpoints from the
 * SDK's native `AWS_ENDPOINT_URL_<SERVICE>` variables, path-style S3 when `BOSUN_S3_FORCE_PATH_STYLE=true`.
 * Calls with the same effective configuration return the same instances, so calling it per request costs nothing
 * and opens no new connections. Call it at module scope in a Lambda.
 *
 * @example
 * const { sqs, dynamodb } = createAwsClients();
 * @example
 * // the local emulators
 * const clients = createAwsClients({
 *   region: 'us-east-1',
 *   env: { AWS_ENDPOINT_URL_SQS: 'http://127.0.0.1:4566', AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:4566',
 *          AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:8000', BOSUN_S3_FORCE_PATH_STYLE: 'true' },
 *   credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
 * });
 */
export function createAwsClients(options: CreateAwsClientsOptions = {}): AwsClients {
  const env = options.env ?? process.env;
  const region = options.region ?? env['AWS_REGION'] ?? env['AWS_DEFAULT_REGION'];
  const forcePathStyle = env[EnvVar.S3_FORCE_PATH_STYLE] === 'true';
  const endpoints = {
    sqs: endpointFor(env, 'SQS'),
    s3: endpointFor(env, 'S3'),
    dynamodb: endpointFor(env, 'DYNAMODB'),
    appConfigData: endpointFor(env, 'APPCONFIGDATA'),
  };
  const maxSockets = options.maxSockets ?? DEFAULT_MAX_SOCKETS;
  const key = JSON.stringify([region, forcePathStyle, endpoints, options.credentials?.accessKeyId, options.profile, maxSockets]);
  const cached = cache.get(key);
  if (cached !== undefined) return cached;

  const common = {
    ...(region === undefined ? {} : { region }),
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
    ...(options.profile === undefined ? {} : { profile: options.profile }),
  };
  const sqs = withoutNoOpLogging(
    new SQSClient({
      ...common,
      ...(endpoints.sqs === undefined ? {} : { endpoint: endpoints.sqs }),
      requestHandler: keepAliveHandler(maxSockets),
    }),
  );
  const s3 = withoutNoOpLogging(
    new S3Client({
      ...common,
      ...(endpoints.s3 === undefined ? {} : { endpoint: endpoints.s3 }),
      forcePathStyle,
      requestHandler: keepAliveHandler(maxSockets),
    }),
  );
  const dynamodb = DynamoDBDocumentClient.from(
    withoutNoOpLogging(
      new DynamoDBClient({
        ...common,
        ...(endpoints.dynamodb === undefined ? {} : { endpoint: endpoints.dynamodb }),
        requestHandler: keepAliveHandler(maxSockets),
      }),
    ),
    { marshallOptions: { removeUndefinedValues: true } },
  );
  const appConfigData = withoutNoOpLogging(
    new AppConfigDataClient({
      ...common,
      ...(endpoints.appConfigData === undefined ? {} : { endpoint: endpoints.appConfigData }),
      requestHandler: keepAliveHandler(maxSockets),
    }),
  );
  const clients: AwsClients = { sqs, s3, dynamodb, appConfigData };
  cache.set(key, clients);
  return clients;
}
