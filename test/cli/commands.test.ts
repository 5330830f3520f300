import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { parseEnvelope } from '../../lib/contract';
import { type TestPlatform, aDeadTask, anEnvelope, bosun, createTestPlatform, getTaskState, putTaskState } from './support';

const ROUTING = {
  version: 1,
  defaultDestination: 'default',
  rules: [
    { id: 'reports-to-bulk', description: 'reports are heavy', tasks: ['report.*'], destination: 'bulk' },
    { id: 'acme-canary', tasks: ['email.send'], context: { tenant: ['acme'] }, destination: 'bulk' },
  ],
};

describe('bosun commands against the emulators', () => {
  let platform: TestPlatform;

  beforeAll(async () => {
    platform = await createTestPlatform('cmd');
    await writeFile(platform.routingFile, JSON.stringify(ROUTING));
  });

  afterAll(async () => {
    await platform.destroy();
  });

  describe('publish, task and status', () => {
    // A dedup key makes the publish write the task's first state record (without one, the consumer's claim does).
    it('publishes through the SDK, routes by the routing file, and the task and status commands show it', async () => {
      const published = await bosun([
        'publish', 'report.render', '--payload', '{"title":"Q3","rows":[1,2,3]}', '--context', 'tenant=acme', '--dedup-key', 'report-3-pages',
        '--data-dir', platform.dataDir, '--json',
      ]);

      expect(published.code).toBe(0);
      const report = JSON.parse(published.stdout) as { taskId: string; destination: string; ruleId: string; status: string };
      expect(report).toMatchObject({ task: 'report.render', destination: 'bulk', ruleId: 'reports-to-bulk', status: 'queued' });
      const task = await bosun(['task', report.taskId, '--data-dir', platform.dataDir]);
      expect(task.code).toBe(0);
      expect(task.stdout).toMatch(/│ status\s+│ queued\s+│/);
      expect(task.stdout).toMatch(/│ route\s+│ bulk \(rule reports-to-bulk\)\s+│/);

      const status = await bosun(['status', '--data-dir', platform.dataDir, '--json']);
      expect(status.code).toBe(0);
      const parsed = JSON.parse(status.stdout) as {
        queues: { name: string; visible: number; oldestWaitingTaskId?: string; dlq: { depth: number } }[];
        tasks: { byStatus: Record<string, number>; scanned: boolean };
      };
      expect(parsed.queues.find((queue) => queue.name === 'bulk')).toMatchObject({
        visible: 1,
        oldestWaitingTaskId: report.taskId,
        dlq: { depth: 0 },
      });
      expect(parsed.tasks).toMatchObject({ scanned: true, byStatus: { queued: 1 } });

      const received = await platform.clients.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: platform.queues.bulk.url, WaitTimeSeconds: 1, VisibilityTimeout: 0 }),
      );
      expect(parseEnvelope(received.Messages![0]!.Body!)).toMatchObject({
        id: report.taskId,
        task: 'report.render',
        payload: { title: 'Q3', rows: [1, 2, 3] },
        context: { tenant: 'acme' },
        route: { destination: 'bulk', ruleId: 'reports-to-bulk' },
      });
    });

    it('prints the payload file problem as a usage error without sending anything', async () => {
      const result = await bosun(['publish', 'email.send', '--payload', '{to:', '--data-dir', platform.dataDir]);

      expect(result.code).toBe(2);
      expect(result.stderr).toBe('error: --payload must be JSON or @file holding JSON (inline JSON of 4 bytes is not valid JSON)\n');
    });

    it('rejects --delay together with --eta', async () => {
      const result = await bosun([
        'publish', 'email.send', '--payload', '{"to":"a@example.com","subject":"Hi"}', '--delay', '5', '--eta', '2030-01-01T00:00:00Z', '--data-dir', platform.dataDir,
      ]);

      expect(result.code).toBe(2);
      expect(result.stderr).toContain("error: option '--delay <seconds>' cannot be used with option '--eta <iso>'");
    });

    it('shows a dead task with its last error and reason, and counts it in status', async () => {
      const envelope = anEnvelope({ id: '01JD7X3Q4J8ZP7N3R5W6Y9K2E1', task: 'demo.flaky' });
      await putTaskState(platform, aDeadTask(envelope));

      const task = await bosun(['task', envelope.id, '--data-dir', platform.dataDir]);
      const json = await bosun(['task', envelope.id, '--data-dir', platform.dataDir, '--json']);
      const status = await bosun(['status', '--data-dir', platform.dataDir]);

      expect(task.stdout).toMatch(/│ last error\s+│ FlakyError: not yet\s+│/);
      expect(task.stdout).toMatch(/│ dead reason\s+│ attempts-exhausted\s+│/);
      expect(task.stdout).toMatch(/│ attempts\s+│ 3\s+│/);
      expect(JSON.parse(json.stdout)).toEqual(await getTaskState(platform, envelope.id));
      expect(status.stdout).toMatch(/│ dead\s+│ 1\s+│/);
    });

    it('exits 1 for a task id with no state item, saying a task not yet claimed looks the same as an unknown id', async () => {
      const result = await bosun(['task', '01JD7X3Q4J8ZP7N3R5W6Y9K2ZZ', '--data-dir', platform.dataDir]);

      expect(result.code).toBe(1);
      expect(result.stderr).toBe(
        `error: no state is recorded for task 01JD7X3Q4J8ZP7N3R5W6Y9K2ZZ in table ${platform.tableName}: a task published ` +
          'without a dedup key or a far ETA gets its first record when a consumer claims it, so a task published a moment ' +
          'ago may have none yet; an unknown id looks the same\n',
      );
    });

    it('shows DLQ depth and in-flight counts per queue', async () => {
      await platform.clients.sqs.send(new SendMessageCommand({ QueueUrl: platform.queues.default.dlqUrl, MessageBody: '{}' }));
      await platform.clients.sqs.send(new SendMessageCommand({ QueueUrl: platform.queues.default.url, MessageBody: '{}', DelaySeconds: 60 }));

      const status = await bosun(['status', '--no-tasks', '--data-dir', platform.dataDir, '--json']);

      const parsed = JSON.parse(status.stdout) as { queues: { name: string }[]; tasks: { scanned: boolean } };
      expect(parsed.queues.find((queue) => queue.name === 'default')).toMatchObject({ delayed: 1, dlq: { depth: 1 } });
      expect(parsed.queues.find((queue) => queue.name === 'default')).not.toHaveProperty('oldestWaitingAgeMs');
      expect(parsed.tasks.scanned).toBe(false);
    });

    it('counts the calls IAM denied on a local platform that enforces it, and says when it does not', async () => {
      const file = path.join(platform.dataDir, 'platform.json');
      const original = await readFile(file, 'utf8');
      const denialLog = path.join(platform.dataDir, 'logs', 'iam-denials.log');
      await mkdir(path.dirname(denialLog), { recursive: true });
      await writeFile(denialLog, '{"role":"r","action":"s3:PutObject","resource":"arn:aws:s3:::b/k"}\n{"role":"r","action":"sqs:SendMessage","resource":"q"}\n');
      const describe = (iam: unknown): Promise<void> => writeFile(file, JSON.stringify({ ...(JSON.parse(original) as object), iam }));
      try {
        await describe({ enforced: true, denialLog: path.join('logs', 'iam-denials.log') });
        const human = await bosun(['status', '--no-tasks', '--data-dir', platform.dataDir]);
        const json = await bosun(['status', '--no-tasks', '--data-dir', platform.dataDir, '--json']);
        await describe({ enforced: false });
        const off = await bosun(['status', '--no-tasks', '--data-dir', platform.dataDir]);

        expect(human.stdout).toContain(`IAM: enforced from the template; 2 call(s) denied (see ${denialLog})`);
        expect((JSON.parse(json.stdout) as { iam: unknown }).iam).toEqual({ enforced: true, denials: 2, denialLog });
        expect(off.stdout).toContain('IAM: not enforced (started with --no-iam)');
      } finally {
        await writeFile(file, original);
      }
    });
  });

  describe('flags', () => {
    it('shows the routing file with its rules', async () => {
      const result = await bosun(['flags', 'show', '--data-dir', platform.dataDir]);

      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`routing document from ${platform.routingFile}`);
      expect(result.stdout).toMatch(/│ 0 │ reports-to-bulk │ tasks report\.\* +│ bulk +│ reports are heavy │/);
    });

    it('fits the rules table to the terminal, wrapping long descriptions without cutting them', async () => {
      const description = 'reports are heavy and slow, so they go to the bulk queue whose consumer has more memory and time';
      await writeFile(platform.routingFile, JSON.stringify({ ...ROUTING, rules: [{ ...ROUTING.rules[0], description }, ROUTING.rules[1]] }));

      const result = await bosun(['flags', 'show', '--data-dir', platform.dataDir], {}, 80);
      await writeFile(platform.routingFile, JSON.stringify(ROUTING));

      expect(result.code).toBe(0);
      expect(Math.max(...result.stdout.split('\n').map((line) => line.length))).toBeLessThanOrEqual(80);
      const descriptionCells = result.stdout
        .split('\n')
        .filter((line) => line.startsWith('│'))
        .map((line) => line.split('│')[5]?.trim() ?? '')
        .join('');
      expect(descriptionCells.replace(/\s+/g, '')).toContain(description.replace(/\s+/g, ''));
    });

    it('wraps the problems of an invalid file to the terminal', async () => {
      const file = path.join(platform.dataDir, 'narrow.json');
      await writeFile(file, JSON.stringify({ version: 1, defaultDestination: 'default', rules: [{ id: 'a', destination: 'bulk', percentage: 150 }] }));

      const result = await bosun(['flags', 'validate', file], {}, 40);

      expect(result.code).toBe(1);
      expect(result.stdout).toContain('INVALID');
      const tableLines = result.stdout.split('\n').filter((line) => /^[│┌└├]/.test(line));
      expect(Math.max(...tableLines.map((line) => line.length))).toBeLessThanOrEqual(40);
      expect(tableLines.join('\n')).toMatch(/│ \/rules\/0\/percent │ must be <= 100 \( │\n│ age +│ given 150\) +│/);
    });

    it('explains a decision with the rule that made it', async () => {
      const json = await bosun(['flags', 'explain', 'email.send', '--context', 'tenant=acme', '--data-dir', platform.dataDir, '--json']);
      const text = await bosun(['flags', 'explain', 'email.send', '--data-dir', platform.dataDir]);

      expect(json.code).toBe(0);
      expect(JSON.parse(json.stdout)).toMatchObject({
        decision: { destination: 'bulk', ruleId: 'acme-canary', reason: 'rule "acme-canary" matched' },
        rule: { id: 'acme-canary' },
      });
      expect(text.stdout).toContain('decided by: the default destination');
      expect(text.stdout).toContain('why: no rule matched; the default destination applies');
    });

    it('validates a file and exits 1 listing every problem', async () => {
      const file = path.join(platform.dataDir, 'broken.json');
      await writeFile(
        file,
        JSON.stringify({
          version: 1,
          defaultDestination: 'default',
          rules: [
            { id: 'a', destination: 'bulk', percentage: 150 },
            { id: 'b', destination: 'bulk', percentage: -1 },
          ],
        }),
      );

      const result = await bosun(['flags', 'validate', file, '--json']);

      expect(result.code).toBe(1);
      expect(JSON.parse(result.stdout)).toEqual({
        source: file,
        valid: false,
        problems: [
          { path: '/rules/0/percentage', message: 'must be <= 100 (given 150)' },
          { path: '/rules/1/percentage', message: 'must be >= 0 (given -1)' },
        ],
        customDestinations: [],
      });
    });

    it("validates the platform's own routing file when no file is given, naming custom destinations", async () => {
      await writeFile(
        platform.routingFile,
        JSON.stringify({ ...ROUTING, rules: [...ROUTING.rules, { id: 'to-legacy', tasks: ['legacy.*'], destination: 'legacy' }] }),
      );

      const result = await bosun(['flags', 'validate', '--data-dir', platform.dataDir]);
      await writeFile(platform.routingFile, JSON.stringify(ROUTING));

      expect(result.code).toBe(0);
      expect(result.stdout).toBe(
        `${platform.routingFile}: valid\ncustom destinations (not queues of this platform; the consumers must register them): legacy\n`,
      );
    });

    it('says which file is missing', async () => {
      const result = await bosun(['flags', 'validate', '/nonexistent/routing.json']);

      expect(result.code).toBe(1);
      expect(result.stderr).toBe('error: routing document from /nonexistent/routing.json cannot be read (ENOENT)\n');
    });
  });

  // Last: a --no-validate publish leaves a message on the default queue that earlier tests' counts do not expect.
  describe('publish validates payloads against the task declarations', () => {
    it('exits 2 naming each schema problem of an invalid payload of an example task, and sends nothing', async () => {
      const result = await bosun(['publish', 'email.send', '--payload', '{"to":"a@example.com"}', '--data-dir', platform.dataDir, '--json']);

      expect(result.code).toBe(2);
      expect(JSON.parse(result.stdout)).toEqual({
        error: { name: 'PayloadInvalidError', message: expect.stringContaining('payload of task "email.send" does not match its schema: subject:') },
      });
      const received = await platform.clients.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: platform.queues.default.url, WaitTimeSeconds: 0, VisibilityTimeout: 0 }),
      );
      expect(received.Messages ?? []).toHaveLength(0);
    });

    it('exits 2 for a task that is not declared, listing the known tasks and --no-validate', async () => {
      const result = await bosun(['publish', 'emial.send', '--payload', '{}', '--data-dir', platform.dataDir]);

      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(
        /^error: task "emial\.send" is not declared in the example tasks, so its payload cannot be validated \(known: email\.send, report\.render, demo\.flaky, .*\); check the name, name the module that declares it with --tasks, or pass --no-validate to publish it unvalidated/,
      );
    });

    it('publishes an undeclared task with --no-validate, warning that the payload was not checked', async () => {
      const result = await bosun([
        'publish', 'billing.charge', '--payload', '{"cents":5}', '--no-validate', '--data-dir', platform.dataDir, '--json',
      ]);

      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ task: 'billing.charge', destination: 'default', status: 'queued' });
      expect(result.stderr).toBe(
        'warning: the payload of billing.charge is not validated (--no-validate): a payload its consumer rejects, or a ' +
          'task no consumer runs, ends in the DLQ\n',
      );
    });
  });
});
