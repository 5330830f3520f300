/**
 * CloudWatch namespace of the consumers' Powertools metrics (set as `POWERTOOLS_METRICS_NAMESPACE` by the constructs,
 * the runtime's default, and where the console reads task outcomes).
 */
export const METRICS_NAMESPACE = 'Bosun';

/**
 * Environment variable names shared by the constructs (which set them) and the runtime and SDK (which read them).
 * Binding an env var and its IAM grant happens in one construct call, so the two cannot drift apart.
 */
export const EnvVar = {
  /** Deployment stage, for example `dev` or `prod`. */
  STAGE: 'BOSUN_STAGE',
  /** Logical name of the queue a consumer serves, for example `default`. */
  QUEUE_NAME: 'BOSUN_QUEUE_NAME',
  /** URL of the queue a consumer serves. */
  QUEUE_URL: 'BOSUN_QUEUE_URL',
  /** URL of that queue's DLQ. */
  DLQ_URL: 'BOSUN_DLQ_URL',
  /** JSON object mapping every Bosun queue name to its URL, for publishing and rerouting. */
  QUEUE_URLS: 'BOSUN_QUEUE_URLS',
  /** Max receive count of the served queue's redrive policy. */
  MAX_RECEIVE_COUNT: 'BOSUN_MAX_RECEIVE_COUNT',
  /** Claim-check bucket name. */
  BUCKET_NAME: 'BOSUN_BUCKET_NAME',
  /** Task-state table name. */
  TABLE_NAME: 'BOSUN_TABLE_NAME',
  /** Longest single SQS delay used when chaining ETAs, in seconds (900 in AWS; tests shorten it). */
  MAX_DELAY_SECONDS: 'BOSUN_MAX_DELAY_SECONDS',
  /** AppConfig application id of the routing flags. */
  APPCONFIG_APPLICATION_ID: 'BOSUN_APPCONFIG_APPLICATION_ID',
  /** AppConfig environment id of the routing flags. */
  APPCONFIG_ENVIRONMENT_ID: 'BOSUN_APPCONFIG_ENVIRONMENT_ID',
  /** AppConfig configuration profile id of the routing document. */
  APPCONFIG_PROFILE_ID: 'BOSUN_APPCONFIG_PROFILE_ID',
  /** Path of a routing document file (local platform); takes precedence over AppConfig when set. */
  ROUTING_FILE: 'BOSUN_ROUTING_FILE',
  /** URL of the legacy system's SQS queue, registered as the `legacy` custom destination by the example consumers. */
  LEGACY_QUEUE_URL: 'BOSUN_LEGACY_QUEUE_URL',
  /** URL of the SQS queue a Celery worker reads, for a `celeryDestination` (set by `TaskConsumer.bindCeleryQueue`). */
  CELERY_QUEUE_URL: 'BOSUN_CELERY_QUEUE_URL',
  /** `true` to address S3 path-style (the local emulator needs it; AWS does not). Endpoints themselves come from the AWS SDK's own `AWS_ENDPOINT_URL_<SERVICE>` variables. */
  S3_FORCE_PATH_STYLE: 'BOSUN_S3_FORCE_PATH_STYLE',
  /** Path of the running local platform's `platform.json`, for `taskClientOptionsFromPlatform` (a separate process). */
  PLATFORM: 'BOSUN_PLATFORM',
} as const;

/** One of the {@link EnvVar} names. */
export type EnvVarName = (typeof EnvVar)[keyof typeof EnvVar];

/**
 * Reads a required environment variable, failing fast with a message that names it.
 *
 * @example
 * const tableName = requireEnv(EnvVar.TABLE_NAME);
 */
export function requireEnv(name: string, env: Readonly<Record<string, string | undefined>> = process.env): string {
  const value = env[name];
  if (value === undefined || value === '') {
    throw new Error(`environment variable ${name} is required but not set`);
  }
  return value;
}
