import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { LocalFunctionError, LocalFunctionTimeoutError } from './errors';

/** Properties of a {@link LocalFunction}. */
export interface LocalFunctionProps {
  /** Function name, shown in logs, errors and the Lambda context. */
  readonly functionName: string;
  /** Absolute path of the handler module (a CommonJS bundle, or `.mjs`). */
  readonly modulePath: string;
  /** Name of the exported handler function. @default handler */
  readonly exportName?: string;
  /** The function's environment: the worker's whole `process.env` (nothing is inherited from this process). */
  readonly env: Readonly<Record<string, string>>;
  /** Function timeout in milliseconds, 1 – 900 000. An invocation still running then is stopped. */
  readonly timeoutMs: number;
  /** Memory size in MB; caps the worker's old-generation heap. @default 128 */
  readonly memorySizeMb?: number;
  /** Receives each line the function writes to stdout or stderr. @default - the output is discarded */
  readonly log?: (line: string) => void;
}

interface Pending {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
  /** The invocation's event, so {@link LocalFunction.crashOne} can say which records it killed. */
  readonly event: unknown;
  /** Starts the timeout clock once the worker has loaded the handler (init is not part of the invocation's time). */
  readonly started: () => void;
}

interface WorkerReply {
  readonly id: number;
  /** Sent once the handler module is loaded and the invocation begins. */
  readonly started?: boolean;
  readonly ok: boolean;
  readonly result?: unknown;
  readonly errorType?: string;
  readonly errorMessage?: string;
}

/** The `id` of each SQS record body of an event that is a JSON object with a string `id`. */
function recordTaskIds(event: unknown): string[] {
  const records = (event as { Records?: unknown } | null)?.Records;
  if (!Array.isArray(records)) return [];
  const ids: string[] = [];
  for (const record of records as unknown[]) {
    const body = (record as { body?: unknown } | null)?.body;
    if (typeof body !== 'string') continue;
    try {
      const id = (JSON.parse(body) as { id?: unknown } | null)?.id;
      if (typeof id === 'string') ids.push(id);
    } catch {
      // Not JSON: not a Bosun envelope, so no task id to report.
    }
  }
  return ids;
}

const WORKER_FILE = path.join(__dirname, 'function-worker.js');
const DEFAULT_MEMORY_MB = 128;
/** Longest cold-start init (loading the handler module), as Lambda's 10 s init limit. */
const INIT_LIMIT_MS = 10_000;

/**
 * A Lambda function run locally: each concurrent invocation gets its own worker thread (a warm "execution
 * environment" reused by later invocations) with the function's own environment. An invocation that overruns the
 * timeout has its worker terminated, exactly like Lambda stopping a sandbox, and fails with
 * {@link LocalFunctionTimeoutError}; the next invocation starts a fresh worker (a cold start).
 *
 * @example
 * const fn = new LocalFunction({ functionName: 'consumer', modulePath: '/abs/index.js', env, timeoutMs: 30_000 });
 * const response = await fn.invoke(sqsEvent);
 * await fn.stop();
 */
export class LocalFunction {
  /** The function's name. */
  public readonly functionName: string;
  private readonly idle: Worker[] = [];
  private readonly all = new Set<Worker>();
  private readonly pending = new Map<Worker, Pending>();
  private nextId = 1;
  private stopped = false;

  public constructor(private readonly props: LocalFunctionProps) {
    this.functionName = props.functionName;
  }

  /** Number of workers (warm or busy) currently alive. */
  public get workerCount(): number {
    return this.all.size;
  }

  /**
   * Runs one invocation and resolves with what the handler returned (`null` for nothing).
   *
   * @throws LocalFunctionTimeoutError when the handler overran the timeout (its worker was terminated).
   * @throws LocalFunctionError when the handler threw or its module could not be loaded.
   */
  public async invoke(event: unknown): Promise<unknown> {
    if (this.stopped) throw new LocalFunctionError(this.functionName, 'LocalFunctionStopped', 'the function is stopped');
    const worker = this.idle.pop() ?? this.startWorker();
    const id = this.nextId++;
    let timer: NodeJS.Timeout | undefined;
    let initTimer: NodeJS.Timeout | undefined;
    try {
      return await new Promise<unknown>((resolve, reject) => {
        // As in Lambda, the function timeout counts from the start of the invocation, after a cold start's init.
        const started = (): void => {
          timer ??= setTimeout(() => {
            this.pending.delete(worker);
            void this.discard(worker);
            reject(new LocalFunctionTimeoutError(this.functionName, this.props.timeoutMs));
          }, this.props.timeoutMs);
        };
        this.pending.set(worker, { resolve, reject, event, started });
        // A cold start's init has its own limit (10 s in Lambda); a module that never finishes loading is stopped.
        initTimer = setTimeout(() => {
          if (timer !== undefined) return;
          this.pending.delete(worker);
          void this.discard(worker);
          reject(new LocalFunctionTimeoutError(this.functionName, INIT_LIMIT_MS));
        }, INIT_LIMIT_MS);
        worker.postMessage({ id, event, timeoutMs: this.props.timeoutMs });
      });
    } finally {
      clearTimeout(initTimer);
      clearTimeout(timer);
      this.pending.delete(worker);
      if (this.all.has(worker) && !this.stopped) this.idle.push(worker);
    }
  }

  /**
   * Kills one busy worker mid-invocation, as when Lambda's sandbox dies (out of memory, a crash in native code): the
   * invocation fails at once with a `Runtime.ExitError` {@link LocalFunctionError}, whatever its handler was doing, and
   * the next invocation starts a fresh worker. For fault injection.
   *
   * @returns the task ids of the killed invocation's SQS records (each record body parsed as JSON, its `id`; records
   * that are not JSON or carry no string `id` are left out), or `undefined` when no worker was busy.
   * @example
   * const killed = fn.crashOne(); // ['01J…', '01J…'] or undefined
   */
  public crashOne(): string[] | undefined {
    const busy = [...this.pending.entries()];
    if (busy.length === 0) return undefined;
    const [worker, invocation] = busy[0]!;
    this.pending.delete(worker);
    invocation.reject(
      new LocalFunctionError(this.functionName, 'Runtime.ExitError', 'the execution environment was killed mid-invocation'),
    );
    void this.discard(worker);
    return recordTaskIds(invocation.event);
  }

  /** Terminates every worker; invocations still running fail. */
  public async stop(): Promise<void> {
    this.stopped = true;
    this.idle.length = 0;
    await Promise.all([...this.all].map((worker) => this.discard(worker)));
  }

  private startWorker(): Worker {
    const memory = this.props.memorySizeMb ?? DEFAULT_MEMORY_MB;
    const worker = new Worker(WORKER_FILE, {
      env: { ...this.props.env },
      stdout: true,
      stderr: true,
      resourceLimits: { maxOldGenerationSizeMb: Math.max(memory, 64) },
      workerData: {
        modulePath: this.props.modulePath,
        exportName: this.props.exportName ?? 'handler',
        functionName: this.props.functionName,
        memorySizeMb: memory,
      },
    });
    this.all.add(worker);
    for (const stream of [worker.stdout, worker.stderr]) {
      stream.setEncoding('utf8');
      let buffered = '';
      stream.on('data', (chunk: string) => {
        buffered += chunk;
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines) if (line.trim() !== '') this.props.log?.(line);
      });
    }
    worker.on('message', (reply: WorkerReply) => {
      const waiting = this.pending.get(worker);
      if (waiting === undefined) return;
      if (reply.started === true) waiting.started();
      else if (reply.ok) waiting.resolve(reply.result);
      else {
        waiting.reject(
          new LocalFunctionError(this.functionName, reply.errorType ?? 'Error', reply.errorMessage ?? 'unknown error'),
        );
      }
    });
    const lost = (reason: string): void => {
      this.all.delete(worker);
      const index = this.idle.indexOf(worker);
      if (index >= 0) this.idle.splice(index, 1);
      this.pending.get(worker)?.reject(new LocalFunctionError(this.functionName, 'Runtime.ExitError', reason));
      this.pending.delete(worker);
    };
    worker.on('error', (error) => lost(`the worker crashed: ${error.name}: ${error.message}`));
    worker.on('exit', (code) => lost(`the worker exited with code ${code}`));
    return worker;
  }

  private async discard(worker: Worker): Promise<void> {
    this.all.delete(worker);
    const index = this.idle.indexOf(worker);
    if (index >= 0) this.idle.splice(index, 1);
    await worker.terminate();
  }
}
