/**
 * Fault-injection run (`npm run chaos`): drives the local platform with a seeded mix of tasks while a proxy injects
 * transient errors, lost responses and duplicate sends, invocations are killed, routes flip and the DLQ is redriven;
 * then reports, Jepsen-style, whether every task ran, retried or landed in a DLQ with its reason and its state says
 * which. See docs/chaos.md.
 *
 * Run: `npm run chaos -- [--tasks N] [--seed N] [--rate N] [--fault-rate P] [--producer-faults T,L,D]
 * [--consumer-faults T,L,D] [--crash-every S] [--flip-every S] [--max-concurrency N] [--no-iam] [--json]`.
 * Exit code 0 only when lost, wrong state, DLQ entries without a reason and unexplained duplicate runs are all 0.
 */
import { DEFAULT_CHAOS_OPTIONS, type ChaosOptions, runChaos } from './chaos/engine';
import type { FaultRates } from './chaos/fault-proxy';
import { renderChaosReport } from './chaos/report';

function parseArgs(argv: readonly string[]): { options: Partial<ChaosOptions>; json: boolean } {
  const value = (flag: string): string | undefined => {
    const index = argv.indexOf(flag);
    return index === -1 ? undefined : argv[index + 1];
  };
  const number = (flag: string, check: (n: number) => boolean, what: string): number | undefined => {
    const raw = value(flag);
    if (raw === undefined) return undefined;
    const parsed = Number(raw);
    if (!check(parsed)) throw new Error(`${flag} must be ${what} (given ${raw})`);
    return parsed;
  };
  const positiveInt = (n: number): boolean => Number.isInteger(n) && n > 0;
  const share = (n: number): boolean => n >= 0 && n <= 1;
  const rates = (flag: string): FaultRates | undefined => {
    const raw = value(flag);
    if (raw === undefined) return undefined;
    const parts = raw.split(',').map(Number);
    if (parts.length !== 3 || !parts.every(share) || parts.reduce((a, b) => a + b, 0) > 1) {
      throw new Error(`${flag} must be three shares transient,lost,duplicate each 0 – 1, summing to at most 1 (given ${raw})`);
    }
    return { transientError: parts[0]!, lostResponse: parts[1]!, duplicateSend: parts[2]! };
  };
  const all = number('--fault-rate', share, 'a share 0 – 1 applied to transient errors and lost responses');
  const uniform = all === undefined ? undefined : { transientError: all, lostResponse: all, duplicateSend: all / 2 };
  const producerFaults = rates('--producer-faults') ?? uniform;
  const consumerFaults = rates('--consumer-faults') ?? uniform;
  const entries: Array<[keyof ChaosOptions, unknown]> = [
    ['tasks', number('--tasks', positiveInt, 'a positive integer')],
    ['seed', number('--seed', Number.isInteger, 'an integer')],
    ['publishRatePerSecond', number('--rate', (n) => n > 0, 'a positive number')],
    ['crashEverySeconds', number('--crash-every', (n) => n >= 0, 'seconds, 0 for never')],
    ['flipEverySeconds', number('--flip-every', (n) => n >= 0, 'seconds, 0 for never')],
    ['maxConcurrency', number('--max-concurrency', positiveInt, 'a positive integer')],
    ['quietTimeoutSeconds', number('--quiet-timeout', positiveInt, 'seconds')],
    ['producerFaults', producerFaults],
    ['consumerFaults', consumerFaults],
  ];
  if (argv.includes('--no-iam')) entries.push(['iam', false]);
  const options = Object.fromEntries(entries.filter(([, entry]) => entry !== undefined)) as Partial<ChaosOptions>;
  return { options, json: argv.includes('--json') };
}

async function main(): Promise<void> {
  const { options, json } = parseArgs(process.argv.slice(2));
  const tasks = options.tasks ?? DEFAULT_CHAOS_OPTIONS.tasks;
  const report = await runChaos({
    ...options,
    // Longer runs need longer to drain: 5 minutes plus a minute per 10,000 tasks.
    quietTimeoutSeconds: options.quietTimeoutSeconds ?? 300 + Math.ceil(tasks / 10_000) * 60,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(json ? `${JSON.stringify(report, null, 2)}\n` : renderChaosReport(report));
  process.exitCode = report.passed ? 0 : 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`chaos run failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
