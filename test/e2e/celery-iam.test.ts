import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RoutingDocument } from '../../lib/contract';
import { LOCAL_CREDENTIALS } from '../../local/emulators';
import type { IamDenial } from '../../local/iam/iam-gateway';
import { type RunningLocalPlatform, startLocalPlatform } from '../../local/local-platform';
import { createPlatformTaskClient } from '../../local/platform-client';
import { E2E_CELERY_QUEUE, WITHOUT_CELERY_GRANT } from './fixtures/app-with-celery-queue';

// The Celery fixture app with the consumer's sqs:SendMessage on the Celery queue removed: the local platform denies
// the hand-over as AWS would, so the grant `TaskConsumer.bindCeleryQueue` adds is what lets it through in celery.test.ts.
const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
const DATA_DIR = path.join(PROJECT_ROOT, '.bosun', 'e2e-celery-iam');
const FIXTURE_APP = path.join(__dirname, 'fixtures', 'app-with-celery-queue.ts');

let fixtureRoot: string;
let platform: RunningLocalPlatform;

jest.setTimeout(180_000);

beforeAll(async () => {
  fixtureRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-celery-iam-app-'));
  const cdkJson = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  const tsx = path.join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx');
  const context = { ...cdkJson.context, [WITHOUT_CELERY_GRANT]: true };
  fs.writeFileSync(path.join(fixtureRoot, 'cdk.json'), JSON.stringify({ app: `${tsx} ${FIXTURE_APP}`, context }));
  fs.symlinkSync(path.join(PROJECT_ROOT, 'node_modules'), path.join(fixtureRoot, 'node_modules'));
  fs.rmSync(path.join(DATA_DIR, 'routing.json'), { force: true });
  platform = await startLocalPlatform({ projectRoot: fixtureRoot, dataDir: DATA_DIR, forceSynth: true, visibilityTimeoutSeconds: 2, maxConcurrency: 2, functionTimeoutSeconds: 20 });
}, 180_000);

afterAll(async () => {
  await platform?.stop();
  if (fixtureRoot !== undefined) fs.rmSync(fixtureRoot, { recursive: true, force: true });
});

describe('the Celery queue on the local platform, without the consumer grant', () => {
  it('denies the hand-over to Celery: sqs:SendMessage on the queue, by the consumer, in the denial log', async () => {
    const client = createPlatformTaskClient(platform);
    const original = JSON.parse(fs.readFileSync(platform.routingFile, 'utf8')) as RoutingDocument;
    await client.publish('email.send', { to: 'ada@example.com', subject: 'Queued' }, { delaySeconds: 2 });
    fs.writeFileSync(platform.routingFile, JSON.stringify({ ...original, rules: [{ id: 'email-on-celery', tasks: ['email.send'], destination: 'celery' }] }));
    const consumer = platform.consumers[0]!;

    const deadline = Date.now() + 30_000;
    while (platform.iam!.denials() === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 250));
    const denials = fs
      .readFileSync(platform.iam!.denialLogFile, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as IamDenial);

    expect(denials).toContainEqual(
      expect.objectContaining({ action: 'sqs:SendMessage', resource: platform.celeryQueue?.arn, caller: consumer.functionName }),
    );
    expect(platform.celeryQueue?.arn).toBe(`arn:aws:sqs:${platform.description.region}:000000000000:${E2E_CELERY_QUEUE}`);
    const sqs = new SQSClient({ region: platform.description.region, credentials: LOCAL_CREDENTIALS, endpoint: platform.description.endpoints.sqs });
    try {
      const { Attributes } = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: platform.celeryQueue!.url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesDelayed'] }),
      );
      expect(Attributes).toEqual({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesDelayed: '0' });
    } finally {
      sqs.destroy();
    }
  });
});
