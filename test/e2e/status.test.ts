import * as path from 'node:path';
import { createCliClients } from '../../cli/clients';
import type { Platform } from '../../cli/platform';
import type { StatusReport } from '../../cli/status';
import { STATUS_AWS_ACCESS } from '../../lib/contract';
import { type RunningLocalPlatform, startLocalPlatform } from '../../local/local-platform';
import { bosun } from '../cli/support';

// bosun status against a local platform of its own (its queues get paused), with 2 s long polls so a pause reports
// Disabled within about 2 s.
const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
const DATA_DIR = path.join(PROJECT_ROOT, '.bosun', 'e2e-status');

let platform: RunningLocalPlatform;

jest.setTimeout(180_000);

beforeAll(async () => {
  platform = await startLocalPlatform({ projectRoot: PROJECT_ROOT, dataDir: DATA_DIR, eventSourceWaitTimeSeconds: 2, maxConcurrency: 2 });
}, 180_000);

afterAll(async () => {
  await platform?.stop();
});

const cli = (...args: string[]): ReturnType<typeof bosun> => bosun([...args, '--data-dir', DATA_DIR]);

async function status(): Promise<StatusReport> {
  const result = await cli('status', '--json');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as StatusReport;
}

describe('bosun status against the local platform', () => {
  it('shows each queue enabled, paused after bosun pause, and enabled again after bosun resume', async () => {
    expect((await status()).queues.map((q) => [q.name, q.consumption])).toEqual([
      ['default', 'enabled'],
      ['bulk', 'enabled'],
    ]);

    expect((await cli('pause', 'default')).code).toBe(0);
    try {
      const paused = await status();
      expect(paused.queues.map((q) => [q.name, q.consumption])).toEqual([
        ['default', 'paused'],
        ['bulk', 'enabled'],
      ]);
      expect(paused.queues[0]!.mappings).toEqual([{ uuid: expect.any(String), state: 'Disabled' }]);
      const table = await cli('status', '--no-tasks');
      expect(table.stdout).toMatch(/│ consumers +│/);
      expect(table.stdout).toMatch(/│ default +│.*│ paused +│/);
    } finally {
      expect((await cli('resume', 'default')).code).toBe(0);
    }
    expect((await status()).queues.map((q) => q.consumption)).toEqual(['enabled', 'enabled']);
  });

  it('calls only what STATUS_AWS_ACCESS grants, on the resources it names', async () => {
    // GIVEN the CLI's own clients, recording each call's IAM action and resource
    const calls: Array<{ action: string; resource: string }> = [];
    let described: Platform | undefined;
    const recording = (target: Platform) => {
      described = target;
      const clients = createCliClients(target);
      const record = (service: string, client: { middlewareStack: { add: (...args: never[]) => void } }): void => {
        (client.middlewareStack.add as (middleware: unknown, options: unknown) => void)(
          (next: (args: { input: Record<string, unknown> }) => Promise<unknown>, context: { commandName?: string }) =>
            async (args: { input: Record<string, unknown> }) => {
              const input = args.input;
              calls.push({
                action: `${service}:${(context.commandName ?? '').replace(/Command$/, '')}`,
                resource: String(input['QueueUrl'] ?? input['TableName'] ?? '*'),
              });
              return next(args);
            },
          { step: 'initialize', name: 'recordStatusCalls' },
        );
      };
      record('sqs', clients.sqs as never);
      record('dynamodb', clients.dynamodb as never);
      record('lambda', clients.lambda as never);
      return clients;
    };

    // WHEN bosun status runs
    const result = await bosun(['status', '--json', '--data-dir', DATA_DIR], { createClients: recording });

    // THEN every call is in the list, on a queue, DLQ or the schedules' DLQ of the platform, or its table
    expect(result.code).toBe(0);
    const queues = new Set([...described!.queues.flatMap((q) => [q.url, q.dlqUrl!]), described!.schedulesDlqUrl!]);
    const byAction = (prefix: string) => calls.filter((call) => call.action.startsWith(prefix));
    expect(new Set(byAction('sqs:').map((call) => call.action))).toEqual(new Set(STATUS_AWS_ACCESS.queues));
    expect(new Set(byAction('sqs:').map((call) => call.resource))).toEqual(queues);
    expect(byAction('dynamodb:')).toEqual([{ action: STATUS_AWS_ACCESS.table[0], resource: described!.tableName }]);
    // Locally there is no CloudWatch: the mapping states are the only call IAM cannot scope.
    expect(new Set(byAction('lambda:').map((call) => call.action))).toEqual(new Set(STATUS_AWS_ACCESS.anyResource.filter((a) => a.startsWith('lambda:'))));
    expect(calls.every((call) => /^(sqs|dynamodb|lambda):/.test(call.action))).toBe(true);
  });
});
