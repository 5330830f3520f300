import { GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { LocalPlatformDescription } from '../../../lib/contract';
import { LOCAL_CREDENTIALS } from '../../../local/emulators';
import { LOCAL_ACCOUNT_ID } from '../../../local/intrinsics';
import { DEBIAN_PYTHON, requirePythonModules, runPythonJson } from '../python';

/** The modules a real Celery worker or producer on SQS needs (Debian's python3-celery, python3-pycurl, python3-boto3). */
const CELERY_MODULES = ['celery', 'kombu', 'pycurl', 'boto3'] as const;
const ORPHAN_GUARD = path.join(__dirname, '..', '..', '..', 'local', 'orphan-guard.mjs');
const READY_LINE = 'BOSUN_CELERY_WORKER_READY';

/** What a task does on the harness' worker (see celery_worker.py): `add` x + y, `greet` a name, `flaky` retries itself, `fail` raises. */
export type CeleryTaskKind = 'add' | 'greet' | 'flaky' | 'fail';

/** The task names the worker registers when none are given. */
export const DEFAULT_CELERY_TASKS: Readonly<Record<string, CeleryTaskKind>> = {
  'tasks.add': 'add',
  'tasks.greet': 'greet',
  'tasks.flaky': 'flaky',
  'tasks.fail': 'fail',
};

/** Where the Celery side connects: a running local platform's description (its `platform.json`), or the test emulators'. */
export type CeleryPlatform = Pick<LocalPlatformDescription, 'region'> & { readonly endpoints: Pick<LocalPlatformDescription['endpoints'], 'sqs'> };

/** What the worker and the producer share. */
export interface CeleryConnectionOptions {
  readonly platform: CeleryPlatform;
  /** The SQS queue (it must exist: the worker checks), which is also the Celery queue (`task_default_queue`). */
  readonly queueName: string;
  /** The key Celery signs with: a role's key makes the IAM gateway check it. @default - the operator's (`LOCAL_CREDENTIALS`) */
  readonly accessKeyId?: string;
  /** The SQS endpoint Celery talks to, for example the IAM gateway's. @default - `platform.endpoints.sqs` */
  readonly sqsEndpoint?: string;
  /** The queue's visibility timeout, given to kombu as `visibility_timeout`. @default 30 */
  readonly visibilityTimeoutSeconds?: number;
}

/** Options of {@link startCeleryWorker}. */
export interface CeleryWorkerOptions extends CeleryConnectionOptions {
  /** Celery task names and what each does. @default DEFAULT_CELERY_TASKS */
  readonly tasks?: Readonly<Record<string, CeleryTaskKind>>;
  /** How long to wait for the worker to consume. @default 30000 */
  readonly startTimeoutMs?: number;
}

/** One run of a task on the worker, as the worker recorded it when the task started. */
export interface CeleryRun {
  /** The Celery task name. */
  readonly task: string;
  /** The task id (`headers.id`). */
  readonly id: string;
  readonly args: readonly unknown[];
  readonly kwargs: Readonly<Record<string, unknown>>;
  /** `headers.retries`: 0 on the first run. */
  readonly retries: number;
  /** The ETA the worker held the task for (ISO-8601), or null. */
  readonly eta: string | null;
  /** When the run started (ISO-8601, UTC). */
  readonly at: string;
  readonly hostname: string;
}

/** A running Celery worker. */
export interface CeleryWorker {
  /** Every run recorded so far, in order. */
  runs(): CeleryRun[];
  /**
   * Waits until at least `count` runs (of those `where` accepts) are recorded and returns them; fails with the runs
   * seen and the worker's last log lines after `timeoutMs` (default 30000).
   */
  waitForRuns(count: number, options?: { readonly timeoutMs?: number; readonly where?: (run: CeleryRun) => boolean }): Promise<CeleryRun[]>;
  /** The worker's output so far (Celery's log). */
  log(): string;
  /** Stops the worker (warm shutdown, then SIGKILL after 10 s) and removes its files. */
  stop(): Promise<void>;
}

/** One task the producer sends: `delay` calls `task.delay(*args, **kwargs)`, otherwise `task.apply_async(args, kwargs, countdown=…, eta=…)`. */
export type CelerySend = {
  readonly task: string;
  readonly args?: readonly unknown[];
  readonly kwargs?: Readonly<Record<string, unknown>>;
} & ({ readonly delay: true } | { readonly delay?: false; readonly countdown?: number; readonly eta?: Date });

/** Options of {@link runCeleryProducer}. */
export interface CeleryProducerOptions extends CeleryConnectionOptions {
  readonly sends: readonly CelerySend[];
}

/** The queue's URL under the endpoint's own host, as a Celery broker configuration names it. */
export function celeryQueueUrl(sqsEndpoint: string, queueName: string): string {
  return `${sqsEndpoint.replace(/\/+$/, '')}/${LOCAL_ACCOUNT_ID}/${queueName}`;
}

function connectionConfig(options: CeleryConnectionOptions): Record<string, unknown> {
  const sqsEndpoint = options.sqsEndpoint ?? options.platform.endpoints.sqs;
  return {
    sqsEndpoint,
    region: options.platform.region,
    accessKeyId: options.accessKeyId ?? LOCAL_CREDENTIALS.accessKeyId,
    queueName: options.queueName,
    queueUrl: celeryQueueUrl(sqsEndpoint, options.queueName),
    visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? 30,
  };
}

const PYTHON_ENV = { ...process.env, PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1' };

function readRuns(runsFile: string): CeleryRun[] {
  if (!fs.existsSync(runsFile)) return [];
  return fs
    .readFileSync(runsFile, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as CeleryRun);
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** Fails saying so when the queue does not exist: kombu with predefined queues neither creates it nor says why it gets nothing. */
async function requireQueue(options: CeleryConnectionOptions): Promise<void> {
  const sqs = new SQSClient({ region: options.platform.region, credentials: LOCAL_CREDENTIALS, endpoint: options.platform.endpoints.sqs });
  try {
    await sqs.send(new GetQueueUrlCommand({ QueueName: options.queueName }));
  } catch (error) {
    if ((error as Error).name !== 'QueueDoesNotExist') throw error;
    throw new Error(`queue ${options.queueName} does not exist on ${options.platform.endpoints.sqs}; create it before starting a Celery worker on it`);
  } finally {
    sqs.destroy();
  }
}

/**
 * Starts a real Celery 5.2 worker (Debian's `/usr/bin/python3`, kombu's SQS transport over the query protocol) on one
 * local SQS queue, with `--pool=solo`, no heartbeat, gossip or mingle, and 1 s long polls, and waits until it consumes.
 * Each task run is recorded (task, id, args, kwargs, retries, eta, time) for {@link CeleryWorker.runs}. Fails, naming
 * the packages to install, when Debian's Python lacks Celery, pycurl or boto3.
 *
 * @example
 * const worker = await startCeleryWorker({ platform: running.description, queueName: 'celery', tasks: { 'app.add': 'add' } });
 * try { ...; const [run] = await worker.waitForRuns(1); expect(run.args).toEqual([2, 3]); } finally { await worker.stop(); }
 */
export async function startCeleryWorker(options: CeleryWorkerOptions): Promise<CeleryWorker> {
  requirePythonModules(CELERY_MODULES);
  await requireQueue(options);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-celery-worker-'));
  const runsFile = path.join(dir, 'runs.jsonl');
  const configFile = path.join(dir, 'config.json');
  fs.writeFileSync(configFile, JSON.stringify({ ...connectionConfig(options), runsFile, tasks: options.tasks ?? DEFAULT_CELERY_TASKS }));
  const child = spawn(
    process.execPath,
    [ORPHAN_GUARD, String(process.pid), DEBIAN_PYTHON, path.join(__dirname, 'celery_worker.py'), configFile],
    { stdio: ['ignore', 'pipe', 'pipe'], env: PYTHON_ENV },
  );
  let output = '';
  const append = (chunk: string): void => {
    output = (output + chunk).slice(-200_000);
  };
  child.stdout!.setEncoding('utf8').on('data', append);
  child.stderr!.setEncoding('utf8').on('data', append);
  const lastLines = (): string => output.trim().split('\n').slice(-15).join('\n');

  const stop = async (): Promise<void> => {
    if (!exited(child)) {
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(force);
          resolve();
        });
        child.kill('SIGTERM');
      });
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };

  const timeoutMs = options.startTimeoutMs ?? 30_000;
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the Celery worker did not consume within ${timeoutMs} ms; its log:\n${lastLines()}`)), timeoutMs);
      const check = (): void => {
        if (output.includes(READY_LINE)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on('data', check);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`the Celery worker exited (${code ?? signal}) before it consumed; its log:\n${lastLines()}`));
      });
      check();
    });
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    runs: () => readRuns(runsFile),
    log: () => output,
    waitForRuns: async (count, waitOptions = {}) => {
      const deadline = Date.now() + (waitOptions.timeoutMs ?? 30_000);
      const where = waitOptions.where ?? (() => true);
      for (;;) {
        const runs = readRuns(runsFile).filter(where);
        if (runs.length >= count) return runs;
        if (exited(child)) throw new Error(`the Celery worker exited after ${runs.length} of ${count} runs; its log:\n${lastLines()}`);
        if (Date.now() > deadline) {
          throw new Error(`the Celery worker recorded ${runs.length} of ${count} runs in time: ${JSON.stringify(runs)}; its log:\n${lastLines()}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    stop,
  };
}

/**
 * Sends tasks with a real Celery 5.2 producer (`task.delay(...)`, `task.apply_async(..., countdown=…, eta=…)`) to one
 * local SQS queue, and returns the id of each task in order. Fails, naming the packages to install, when Debian's
 * Python lacks Celery, pycurl or boto3.
 *
 * @example
 * const [id] = await runCeleryProducer({ platform, queueName, sends: [{ task: 'tasks.add', args: [2, 3], delay: true }] });
 */
export async function runCeleryProducer(options: CeleryProducerOptions): Promise<string[]> {
  requirePythonModules(CELERY_MODULES);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-celery-producer-'));
  const configFile = path.join(dir, 'config.json');
  const sends = options.sends.map((send) => {
    const { eta, ...rest } = send as CelerySend & { eta?: Date };
    return eta === undefined ? rest : { ...rest, eta: eta.toISOString() };
  });
  fs.writeFileSync(configFile, JSON.stringify({ ...connectionConfig(options), sends }));
  try {
    return await runPythonJson<string[]>(path.join(__dirname, 'celery_producer.py'), [configFile], {}, 60_000, PYTHON_ENV);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
