import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  DEFAULT_LOCAL_DATA_DIR,
  EnvVar,
  LOCAL_CREDENTIALS,
  type LocalPlatformDescription,
  PLATFORM_FILE,
  PlatformDescriptionInvalidError,
  type TaskDeclaration,
  parseLocalPlatformDescription,
} from '../contract';
import { createAwsClients } from '../aws/clients';
import { type PlatformStackLocation, readStackOutputs } from '../aws/stack-outputs';
import { LocalPlatformNotRunningError } from './errors';
import { type TaskClientOptions, parseOutputsForClient, taskClientOptionsFromParsedOutputs } from './task-client-options';

/** Where to find the running local platform. */
export interface LocalPlatformLocation {
  /** Path of its `platform.json`. @default - `BOSUN_PLATFORM` from `env`, else `<dataDir>/platform.json` */
  readonly platformFile?: string;
  /** Its data directory, relative to the working directory. @default .bosun/local */
  readonly dataDir?: string;
  /** Environment to read `BOSUN_PLATFORM` from. @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * The absolute path of the local platform's `platform.json`: `platformFile`, else `BOSUN_PLATFORM`, else
 * `<dataDir>/platform.json` (default `.bosun/local/platform.json`) against the working directory.
 *
 * @example
 * const file = localPlatformFile({ dataDir: '../platform/.bosun/local' });
 */
export function localPlatformFile(location: LocalPlatformLocation = {}): string {
  const fromEnv = (location.env ?? process.env)[EnvVar.PLATFORM];
  if (location.platformFile !== undefined) return path.resolve(location.platformFile);
  if (fromEnv !== undefined && fromEnv !== '') return path.resolve(fromEnv);
  return path.resolve(location.dataDir ?? DEFAULT_LOCAL_DATA_DIR, PLATFORM_FILE);
}

/**
 * Whether a process with this pid runs on this machine (`kill(pid, 0)`: a process of another user counts as running).
 *
 * @example
 * if (!processIsAlive(description.pid)) console.log('left over by a process that exited');
 */
export function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Reads the running local platform's description from its `platform.json`, with `routingFile` made absolute. The one
 * reader of that file: the CLI and {@link taskClientOptionsFromPlatform} both use it.
 *
 * @throws LocalPlatformNotRunningError when the file does not exist, or names a pid that has exited (a platform
 *   killed without stopping leaves its `platform.json` behind; its endpoints would only answer ECONNREFUSED).
 * @throws PlatformDescriptionInvalidError when it cannot be read or is not a platform description.
 * @example
 * const { outputs, endpoints } = readLocalPlatformDescription(localPlatformFile());
 */
export function readLocalPlatformDescription(file: string): LocalPlatformDescription {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new LocalPlatformNotRunningError(file, { cause: error });
    throw new PlatformDescriptionInvalidError(file, `cannot be read (${(error as Error).message})`, { cause: error });
  }
  const description = parseLocalPlatformDescription(text, file);
  if (description.pid !== undefined && !processIsAlive(description.pid)) {
    throw new LocalPlatformNotRunningError(file, { exitedPid: description.pid });
  }
  return description.routingFile === undefined
    ? description
    : { ...description, routingFile: path.resolve(path.dirname(file), description.routingFile) };
}

/**
 * Task client options for the running local platform, read from its `platform.json` (see {@link localPlatformFile}):
 * every queue, the bucket and the table from its resolved stack outputs, AWS clients pointed at the emulators
 * (path-style S3, the emulators' static credentials, its region), the routing file its consumers read and their ETA
 * hop cap. Merge in
 * anything else (tasks, a logger) through `extra`.
 *
 * @throws LocalPlatformNotRunningError when no `platform.json` is there.
 * @throws PlatformDescriptionInvalidError when it is not a platform description.
 * @example
 * import { exampleTasks } from 'bosun/tasks';
 * const bosun = createTaskClient(taskClientOptionsFromPlatform({ tasks: exampleTasks }));
 */
export function taskClientOptionsFromPlatform<const TTasks extends readonly TaskDeclaration<unknown>[] = readonly TaskDeclaration[]>(
  extra: Partial<TaskClientOptions<TTasks>> & LocalPlatformLocation = {},
): TaskClientOptions<TTasks> {
  const { platformFile, dataDir, env, ...options } = extra;
  const file = localPlatformFile({
    ...(platformFile === undefined ? {} : { platformFile }),
    ...(dataDir === undefined ? {} : { dataDir }),
    ...(env === undefined ? {} : { env }),
  });
  const description = readLocalPlatformDescription(file);
  const clients = createAwsClients({
    region: description.region,
    credentials: LOCAL_CREDENTIALS,
    env: {
      AWS_ENDPOINT_URL_SQS: description.endpoints.sqs,
      AWS_ENDPOINT_URL_S3: description.endpoints.s3,
      AWS_ENDPOINT_URL_DYNAMODB: description.endpoints.dynamodb,
      [EnvVar.S3_FORCE_PATH_STYLE]: 'true',
    },
  });
  const scheduler = description.endpoints.scheduler;
  return withSchedulerClient(
    taskClientOptionsFromParsedOutputs<TTasks>(parseOutputsForClient(description.outputs, file), {
      clients,
      region: description.region,
      ...(description.routingFile === undefined ? {} : { routingFile: description.routingFile }),
      ...(description.maxDelaySeconds === undefined ? {} : { maxDelaySeconds: description.maxDelaySeconds }),
      ...options,
    } as Partial<TaskClientOptions<TTasks>>),
    // The local platform's scheduler; without one (a platform started before it existed) far ETAs chain on SQS.
    () => (scheduler === undefined ? undefined : new SchedulerClient({ region: description.region, endpoint: scheduler, credentials: LOCAL_CREDENTIALS })),
  );
}

/**
 * Gives the far-ETA schedules of `options` (from the stack outputs) the Scheduler client they go through, unless the
 * caller brought one; with no client to give, far ETAs stay on SQS hop chains. `client` is called only when a client
 * is needed; the caller owns (and destroys) what it returns.
 *
 * @example
 * const options = withSchedulerClient(taskClientOptionsFromOutputs(outputs, extra), () => new SchedulerClient({ region }));
 */
export function withSchedulerClient<T extends TaskClientOptions<readonly TaskDeclaration<unknown>[]>>(options: T, client: () => SchedulerClient | undefined): T {
  const eta = options.etaSchedules;
  if (eta === undefined || eta.client !== undefined) return options;
  const scheduler = client();
  return scheduler === undefined ? options : { ...options, etaSchedules: { ...eta, client: scheduler } };
}

/**
 * Task client options for a deployed platform, read from the outputs of its stack `Bosun-<stage>` with one
 * CloudFormation `DescribeStacks` call (the reader and the parser the CLI's `--aws` uses): every queue, the bucket,
 * the table, the AppConfig ids of the routing document, the legacy queue and the platform's claim-check threshold,
 * with AWS clients for that region and profile. `region` is both the stack's region and the publisher's region that
 * routing rules match. Merge in anything else (tasks, a logger) through `extra`. Read it once at start-up, not per
 * publish; the caller needs `cloudformation:DescribeStacks` on the stack besides the grants of publishing.
 *
 * @throws PlatformStackNotFoundError when the stack does not exist in that region.
 * @throws TaskClientConfigError when its outputs are not a Bosun platform's.
 * @example
 * import { exampleTasks } from 'bosun/tasks';
 * const bosun = createTaskClient(await taskClientOptionsFromStack({ stage: 'prod', region: 'eu-west-1', tasks: exampleTasks }));
 */
export async function taskClientOptionsFromStack<const TTasks extends readonly TaskDeclaration<unknown>[] = readonly TaskDeclaration[]>(
  extra: Partial<TaskClientOptions<TTasks>> & PlatformStackLocation = {},
): Promise<TaskClientOptions<TTasks>> {
  const { stage, region, profile, cloudFormation, ...options } = extra;
  const deployed = await readStackOutputs({
    ...(stage === undefined ? {} : { stage }),
    ...(region === undefined ? {} : { region }),
    ...(profile === undefined ? {} : { profile }),
    ...(cloudFormation === undefined ? {} : { cloudFormation }),
  });
  const clients = createAwsClients({ region: deployed.region, ...(profile === undefined ? {} : { profile }) });
  return withSchedulerClient(
    taskClientOptionsFromParsedOutputs<TTasks>(parseOutputsForClient(deployed.outputs, `stack ${deployed.stackName} (${deployed.region})`), {
      clients,
      region: deployed.region,
      ...options,
    } as Partial<TaskClientOptions<TTasks>>),
    () => new SchedulerClient({ region: deployed.region, ...(profile === undefined ? {} : { profile }) }),
  );
}
