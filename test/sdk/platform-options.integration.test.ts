import { CreateBucketCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { exampleTasks } from '../../lambdas/tasks';
import { type ClaimCheckReference, PlatformDescriptionInvalidError, StackOutput, parseEnvelope } from '../../lib/contract';
import {
  LocalPlatformNotRunningError,
  createTaskClient,
  localPlatformFile,
  taskClientOptionsFromPlatform,
} from '../../lib/sdk';
import { type TestPlatform, bosun, createTestPlatform } from '../cli/support';

describe('taskClientOptionsFromPlatform', () => {
  let platform: TestPlatform;
  let emptyDir: string;

  beforeAll(async () => {
    platform = await createTestPlatform('sdkplat');
    emptyDir = await mkdtemp(path.join(tmpdir(), 'bosun-noplatform-'));
  });

  afterAll(async () => {
    await platform.destroy();
    await rm(emptyDir, { recursive: true, force: true });
  });

  it('publishes to the platform that platform.json describes, with payloads validated by the given tasks', async () => {
    const bosun = createTaskClient(taskClientOptionsFromPlatform({ dataDir: platform.dataDir, tasks: exampleTasks }));

    const { taskId, destination } = await bosun.publish('email.send', { to: 'ada@example.com', subject: 'Hi' });

    expect(destination).toBe('default');
    const received = await platform.clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: platform.queues.default.url, WaitTimeSeconds: 1 }),
    );
    expect(parseEnvelope(received.Messages![0]!.Body!)).toMatchObject({ id: taskId, task: 'email.send' });
  });

  describe("with the platform's claim-check threshold in its outputs", () => {
    // A 7 KB report is far below the default 256 KiB threshold: only the platform's own 2 KiB sends it to S3.
    const report = { title: 'Q3', rows: Array.from({ length: 200 }, (_, index) => `row ${index} of the quarterly report`) };

    beforeAll(async () => {
      const bucket = `${platform.tableName}-claims`;
      await platform.clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
      await platform.rewrite({ [StackOutput.BUCKET_NAME]: bucket, [StackOutput.CLAIM_CHECK_THRESHOLD_BYTES]: '2048' });
    });

    afterAll(async () => {
      await platform.rewrite({});
    });

    async function claimCheckOf(taskId: string): Promise<ClaimCheckReference> {
      for (;;) {
        const received = await platform.clients.sqs.send(
          new ReceiveMessageCommand({ QueueUrl: platform.queues.default.url, WaitTimeSeconds: 1, MaxNumberOfMessages: 10 }),
        );
        for (const message of received.Messages ?? []) {
          const envelope = parseEnvelope(message.Body!);
          if (envelope.id === taskId && envelope.claimCheck !== undefined) return envelope.claimCheck;
        }
        if ((received.Messages ?? []).length === 0) throw new Error(`no claim-checked message of task ${taskId} in the queue`);
      }
    }

    it('claim-checks payloads above it when publishing through the SDK', async () => {
      const client = createTaskClient(taskClientOptionsFromPlatform({ dataDir: platform.dataDir, tasks: exampleTasks }));

      const result = await client.publish('report.render', report);

      expect(result.claimChecked).toBe(true);
      const ref = await claimCheckOf(result.taskId);
      const object = await platform.clients.s3.send(new HeadObjectCommand({ Bucket: ref.bucket, Key: ref.key }));
      expect(object.ContentLength).toBe(ref.bytes);
    });

    it('claim-checks payloads above it when publishing with bosun publish', async () => {
      const result = await bosun(['publish', 'report.render', '--payload', JSON.stringify(report), '--data-dir', platform.dataDir, '--json']);

      expect(result.code).toBe(0);
      const published = JSON.parse(result.stdout) as { taskId: string; claimChecked: boolean };
      expect(published.claimChecked).toBe(true);
      await expect(claimCheckOf(published.taskId)).resolves.toMatchObject({ bytes: Buffer.byteLength(JSON.stringify(report)) });
    });
  });

  it('takes the queues, table and routing file from platform.json, and extra options over them', () => {
    const options = taskClientOptionsFromPlatform({ env: { BOSUN_PLATFORM: path.join(platform.dataDir, 'platform.json') }, defaultQueue: 'bulk' });

    expect(options).toMatchObject({
      queueUrls: { default: platform.queues.default.url, bulk: platform.queues.bulk.url },
      tableName: platform.tableName,
      routingFile: platform.routingFile,
      defaultQueue: 'bulk',
    });
  });

  it('finds platform.json through platformFile, then BOSUN_PLATFORM, then the data dir', () => {
    expect(localPlatformFile({ platformFile: 'a/platform.json', env: { BOSUN_PLATFORM: '/b/platform.json' } })).toBe(path.resolve('a/platform.json'));
    expect(localPlatformFile({ env: { BOSUN_PLATFORM: '/b/platform.json' }, dataDir: 'c' })).toBe('/b/platform.json');
    expect(localPlatformFile({ env: {}, dataDir: 'c' })).toBe(path.resolve('c/platform.json'));
    expect(localPlatformFile({ env: {} })).toBe(path.resolve('.bosun/local/platform.json'));
  });

  it('says no local platform is running, and where it looked, when there is no platform.json', () => {
    const file = path.join(emptyDir, 'platform.json');

    expect(() => taskClientOptionsFromPlatform({ dataDir: emptyDir, env: {} })).toThrow(
      new LocalPlatformNotRunningError(file),
    );
    expect(() => taskClientOptionsFromPlatform({ dataDir: emptyDir, env: {} })).toThrow(
      `no local platform is running: start it with \`npm start\` (looked for ${file}; set BOSUN_PLATFORM to its platform.json, or pass platformFile or dataDir)`,
    );
  });

  it('names the field at fault in a platform.json that is not a description', async () => {
    const file = path.join(emptyDir, 'broken.json');
    await writeFile(file, JSON.stringify({ stage: 'local', region: 'us-east-1', endpoints: { sqs: 'http://x' }, outputs: {} }));

    expect(() => taskClientOptionsFromPlatform({ platformFile: file })).toThrow(
      new PlatformDescriptionInvalidError(file, 'field "endpoints" lacks s3, dynamodb'),
    );
  });
});
