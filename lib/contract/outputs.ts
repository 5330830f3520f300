/**
 * CloudFormation output keys of the platform stack. The stack writes them; the SDK's `createTaskClient`, the
 * `bosun` CLI and the local platform read them. Per-queue outputs are prefixed with the queue's PascalCase name,
 * for example `DefaultQueueUrl`.
 */
export const StackOutput = {
  BUCKET_NAME: 'ClaimCheckBucketName',
  TABLE_NAME: 'TaskStateTableName',
  APPCONFIG_APPLICATION_ID: 'RoutingApplicationId',
  APPCONFIG_ENVIRONMENT_ID: 'RoutingEnvironmentId',
  APPCONFIG_PROFILE_ID: 'RoutingProfileId',
  /** JSON array of the platform's queue names, in definition order. */
  QUEUE_NAMES: 'QueueNames',
  /** URL of the legacy-system queue the example `legacy` destination forwards to, when the platform has one. */
  LEGACY_QUEUE_URL: 'LegacyQueueUrl',
  /** Deployment stage. */
  STAGE: 'Stage',
  /** Schedule group of far-ETA tasks' one-time schedules. */
  ETA_SCHEDULE_GROUP: 'EtaScheduleGroup',
  /** Role producers pass to the one-time schedules of far ETAs. */
  ETA_SCHEDULE_ROLE_ARN: 'EtaScheduleRoleArn',
  /** DLQ of far-ETA firings Scheduler could not deliver. */
  ETA_SCHEDULE_DLQ_ARN: 'EtaScheduleDlqArn',
  /** Suffixes of the per-queue outputs. */
  QUEUE_URL_SUFFIX: 'QueueUrl',
  QUEUE_ARN_SUFFIX: 'QueueArn',
  DLQ_URL_SUFFIX: 'DlqUrl',
  DLQ_ARN_SUFFIX: 'DlqArn',
} as const;

/**
 * Output key of one per-queue value, for example `queueOutputKey('bulk', 'QueueUrl')` → `BulkQueueUrl`.
 *
 * @example
 * const url = outputs[queueOutputKey('default', StackOutput.QUEUE_URL_SUFFIX)];
 */
export function queueOutputKey(queueName: string, suffix: string): string {
  const pascal = queueName
    .split(/[^A-Za-z0-9]+/)
    .filter((part) => part.length > 0)
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join('');
  return `${pascal}${suffix}`;
}
