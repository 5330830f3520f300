import { S3Client } from '@aws-sdk/client-s3';
import Table from 'cli-table3';
import { StackOutput } from '../lib/contract';
import { LOCAL_CREDENTIALS } from './emulators';
import { type DemoResult, type DemoTaskClient, runDemo } from './demo';
import { createDemoClient } from './demo-client';
import { type LocalConsole, startLocalConsole } from './local-console';
import { type LocalPlatformOptions, type RunningLocalPlatform, startLocalPlatform } from './local-platform';
import { acceleratedClock } from './local-scheduler';

/** Options of {@link runLocalPlatform}: the platform's options plus what `npm start` does with it. */
export interface RunLocalPlatformOptions extends LocalPlatformOptions {
  /** Run the demo workload and exit: status 0 only if every task ended where it should. @default false */
  readonly once?: boolean;
  /** Run the demo workload after start-up. @default true */
  readonly demo?: boolean;
  /** Serve the Bosun console beside the platform and print its URL (not with `once`). @default true */
  readonly console?: boolean;
  /** Port of the console on 127.0.0.1; 0 picks a free one. @default 0 */
  readonly consolePort?: number;
  /** How long the demo waits for its tasks, in milliseconds. @default 90000 */
  readonly demoTimeoutMs?: number;
  /**
   * Runs the local scheduler this many times faster than the machine's clock (`acceleratedClock`), so periodic tasks
   * fire in seconds: at 60 a minute of schedule time passes in a second, and `heartbeat` (every 5 minutes) fires
   * every 5 s. Ignored when `scheduleClock` is given. Greater than 0. @default 1
   */
  readonly scheduleSpeed?: number;
  /** Where people-facing output goes. @default console.log */
  readonly print?: (text: string) => void;
  /** Resolves when the platform should stop (the default waits for SIGINT or SIGTERM). */
  readonly until?: Promise<unknown>;
}

const TABLE_STYLE = process.stdout.isTTY ? {} : { style: { head: [], border: [] } };

function settingsTable(platform: RunningLocalPlatform): string {
  const table = new Table({
    head: ['consumer', 'queue', 'batch', 'window s', 'concurrency', 'timeout s', 'visibility s', 'partial batch'],
    ...TABLE_STYLE,
  });
  for (const consumer of platform.consumers) {
    const s = consumer.settings;
    table.push([
      consumer.functionName,
      consumer.queueName,
      s.batchSize,
      s.maximumBatchingWindowSeconds,
      s.maxConcurrency,
      s.timeoutSeconds,
      s.visibilityTimeoutSeconds,
      s.reportBatchItemFailures ? 'yes' : 'no',
    ]);
  }
  return table.toString();
}

/** The start banner's line for an accelerated schedule clock: the speed, and what it makes of the periodic tasks. */
function scheduleSpeedLine(platform: RunningLocalPlatform, speed: number): string {
  const seconds = (value: number): string => `${Number(value.toPrecision(3))} s`;
  const periodic = platform.scheduler
    .list()
    .map((schedule) => {
      const rate = /^rate\((\d+) (minute|hour|day)s?\)$/.exec(schedule.expression);
      if (rate === null) return `${schedule.name} (${schedule.expression})`;
      const unitSeconds = { minute: 60, hour: 3600, day: 86_400 }[rate[2] as 'minute' | 'hour' | 'day'];
      return `${schedule.name} every ${seconds((Number(rate[1]) * unitSeconds) / speed)}`;
    });
  return `schedule clock: ${speed}× real time (a minute of schedule time passes in ${seconds(60 / speed)})${periodic.length === 0 ? '' : `: ${periodic.join(', ')}`}`;
}

/** Renders demo results as a table for people. */
export function demoResultsTable(results: readonly DemoResult[]): string {
  const table = new Table({ head: ['', 'demo task', 'task', 'id', 'route', 'expected', 'ended', 'attempts', 'time', 'notes'], ...TABLE_STYLE });
  for (const r of results) {
    const notes = [
      r.deadReason === undefined ? undefined : `reason: ${r.deadReason}`,
      r.claimCheckKept === undefined ? undefined : r.claimCheckKept ? 'payload kept for late copies (lifecycle expires it)' : 'payload MISSING',
    ].filter((note) => note !== undefined);
    table.push([
      r.ok ? 'ok' : 'FAIL',
      r.label,
      r.task,
      r.taskId,
      r.destination,
      r.expected,
      r.status ?? 'not finished',
      r.attempts,
      `${(r.elapsedMs / 1000).toFixed(1)} s`,
      notes.join('; '),
    ]);
  }
  return table.toString();
}

function waitForSignal(): Promise<string> {
  return new Promise((resolve) => {
    const onSignal = (signal: string): void => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

/**
 * What `npm start` and `bosun dev` do: start the local platform, run the demo workload through the producer SDK and
 * print what happened, then keep running until Ctrl-C (SIGINT/SIGTERM), which drains in-flight tasks and stops
 * everything. With `once`, it stops after the demo instead. Resolves with the process exit code.
 *
 * @example
 * process.exitCode = await runLocalPlatform({ once: true });
 */
export async function runLocalPlatform(
  options: RunLocalPlatformOptions = {},
  createClient: (platform: RunningLocalPlatform) => DemoTaskClient = createDemoClient,
): Promise<number> {
  const print = options.print ?? ((text: string): void => console.log(text));
  const stopSignal = options.until ?? (options.once === true ? undefined : waitForSignal());
  const { scheduleSpeed, ...platformOptions } = options;
  const accelerated = scheduleSpeed !== undefined && scheduleSpeed !== 1 && options.scheduleClock === undefined;
  const platform = await startLocalPlatform({
    ...platformOptions,
    ...(accelerated ? { scheduleClock: acceleratedClock(scheduleSpeed) } : {}),
    log: options.log ?? ((line) => print(`[bosun] ${line}`)),
  });
  let exitCode = 0;
  let localConsole: LocalConsole | undefined;
  try {
    print(settingsTable(platform));
    if (accelerated) print(scheduleSpeedLine(platform, scheduleSpeed));
    print(`routing document: ${platform.routingFile} (each valid save is in force at once; an invalid one is reported here)`);
    print(`platform description for the CLI: ${platform.platformFile}`);
    print(`function logs: ${platform.dataDir}/logs/`);
    if (options.console !== false && options.once !== true) {
      localConsole = await startLocalConsole(platform.dataDir, options.consolePort ?? 0, (line) => print(`[bosun] ${line}`));
      print(`Bosun console: ${localConsole.url}`);
    }
    if (options.demo !== false) {
      print('running the demo workload…');
      const s3 = new S3Client({
        region: platform.description.region,
        credentials: LOCAL_CREDENTIALS,
        endpoint: platform.description.endpoints.s3,
        forcePathStyle: true,
      });
      try {
        const results = await runDemo(createClient(platform), {
          s3,
          bucketName: platform.description.outputs[StackOutput.BUCKET_NAME] ?? '',
          ...(options.demoTimeoutMs === undefined ? {} : { timeoutMs: options.demoTimeoutMs }),
        });
        print(demoResultsTable(results));
        const failed = results.filter((result) => !result.ok).length;
        print(failed === 0 ? 'every demo task ended where it should' : `${failed} demo task(s) did not end where they should`);
        if (failed > 0) exitCode = 1;
      } finally {
        s3.destroy();
      }
    }
    if (options.once !== true) {
      print('the platform is running; try `npm run bosun -- status` in another terminal. Ctrl-C stops it.');
      await stopSignal;
      print('draining in-flight tasks and stopping…');
    }
  } finally {
    try {
      await localConsole?.close();
    } finally {
      await platform.stop();
    }
    print('stopped');
  }
  return exitCode;
}
