import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  DEFAULT_LOCAL_DATA_DIR,
  EnvVar,
  Limits,
  type LocalPlatformDescription,
  PLATFORM_FILE,
  parseLocalPlatformDescription,
} from '../lib/contract';
import { LOCAL_CREDENTIALS, type RunningEmulators, reservePort, startEmulators } from './emulators';
import { LocalOptionError, LocalTemplateError } from './errors';
import { acquirePlatformLock, type PlatformLock } from './platform-lock';
import { prepareRoutingFile, watchRoutingFile } from './routing-file';
import {
  DEFAULT_LOCAL_CONCURRENCY,
  EventSourcePoller,
  type MappingState,
  type PollerStats,
  SQS_MAX_WAIT_TIME_SECONDS,
} from './event-source-poller';
import { startLocalIam } from './iam/local-iam';
import { IntrinsicResolver, LOCAL_ACCOUNT_ID } from './intrinsics';
import { type LocalMapping, LocalLambdaApi, mappingUuid } from './lambda-api';
import { LocalFunction } from './local-function';
import { createImportedCeleryQueue, createLocalResources, type ImportedLocalQueue, type LocalQueue } from './local-resources';
import { type LocalScheduleClock, LocalScheduler } from './local-scheduler';
import { type PlatformTemplate, readPlatformTemplate } from './platform-template';
import { synthesizeApp } from './synthesize';

/** Default data directory, relative to the project root. */
export const DEFAULT_DATA_DIR = DEFAULT_LOCAL_DATA_DIR;
/** File the running platform writes into its data directory for the `bosun` CLI and the SDK (one schema, in the contract). */
export { PLATFORM_FILE };
export type { LocalPlatformDescription };
/** The routing document people edit; the platform puts each valid save in force (`routing.in-force.json`). */
export const ROUTING_FILE = 'routing.json';
/** Stage of the local platform: the stack is synthesized as `Bosun-local`. */
export const LOCAL_STAGE = 'local';
/** JSON-lines file, under the data directory, of every call IAM denied (role, action, resource; never a payload). */
export const IAM_DENIAL_LOG = path.join('logs', 'iam-denials.log');

/** Options of {@link startLocalPlatform}. */
export interface LocalPlatformOptions {
  /** Folder holding `cdk.json`, `bin/`, `lib/` and `lambdas/`. @default process.cwd() */
  readonly projectRoot?: string;
  /** Where `platform.json`, `routing.json`, the cloud assembly and the function logs go. @default <projectRoot>/.bosun/local */
  readonly dataDir?: string;
  /** Region the emulators pretend to be in. @default us-east-1 */
  readonly region?: string;
  /** Port of fauxqs (SQS + S3), 0 for any free port. A taken port fails with a clear error. @default 0 */
  readonly sqsPort?: number;
  /** Port of DynamoDB Local, 0 for any free port. @default 0 */
  readonly dynamoDbPort?: number;
  /** Longest single SQS delay the consumers use when chaining ETAs, 1 – 900 seconds. @default - the runtime's 900 */
  readonly maxDelaySeconds?: number;
  /** Replaces the visibility timeout of every polled queue, in seconds (shorter retries locally). @default - the template's */
  readonly visibilityTimeoutSeconds?: number;
  /** Replaces every consumer's function timeout, 1 – 900 seconds. @default - the template's */
  readonly functionTimeoutSeconds?: number;
  /** Caps every event source's max concurrency (each concurrent invocation is a worker thread). @default - the template's */
  readonly maxConcurrency?: number;
  /**
   * Long-poll wait of the event-source pollers' receives, 1 – 20 seconds. A disabled mapping stays `Disabling` until
   * its long polls end, so a shorter wait makes `bosun pause` quicker (tests). @default 20
   */
  readonly eventSourceWaitTimeSeconds?: number;
  /** Extra environment variables for every consumer (they win over the template's). @default - none */
  readonly functionEnvironment?: Readonly<Record<string, string>>;
  /**
   * SQS endpoint of the event-source pollers' own calls (receive, delete), for example a fault-injecting proxy that
   * counts them as Lambda's event source mapping's. @default - the fauxqs endpoint
   */
  readonly eventSourceSqsEndpoint?: string;
  /**
   * The clock the local scheduler fires schedules by: inject one (for example `acceleratedClock(60)`, or a test's
   * hand-moved clock with `scheduler.tick()`) so periodic tasks and far ETAs fire in seconds. @default - the machine's
   */
  readonly scheduleClock?: LocalScheduleClock;
  /** Re-synthesize even if the sources did not change. @default false */
  readonly forceSynth?: boolean;
  /**
   * Enforce IAM: every SQS, S3 and DynamoDB call of a consumer (and of its event source) is decided by its role's
   * policies in the template before it reaches an emulator, and denied as AWS denies it. @default true
   */
  readonly iam?: boolean;
  /** Receives the platform's progress messages. @default - discarded */
  readonly log?: (line: string) => void;
}

/** One running consumer and its event source. */
export interface LocalConsumer {
  readonly functionName: string;
  readonly queueName: string;
  /** UUID of its event source mapping, stable across restarts (what `ListEventSourceMappings` reports). */
  readonly mappingUuid: string;
  /** The mapping's state: `Enabled`, `Disabling` or `Disabled` (`bosun pause`, `resume`). */
  readonly mappingState: () => MappingState;
  readonly settings: {
    readonly batchSize: number;
    readonly maximumBatchingWindowSeconds: number;
    readonly maxConcurrency: number;
    readonly timeoutSeconds: number;
    readonly reportBatchItemFailures: boolean;
    readonly visibilityTimeoutSeconds: number;
  };
  readonly stats: () => PollerStats;
  /**
   * Kills one busy invocation of this consumer mid-batch (see `LocalFunction.crashOne`); its messages come back after
   * the visibility timeout. Returns the task ids of the killed batch, or `undefined` when no invocation was running.
   */
  readonly crash: () => string[] | undefined;
}

/** A running local platform. */
export interface RunningLocalPlatform {
  /** What was written to `platform.json`. */
  readonly description: LocalPlatformDescription;
  readonly dataDir: string;
  readonly platformFile: string;
  /** The routing document to edit (`<dataDir>/routing.json`): every valid save is put in force at once. */
  readonly routingFile: string;
  /** The last valid version of `routingFile`, which the consumers and local producers read (see `watchRoutingFile`). */
  readonly inForceRoutingFile: string;
  /** Queues by logical id. */
  readonly queues: ReadonlyMap<string, LocalQueue>;
  /**
   * The Celery worker's queue the platform definition names (`celeryQueue`), created in the local SQS: the stack only
   * imports it. `BOSUN_CELERY_QUEUE_URL` and the `CeleryQueueUrl` output hold its local URL. @default - none named
   */
  readonly celeryQueue?: ImportedLocalQueue;
  readonly consumers: readonly LocalConsumer[];
  /** EventBridge Scheduler's stand-in: the template's schedules and those the SDK creates (see `LocalScheduler`). */
  readonly scheduler: LocalScheduler;
  /** The injected single-delay cap of ETA chains, when one was set (producers should use the same). */
  readonly maxDelaySeconds?: number;
  /** Environment for a process that should talk to the local platform through the AWS SDK (endpoints, credentials, region). */
  readonly clientEnvironment: Readonly<Record<string, string>>;
  /** IAM enforcement, when on: the denial log and the number of calls denied so far. */
  readonly iam?: { readonly denialLogFile: string; readonly denials: () => number };
  /** Stops receiving, drains in-flight invocations, stops the workers and the emulators, removes `platform.json`. */
  stop(): Promise<void>;
}

function checkOption(option: string, value: number | undefined, min: number, max: number): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new LocalOptionError(option, `${option} must be an integer between ${min} and ${max} (given ${value})`);
  }
}

function resolveRoutingDocument(platform: PlatformTemplate, resolver: IntrinsicResolver): string {
  if (platform.routingDocumentContent === undefined) {
    throw new LocalTemplateError('Resources', 'the template has no AWS::AppConfig::HostedConfigurationVersion with the initial routing document');
  }
  const where = 'Resources.<HostedConfigurationVersion>.Properties.Content';
  const text = resolver.resolveString(platform.routingDocumentContent, where);
  try {
    return `${JSON.stringify(JSON.parse(text), null, 2)}\n`;
  } catch (cause) {
    throw new LocalTemplateError(where, `is not JSON (${text.length} characters)`, { cause });
  }
}

/**
 * Brings the synthesized Bosun stack up on this machine: synthesizes the CDK app (cached by source hash), reads the
 * template, starts fauxqs and DynamoDB Local, creates the queues, buckets and tables, writes the initial routing
 * document to `<dataDir>/routing.json`, runs every consumer from its esbuild bundle in worker threads with its
 * template environment pointed at the emulators, drives each one with a local event-source poller, and writes
 * `<dataDir>/platform.json` for the `bosun` CLI. Unless `iam` is false, every consumer (and its event source) calls
 * the emulators through the IAM gateway (`local/iam`) as its role in the template, and denied calls go to
 * `<dataDir>/logs/iam-denials.log`.
 *
 * @example
 * const platform = await startLocalPlatform({ visibilityTimeoutSeconds: 2, maxDelaySeconds: 2 });
 * try { ... publish tasks with createTaskClient(taskClientOptionsFromOutputs(platform.description.outputs)) ... }
 * finally { await platform.stop(); }
 */
export async function startLocalPlatform(options: LocalPlatformOptions = {}): Promise<RunningLocalPlatform> {
  checkOption('sqsPort', options.sqsPort, 0, 65_535);
  checkOption('dynamoDbPort', options.dynamoDbPort, 0, 65_535);
  checkOption('maxDelaySeconds', options.maxDelaySeconds, 1, Limits.SQS_MAX_DELAY_SECONDS);
  checkOption('visibilityTimeoutSeconds', options.visibilityTimeoutSeconds, 0, Limits.SQS_MAX_VISIBILITY_TIMEOUT_SECONDS);
  checkOption('functionTimeoutSeconds', options.functionTimeoutSeconds, 1, Limits.LAMBDA_MAX_TIMEOUT_SECONDS);
  checkOption('maxConcurrency', options.maxConcurrency, 1, Limits.ESM_MAX_MAX_CONCURRENCY);
  checkOption('eventSourceWaitTimeSeconds', options.eventSourceWaitTimeSeconds, 1, SQS_MAX_WAIT_TIME_SECONDS);
  const log = options.log ?? ((): void => undefined);
  const projectRoot = path.resolve(options.projectRoot ?? process.cwd());
  const dataDir = path.resolve(projectRoot, options.dataDir ?? DEFAULT_DATA_DIR);
  const region = options.region ?? 'us-east-1';
  fs.mkdirSync(path.join(dataDir, 'logs'), { recursive: true });
  const lock = acquirePlatformLock(dataDir);
  if (lock.replacedPid !== undefined) log(`replaced the lock of pid ${lock.replacedPid}, which exited without stopping its platform`);
  try {
    const platform = await startLocked(options, { log, projectRoot, dataDir, region, lock });
    return platform;
  } catch (error) {
    lock.release();
    throw error;
  }
}

interface LockedStart {
  readonly log: (line: string) => void;
  readonly projectRoot: string;
  readonly dataDir: string;
  readonly region: string;
  readonly lock: PlatformLock;
}

/** Reads the pid a `platform.json` names, if it is there and names one. */
function describedPid(platformFile: string): number | undefined {
  try {
    return parseLocalPlatformDescription(fs.readFileSync(platformFile, 'utf8'), platformFile).pid;
  } catch {
    return undefined;
  }
}

async function startLocked(options: LocalPlatformOptions, { log, projectRoot, dataDir, region, lock }: LockedStart): Promise<RunningLocalPlatform> {
  // Fail on a taken port before the slow synth, not after it.
  if ((options.sqsPort ?? 0) !== 0) await reservePort(options.sqsPort!, 'fauxqs (SQS/S3)');
  if ((options.dynamoDbPort ?? 0) !== 0) await reservePort(options.dynamoDbPort!, 'DynamoDB Local');

  const started = Date.now();
  const synthesized = await synthesizeApp({
    projectRoot,
    outDir: path.join(dataDir, 'cdk.out'),
    stage: LOCAL_STAGE,
    region,
    force: options.forceSynth ?? false,
  });
  log(`${synthesized.cached ? 'reused the synthesized' : 'synthesized'} ${synthesized.stackName} in ${Date.now() - started} ms`);
  const resolver = new IntrinsicResolver(synthesized.template, {
    region,
    accountId: LOCAL_ACCOUNT_ID,
    stackName: synthesized.stackName,
  });
  // Schedule groups are names to the local scheduler: their Ref (the stack's ETA group output) is the name.
  for (const [id, resource] of Object.entries(synthesized.template.Resources)) {
    if (resource.Type !== 'AWS::Scheduler::ScheduleGroup') continue;
    const name = resolver.resolveString(resource.Properties?.['Name'] ?? id, `Resources.${id}.Properties.Name`);
    resolver.register(id, { ref: name, attributes: { Arn: `arn:aws:scheduler:${region}:${LOCAL_ACCOUNT_ID}:schedule-group/${name}` } });
  }
  const platform = readPlatformTemplate(synthesized.template, {
    assemblyDir: synthesized.assemblyDir,
    resolver,
    stackName: synthesized.stackName,
  });

  const emulators: RunningEmulators = await startEmulators({
    region,
    fauxqsPort: options.sqsPort ?? 0,
    dynamoDbPort: options.dynamoDbPort ?? 0,
  });
  const cleanups: Array<() => Promise<void>> = [() => emulators.stop()];
  const cleanup = async (): Promise<void> => {
    for (const step of cleanups.splice(0).reverse()) await step();
  };
  try {
    log(`emulators up: SQS/S3 ${emulators.sqsEndpoint}, DynamoDB ${emulators.dynamoDbEndpoint}`);
    const common = { region, credentials: LOCAL_CREDENTIALS };
    const sqs = new SQSClient({ ...common, endpoint: emulators.sqsEndpoint });
    const s3 = new S3Client({ ...common, endpoint: emulators.s3Endpoint, forcePathStyle: true });
    const dynamodb = new DynamoDBClient({ ...common, endpoint: emulators.dynamoDbEndpoint });
    const pollerSqs =
      options.eventSourceSqsEndpoint === undefined ? sqs : new SQSClient({ ...common, endpoint: options.eventSourceSqsEndpoint });
    cleanups.push(async () => {
      sqs.destroy();
      s3.destroy();
      dynamodb.destroy();
      if (pollerSqs !== sqs) pollerSqs.destroy();
    });
    const queues = await createLocalResources(platform, {
      sqs,
      s3,
      dynamodb,
      region,
      accountId: LOCAL_ACCOUNT_ID,
      resolver,
      ...(options.visibilityTimeoutSeconds === undefined ? {} : { visibilityTimeoutSeconds: options.visibilityTimeoutSeconds }),
    });
    log(`created ${queues.size} queues, ${platform.buckets.length} buckets, ${platform.tables.length} tables`);
    const celeryQueue = await createImportedCeleryQueue(platform, { sqs, resolver, region, accountId: LOCAL_ACCOUNT_ID });
    if (celeryQueue !== undefined) log(`created the Celery queue ${celeryQueue.queueName} (imported by the stack): ${celeryQueue.url}`);

    const denialLogFile = path.join(dataDir, IAM_DENIAL_LOG);
    fs.rmSync(denialLogFile, { force: true });
    const iam =
      options.iam === false
        ? undefined
        : await startLocalIam({
            template: synthesized.template,
            platform,
            resolver,
            stackName: synthesized.stackName,
            region,
            accountId: LOCAL_ACCOUNT_ID,
            emulators: { sqs: emulators.sqsEndpoint, s3: emulators.s3Endpoint, dynamodb: emulators.dynamoDbEndpoint },
            ...(options.functionEnvironment === undefined ? {} : { functionEnvironment: options.functionEnvironment }),
            ...(options.eventSourceSqsEndpoint === undefined ? {} : { eventSourceSqsEndpoint: options.eventSourceSqsEndpoint }),
            denialLogFile,
            log,
          });
    const gateway = iam?.gateway;
    if (gateway !== undefined) cleanups.push(() => gateway.stop());

    const scheduler = new LocalScheduler({
      sqs,
      region,
      accountId: LOCAL_ACCOUNT_ID,
      queueUrls: new Map([...queues.values()].map((queue) => [queue.arn, queue.url])),
      ...(options.scheduleClock === undefined ? {} : { clock: options.scheduleClock }),
      log,
    });
    const schedulesFrom = scheduler.now();
    for (const schedule of platform.schedules) {
      const target = queues.get(schedule.queueLogicalId)!;
      const deadLetter = schedule.deadLetterQueueLogicalId === undefined ? undefined : queues.get(schedule.deadLetterQueueLogicalId);
      scheduler.add({
        name: schedule.name,
        groupName: schedule.groupName,
        expression: schedule.expression,
        timeZone: schedule.timeZone,
        enabled: schedule.enabled,
        ...(schedule.flexibleWindowMinutes === undefined ? {} : { flexibleWindowMinutes: schedule.flexibleWindowMinutes }),
        target: { arn: target.arn, url: target.url },
        input: schedule.input,
        ...(deadLetter === undefined ? {} : { deadLetter: { arn: deadLetter.arn, url: deadLetter.url } }),
        actionAfterCompletion: 'NONE',
        startDateMs: schedulesFrom,
        ...(schedule.description === undefined ? {} : { description: schedule.description }),
        creationDateMs: schedulesFrom,
      });
    }
    const schedulerEndpoint = await scheduler.listen();
    cleanups.push(() => scheduler.stop());

    const routingFile = path.join(dataDir, ROUTING_FILE);
    const prepared = prepareRoutingFile(routingFile, resolveRoutingDocument(platform, resolver));
    if (prepared.note !== undefined) log(prepared.note);
    const routingWatch = watchRoutingFile({ routingFile, log });
    cleanups.push(async () => routingWatch.stop());

    const clientEnvironment: Record<string, string> = {
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      AWS_ENDPOINT_URL_SQS: emulators.sqsEndpoint,
      AWS_ENDPOINT_URL_S3: emulators.s3Endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: emulators.dynamoDbEndpoint,
      AWS_ENDPOINT_URL_SCHEDULER: schedulerEndpoint,
      [EnvVar.S3_FORCE_PATH_STYLE]: 'true',
    };

    const consumers: LocalConsumer[] = [];
    const mappings: LocalMapping[] = [];
    for (const mapping of platform.eventSourceMappings) {
      const definition = platform.functions.find((fn) => fn.logicalId === mapping.functionLogicalId)!;
      const queue = queues.get(mapping.queueLogicalId)!;
      const timeoutSeconds = options.functionTimeoutSeconds ?? definition.timeoutSeconds;
      const where = `Resources.${definition.logicalId}.Properties.Environment.Variables`;
      const templateEnv = Object.fromEntries(
        Object.entries(definition.environment).map(([name, value]) => [name, resolver.resolveString(value, `${where}.${name}`)]),
      );
      const caller = iam?.callers.get(definition.logicalId);
      const logFile = fs.createWriteStream(path.join(dataDir, 'logs', `${definition.functionName}.log`), { flags: 'a' });
      cleanups.push(() => new Promise((resolve) => logFile.end(resolve)));
      const fn = new LocalFunction({
        functionName: definition.functionName,
        modulePath: definition.modulePath,
        exportName: definition.exportName,
        timeoutMs: timeoutSeconds * 1000,
        memorySizeMb: definition.memorySizeMb,
        log: (line) => logFile.write(`${line}\n`),
        env: {
          ...templateEnv,
          ...clientEnvironment,
          [EnvVar.ROUTING_FILE]: routingWatch.inForceFile,
          ...(options.maxDelaySeconds === undefined ? {} : { [EnvVar.MAX_DELAY_SECONDS]: String(options.maxDelaySeconds) }),
          AWS_LAMBDA_FUNCTION_NAME: definition.functionName,
          AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(definition.memorySizeMb),
          AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
          // Bundles may leave the AWS SDK external (the Lambda runtime provides it); resolve it from the project.
          NODE_PATH: path.join(projectRoot, 'node_modules'),
          ...options.functionEnvironment,
          // The consumer calls AWS as its role: through the IAM gateway, signed with its own key.
          ...(gateway === undefined || caller === undefined
            ? {}
            : {
                AWS_ACCESS_KEY_ID: caller.consumer.accessKeyId,
                AWS_ENDPOINT_URL_SQS: gateway.endpoint,
                AWS_ENDPOINT_URL_S3: gateway.endpoint,
                AWS_ENDPOINT_URL_DYNAMODB: gateway.endpoint,
              }),
        },
      });
      const maxConcurrency = Math.min(
        mapping.maxConcurrency ?? DEFAULT_LOCAL_CONCURRENCY,
        options.maxConcurrency ?? Number.POSITIVE_INFINITY,
      );
      // The event source mapping receives and deletes with the function's execution role, as in AWS.
      const eventSourceSqs =
        gateway === undefined || caller === undefined
          ? pollerSqs
          : new SQSClient({
              region,
              credentials: { accessKeyId: caller.eventSource.accessKeyId, secretAccessKey: LOCAL_CREDENTIALS.secretAccessKey },
              endpoint: gateway.endpoint,
            });
      if (eventSourceSqs !== pollerSqs) cleanups.push(async () => eventSourceSqs.destroy());
      const poller = new EventSourcePoller({
        sqs: eventSourceSqs,
        queueUrl: queue.url,
        queueArn: queue.arn,
        region,
        invoke: (event) => fn.invoke(event),
        batchSize: mapping.batchSize,
        maximumBatchingWindowSeconds: mapping.maximumBatchingWindowSeconds,
        maxConcurrency,
        reportBatchItemFailures: mapping.reportBatchItemFailures,
        ...(options.eventSourceWaitTimeSeconds === undefined ? {} : { waitTimeSeconds: options.eventSourceWaitTimeSeconds }),
        onBatch: (outcome) => {
          if (outcome.error !== undefined) {
            log(`${definition.functionName}: batch of ${outcome.received} failed (${outcome.error.message}); ${outcome.returned} message(s) return after the visibility timeout`);
          }
        },
        onPollError: (error) => log(`${definition.functionName}: polling ${queue.queueName} failed: ${error.message}`),
        // A mapping the template disables is created disabled, as in AWS: `bosun resume` (UpdateEventSourceMapping) starts it.
        enabled: mapping.enabled,
      });
      poller.start();
      const uuid = mappingUuid(synthesized.stackName, mapping.logicalId);
      mappings.push({
        uuid,
        queueArn: queue.arn,
        functionName: definition.functionName,
        functionArn: `arn:aws:lambda:${region}:${LOCAL_ACCOUNT_ID}:function:${definition.functionName}`,
        batchSize: mapping.batchSize,
        maximumBatchingWindowSeconds: mapping.maximumBatchingWindowSeconds,
        ...(mapping.maxConcurrency === undefined ? {} : { maxConcurrency: mapping.maxConcurrency }),
        reportBatchItemFailures: mapping.reportBatchItemFailures,
        state: () => poller.state,
        enable: () => {
          log(`${definition.functionName}: event source mapping ${uuid} on ${queue.queueName} enabled`);
          poller.enable();
        },
        disable: () => {
          log(`${definition.functionName}: event source mapping ${uuid} on ${queue.queueName} disabled`);
          poller.disable();
        },
      });
      // Pollers stop (and drain) before the functions and emulators they need.
      cleanups.push(async () => {
        await fn.stop();
      });
      cleanups.push(() => poller.stop());
      consumers.push({
        functionName: definition.functionName,
        queueName: queue.queueName,
        mappingUuid: uuid,
        mappingState: () => poller.state,
        settings: {
          batchSize: mapping.batchSize,
          maximumBatchingWindowSeconds: mapping.maximumBatchingWindowSeconds,
          maxConcurrency,
          timeoutSeconds,
          reportBatchItemFailures: mapping.reportBatchItemFailures,
          visibilityTimeoutSeconds: Number(queue.attributes['VisibilityTimeout'] ?? 30),
        },
        stats: () => poller.stats,
        crash: () => fn.crashOne(),
      });
    }

    const lambdaApi = await LocalLambdaApi.start(mappings);
    // Stops serving before the pollers stop, so nobody re-enables a mapping during the drain.
    cleanups.push(() => lambdaApi.stop());
    log(`Lambda event source mapping API on ${lambdaApi.endpoint}`);

    const outputs = Object.fromEntries(
      Object.entries(platform.outputs).map(([key, value]) => [key, resolver.resolveString(value, `Outputs.${key}.Value`)]),
    );
    const description: LocalPlatformDescription = {
      stage: LOCAL_STAGE,
      region,
      endpoints: {
        sqs: emulators.sqsEndpoint,
        s3: emulators.s3Endpoint,
        dynamodb: emulators.dynamoDbEndpoint,
        lambda: lambdaApi.endpoint,
        scheduler: schedulerEndpoint,
      },
      routingFile: routingWatch.inForceFile,
      outputs,
      pid: process.pid,
      iam: gateway === undefined ? { enforced: false } : { enforced: true, denialLog: denialLogFile },
      ...(options.maxDelaySeconds === undefined ? {} : { maxDelaySeconds: options.maxDelaySeconds }),
    };
    const platformFile = path.join(dataDir, PLATFORM_FILE);
    const leftBy = describedPid(platformFile);
    if (leftBy !== undefined && leftBy !== process.pid) {
      log(`replaced ${platformFile}, left by pid ${leftBy}, which exited without stopping its platform`);
    }
    fs.writeFileSync(platformFile, `${JSON.stringify(description, null, 2)}\n`);
    cleanups.push(async () => {
      // The lock keeps other platforms off this data directory; still, remove only the description this one wrote.
      if (describedPid(platformFile) === process.pid) fs.rmSync(platformFile, { force: true });
    });
    // Fire only once the consumers poll: a firing due at start-up waits in its queue, as with Scheduler.
    scheduler.start();
    log(`platform up in ${Date.now() - started} ms; ${consumers.length} consumers; ${platform.schedules.length} schedules; description in ${platformFile}`);

    let stopping: Promise<void> | undefined;
    return {
      description,
      dataDir,
      platformFile,
      routingFile,
      inForceRoutingFile: routingWatch.inForceFile,
      queues,
      ...(celeryQueue === undefined ? {} : { celeryQueue }),
      consumers,
      scheduler,
      clientEnvironment,
      ...(gateway === undefined ? {} : { iam: { denialLogFile, denials: () => gateway.denials } }),
      ...(options.maxDelaySeconds === undefined ? {} : { maxDelaySeconds: options.maxDelaySeconds }),
      stop: () => {
        stopping ??= cleanup().finally(() => lock.release());
        return stopping;
      },
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
