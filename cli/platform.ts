import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import * as path from 'node:path';
import {
  DEFAULT_LOCAL_DATA_DIR,
  type LocalPlatformDescription,
  PLATFORM_FILE,
  PlatformDescriptionInvalidError,
  StackOutput,
  parseLocalPlatformDescription,
  queueOutputKey,
} from '../lib/contract';
import { LocalPlatformNotRunningError, readLocalPlatformDescription } from '../lib/sdk';
import { CliPlatformInvalidError, CliPlatformNotRunningError, CliQueueUnknownError, CliStackNotFoundError } from './errors';

/** Default data directory of the local platform, relative to the working directory. */
export const DEFAULT_DATA_DIR = DEFAULT_LOCAL_DATA_DIR;
export { PLATFORM_FILE };

/** One Bosun queue as the CLI sees it. */
export interface PlatformQueue {
  /** Logical name, for example `default`. */
  readonly name: string;
  /** Queue URL. */
  readonly url: string;
  /** URL of its DLQ, when the platform has one. */
  readonly dlqUrl?: string;
}

/** Service endpoints of the local emulators. Absent for AWS, where the SDK's own resolution applies. */
export interface PlatformEndpoints {
  readonly sqs: string;
  readonly s3: string;
  readonly dynamodb: string;
  /** The local scheduler (EventBridge Scheduler's stand-in), when the platform serves one. */
  readonly scheduler?: string;
}

/** AppConfig ids of the routing flags. */
export interface PlatformAppConfig {
  readonly applicationId: string;
  readonly environmentId: string;
  readonly profileId: string;
}

/**
 * Everything the CLI commands need to know about the platform they act on, whether it runs locally or in AWS. Built
 * from the stack outputs in both cases, so the two targets cannot differ in shape.
 */
export interface Platform {
  /** `local` (the `npm start` platform) or `aws` (a deployed stack). */
  readonly target: 'local' | 'aws';
  /** Deployment stage, for example `local` or `dev`. */
  readonly stage: string;
  /** AWS region (the emulators pretend to be in one too). */
  readonly region: string;
  /** AWS named profile for credentials (`--profile`), AWS target only. */
  readonly profile?: string;
  /** Emulator endpoints, local target only. */
  readonly endpoints?: PlatformEndpoints;
  /** The queues, in definition order. */
  readonly queues: readonly PlatformQueue[];
  /** Claim-check bucket, when the outputs name one. */
  readonly bucketName?: string;
  /** Task-state table. */
  readonly tableName: string;
  /** AppConfig ids of the routing document, when the outputs carry all three. */
  readonly appConfig?: PlatformAppConfig;
  /** Routing document file (local platform): takes precedence over AppConfig. */
  readonly routingFile?: string;
  /** Legacy-system queue URL, when the platform has one. */
  readonly legacyQueueUrl?: string;
  /** The raw stack outputs, for the SDK's `taskClientOptionsFromOutputs`. */
  readonly outputs: Readonly<Record<string, string>>;
}

/** What {@link platformFromOutputs} needs besides the outputs. */
export interface PlatformMeta {
  readonly target: 'local' | 'aws';
  /** Stage, when known apart from the `Stage` output. */
  readonly stage?: string;
  readonly region: string;
  readonly profile?: string;
  readonly endpoints?: PlatformEndpoints;
  readonly routingFile?: string;
  /** Where the outputs came from, for error messages, for example `stack Bosun-dev`. */
  readonly source: string;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function parseQueueNames(raw: string | undefined, source: string): string[] {
  if (raw === undefined) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (cause) {
    throw new CliPlatformInvalidError(
      source,
      `output ${StackOutput.QUEUE_NAMES} must be a JSON array of queue names (given ${raw.length} characters that are not JSON)`,
      { cause },
    );
  }
  if (!Array.isArray(parsed) || !parsed.every((name): name is string => typeof name === 'string' && name !== '')) {
    throw new CliPlatformInvalidError(
      source,
      `output ${StackOutput.QUEUE_NAMES} must be a JSON array of non-empty strings (given ${JSON.stringify(parsed)})`,
    );
  }
  return parsed;
}

/**
 * Builds the platform description from stack outputs (keys from the contract's `StackOutput` and
 * `queueOutputKey`). Every missing required output is named in one error.
 *
 * @throws CliPlatformInvalidError when a required output is missing or malformed.
 * @example
 * const platform = platformFromOutputs(outputs, { target: 'aws', region: 'eu-west-1', source: 'stack Bosun-dev' });
 */
export function platformFromOutputs(outputs: Readonly<Record<string, string>>, meta: PlatformMeta): Platform {
  const missing: string[] = [];
  const queueNames = parseQueueNames(nonEmpty(outputs[StackOutput.QUEUE_NAMES]), meta.source);
  if (nonEmpty(outputs[StackOutput.QUEUE_NAMES]) === undefined) missing.push(StackOutput.QUEUE_NAMES);
  const tableName = nonEmpty(outputs[StackOutput.TABLE_NAME]);
  if (tableName === undefined) missing.push(StackOutput.TABLE_NAME);
  const queues: PlatformQueue[] = [];
  for (const name of queueNames) {
    const urlKey = queueOutputKey(name, StackOutput.QUEUE_URL_SUFFIX);
    const url = nonEmpty(outputs[urlKey]);
    if (url === undefined) {
      missing.push(urlKey);
      continue;
    }
    const dlqUrl = nonEmpty(outputs[queueOutputKey(name, StackOutput.DLQ_URL_SUFFIX)]);
    queues.push({ name, url, ...(dlqUrl === undefined ? {} : { dlqUrl }) });
  }
  if (missing.length > 0 || tableName === undefined) {
    const given = Object.keys(outputs).sort().join(', ') || 'none';
    throw new CliPlatformInvalidError(
      meta.source,
      `required outputs are missing: ${missing.join(', ')} (outputs present: ${given})`,
    );
  }
  const applicationId = nonEmpty(outputs[StackOutput.APPCONFIG_APPLICATION_ID]);
  const environmentId = nonEmpty(outputs[StackOutput.APPCONFIG_ENVIRONMENT_ID]);
  const profileId = nonEmpty(outputs[StackOutput.APPCONFIG_PROFILE_ID]);
  const bucketName = nonEmpty(outputs[StackOutput.BUCKET_NAME]);
  const legacyQueueUrl = nonEmpty(outputs[StackOutput.LEGACY_QUEUE_URL]);
  const stage = meta.stage ?? nonEmpty(outputs[StackOutput.STAGE]) ?? 'unknown';
  return {
    target: meta.target,
    stage,
    region: meta.region,
    queues,
    tableName,
    outputs,
    ...(meta.profile === undefined ? {} : { profile: meta.profile }),
    ...(meta.endpoints === undefined ? {} : { endpoints: meta.endpoints }),
    ...(meta.routingFile === undefined ? {} : { routingFile: meta.routingFile }),
    ...(bucketName === undefined ? {} : { bucketName }),
    ...(legacyQueueUrl === undefined ? {} : { legacyQueueUrl }),
    ...(applicationId !== undefined && environmentId !== undefined && profileId !== undefined
      ? { appConfig: { applicationId, environmentId, profileId } }
      : {}),
  };
}

/** Translates the shared reader's errors into the CLI's, keeping their messages. */
function asCliError(error: unknown): unknown {
  if (error instanceof PlatformDescriptionInvalidError) {
    return new CliPlatformInvalidError(error.source, error.problem, { cause: error });
  }
  if (error instanceof LocalPlatformNotRunningError) return new CliPlatformNotRunningError(error.platformFile);
  return error;
}

function platformFromDescription(description: LocalPlatformDescription, file: string): Platform {
  return platformFromOutputs(description.outputs, {
    target: 'local',
    stage: description.stage,
    region: description.region,
    endpoints: description.endpoints,
    ...(description.routingFile === undefined ? {} : { routingFile: path.resolve(path.dirname(file), description.routingFile) }),
    source: file,
  });
}

/**
 * Reads the local platform's description from the JSON text of its `platform.json`, with the contract's one parser
 * of that file (`parseLocalPlatformDescription`).
 *
 * @throws CliPlatformInvalidError when the text is not a platform description.
 * @example
 * const platform = parseLocalPlatform(await readFile(file, 'utf8'), file);
 */
export function parseLocalPlatform(text: string, file: string): Platform {
  let description: LocalPlatformDescription;
  try {
    description = parseLocalPlatformDescription(text, file);
  } catch (error) {
    throw asCliError(error);
  }
  return platformFromDescription(description, file);
}

/**
 * Loads the running local platform from `<dataDir>/platform.json`, read the way the SDK's
 * `taskClientOptionsFromPlatform` reads it (`readLocalPlatformDescription`).
 *
 * @throws CliPlatformNotRunningError when the file does not exist.
 * @example
 * const platform = await loadLocalPlatform('.bosun/local');
 */
export async function loadLocalPlatform(dataDir: string = DEFAULT_DATA_DIR): Promise<Platform> {
  const file = path.resolve(dataDir, PLATFORM_FILE);
  let description: LocalPlatformDescription;
  try {
    description = readLocalPlatformDescription(file);
  } catch (error) {
    throw asCliError(error);
  }
  return platformFromDescription(description, file);
}

/** Options of {@link loadAwsPlatform}. */
export interface AwsTargetOptions {
  /** Stage; the stack is `Bosun-<stage>`. @default dev */
  readonly stage?: string;
  /** Region. @default - the AWS SDK's default (AWS_REGION, the profile's region) */
  readonly region?: string;
  /** Named profile for credentials. @default - the default credential chain */
  readonly profile?: string;
  /** CloudFormation client to use (tests). @default - one built from region and profile */
  readonly cloudFormation?: CloudFormationClient;
}

/** Name of the platform stack of a stage. */
export function stackName(stage: string): string {
  return `Bosun-${stage}`;
}

/**
 * Loads a deployed platform from the outputs of the stack `Bosun-<stage>` (CloudFormation `DescribeStacks`), using
 * the default AWS credential chain or `profile`.
 *
 * @throws CliStackNotFoundError when the stack does not exist; CliPlatformInvalidError when outputs are missing.
 * @example
 * const platform = await loadAwsPlatform({ stage: 'prod', region: 'eu-west-1', profile: 'ops' });
 */
export async function loadAwsPlatform(options: AwsTargetOptions = {}): Promise<Platform> {
  const stage = options.stage ?? 'dev';
  const name = stackName(stage);
  const client =
    options.cloudFormation ??
    new CloudFormationClient({
      ...(options.region === undefined ? {} : { region: options.region }),
      ...(options.profile === undefined ? {} : { profile: options.profile }),
    });
  try {
    const region = await client.config.region();
    let response;
    try {
      response = await client.send(new DescribeStacksCommand({ StackName: name }));
    } catch (error) {
      if ((error as Error).name === 'ValidationError' && /does not exist/.test((error as Error).message)) {
        throw new CliStackNotFoundError(name, region, { cause: error });
      }
      throw error;
    }
    const stack = response.Stacks?.[0];
    if (stack === undefined) throw new CliStackNotFoundError(name, region);
    const outputs: Record<string, string> = {};
    for (const output of stack.Outputs ?? []) {
      if (output.OutputKey !== undefined && output.OutputValue !== undefined) outputs[output.OutputKey] = output.OutputValue;
    }
    return platformFromOutputs(outputs, {
      target: 'aws',
      stage,
      region,
      ...(options.profile === undefined ? {} : { profile: options.profile }),
      source: `stack ${name} (${region})`,
    });
  } finally {
    if (options.cloudFormation === undefined) client.destroy();
  }
}

/**
 * Finds a queue of the platform by logical name.
 *
 * @throws CliQueueUnknownError naming the platform's queues.
 * @example
 * const { dlqUrl } = findQueue(platform, 'default');
 */
export function findQueue(platform: Platform, name: string): PlatformQueue {
  const queue = platform.queues.find((candidate) => candidate.name === name);
  if (queue === undefined) throw new CliQueueUnknownError(name, platform.queues.map((candidate) => candidate.name));
  return queue;
}
