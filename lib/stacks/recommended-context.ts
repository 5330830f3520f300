import { S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY } from 'aws-cdk-lib/cx-api';

/**
 * Feature flags the platform relies on, set unless the caller's context says otherwise: server access logs are
 * delivered through a bucket policy rather than the deprecated `LogDeliveryWrite` ACL. In a file of its own so
 * construct tests can use it without loading the platform definition (and, through it, the tasks and the runtime).
 *
 * @example
 * const app = new App({ context: { ...RECOMMENDED_CONTEXT } });
 */
export const RECOMMENDED_CONTEXT: Readonly<Record<string, unknown>> = {
  [S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY]: true,
};
