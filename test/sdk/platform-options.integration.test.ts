import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { exampleTasks } from '../../lambdas/tasks';
import { PlatformDescriptionInvalidError, parseEnvelope } from '../../lib/contract';
import {
  LocalPlatformNotRunningError,
  createTaskClient,
  localPlatformFile,
  taskClientOptionsFromPlatform,
} from '../../lib/sdk';
import { type TestPlatform, createTestPlatform } from '../cli/support';

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
