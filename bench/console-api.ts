/**
 * Console API benchmark: what the console server adds on top of the CLI's own platform access. Against the emulators,
 * with a DLQ of N dead messages and their task states, it times each call two ways in the same run:
 * - the baseline: the CLI-level function the endpoint calls (`ConsoleApi.overview()`, which is `collectStatus` plus
 *   the task-table throughput; `listDeadLetters` for the DLQ listing), in-process, no HTTP;
 * - the console: the same answer through `startConsoleServer` over loopback HTTP (security checks, routing, JSON).
 * Each is repeated; the minimum and the median are printed, with the console's overhead against the baseline.
 *
 * Run: `npm run bench:console-api` (options: `--messages N` (200), `--rounds R` (7)).
 */
import { ulid } from 'ulid';
import Table from 'cli-table3';
import { createCliClients } from '../cli/clients';
import { listDeadLetters } from '../cli/dlq';
import { loadLocalPlatform } from '../cli/platform';
import { ConsoleApi } from '../console/server/console-api';
import { startConsoleServer } from '../console/server/console-server';
import { TEST_ENV } from '../test/support/emulator-env';
import { aDeadTask, anEnvelope, createTestPlatform, putTaskState, sendDeadMessage } from '../test/cli/support';
import { startEmulators } from '../local/emulators';

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(name);
  return index === -1 ? fallback : Number(process.argv[index + 1]);
}

async function time(rounds: number, run: () => Promise<unknown>): Promise<number[]> {
  await run();
  const samples: number[] = [];
  for (let round = 0; round < rounds; round += 1) {
    const started = process.hrtime.bigint();
    await run();
    samples.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return samples.sort((a, b) => a - b);
}

const median = (samples: readonly number[]): number => samples[Math.floor(samples.length / 2)]!;

async function main(): Promise<void> {
  const messages = option('--messages', 200);
  const rounds = option('--rounds', 7);
  const emulators = await startEmulators();
  process.env[TEST_ENV.SQS_ENDPOINT] = emulators.sqsEndpoint;
  process.env[TEST_ENV.S3_ENDPOINT] = emulators.s3Endpoint;
  process.env[TEST_ENV.DYNAMODB_ENDPOINT] = emulators.dynamoDbEndpoint;
  process.env[TEST_ENV.REGION] = emulators.region;
  const test = await createTestPlatform('bench-console');
  try {
    for (let index = 0; index < messages; index += 1) {
      const envelope = anEnvelope({ id: ulid(), task: index % 2 === 0 ? 'demo.flaky' : 'demo.reject' });
      await putTaskState(test, aDeadTask(envelope));
      await sendDeadMessage(test, test.queues.default.dlqUrl, envelope, { reason: 'attempts-exhausted', detail: 'failed', attempts: 3 });
    }
    const platform = await loadLocalPlatform(test.dataDir);
    const clients = createCliClients(platform);
    const api = new ConsoleApi({ platform, clients, actionsAllowed: true });
    const server = await startConsoleServer({ platform, clients, actionsAllowed: true });
    const get = async (path: string): Promise<unknown> => {
      const response = await fetch(`http://127.0.0.1:${server.port}${path}`, { headers: { 'X-Bosun-Token': server.token } });
      if (response.status !== 200) throw new Error(`${path} answered ${response.status}: ${await response.text()}`);
      return response.json();
    };
    try {
      const rows = [
        ['overview', await time(rounds, () => api.overview()), await time(rounds, () => get('/api/overview'))],
        [
          `DLQ listing (${messages} messages)`,
          await time(rounds, () => listDeadLetters(platform, clients, 'default', { limit: 1000 })),
          await time(rounds, () => get('/api/dlq/default?limit=1000')),
        ],
      ] as const;
      const table = new Table({ head: ['call', 'baseline min', 'baseline median', 'console min', 'console median', 'overhead (median)'] });
      for (const [label, baseline, viaConsole] of rows) {
        const overhead = median(viaConsole) - median(baseline);
        table.push([
          label,
          `${baseline[0]!.toFixed(1)} ms`,
          `${median(baseline).toFixed(1)} ms`,
          `${viaConsole[0]!.toFixed(1)} ms`,
          `${median(viaConsole).toFixed(1)} ms`,
          `${overhead.toFixed(1)} ms (${((overhead / median(baseline)) * 100).toFixed(1)} %)`,
        ]);
      }
      console.log(`console API against the emulators: ${messages} dead messages, ${rounds} rounds after a warm-up`);
      console.log(table.toString());
    } finally {
      await server.close();
      clients.destroy();
    }
  } finally {
    await test.destroy();
    await emulators.stop();
  }
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
