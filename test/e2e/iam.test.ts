import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { StackOutput, type TaskStateItem } from '../../lib/contract';
import type { TaskClient } from '../../lib/sdk/task-client';
import { LOCAL_CREDENTIALS } from '../../local/emulators';
import type { IamDenial } from '../../local/iam/iam-gateway';
import { type RunningLocalPlatform, startLocalPlatform } from '../../local/local-platform';
import { createPlatformTaskClient } from '../../local/platform-client';

// The local platform runs a fixture app: the real Bosun app, synthesized for real, with one grant removed from every
// consumer through CDK's escape hatch (s3:PutObject on task-results/*). Its cdk.json lives in a folder of its own;
// the consumers' code and bundles are the project's.
const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
const DATA_DIR = path.join(PROJECT_ROOT, '.bosun', 'e2e-iam');
const FIXTURE_APP = path.join(__dirname, 'fixtures', 'app-without-result-grant.ts');
const run = promisify(execFile);

let platform: RunningLocalPlatform;
let client: TaskClient;
let s3: S3Client;
let fixtureRoot: string;

jest.setTimeout(180_000);

beforeAll(async () => {
  fixtureRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-iam-app-'));
  const cdkJson = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as { context?: unknown };
  const tsx = path.join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx');
  fs.writeFileSync(path.join(fixtureRoot, 'cdk.json'), JSON.stringify({ app: `${tsx} ${FIXTURE_APP}`, context: cdkJson.context }));
  fs.symlinkSync(path.join(PROJECT_ROOT, 'node_modules'), path.join(fixtureRoot, 'node_modules'));
  platform = await startLocalPlatform({
    projectRoot: fixtureRoot,
    dataDir: DATA_DIR,
    forceSynth: true,
    visibilityTimeoutSeconds: 2,
    maxConcurrency: 2,
    functionTimeoutSeconds: 20,
  });
  client = createPlatformTaskClient(platform);
  s3 = new S3Client({
    region: platform.description.region,
    credentials: LOCAL_CREDENTIALS,
    endpoint: platform.description.endpoints.s3,
    forcePathStyle: true,
  });
}, 180_000);

afterAll(async () => {
  s3?.destroy();
  await platform?.stop();
  if (fixtureRoot !== undefined) fs.rmSync(fixtureRoot, { recursive: true, force: true });
});

async function waitForStatus(taskId: string, statuses: readonly string[], timeoutMs: number): Promise<TaskStateItem> {
  const deadline = Date.now() + timeoutMs;
  let item: TaskStateItem | undefined;
  while (Date.now() < deadline) {
    item = await client.getTask(taskId);
    if (item !== undefined && statuses.includes(item.status)) return item;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`task ${taskId} did not reach ${statuses.join('/')} (last status: ${item?.status ?? 'none'})`);
}

describe('IAM on the local platform, with a grant removed from the construct', () => {
  // The runtime records a task whose result cannot be stored as succeeded without it (executor.ts: the handler's side
  // effects already happened, so running it again would be worse); what fails is the write of the result, as in AWS.
  it('denies the write of a large result its role may not write: AccessDenied in the function log and in the task state, no result stored', async () => {
    const rows = Array.from({ length: 400 }, (_, index) => ({ index, text: 'r'.repeat(100) }));
    const bucket = platform.description.outputs[StackOutput.BUCKET_NAME]!;
    const { taskId } = await client.publish('report.render', { title: 'Large result', rows, includeRows: true });

    const item = await waitForStatus(taskId, ['succeeded', 'dead'], 120_000);
    const consumer = platform.consumers.find((candidate) => candidate.queueName.endsWith(`-${item.queue}`));
    const functionLog = fs.readFileSync(path.join(DATA_DIR, 'logs', `${consumer?.functionName ?? 'unknown'}.log`), 'utf8');
    const denials = fs
      .readFileSync(path.join(DATA_DIR, 'logs', 'iam-denials.log'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as IamDenial);
    const written = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `task-results/${taskId}` }));
    const resultError = functionLog
      .split('\n')
      .filter((line) => line.includes(taskId))
      .map((line) => JSON.parse(line) as { message: string; reason?: string })
      .find((entry) => entry.message.startsWith('the result could not be stored'));
    const key = `task-results/${taskId}.json`;

    expect(resultError?.reason).toMatch(
      new RegExp(`could not be written to s3://${bucket}/${key} \\(AccessDenied: .*is not authorized to perform: s3:PutObject on resource: arn:aws:s3:::${bucket}/${key}`),
    );
    expect(item.status).toBe('succeeded');
    expect(item.resultNotStored).toEqual({ reason: resultError?.reason });
    expect(denials).toContainEqual(
      expect.objectContaining({
        action: 's3:PutObject',
        resource: `arn:aws:s3:::${bucket}/task-results/${taskId}.json`,
        caller: consumer?.functionName,
        reason: 'no-allow',
      }),
    );
    expect(written.KeyCount ?? 0).toBe(0);
    expect(item).not.toHaveProperty('resultRef');
    expect(item).not.toHaveProperty('result');
  });

  it('still runs a task with a small result, and `bosun status` counts the denials', async () => {
    const { taskId } = await client.publish('report.render', { title: 'Small', rows: [1, 2, 3] });

    const item = await waitForStatus(taskId, ['succeeded'], 60_000);
    const { stdout } = await run(
      path.join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx'),
      [path.join(PROJECT_ROOT, 'cli', 'main.ts'), 'status', '--no-tasks', '--data-dir', DATA_DIR, '--json'],
      { cwd: PROJECT_ROOT, env: { ...process.env, NO_COLOR: '1' } },
    );
    const status = JSON.parse(stdout) as { iam?: { enforced: boolean; denials: number } };

    expect(item.result).toEqual({ title: 'Small', rowCount: 3 });
    expect(status.iam?.enforced).toBe(true);
    expect(status.iam?.denials).toBe(platform.iam?.denials());
    expect(status.iam?.denials).toBeGreaterThanOrEqual(1);
  });
});
