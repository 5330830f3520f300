import * as path from 'node:path';
import {
  DEFAULT_LOCAL_DATA_DIR,
  type LocalPlatformDescription,
  type LocalPlatformIam,
  PLATFORM_FILE,
  PlatformDescriptionInvalidError,
  type PlatformStackOutputs,
  type StackQueue,
  StackOutputsInvalidError,
  parseLocalPlatformDescription,
  parseStackOutputs,
} from '../lib/contract';
import {
  type DeployedStackOutputs,
  LocalPlatformNotRunningError,
  type PlatformStackLocation,
  PlatformStackNotFoundError,
  readLocalPlatformDescription,
  readStackOutputs,
} from '../lib/sdk';
import { CliPlatformInvalidError, CliPlatformNotRunningError, CliQueueUnknownError, CliStackNotFoundError } from './errors';

/** Default data directory of the local platform, relative to the working directory. */
export const DEFAULT_DATA_DIR = DEFAULT_LOCAL_DATA_DIR;
export { PLATFORM_FILE };

/** One Bosun queue as the CLI sees it: as the stack outputs describe it (the contract's `StackQueue`). */
export type PlatformQueue = StackQueue;

/** Service endpoints of the local emulators. Absent for AWS, where the SDK's own resolution applies. */
export interface PlatformEndpoints {
  readonly sqs: string;
  readonly s3: string;
  readonly dynamodb: string;
  /** The local platform's Lambda event-source-mapping API; absent from a platform started before it existed. */
  readonly lambda?: string;
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
  /** IAM enforcement of the local platform (absolute denial log path), when its description reports it. */
  readonly iam?: LocalPlatformIam;
  /** Legacy-system queue URL, when the platform has one. */
  readonly legacyQueueUrl?: string;
  /** URL of the DLQ of schedule firings Scheduler could not deliver, when the outputs carry it. */
  readonly schedulesDlqUrl?: string;
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
  readonly iam?: LocalPlatformIam;
  /** Where the outputs came from, for error messages, for example `stack Bosun-dev`. */
  readonly source: string;
}

/**
 * Builds the platform description from stack outputs, read with the contract's one parser of them
 * (`parseStackOutputs`, the SDK's too). Every missing required output is named in one error.
 *
 * @throws CliPlatformInvalidError when a required output is missing or malformed.
 * @example
 * const platform = platformFromOutputs(outputs, { target: 'aws', region: 'eu-west-1', source: 'stack Bosun-dev' });
 */
export function platformFromOutputs(outputs: Readonly<Record<string, string>>, meta: PlatformMeta): Platform {
  let parsed: PlatformStackOutputs;
  try {
    parsed = parseStackOutputs(outputs, { source: meta.source, requireTable: true });
  } catch (error) {
    throw asCliError(error);
  }
  return {
    target: meta.target,
    stage: meta.stage ?? parsed.stage ?? 'unknown',
    region: meta.region,
    queues: parsed.queues,
    tableName: parsed.tableName!,
    outputs,
    ...(meta.profile === undefined ? {} : { profile: meta.profile }),
    ...(meta.endpoints === undefined ? {} : { endpoints: meta.endpoints }),
    ...(meta.routingFile === undefined ? {} : { routingFile: meta.routingFile }),
    ...(meta.iam === undefined ? {} : { iam: meta.iam }),
    ...(parsed.bucketName === undefined ? {} : { bucketName: parsed.bucketName }),
    ...(parsed.legacyQueueUrl === undefined ? {} : { legacyQueueUrl: parsed.legacyQueueUrl }),
    ...(parsed.schedulesDlqUrl === undefined ? {} : { schedulesDlqUrl: parsed.schedulesDlqUrl }),
    ...(parsed.appConfig === undefined ? {} : { appConfig: parsed.appConfig }),
  };
}

/** Translates the shared readers' errors into the CLI's, keeping their messages. */
function asCliError(error: unknown): unknown {
  if (error instanceof PlatformDescriptionInvalidError || error instanceof StackOutputsInvalidError) {
    return new CliPlatformInvalidError(error.source, error.problem, { cause: error });
  }
  if (error instanceof LocalPlatformNotRunningError) return new CliPlatformNotRunningError(error.platformFile, error.exitedPid);
  return error;
}

function platformFromDescription(description: LocalPlatformDescription, file: string): Platform {
  return platformFromOutputs(description.outputs, {
    target: 'local',
    stage: description.stage,
    region: description.region,
    endpoints: description.endpoints,
    ...(description.routingFile === undefined ? {} : { routingFile: path.resolve(path.dirname(file), description.routingFile) }),
    ...(description.iam === undefined
      ? {}
      : {
          iam: {
            enforced: description.iam.enforced,
            ...(description.iam.denialLog === undefined ? {} : { denialLog: path.resolve(path.dirname(file), description.iam.denialLog) }),
          },
        }),
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

/** Options of {@link loadAwsPlatform}: the SDK's stack location (stage, region, profile, a CloudFormation client). */
export type AwsTargetOptions = PlatformStackLocation;

/**
 * Loads a deployed platform from the outputs of the stack `Bosun-<stage>`, read by the SDK's `readStackOutputs`
 * (CloudFormation `DescribeStacks`, the default AWS credential chain or `profile`) and parsed by the contract's
 * `parseStackOutputs`, as the SDK's `taskClientOptionsFromStack` reads them.
 *
 * @throws CliStackNotFoundError when the stack does not exist; CliPlatformInvalidError when outputs are missing.
 * @example
 * const platform = await loadAwsPlatform({ stage: 'prod', region: 'eu-west-1', profile: 'ops' });
 */
export async function loadAwsPlatform(options: AwsTargetOptions = {}): Promise<Platform> {
  let deployed: DeployedStackOutputs;
  try {
    deployed = await readStackOutputs(options);
  } catch (error) {
    if (error instanceof PlatformStackNotFoundError) throw new CliStackNotFoundError(error.stackName, error.region, { cause: error });
    throw error;
  }
  return platformFromOutputs(deployed.outputs, {
    target: 'aws',
    stage: deployed.stage,
    region: deployed.region,
    ...(options.profile === undefined ? {} : { profile: options.profile }),
    source: `stack ${deployed.stackName} (${deployed.region})`,
  });
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
