import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { type TaskEnvelope, parseEnvelope } from '../../lib/contract';
import { type TestPlatform, createTestPlatform } from './support';

const fixture = (file: string): string => path.join(__dirname, 'fixtures', file);

/**
 * Runs the compiled CLI (`npm ci` builds it) in its own Node process, as `npx bosun` does: the user's module is loaded
 * by Node itself (jest's module loader would stand in for it in-process, and it cannot load ES modules).
 */
function bosun(args: readonly string[]): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [path.resolve('dist/cli/main.js'), ...args], { encoding: 'utf8', timeout: 30_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('bosun publish --tasks <module>', () => {
  let platform: TestPlatform;

  beforeAll(async () => {
    platform = await createTestPlatform('taskmod');
  });

  afterAll(async () => {
    await platform.destroy();
  });

  /** Receives and deletes what the default queue holds now. */
  async function takeMessages(): Promise<TaskEnvelope[]> {
    const received = await platform.clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: platform.queues.default.url, WaitTimeSeconds: 1, MaxNumberOfMessages: 10 }),
    );
    for (const message of received.Messages ?? []) {
      await platform.clients.sqs.send(new DeleteMessageCommand({ QueueUrl: platform.queues.default.url, ReceiptHandle: message.ReceiptHandle }));
    }
    return (received.Messages ?? []).map((message) => parseEnvelope(message.Body!));
  }

  it.each([
    ['a CommonJS module', 'billing-tasks.js'],
    ['an ES module', 'billing-tasks.mjs'],
    ['a TypeScript module (through tsx)', 'billing-tasks.ts'],
  ])("publishes a task of the user's own, validated against %s", async (_kind, file) => {
    const result = bosun(['publish', 'billing.charge', '--payload', '{"cents":500}', '--tasks', fixture(file), '--data-dir', platform.dataDir, '--json']);

    expect(result).toMatchObject({ code: 0, stderr: '' });
    const { taskId } = JSON.parse(result.stdout) as { taskId: string };
    expect(await takeMessages()).toEqual([expect.objectContaining({ id: taskId, task: 'billing.charge', payload: { cents: 500 } })]);
  });

  it("exits 2 for a payload the module's schema rejects, and sends nothing", async () => {
    const result = bosun(['publish', 'billing.charge', '--payload', '{"cents":-5}', '--tasks', fixture('billing-tasks.js'), '--data-dir', platform.dataDir]);

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^error: payload of task "billing\.charge" does not match its schema: cents: /);
    expect(await takeMessages()).toEqual([]);
  });

  it('finds declarations in arrays the module exports too, and names the module and its tasks for a task it lacks', async () => {
    const refund = bosun(['publish', 'billing.refund', '--payload', '{"chargeId":"ch_1"}', '--tasks', fixture('billing-tasks.js'), '--data-dir', platform.dataDir]);
    const unknown = bosun(['publish', 'email.send', '--payload', '{"to":"a@example.com","subject":"Hi"}', '--tasks', fixture('billing-tasks.js'), '--data-dir', platform.dataDir]);

    expect(refund.code).toBe(0);
    expect(await takeMessages()).toEqual([expect.objectContaining({ task: 'billing.refund' })]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe(
      `error: task "email.send" is not declared in ${fixture('billing-tasks.js')}, so its payload cannot be validated ` +
        '(known: billing.charge, billing.refund); check the name, name the module that declares it with --tasks, or pass ' +
        '--no-validate to publish it unvalidated (the consumer then checks it, and dead-letters it if no consumer runs that task)\n',
    );
  });

  it.each([
    [
      'a module that declares no task, listing its exports',
      fixture('no-tasks.js'),
      `error: --tasks ${fixture('no-tasks.js')} exports no task declarations (defineTask results, or arrays of them); its exports: currency, rates\n`,
    ],
    [
      'a module that does not exist, with the path looked for',
      'missing/tasks.js',
      `error: --tasks missing/tasks.js does not exist (looked for ${path.resolve('missing/tasks.js')})\n`,
    ],
    [
      'a file that is not a module',
      path.join(__dirname, '..', '..', 'package.json'),
      `error: --tasks must name a JavaScript (.js, .cjs, .mjs) or TypeScript (.ts, .cts, .mts) module (given ${path.join(__dirname, '..', '..', 'package.json')})\n`,
    ],
  ])('exits 2 for %s', async (_case, module, message) => {
    const result = bosun(['publish', 'billing.charge', '--payload', '{"cents":1}', '--tasks', module, '--data-dir', platform.dataDir]);

    expect(result).toEqual({ code: 2, stdout: '', stderr: message });
  });

  it('refuses --tasks with --no-validate, which would ignore it', async () => {
    const result = bosun(['publish', 'billing.charge', '--payload', '{"cents":1}', '--tasks', fixture('billing-tasks.js'), '--no-validate', '--data-dir', platform.dataDir]);

    expect(result).toEqual({
      code: 2,
      stdout: '',
      stderr: 'error: --tasks cannot be used with --no-validate: the module is read only to validate the payload\n',
    });
  });
});
