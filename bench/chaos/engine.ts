import { BatchGetCommand } from '@aws-sdk/lib-dynamodb';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { CHAOS_RUN_LOG_ENV, chaosTasks } from '../../lambdas/chaos-tasks';
import { type RoutingDocument, StackOutput, queueOutputKey } from '../../lib/contract';
import { createAwsClients } from '../../lib/aws/clients';
import { sqsForwardingDestination } from '../../lib/aws/destinations';
import { type PublishBatchItem, type PublishOptions, createTaskClient, taskClientOptionsFromOutputs } from '../../lib/sdk/task-client';
import { LOCAL_CREDENTIALS } from '../../local/emulators';
import { type RunningLocalPlatform, startLocalPlatform } from '../../local/local-platform';
import { type CostReport, priceRun } from './cost';
import { type Caller, FaultProxy, type FaultRates, type RequestCount, type Service } from './fault-proxy';
import { type DeadLetter, drainQueue, queueDepth, readRunLog, scanStates } from './observe';
import { Prng } from './prng';
import { type ChaosRedrive, redriveTask } from './redrive';
import { type DuplicateCause, type PublishedTask, type Verdict, judge } from './verdict';
import { DEFAULT_MIX, type PlannedTask, type PublishOp, type WorkloadMix, planWorkload } from './workload';

/** Options of {@link runChaos}. Every field has a default in {@link DEFAULT_CHAOS_OPTIONS}. */
export interface ChaosOptions {
  /** Logical tasks to publish. */
  readonly tasks: number;
  /** Seed of the workload, the fault decisions and the crash and flip choices. */
  readonly seed: number;
  /** Publish calls' tasks per second (dedup repeats included). */
  readonly publishRatePerSecond: number;
  /** Publish calls in flight at once. */
  readonly publishConcurrency: number;
  /** Faults on the producer's SQS, S3 and DynamoDB calls. */
  readonly producerFaults: FaultRates;
  /** Faults on the consumer functions' SQS, S3 and DynamoDB calls. */
  readonly consumerFaults: FaultRates;
  /** Kill one busy consumer invocation this often, seconds; 0 for never. */
  readonly crashEverySeconds: number;
  /** Flip the routing of `chaos.*` (default → bulk → legacy → default) this often while publishing, seconds; 0 for never. */
  readonly flipEverySeconds: number;
  /** A `fixable` task is fixed this many seconds after its publish: long enough for its 3 attempts to fail under load. */
  readonly fixDelaySeconds: number;
  /** Longest wait for the fixable tasks to be dead before the redrive runs anyway, seconds. */
  readonly redriveWaitSeconds: number;
  /** Visibility timeout of the polled queues, seconds. */
  readonly visibilityTimeoutSeconds: number;
  /** One ETA hop, seconds: ETAs of 3 – 8 s chain. */
  readonly maxDelaySeconds: number;
  /** Function timeout of every consumer, seconds. */
  readonly functionTimeoutSeconds: number;
  /** Cap on each event source's concurrency. @default - the template's */
  readonly maxConcurrency?: number;
  /** Enforce the template's IAM on the consumers' calls (consumer → IAM gateway → fault proxy → emulator). @default true */
  readonly iam?: boolean;
  /** Longest wait for the queues to go quiet once publishing and the redrive are done, seconds. */
  readonly quietTimeoutSeconds: number;
  /** Envelopes above this many bytes are claim-checked. */
  readonly claimCheckThresholdBytes: number;
  readonly mix: WorkloadMix;
  readonly projectRoot: string;
  /** Data directory of the local platform (its logs, the run log and the fault log go here too). */
  readonly dataDir: string;
  /** Progress lines. */
  readonly log: (line: string) => void;
}

const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

/** The defaults of `npm run chaos`. */
export const DEFAULT_CHAOS_OPTIONS: ChaosOptions = {
  tasks: 20_000,
  seed: 1,
  publishRatePerSecond: 400,
  publishConcurrency: 4,
  producerFaults: { transientError: 0.02, lostResponse: 0.02, duplicateSend: 0.01 },
  consumerFaults: { transientError: 0.02, lostResponse: 0.02, duplicateSend: 0.01 },
  crashEverySeconds: 3,
  flipEverySeconds: 10,
  fixDelaySeconds: 60,
  redriveWaitSeconds: 120,
  // As AWS requires of an event source mapping: the visibility timeout covers the function timeout plus the bulk
  // queue's 5 s batching window, and the function timeout covers the chaos tasks' 5 s time limit plus the margin.
  visibilityTimeoutSeconds: 15,
  maxDelaySeconds: 2,
  functionTimeoutSeconds: 8,
  quietTimeoutSeconds: 300,
  claimCheckThresholdBytes: 4096,
  mix: DEFAULT_MIX,
  projectRoot: PROJECT_ROOT,
  dataDir: path.join(PROJECT_ROOT, '.bosun', 'chaos'),
  log: () => undefined,
};

/** Characters of padding that push a chaos payload past the claim-check threshold. */
const CLAIM_BLOB_CHARS = 5000;
/** Times a careful caller retries a publish that has a dedup key. */
const PUBLISH_RETRIES = 5;
const PUBLISH_RETRY_BASE_MS = 200;
const BATCH_ENTRIES = 10;
const QUIET_POLL_MS = 2000;
/** Consecutive empty polls that make the queues quiet. */
const QUIET_POLLS = 2;
const REDRIVE_TIMEOUT_MS = 180_000;

/** What `npm run chaos` reports. */
export interface ChaosReport {
  readonly seed: number;
  readonly options: {
    readonly tasks: number;
    readonly publishRatePerSecond: number;
    readonly producerFaults: FaultRates;
    readonly consumerFaults: FaultRates;
    readonly crashEverySeconds: number;
    readonly flipEverySeconds: number;
    readonly visibilityTimeoutSeconds: number;
    readonly maxDelaySeconds: number;
  };
  readonly durationMs: number;
  readonly phasesMs: { readonly startup: number; readonly publish: number; readonly drain: number; readonly verify: number };
  /** Whether the queues went quiet before the deadline. */
  readonly quiet: boolean;
  readonly tasks: {
    readonly planned: number;
    readonly publishCalls: number;
    readonly published: number;
    /** Publishes that failed without a dedup key: the caller was told, the task is not counted as published. */
    readonly publishFailedCallerTold: number;
    /** Tasks with a dedup key whose every publish, retries included, failed. */
    readonly publishFailedAfterRetries: number;
    /** Dedup-key repeats whose publishes returned different task ids. */
    readonly dedupSplit: number;
    readonly byBehaviour: Readonly<Record<string, number>>;
    readonly claimChecked: number;
    readonly withEta: number;
    readonly toLegacyAtPublish: number;
  };
  readonly faults: {
    readonly byKind: Readonly<Record<string, number>>;
    readonly byCaller: ReadonlyArray<{ readonly caller: Caller; readonly service: Service; readonly kind: string; readonly count: number }>;
  };
  readonly redrive?: { readonly startedAfterMs: number; readonly fixableDeadBefore: number; readonly fixable: number; readonly results: readonly ChaosRedrive[]; readonly timedOut: boolean };
  readonly verdict: Verdict;
  readonly requests: readonly RequestCount[];
  readonly requestsPerTask: { readonly sqs: number; readonly dynamodb: number; readonly s3: number; readonly lambdaInvocations: number };
  readonly logBytesPerTask: number;
  readonly cost: CostReport;
  readonly runLogUnreadableLines: number;
  /** Lost 0, wrong state 0, DLQ without reason 0, unexplained duplicates 0, and something was published. */
  readonly passed: boolean;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function logBytes(dataDir: string): number {
  const dir = path.join(dataDir, 'logs');
  if (!fs.existsSync(dir)) return 0;
  return fs.readdirSync(dir).reduce((sum, file) => sum + fs.statSync(path.join(dir, file)).size, 0);
}

function writeRouting(file: string, document: RoutingDocument): void {
  // Write then rename: a consumer re-reading the file never sees half a document.
  const temporary = `${file}.chaos-tmp`;
  fs.writeFileSync(temporary, `${JSON.stringify(document, null, 2)}\n`);
  fs.renameSync(temporary, file);
}

function output(platform: RunningLocalPlatform, key: string): string {
  const value = platform.description.outputs[key];
  if (value === undefined) throw new Error(`the local platform has no output ${key}`);
  return value;
}

/**
 * Runs one chaos experiment against the local platform and reports whether Bosun kept its promise (see
 * docs/chaos.md): starts the fault proxy and the platform behind it, publishes a seeded workload through the SDK while
 * injecting faults, killing invocations, flipping routes and redriving the fixable tasks, waits until the queues are
 * quiet, then judges from the outside (run log, task table, DLQs, legacy inbox) and prices the requests.
 *
 * @example
 * const report = await runChaos({ tasks: 300, seed: 7 });
 * if (!report.passed) console.log(report.verdict);
 */
export async function runChaos(overrides: Partial<ChaosOptions> = {}): Promise<ChaosReport> {
  const options: ChaosOptions = { ...DEFAULT_CHAOS_OPTIONS, ...overrides };
  const started = Date.now();
  const rng = new Prng(options.seed);
  const workloadRng = rng.fork(1);
  const faultSeed = rng.int(1, 0x7fffffff);
  const chaosRng = rng.fork(2);
  const plan = planWorkload(workloadRng, options.tasks, options.mix);

  fs.mkdirSync(options.dataDir, { recursive: true });
  const runLog = path.join(options.dataDir, 'runs.jsonl');
  const faultLog = path.join(options.dataDir, 'faults.jsonl');
  fs.rmSync(runLog, { force: true });
  const faultStream = fs.createWriteStream(faultLog);

  const sqsPort = await freePort();
  const dynamoDbPort = await freePort();
  const proxy = await FaultProxy.start({
    sqsS3Upstream: `http://127.0.0.1:${sqsPort}`,
    dynamoDbUpstream: `http://127.0.0.1:${dynamoDbPort}`,
    rates: { producer: options.producerFaults, consumer: options.consumerFaults },
    seed: faultSeed,
    onFault: (fault) => faultStream.write(`${JSON.stringify(fault)}\n`),
  });
  let platform: RunningLocalPlatform | undefined;
  try {
    const consumerEndpoint = proxy.endpoint('consumer');
    platform = await startLocalPlatform({
      projectRoot: options.projectRoot,
      dataDir: options.dataDir,
      sqsPort,
      dynamoDbPort,
      visibilityTimeoutSeconds: options.visibilityTimeoutSeconds,
      maxDelaySeconds: options.maxDelaySeconds,
      functionTimeoutSeconds: options.functionTimeoutSeconds,
      ...(options.maxConcurrency === undefined ? {} : { maxConcurrency: options.maxConcurrency }),
      ...(options.iam === undefined ? {} : { iam: options.iam }),
      eventSourceSqsEndpoint: proxy.endpoint('esm'),
      functionEnvironment: {
        AWS_ENDPOINT_URL_SQS: consumerEndpoint,
        AWS_ENDPOINT_URL_S3: consumerEndpoint,
        AWS_ENDPOINT_URL_DYNAMODB: consumerEndpoint,
        [CHAOS_RUN_LOG_ENV]: runLog,
      },
      log: options.log,
    });
    const live = platform;
    const logBytesAtStart = logBytes(options.dataDir);
    const startupMs = Date.now() - started;
    options.log(`platform up in ${startupMs} ms behind the fault proxy; publishing ${options.tasks} tasks (seed ${options.seed})`);

    const producerEndpoint = proxy.endpoint('producer');
    const producerClients = createAwsClients({
      env: {
        ...live.clientEnvironment,
        AWS_ENDPOINT_URL_SQS: producerEndpoint,
        AWS_ENDPOINT_URL_S3: producerEndpoint,
        AWS_ENDPOINT_URL_DYNAMODB: producerEndpoint,
      },
      credentials: LOCAL_CREDENTIALS,
    });
    const direct = createAwsClients({ env: live.clientEnvironment, credentials: LOCAL_CREDENTIALS });
    const { legacyQueueUrl: legacyFromOutputs, ...fromOutputs } = taskClientOptionsFromOutputs(live.description.outputs);
    const legacyQueueUrl = legacyFromOutputs ?? output(live, StackOutput.LEGACY_QUEUE_URL);
    const client = createTaskClient({
      ...fromOutputs,
      tasks: chaosTasks,
      clients: producerClients,
      routingFile: live.routingFile,
      region: live.description.region,
      maxDelaySeconds: options.maxDelaySeconds,
      claimCheckThresholdBytes: options.claimCheckThresholdBytes,
      destinations: [sqsForwardingDestination({ name: 'legacy', queueUrl: legacyQueueUrl, sqs: producerClients.sqs })],
    });
    const queueNames = JSON.parse(output(live, StackOutput.QUEUE_NAMES)) as string[];
    const tableName = output(live, StackOutput.TABLE_NAME);

    // Publishing, as a careful caller.
    const taskIds = new Map<number, string>();
    const failedIndices = new Set<number>();
    const publishFailedIds = new Set<string>();
    let publishCalls = 0;
    let publishFailedCallerTold = 0;
    let dedupSplit = 0;
    let toLegacyAtPublish = 0;
    let lastFixablePublishAt = 0;
    const fixableIndices: number[] = [];
    const accept = (task: PlannedTask, taskId: string, destination: string): void => {
      const known = taskIds.get(task.index);
      if (known === undefined) {
        taskIds.set(task.index, taskId);
        if (destination === 'legacy') toLegacyAtPublish += 1;
      } else if (known !== taskId) dedupSplit += 1;
      failedIndices.delete(task.index);
    };
    const itemOf = (task: PlannedTask): PublishBatchItem => {
      const now = Date.now();
      const blob = task.claimChecked ? { blob: 'x'.repeat(CLAIM_BLOB_CHARS) } : {};
      let payload: unknown;
      if (task.behaviour === 'fixable') {
        lastFixablePublishAt = now;
        payload = { fixedAfter: new Date(now + options.fixDelaySeconds * 1000).toISOString(), ...blob };
      } else {
        payload = { behaviour: task.behaviour, ...(task.failAttempts === undefined ? {} : { failAttempts: task.failAttempts }), ...blob };
      }
      const publishOptions: PublishOptions = {
        ...(task.dedupKey === undefined ? {} : { dedupKey: task.dedupKey }),
        ...(task.etaSeconds === undefined ? {} : { eta: new Date(now + task.etaSeconds * 1000) }),
      };
      return { task: task.taskName, payload, options: publishOptions };
    };
    const failed = (task: PlannedTask, taskId: string | undefined): void => {
      if (taskIds.has(task.index)) return;
      if (task.dedupKey === undefined) {
        publishFailedCallerTold += 1;
        if (taskId !== undefined) publishFailedIds.add(taskId);
      }
      failedIndices.add(task.index);
    };
    const publishOne = async (task: PlannedTask, retriesLeft: number): Promise<void> => {
      const item = itemOf(task);
      publishCalls += 1;
      try {
        const result = await client.publish(item.task as 'chaos.work', item.payload as never, item.options);
        accept(task, result.taskId, result.destination);
      } catch (error) {
        if (task.dedupKey !== undefined && retriesLeft > 0) {
          await sleep(PUBLISH_RETRY_BASE_MS * 2 ** (PUBLISH_RETRIES - retriesLeft));
          await publishOne(task, retriesLeft - 1);
          return;
        }
        failed(task, (error as { taskId?: string }).taskId);
      }
    };
    const publishBatch = async (ops: readonly PublishOp[]): Promise<void> => {
      if (ops.length === 0) return;
      publishCalls += 1;
      const retry: PlannedTask[] = [];
      try {
        const result = await client.publishBatch(ops.map((op) => itemOf(op.task)));
        for (const outcome of result.outcomes) {
          const task = ops[outcome.index]!.task;
          if (outcome.ok) accept(task, outcome.result.taskId, outcome.result.destination);
          else if (task.dedupKey !== undefined) retry.push(task);
          else failed(task, outcome.taskId);
        }
      } catch {
        for (const op of ops) {
          if (op.task.dedupKey !== undefined) retry.push(op.task);
          else failed(op.task, undefined);
        }
      }
      await Promise.all(retry.map((task) => publishOne(task, PUBLISH_RETRIES)));
    };
    for (const task of plan.tasks) if (task.behaviour === 'fixable') fixableIndices.push(task.index);

    // Background chaos: kills and routing flips.
    let chaosRunning = true;
    let publishing = true;
    let kills = 0;
    let flips = 0;
    const killed = new Map<string, number[]>();
    const crashLoop = (async (): Promise<void> => {
      if (options.crashEverySeconds <= 0) return;
      while (chaosRunning) {
        await sleep(options.crashEverySeconds * 1000);
        if (!chaosRunning) return;
        const first = chaosRng.int(0, live.consumers.length - 1);
        for (let offset = 0; offset < live.consumers.length; offset += 1) {
          const ids = live.consumers[(first + offset) % live.consumers.length]!.crash();
          if (ids === undefined) continue;
          kills += 1;
          const at = Date.now();
          for (const id of ids) killed.set(id, [...(killed.get(id) ?? []), at]);
          break;
        }
      }
    })();
    const originalRouting = JSON.parse(fs.readFileSync(live.routingFile, 'utf8')) as RoutingDocument;
    const flipLoop = (async (): Promise<void> => {
      if (options.flipEverySeconds <= 0) return;
      const cycle: Array<{ destination: string; share: number }> = [
        { destination: 'bulk', share: 1 },
        { destination: 'legacy', share: 0.5 },
        { destination: 'default', share: 1 },
      ];
      let step = 0;
      await sleep(options.flipEverySeconds * 1000);
      while (publishing) {
        const { destination, share } = cycle[step % cycle.length]!;
        step += 1;
        writeRouting(
          live.routingFile,
          destination === 'default'
            ? originalRouting
            : { ...originalRouting, rules: [{ id: 'chaos-flip', tasks: ['chaos.*'], destination }, ...originalRouting.rules] },
        );
        flips += 1;
        options.log(`routing: chaos.* → ${destination}`);
        const until = Date.now() + options.flipEverySeconds * share * 1000;
        while (publishing && Date.now() < until) await sleep(200);
      }
      writeRouting(live.routingFile, originalRouting);
    })();

    // Publish at the configured rate.
    const publishStarted = Date.now();
    const inFlight = new Set<Promise<void>>();
    const launch = (work: Promise<void>): void => {
      inFlight.add(work);
      void work.finally(() => inFlight.delete(work));
    };
    let redrivePromise: Promise<ChaosReport['redrive']> | undefined;
    const startRedrive = (): Promise<ChaosReport['redrive']> =>
      (async () => {
        const fixableIds = fixableIndices.map((index) => taskIds.get(index)).filter((id): id is string => id !== undefined);
        await sleep(Math.max(0, lastFixablePublishAt + options.fixDelaySeconds * 1000 + 1000 - Date.now()));
        const waitUntil = Date.now() + options.redriveWaitSeconds * 1000;
        let dead = 0;
        while (fixableIds.length > 0) {
          dead = await countDead(direct.dynamodb, tableName, fixableIds);
          if (dead === fixableIds.length || Date.now() > waitUntil) break;
          await sleep(2000);
        }
        const redriveStartedAt = Date.now();
        options.log(`redriving chaos.fixable: ${dead} of ${fixableIds.length} fixable tasks dead`);
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<'timeout'>((resolve) => {
          timer = setTimeout(() => resolve('timeout'), REDRIVE_TIMEOUT_MS);
        });
        // A redrive that never ends (a task that dies again and again) must not hold the run hostage.
        const outcome = await Promise.race([redriveTask(options.dataDir, queueNames, 'chaos.fixable'), timeout]);
        clearTimeout(timer);
        return {
          startedAfterMs: redriveStartedAt - started,
          fixableDeadBefore: dead,
          fixable: fixableIds.length,
          results: outcome === 'timeout' ? [] : outcome,
          timedOut: outcome === 'timeout',
        };
      })();
    let cursor = 0;
    let lastProgress = Date.now();
    while (cursor < plan.ops.length) {
      await sleep(Math.max(0, publishStarted + (cursor / options.publishRatePerSecond) * 1000 - Date.now()));
      const chunk = plan.ops.slice(cursor, cursor + BATCH_ENTRIES);
      cursor += chunk.length;
      launch(publishBatch(chunk.filter((op) => !op.single)));
      for (const op of chunk.filter((candidate) => candidate.single)) launch(publishOne(op.task, PUBLISH_RETRIES));
      while (inFlight.size >= options.publishConcurrency) await Promise.race(inFlight);
      if (redrivePromise === undefined && cursor >= plan.ops.length * 0.75) redrivePromise = startRedrive();
      if (Date.now() - lastProgress > 10_000) {
        lastProgress = Date.now();
        options.log(`published ${cursor} of ${plan.ops.length} publish calls' tasks; ${proxy.faults.length} faults, ${kills} kills so far`);
      }
    }
    await Promise.all(inFlight);
    publishing = false;
    await flipLoop;
    const publishMs = Date.now() - publishStarted;
    options.log(`published ${taskIds.size} tasks in ${publishMs} ms; waiting for the redrive and for the queues to go quiet`);
    redrivePromise ??= startRedrive();
    const redrive = await redrivePromise;

    // Drain: wait until every Bosun queue is empty (nothing visible, in flight or delayed) twice in a row.
    const drainStarted = Date.now();
    const queueUrls = queueNames.map((name) => output(live, queueOutputKey(name, StackOutput.QUEUE_URL_SUFFIX)));
    let quiet = false;
    let emptyPolls = 0;
    while (Date.now() - drainStarted < options.quietTimeoutSeconds * 1000) {
      const depths = await Promise.all(queueUrls.map((url) => queueDepth(direct.sqs, url)));
      const total = depths.reduce((sum, depth) => sum + depth.visible + depth.inFlight + depth.delayed, 0);
      emptyPolls = total === 0 ? emptyPolls + 1 : 0;
      if (emptyPolls >= QUIET_POLLS) {
        quiet = true;
        break;
      }
      await sleep(QUIET_POLL_MS);
    }
    chaosRunning = false;
    proxy.setFaultsEnabled(false);
    await crashLoop;
    const drainMs = Date.now() - drainStarted;
    options.log(quiet ? `quiet after ${drainMs} ms; verifying` : `not quiet after ${drainMs} ms; verifying anyway`);

    // Verify from the outside, straight against the emulators.
    const verifyStarted = Date.now();
    const lambdaInvocations = live.consumers.reduce((sum, consumer) => sum + consumer.stats().invocations, 0);
    const runLogBytes = logBytes(options.dataDir) - logBytesAtStart;
    const { runs, unreadableLines } = await readRunLog(runLog);
    const states = await scanStates(direct.dynamodb, tableName);
    const deadLetters: DeadLetter[] = [];
    for (const name of queueNames) {
      const dlqUrl = live.description.outputs[queueOutputKey(name, StackOutput.DLQ_URL_SUFFIX)];
      if (dlqUrl !== undefined) deadLetters.push(...(await drainQueue(direct.sqs, dlqUrl, name)));
    }
    const legacyLetters = await drainQueue(direct.sqs, legacyQueueUrl, 'legacy');
    const legacy = legacyLetters.map((letter) => letter.taskId ?? '');
    const legacySentAt = new Map<string, number[]>();
    for (const letter of legacyLetters) {
      if (letter.taskId !== undefined && letter.sentAt !== undefined) legacySentAt.set(letter.taskId, [...(legacySentAt.get(letter.taskId) ?? []), letter.sentAt]);
    }
    const faultsByTask = new Map<string, Set<DuplicateCause>>();
    const addCause = (taskId: string, cause: DuplicateCause): void => {
      let causes = faultsByTask.get(taskId);
      if (causes === undefined) {
        causes = new Set();
        faultsByTask.set(taskId, causes);
      }
      causes.add(cause);
    };
    for (const fault of proxy.faults) for (const taskId of fault.taskIds) addCause(taskId, fault.kind);
    for (const taskId of killed.keys()) addCause(taskId, 'kill');
    const published: PublishedTask[] = [];
    for (const task of plan.tasks) {
      const taskId = taskIds.get(task.index);
      if (taskId !== undefined) published.push({ taskId, plan: task });
    }
    const verdict = judge({
      published,
      publishFailedIds,
      runs,
      states,
      deadLetters,
      legacy,
      faultsByTask,
      killsByTask: killed,
      legacySentAt,
      ...(redrive === undefined ? {} : { redriveStartedAt: started + redrive.startedAfterMs }),
    });

    const requests = proxy.counts();
    const perService = (service: Service): number =>
      requests.filter((count) => count.service === service).reduce((sum, count) => sum + count.forwarded, 0) / Math.max(1, verdict.published);
    const cost = priceRun(requests, { tasks: verdict.published, lambdaInvocations, logBytes: runLogBytes });
    const byKind: Record<string, number> = { 'transient-error': 0, 'lost-response': 0, 'duplicate-send': 0, kill: kills, 'routing-flip': flips, redrive: redrive === undefined ? 0 : 1 };
    const byCallerKey = new Map<string, number>();
    for (const fault of proxy.faults) {
      byKind[fault.kind] = (byKind[fault.kind] ?? 0) + 1;
      const key = `${fault.caller}|${fault.service}|${fault.kind}`;
      byCallerKey.set(key, (byCallerKey.get(key) ?? 0) + 1);
    }
    const byBehaviour: Record<string, number> = {};
    for (const { plan: task } of published) byBehaviour[task.behaviour] = (byBehaviour[task.behaviour] ?? 0) + 1;
    const verifyMs = Date.now() - verifyStarted;
    return {
      seed: options.seed,
      options: {
        tasks: options.tasks,
        publishRatePerSecond: options.publishRatePerSecond,
        producerFaults: options.producerFaults,
        consumerFaults: options.consumerFaults,
        crashEverySeconds: options.crashEverySeconds,
        flipEverySeconds: options.flipEverySeconds,
        visibilityTimeoutSeconds: options.visibilityTimeoutSeconds,
        maxDelaySeconds: options.maxDelaySeconds,
      },
      durationMs: Date.now() - started,
      phasesMs: { startup: startupMs, publish: publishMs, drain: drainMs, verify: verifyMs },
      quiet,
      tasks: {
        planned: plan.tasks.length,
        publishCalls,
        published: verdict.published,
        publishFailedCallerTold,
        publishFailedAfterRetries: [...failedIndices].filter((index) => plan.tasks[index]?.dedupKey !== undefined).length,
        dedupSplit,
        byBehaviour,
        claimChecked: published.filter(({ plan: task }) => task.claimChecked).length,
        withEta: published.filter(({ plan: task }) => task.etaSeconds !== undefined).length,
        toLegacyAtPublish,
      },
      faults: {
        byKind,
        byCaller: [...byCallerKey.entries()].map(([key, count]) => {
          const [caller, service, kind] = key.split('|') as [Caller, Service, string];
          return { caller, service, kind, count };
        }),
      },
      ...(redrive === undefined ? {} : { redrive }),
      verdict,
      requests,
      requestsPerTask: {
        sqs: perService('sqs'),
        dynamodb: perService('dynamodb'),
        s3: perService('s3'),
        lambdaInvocations: lambdaInvocations / Math.max(1, verdict.published),
      },
      logBytesPerTask: runLogBytes / Math.max(1, verdict.published),
      cost,
      runLogUnreadableLines: unreadableLines,
      passed:
        verdict.published > 0 &&
        verdict.lost === 0 &&
        verdict.wrongState === 0 &&
        verdict.dlqWithoutReason === 0 &&
        verdict.unexplainedDuplicateRuns === 0,
    };
  } finally {
    const stopping = Date.now();
    await platform?.stop();
    options.log(`platform stopped in ${Date.now() - stopping} ms`);
    await proxy.stop();
    await new Promise((resolve) => faultStream.end(resolve));
    options.log(`proxy stopped; ${Date.now() - stopping} ms`);
  }
}

async function countDead(
  dynamodb: ReturnType<typeof createAwsClients>['dynamodb'],
  tableName: string,
  taskIds: readonly string[],
): Promise<number> {
  let dead = 0;
  for (let start = 0; start < taskIds.length; start += 100) {
    let keys: Array<Record<string, unknown>> = taskIds.slice(start, start + 100).map((taskId) => ({ taskId }));
    while (keys.length > 0) {
      const response = await dynamodb.send(
        new BatchGetCommand({ RequestItems: { [tableName]: { Keys: keys, ProjectionExpression: '#s', ExpressionAttributeNames: { '#s': 'status' } } } }),
      );
      dead += (response.Responses?.[tableName] ?? []).filter((item) => item['status'] === 'dead').length;
      keys = (response.UnprocessedKeys?.[tableName]?.Keys ?? []) as Array<Record<string, unknown>>;
    }
  }
  return dead;
}
