import { BosunError } from './errors';
import { SQS_MAX_MESSAGE_BYTES, SQS_MIN_MESSAGE_BYTES } from './limits';

/**
 * CloudFormation output keys of the platform stack. The stack writes them; {@link parseStackOutputs} reads them for
 * the SDK (`taskClientOptionsFromOutputs`, `taskClientOptionsFromStack`, `taskClientOptionsFromPlatform`), the
 * `bosun` CLI and the local platform. Per-queue outputs are prefixed with the queue's PascalCase name, for example
 * `DefaultQueueUrl`.
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
  /** URL of the Celery worker's SQS queue a `celeryDestination` hands tasks to, when the platform names one. */
  CELERY_QUEUE_URL: 'CeleryQueueUrl',
  /** Deployment stage. */
  STAGE: 'Stage',
  /** Largest envelope the platform's producers send inline, in bytes; larger payloads go to the claim-check bucket. */
  CLAIM_CHECK_THRESHOLD_BYTES: 'ClaimCheckThresholdBytes',
  /** Schedule group of far-ETA tasks' one-time schedules. */
  ETA_SCHEDULE_GROUP: 'EtaScheduleGroup',
  /** Role producers pass to the one-time schedules of far ETAs. */
  ETA_SCHEDULE_ROLE_ARN: 'EtaScheduleRoleArn',
  /** DLQ of far-ETA firings Scheduler could not deliver. */
  ETA_SCHEDULE_DLQ_ARN: 'EtaScheduleDlqArn',
  /** URL of the DLQ of every schedule firing (periodic and far-ETA) Scheduler could not deliver. */
  SCHEDULES_DLQ_URL: 'SchedulesDlqUrl',
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

/** Name of the platform stack of a stage: `Bosun-<stage>`. */
export function platformStackName(stage: string): string {
  return `Bosun-${stage}`;
}

/** One Bosun queue as the stack outputs describe it. */
export interface StackQueue {
  /** Logical name, for example `default`. */
  readonly name: string;
  /** Queue URL. */
  readonly url: string;
  /** URL of its DLQ, when the outputs carry one. */
  readonly dlqUrl?: string;
  /** ARN of the queue, when the outputs carry one (the target of far-ETA schedules). */
  readonly arn?: string;
}

/** Where far-ETA one-time schedules go, as the stack outputs carry it. */
export interface StackEtaSchedules {
  /** Schedule group of the one-time schedules (`EtaScheduleGroup`). */
  readonly groupName: string;
  /** Role producers pass to the schedules (`EtaScheduleRoleArn`). */
  readonly roleArn: string;
  /** DLQ of firings Scheduler could not deliver (`EtaScheduleDlqArn`), when present. */
  readonly deadLetterQueueArn?: string;
}

/** AppConfig ids of the routing document, as the stack outputs carry them. */
export interface StackAppConfigIds {
  readonly applicationId: string;
  readonly environmentId: string;
  readonly profileId: string;
}

/** The platform stack's outputs, read by {@link parseStackOutputs}. Optional fields are absent when no output says. */
export interface PlatformStackOutputs {
  /** The queues, in definition order (at least one). */
  readonly queues: readonly StackQueue[];
  /** Deployment stage (`Stage`). */
  readonly stage?: string;
  /** Task-state table (`TaskStateTableName`). */
  readonly tableName?: string;
  /** Claim-check bucket (`ClaimCheckBucketName`). */
  readonly bucketName?: string;
  /** AppConfig ids of the routing document, when all three outputs are present. */
  readonly appConfig?: StackAppConfigIds;
  /** Queue of the system being migrated from (`LegacyQueueUrl`). */
  readonly legacyQueueUrl?: string;
  /** Largest envelope sent inline, in bytes (`ClaimCheckThresholdBytes`). */
  readonly claimCheckThresholdBytes?: number;
  /** Far-ETA schedules, when both the group and the role outputs are present. */
  readonly etaSchedules?: StackEtaSchedules;
  /** URL of the DLQ of schedule firings Scheduler could not deliver (`SchedulesDlqUrl`). */
  readonly schedulesDlqUrl?: string;
}

/** Options of {@link parseStackOutputs}. */
export interface ParseStackOutputsOptions {
  /** Where the outputs came from, for error messages, for example `stack Bosun-dev (eu-west-1)`. */
  readonly source: string;
  /**
   * Whether the task-state table output is required too (the CLI cannot work without it).
   * @default false
   */
  readonly requireTable?: boolean;
}

/**
 * Stack outputs that are not a Bosun platform's: a required output is missing, or one is malformed. `problem` names
 * every missing output at once and the outputs that were present.
 *
 * @example
 * catch (e) { if (e instanceof StackOutputsInvalidError) console.log(e.source, e.problem) }
 */
export class StackOutputsInvalidError extends BosunError {
  public override readonly name = 'StackOutputsInvalidError';

  public constructor(
    /** Where the outputs came from. */
    public readonly source: string,
    /** What is wrong with them. */
    public readonly problem: string,
    options?: { cause?: unknown },
  ) {
    super(`${source}: ${problem}`, options);
  }
}

function present(outputs: Readonly<Record<string, string>>, key: string): string | undefined {
  const value = outputs[key];
  return value === undefined || value === '' ? undefined : value;
}

function parseQueueNames(raw: string, source: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (cause) {
    throw new StackOutputsInvalidError(
      source,
      `output ${StackOutput.QUEUE_NAMES} must be a JSON array of queue names (given ${raw.length} characters that are not JSON)`,
      { cause },
    );
  }
  if (!Array.isArray(parsed) || !parsed.every((name): name is string => typeof name === 'string' && name !== '')) {
    throw new StackOutputsInvalidError(
      source,
      `output ${StackOutput.QUEUE_NAMES} must be a JSON array of non-empty strings (given ${JSON.stringify(parsed)})`,
    );
  }
  if (parsed.length === 0) throw new StackOutputsInvalidError(source, `output ${StackOutput.QUEUE_NAMES} must name at least one queue (given [])`);
  return parsed;
}

function parseThreshold(raw: string | undefined, source: string): number | undefined {
  if (raw === undefined) return undefined;
  const bytes = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(bytes >= SQS_MIN_MESSAGE_BYTES && bytes <= SQS_MAX_MESSAGE_BYTES)) {
    throw new StackOutputsInvalidError(
      source,
      `output ${StackOutput.CLAIM_CHECK_THRESHOLD_BYTES} must be a whole number of bytes between ${SQS_MIN_MESSAGE_BYTES} and ${SQS_MAX_MESSAGE_BYTES} (given ${JSON.stringify(raw)})`,
    );
  }
  return bytes;
}

/**
 * Reads the platform stack's outputs (CloudFormation `DescribeStacks`, or the `outputs` of the local platform's
 * `platform.json`): the one parser of them, used by the SDK and the CLI alike. Every missing required output is named
 * in one error.
 *
 * @throws StackOutputsInvalidError when `QueueNames` or a queue's URL (or, with `requireTable`, the table) is missing,
 *   or an output is malformed.
 * @example
 * const { queues, tableName, claimCheckThresholdBytes } = parseStackOutputs(outputs, { source: 'stack Bosun-dev' });
 */
export function parseStackOutputs(outputs: Readonly<Record<string, string>>, options: ParseStackOutputsOptions): PlatformStackOutputs {
  const { source } = options;
  const missing: string[] = [];
  const namesRaw = present(outputs, StackOutput.QUEUE_NAMES);
  if (namesRaw === undefined) missing.push(StackOutput.QUEUE_NAMES);
  const tableName = present(outputs, StackOutput.TABLE_NAME);
  if (tableName === undefined && options.requireTable === true) missing.push(StackOutput.TABLE_NAME);
  const queues: StackQueue[] = [];
  for (const name of namesRaw === undefined ? [] : parseQueueNames(namesRaw, source)) {
    const urlKey = queueOutputKey(name, StackOutput.QUEUE_URL_SUFFIX);
    const url = present(outputs, urlKey);
    if (url === undefined) {
      missing.push(urlKey);
      continue;
    }
    const dlqUrl = present(outputs, queueOutputKey(name, StackOutput.DLQ_URL_SUFFIX));
    const arn = present(outputs, queueOutputKey(name, StackOutput.QUEUE_ARN_SUFFIX));
    queues.push({ name, url, ...(dlqUrl === undefined ? {} : { dlqUrl }), ...(arn === undefined ? {} : { arn }) });
  }
  if (missing.length > 0) {
    const given = Object.keys(outputs).sort().join(', ') || 'none';
    throw new StackOutputsInvalidError(source, `required outputs are missing: ${missing.join(', ')} (outputs present: ${given})`);
  }
  const applicationId = present(outputs, StackOutput.APPCONFIG_APPLICATION_ID);
  const environmentId = present(outputs, StackOutput.APPCONFIG_ENVIRONMENT_ID);
  const profileId = present(outputs, StackOutput.APPCONFIG_PROFILE_ID);
  const stage = present(outputs, StackOutput.STAGE);
  const bucketName = present(outputs, StackOutput.BUCKET_NAME);
  const legacyQueueUrl = present(outputs, StackOutput.LEGACY_QUEUE_URL);
  const claimCheckThresholdBytes = parseThreshold(present(outputs, StackOutput.CLAIM_CHECK_THRESHOLD_BYTES), source);
  const etaGroup = present(outputs, StackOutput.ETA_SCHEDULE_GROUP);
  const etaRoleArn = present(outputs, StackOutput.ETA_SCHEDULE_ROLE_ARN);
  const etaDlqArn = present(outputs, StackOutput.ETA_SCHEDULE_DLQ_ARN);
  const schedulesDlqUrl = present(outputs, StackOutput.SCHEDULES_DLQ_URL);
  return {
    queues,
    ...(stage === undefined ? {} : { stage }),
    ...(tableName === undefined ? {} : { tableName }),
    ...(bucketName === undefined ? {} : { bucketName }),
    ...(applicationId !== undefined && environmentId !== undefined && profileId !== undefined
      ? { appConfig: { applicationId, environmentId, profileId } }
      : {}),
    ...(legacyQueueUrl === undefined ? {} : { legacyQueueUrl }),
    ...(claimCheckThresholdBytes === undefined ? {} : { claimCheckThresholdBytes }),
    ...(etaGroup !== undefined && etaRoleArn !== undefined
      ? { etaSchedules: { groupName: etaGroup, roleArn: etaRoleArn, ...(etaDlqArn === undefined ? {} : { deadLetterQueueArn: etaDlqArn }) } }
      : {}),
    ...(schedulesDlqUrl === undefined ? {} : { schedulesDlqUrl }),
  };
}
