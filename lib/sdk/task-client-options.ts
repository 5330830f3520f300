import { SchedulerClient } from '@aws-sdk/client-scheduler';
import type { SQSClient } from '@aws-sdk/client-sqs';
import {
  type CustomDestination,
  Limits,
  type PlatformStackOutputs,
  MAX_ETA_SECONDS,
  type RoutingDocumentSource,
  StackOutputsInvalidError,
  type TaskDeclaration,
  defaultRoutingDocument,
  parseStackOutputs,
} from '../contract';
import { ClaimCheckStore } from '../aws/claim-check';
import { type AwsClients, createAwsClients } from '../aws/clients';
import { sqsForwardingDestination } from '../aws/destinations';
import { type SdkLogger, sdkDefaultLogger } from '../aws/logger';
import { appConfigRoutingSource, fileRoutingSource } from '../aws/routing-sources';
import { DEFAULT_STATE_TTL_SECONDS, TaskStateStore } from '../aws/task-state-store';
import { type EtaScheduleOptions, EtaScheduler } from './eta-schedules';
import { TaskClientConfigError } from './errors';

export { DEFAULT_STATE_TTL_SECONDS } from '../aws/task-state-store';

/** Default number of times `publishBatch` retries the entries SQS failed on its side. */
export const DEFAULT_BATCH_RETRIES = 3;
/** Longest deduplication key accepted. */
export const MAX_DEDUP_KEY_CHARS = 512;

const TEN_YEARS_SECONDS = 10 * 365 * 24 * 60 * 60;

/** Where the routing document comes from, when no ready-made source is passed. */
export interface TaskClientAppConfigOptions {
  /** AppConfig application id. */
  readonly applicationId: string;
  /** AppConfig environment id. */
  readonly environmentId: string;
  /** AppConfig configuration profile id. */
  readonly profileId: string;
  /** See `appConfigRoutingSource`. @default 30 */
  readonly pollIntervalSeconds?: number;
}

/** Options of `createTaskClient`. Build them from stack outputs with {@link taskClientOptionsFromOutputs}. */
export interface TaskClientOptions<TTasks extends readonly TaskDeclaration<unknown>[] = readonly TaskDeclaration[]> {
  /** Every Bosun queue the client may publish to: logical name → queue URL. At least one. */
  readonly queueUrls: Readonly<Record<string, string>>;
  /** Claim-check bucket. @default - payloads that need a claim check are rejected */
  readonly bucket?: string;
  /** Task-state table. @default - no state is written and `getTask` / `cancel` are unavailable */
  readonly tableName?: string;
  /**
   * Write a task's first state record at publish when it needs one before its message exists: a task with a
   * `dedupKey` (the dedup gate, `queued`), an ETA beyond one SQS delay (`scheduled`), or a hand-over to a custom
   * destination (`rerouted`). Every other task gets its first record when a consumer claims it. Needs `tableName`.
   * @default - true when `tableName` is set
   */
  readonly trackState?: boolean;
  /**
   * Task declarations (name + schema, shared with the runtime). When given, only these tasks can be published and
   * every payload is validated before anything is written.
   * @default - any valid task name, payloads not validated
   */
  readonly tasks?: TTasks;
  /** Custom destinations the routing document may name (for example the legacy system). @default - none */
  readonly destinations?: readonly CustomDestination[];
  /** Registers an SQS forwarding destination named `legacy` to this queue URL. @default - none */
  readonly legacyQueueUrl?: string;
  /**
   * Routing source. @default - `routingFile` if set, else AppConfig if `appConfig` is set, else the embedded default
   * (every task to `defaultQueue`)
   */
  readonly routing?: RoutingDocumentSource;
  /** A routing document file (local platform). @default - none */
  readonly routingFile?: string;
  /** AppConfig ids of the routing document. @default - none */
  readonly appConfig?: TaskClientAppConfigOptions;
  /** Queue the embedded default document uses. @default - `default` if it is a queue, else the first queue */
  readonly defaultQueue?: string;
  /** AWS clients to use instead of the shared ones from `createAwsClients`. @default - `createAwsClients({ region })` */
  readonly clients?: Partial<AwsClients>;
  /** Region the publisher runs in, matched by rules' `regions`. @default - `AWS_REGION` */
  readonly region?: string;
  /**
   * Largest envelope sent inline, in bytes, 1 KiB – 1 MiB; larger payloads go to S3. The platform publishes its own
   * as the stack output `ClaimCheckThresholdBytes`, which `taskClientOptionsFromOutputs` and the other
   * `taskClientOptionsFrom*` helpers use.
   * @default 262144 (256 KiB)
   */
  readonly claimCheckThresholdBytes?: number;
  /** Largest payload (UTF-8 JSON bytes) accepted at all. @default 2147483648 (2 GiB) */
  readonly maxPayloadBytes?: number;
  /** Longest single SQS delay, 1–900 seconds; farther ETAs are re-sent by the runtime until due. @default 900 */
  readonly maxDelaySeconds?: number;
  /** Seconds a state item lives after its last write (DynamoDB TTL), 60 s – 10 years. @default 2592000 (30 days) */
  readonly stateTtlSeconds?: number;
  /** Times `publishBatch` retries entries SQS failed on its side, 0–10. @default 3 */
  readonly batchRetries?: number;
  /** Where best-effort cleanup failures are logged. @default - a Powertools logger */
  readonly logger?: SdkLogger;
  /** Clock in epoch milliseconds (tests). @default Date.now */
  readonly now?: () => number;
  /**
   * Publish ETAs beyond a threshold as EventBridge Scheduler one-time schedules instead of chains of SQS re-sends
   * (about $1 per million tasks against ~$134 for a one-day chain). `taskClientOptionsFromOutputs` fills it from the
   * stack outputs. @default - far ETAs are chained through SQS delays
   */
  readonly etaSchedules?: EtaScheduleOptions;
}

/** Task client options after validation, with every default applied and every collaborator built. */
export interface ResolvedTaskClientOptions {
  /** SQS client every send goes through. */
  readonly sqs: SQSClient;
  /** Bosun queues by logical name. */
  readonly queueUrls: Readonly<Record<string, string>>;
  /** The state adapter, when a table is configured (reads, cancel, and the publish records when `trackState`). */
  readonly state: TaskStateStore | undefined;
  /** Whether publishes write the records the write rule asks for. */
  readonly trackState: boolean;
  /** Claim-check store, when a bucket is configured. */
  readonly claimChecks: ClaimCheckStore | undefined;
  /** Where the routing document comes from. */
  readonly routing: RoutingDocumentSource;
  /** Declared tasks by name, when the client restricts and validates them. */
  readonly tasks: ReadonlyMap<string, TaskDeclaration<unknown>> | undefined;
  /** Custom destinations by name (the `legacy` forwarding destination included). */
  readonly customDestinations: ReadonlyMap<string, CustomDestination>;
  /** The publisher's region. */
  readonly region: string | undefined;
  /** Largest envelope sent inline, in bytes. */
  readonly thresholdBytes: number;
  /** Largest payload accepted, in bytes. */
  readonly maxPayloadBytes: number;
  /** Longest single SQS delay, in seconds. */
  readonly maxDelaySeconds: number;
  /** Retries of failed batch entries. */
  readonly batchRetries: number;
  /** Where best-effort cleanup failures are logged. */
  readonly logger: SdkLogger;
  /** Clock, epoch milliseconds. */
  readonly now: () => number;
  /** Far ETAs through one-time schedules, when configured, with the threshold in seconds. */
  readonly etaSchedules: { readonly scheduler: EtaScheduler; readonly thresholdSeconds: number } | undefined;
}

type IntegerOption = 'claimCheckThresholdBytes' | 'maxPayloadBytes' | 'maxDelaySeconds' | 'batchRetries' | 'stateTtlSeconds';

/** The integer options and their ranges, inclusive. */
const INTEGER_RANGES: readonly (readonly [IntegerOption, number, number])[] = [
  ['claimCheckThresholdBytes', Limits.SQS_MIN_MESSAGE_BYTES, Limits.SQS_MAX_MESSAGE_BYTES],
  ['maxPayloadBytes', 1, Limits.DEFAULT_MAX_PAYLOAD_BYTES],
  ['maxDelaySeconds', 1, Limits.SQS_MAX_DELAY_SECONDS],
  ['batchRetries', 0, 10],
  ['stateTtlSeconds', 60, TEN_YEARS_SECONDS],
];

/**
 * Validates task client options and builds what they describe: the AWS clients, the state adapter, the claim-check
 * store, the routing source and the custom destinations.
 *
 * @throws TaskClientConfigError naming the option, what was given and what is allowed.
 * @example
 * const resolved = resolveTaskClientOptions({ queueUrls: { default: url }, tableName: 'bosun-dev-tasks' });
 */
export function resolveTaskClientOptions(options: TaskClientOptions<readonly TaskDeclaration<unknown>[]>): ResolvedTaskClientOptions {
  const queueNames = Object.keys(options.queueUrls);
  if (queueNames.length === 0) {
    throw new TaskClientConfigError('queueUrls', 'queueUrls must name at least one Bosun queue (given none)');
  }
  for (const [option, min, max] of INTEGER_RANGES) {
    const value = options[option];
    if (value !== undefined && (!Number.isInteger(value) || value < min || value > max)) {
      throw new TaskClientConfigError(option, `${option} must be an integer between ${min} and ${max} (given ${value})`);
    }
  }
  if (options.trackState === true && options.tableName === undefined) {
    throw new TaskClientConfigError('trackState', 'trackState is true but no tableName is given; state needs the task-state table');
  }
  const region = options.region ?? process.env['AWS_REGION'];
  const needs = (name: keyof AwsClients): boolean => options.clients?.[name] === undefined;
  const shared =
    needs('sqs') || needs('s3') || needs('dynamodb') || needs('appConfigData')
      ? createAwsClients(region === undefined ? {} : { region })
      : undefined;
  const clients = { ...shared, ...options.clients } as AwsClients;
  const logger = options.logger ?? sdkDefaultLogger();
  const now = options.now ?? Date.now;

  let tasks: Map<string, TaskDeclaration<unknown>> | undefined;
  if (options.tasks !== undefined) {
    tasks = new Map();
    for (const task of options.tasks) tasks.set(task.name, task as TaskDeclaration<unknown>);
  }

  const customDestinations = new Map<string, CustomDestination>();
  const destinations = [
    ...(options.destinations ?? []),
    ...(options.legacyQueueUrl === undefined
      ? []
      : [sqsForwardingDestination({ name: 'legacy', queueUrl: options.legacyQueueUrl, sqs: clients.sqs })]),
  ];
  for (const destination of destinations) {
    if (options.queueUrls[destination.name] !== undefined) {
      throw new TaskClientConfigError(
        'destinations',
        `custom destination "${destination.name}" has the name of a Bosun queue; choose another name`,
      );
    }
    if (!customDestinations.has(destination.name)) customDestinations.set(destination.name, destination);
  }

  const defaultQueue = options.defaultQueue ?? (options.queueUrls['default'] === undefined ? queueNames[0] : 'default');
  if (defaultQueue === undefined || options.queueUrls[defaultQueue] === undefined) {
    throw new TaskClientConfigError(
      'defaultQueue',
      `defaultQueue must be one of the queues (${queueNames.join(', ')}) (given ${String(defaultQueue)})`,
    );
  }
  let routing: RoutingDocumentSource;
  if (options.routing !== undefined) {
    routing = options.routing;
  } else if (options.routingFile !== undefined) {
    routing = fileRoutingSource(options.routingFile, { defaultQueue, logger });
  } else if (options.appConfig !== undefined) {
    routing = appConfigRoutingSource({ client: clients.appConfigData, ...options.appConfig, defaultQueue, logger });
  } else {
    const resolved = Promise.resolve(defaultRoutingDocument(defaultQueue));
    routing = { current: () => resolved };
  }

  return {
    sqs: clients.sqs,
    queueUrls: options.queueUrls,
    state:
      options.tableName === undefined
        ? undefined
        : new TaskStateStore({
            dynamodb: clients.dynamodb,
            tableName: options.tableName,
            ttlSeconds: options.stateTtlSeconds ?? DEFAULT_STATE_TTL_SECONDS,
            now,
          }),
    trackState: options.trackState ?? options.tableName !== undefined,
    claimChecks: options.bucket === undefined ? undefined : new ClaimCheckStore({ s3: clients.s3, bucket: options.bucket }),
    routing,
    tasks,
    customDestinations,
    region,
    thresholdBytes: options.claimCheckThresholdBytes ?? Limits.DEFAULT_CLAIM_CHECK_THRESHOLD_BYTES,
    maxPayloadBytes: options.maxPayloadBytes ?? Limits.DEFAULT_MAX_PAYLOAD_BYTES,
    maxDelaySeconds: options.maxDelaySeconds ?? Limits.SQS_MAX_DELAY_SECONDS,
    batchRetries: options.batchRetries ?? DEFAULT_BATCH_RETRIES,
    logger,
    now,
    etaSchedules: resolveEtaSchedules(options, region),
  };
}

function resolveEtaSchedules(
  options: TaskClientOptions<readonly TaskDeclaration<unknown>[]>,
  region: string | undefined,
): ResolvedTaskClientOptions['etaSchedules'] {
  const eta = options.etaSchedules;
  // Clients brought without a Scheduler client point somewhere else than AWS (emulators, a proxy): a default Scheduler
  // client would reach AWS, so far ETAs stay on SQS chains unless a Scheduler client is given too.
  if (eta === undefined || (eta.client === undefined && options.clients !== undefined)) return undefined;
  const maxDelaySeconds = options.maxDelaySeconds ?? Limits.SQS_MAX_DELAY_SECONDS;
  const thresholdSeconds = eta.thresholdSeconds ?? maxDelaySeconds;
  if (!Number.isInteger(thresholdSeconds) || thresholdSeconds < maxDelaySeconds || thresholdSeconds > MAX_ETA_SECONDS) {
    throw new TaskClientConfigError(
      'etaSchedules',
      `etaSchedules.thresholdSeconds must be an integer between maxDelaySeconds (${maxDelaySeconds}) and ${MAX_ETA_SECONDS} (given ${thresholdSeconds})`,
    );
  }
  const client = eta.client ?? new SchedulerClient(region === undefined ? {} : { region });
  return { scheduler: new EtaScheduler(client, eta), thresholdSeconds };
}

/**
 * Task client options from the platform stack's outputs (CloudFormation `DescribeStacks`, or the local platform's
 * `platform.json` `outputs`), read with the contract's one parser of them (`parseStackOutputs`): every queue URL, the
 * bucket, the table, the AppConfig ids, the legacy queue and the platform's claim-check threshold. Merge in anything
 * else (tasks, clients, a routing file); `extra` wins over the outputs.
 *
 * @throws TaskClientConfigError when the outputs lack the queue names or a queue's URL, or one is malformed.
 * @example
 * const client = createTaskClient(taskClientOptionsFromOutputs(outputs, { tasks: exampleTasks }));
 */
export function taskClientOptionsFromOutputs<const TTasks extends readonly TaskDeclaration<unknown>[] = readonly TaskDeclaration[]>(
  outputs: Readonly<Record<string, string>>,
  extra: Partial<TaskClientOptions<TTasks>> = {},
): TaskClientOptions<TTasks> {
  return taskClientOptionsFromParsedOutputs(parseOutputsForClient(outputs, 'stack outputs'), extra);
}

/**
 * The contract's `parseStackOutputs`, its error translated into the SDK's `TaskClientConfigError` (option `outputs`).
 * `source` names where the outputs came from in the message.
 */
export function parseOutputsForClient(outputs: Readonly<Record<string, string>>, source: string): PlatformStackOutputs {
  try {
    return parseStackOutputs(outputs, { source });
  } catch (error) {
    if (error instanceof StackOutputsInvalidError) throw new TaskClientConfigError('outputs', error.message, { cause: error });
    throw error;
  }
}

/** Task client options from parsed stack outputs, `extra` over them. */
export function taskClientOptionsFromParsedOutputs<const TTasks extends readonly TaskDeclaration<unknown>[] = readonly TaskDeclaration[]>(
  parsed: PlatformStackOutputs,
  extra: Partial<TaskClientOptions<TTasks>> = {},
): TaskClientOptions<TTasks> {
  return {
    queueUrls: Object.fromEntries(parsed.queues.map((queue) => [queue.name, queue.url])),
    ...(parsed.bucketName === undefined ? {} : { bucket: parsed.bucketName }),
    ...(parsed.tableName === undefined ? {} : { tableName: parsed.tableName }),
    ...(parsed.legacyQueueUrl === undefined ? {} : { legacyQueueUrl: parsed.legacyQueueUrl }),
    ...(parsed.appConfig === undefined ? {} : { appConfig: parsed.appConfig }),
    ...(parsed.claimCheckThresholdBytes === undefined ? {} : { claimCheckThresholdBytes: parsed.claimCheckThresholdBytes }),
    ...(parsed.etaSchedules === undefined
      ? {}
      : {
          etaSchedules: {
            ...parsed.etaSchedules,
            queueArns: Object.fromEntries(parsed.queues.flatMap((queue) => (queue.arn === undefined ? [] : [[queue.name, queue.arn]]))),
          },
        }),
    ...extra,
  };
}
