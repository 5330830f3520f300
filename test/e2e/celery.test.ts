import { GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { celeryDestination } from '../../lib/aws/destinations';
import { type RoutingDocument, StackOutput, type TaskStateItem, queueOutputKey } from '../../lib/contract';
import { taskClientOptionsFromPlatform } from '../../lib/sdk/platform-options';
import { createTaskClient, type TaskClient } from '../../lib/sdk/task-client';
import { LOCAL_CREDENTIALS } from '../../local/emulators';
import { type RunningLocalPlatform, startLocalPlatform } from '../../local/local-platform';
import { type CeleryWorker, runCeleryProducer, startCeleryWorker } from '../support/celery/celery-harness';
import { E2E_CELERY_QUEUE } from './fixtures/app-with-celery-queue';
import { E2E_CELERY_TASKS } from './fixtures/celery-consumer';

// The local platform runs a fixture app whose definition names a Celery queue (`celeryQueue`) and whose consumer has
// the Celery wiring on; a real Celery 5.2 worker (Debian's python3) reads that queue. IAM is enforced, so a hand-over
// by the consumer passes only with the template's grant on the queue's ARN.
const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
const DATA_DIR = path.join(PROJECT_ROOT, '.bosun', 'e2e-celery');
const FIXTURE_APP = path.join(__dirname, 'fixtures', 'app-with-celery-queue.ts');

let fixtureRoot: string;
let platform: RunningLocalPlatform;
let worker: CeleryWorker;
let sqs: SQSClient;
let client: TaskClient;

jest.setTimeout(180_000);

beforeAll(async () => {
  fixtureRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-celery-app-'));
  const cdkJson = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as { context?: unknown };
  const tsx = path.join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx');
  fs.writeFileSync(path.join(fixtureRoot, 'cdk.json'), JSON.stringify({ app: `${tsx} ${FIXTURE_APP}`, context: cdkJson.context }));
  fs.symlinkSync(path.join(PROJECT_ROOT, 'node_modules'), path.join(fixtureRoot, 'node_modules'));
  fs.rmSync(path.join(DATA_DIR, 'routing.json'), { force: true });
  platform = await startLocalPlatform({
    projectRoot: fixtureRoot,
    dataDir: DATA_DIR,
    forceSynth: true,
    visibilityTimeoutSeconds: 2,
    maxConcurrency: 2,
    functionTimeoutSeconds: 20,
  });
  worker = await startCeleryWorker({ platform: platform.description, queueName: E2E_CELERY_QUEUE, tasks: { 'tasks.greet': 'greet' } });
  sqs = new SQSClient({ region: platform.description.region, credentials: LOCAL_CREDENTIALS, endpoint: platform.description.endpoints.sqs });
  const celery = celeryDestination({
    name: 'celery',
    queueUrl: platform.description.outputs[StackOutput.CELERY_QUEUE_URL]!,
    sqs,
    tasks: E2E_CELERY_TASKS,
    holdQueue: 'default',
  });
  client = createTaskClient(taskClientOptionsFromPlatform({ platformFile: platform.platformFile, destinations: [celery] }));
}, 180_000);

afterAll(async () => {
  await worker?.stop();
  sqs?.destroy();
  await platform?.stop();
  if (fixtureRoot !== undefined) fs.rmSync(fixtureRoot, { recursive: true, force: true });
});

async function waitForStatus(taskId: string, statuses: readonly string[], timeoutMs = 60_000): Promise<TaskStateItem> {
  const deadline = Date.now() + timeoutMs;
  let item: TaskStateItem | undefined;
  while (Date.now() < deadline) {
    item = await client.getTask(taskId);
    if (item !== undefined && statuses.includes(item.status)) return item;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`task ${taskId} did not reach ${statuses.join('/')} (last status: ${item?.status ?? 'none'})`);
}

/** Saves the routing document, waits until the platform has put it in force, and past the sources' 500 ms re-check. */
async function writeRouting(document: RoutingDocument): Promise<void> {
  const text = `${JSON.stringify(document, null, 2)}\n`;
  fs.writeFileSync(platform.routingFile, text);
  const deadline = Date.now() + 10_000;
  while (fs.readFileSync(platform.inForceRoutingFile, 'utf8') !== text && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await new Promise((resolve) => setTimeout(resolve, 1_000));
}

describe('the Celery queue on the local platform', () => {
  it('creates the queue the definition names in the local SQS, and platform.json gives its local URL', async () => {
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: E2E_CELERY_QUEUE }));
    const described = JSON.parse(fs.readFileSync(platform.platformFile, 'utf8')) as { outputs: Record<string, string> };

    expect(described.outputs[StackOutput.CELERY_QUEUE_URL]).toBe(QueueUrl);
    expect(platform.celeryQueue).toMatchObject({ queueName: E2E_CELERY_QUEUE, url: QueueUrl });
  });

  it('runs a task on the Celery worker while the routing file says celery, and in Bosun once flipped back', async () => {
    const original = JSON.parse(fs.readFileSync(platform.routingFile, 'utf8')) as RoutingDocument;
    const onCelery: RoutingDocument = { ...original, rules: [{ id: 'email-on-celery', tasks: ['email.send'], destination: 'celery' }] };
    let queued: { taskId: string };
    let direct: { taskId: string; destination: string };
    try {
      // Queued in Bosun, then flipped: the consumer re-checks the route and hands it to Celery (as its IAM role).
      queued = await client.publish('email.send', { to: 'ada@example.com', subject: 'Queued' }, { delaySeconds: 3 });
      await writeRouting(onCelery);
      expect((await waitForStatus(queued.taskId, ['rerouted'])).route.destination).toBe('celery');
      // Published while flipped: straight to the Celery queue.
      direct = await client.publish('email.send', { to: 'grace@example.com', subject: 'Direct' });
      expect(direct.destination).toBe('celery');

      const runs = await worker.waitForRuns(2, { where: (run) => [queued.taskId, direct.taskId].includes(run.id) });
      expect(runs.map((run) => [run.id, run.task, run.args, run.kwargs])).toEqual(
        expect.arrayContaining([
          [queued.taskId, 'tasks.greet', ['ada@example.com'], { subject: 'Queued' }],
          [direct.taskId, 'tasks.greet', ['grace@example.com'], { subject: 'Direct' }],
        ]),
      );
    } finally {
      await writeRouting(original);
    }

    const back = await client.publish('email.send', { to: 'ada@example.com', subject: 'Back' });
    expect(back.destination).toBe('default');
    expect((await waitForStatus(back.taskId, ['succeeded'])).status).toBe('succeeded');
    expect(worker.runs().map((run) => run.id).filter((id) => [queued.taskId, direct.taskId, back.taskId].includes(id))).toHaveLength(2);
    expect(platform.iam?.denials()).toBe(0);
  });

  it("runs a Celery producer's delay() sent to the Bosun queue in Bosun (the consumer's Celery intake), under its Celery id", async () => {
    const defaultQueueUrl = platform.description.outputs[queueOutputKey('default', StackOutput.QUEUE_URL_SUFFIX)]!;
    const [id] = await runCeleryProducer({
      platform: platform.description,
      queueName: defaultQueueUrl.slice(defaultQueueUrl.lastIndexOf('/') + 1),
      sends: [{ task: 'tasks.greet', args: ['ada@example.com'], kwargs: { subject: 'From Celery' }, delay: true }],
    });

    const item = await waitForStatus(id!, ['succeeded']);
    expect(item).toMatchObject({ taskName: 'email.send', status: 'succeeded' });
    expect(worker.runs().filter((run) => run.id === id)).toHaveLength(0);
  });
});
