import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CliPlatformInvalidError, CliPlatformNotRunningError, CliStackNotFoundError } from '../../cli/errors';
import { AWS_STACK_OUTPUTS } from '../support/fixtures';
import { findQueue, loadAwsPlatform, loadLocalPlatform, parseLocalPlatform, platformFromOutputs } from '../../cli/platform';

const OUTPUTS = AWS_STACK_OUTPUTS;

describe('platformFromOutputs', () => {
  it('maps the stack outputs to queues, DLQs, bucket, table, AppConfig ids and the legacy queue', () => {
    const platform = platformFromOutputs(OUTPUTS, { target: 'aws', region: 'eu-west-1', source: 'stack Bosun-dev' });

    expect(platform).toEqual({
      target: 'aws',
      stage: 'dev',
      region: 'eu-west-1',
      queues: [
        { name: 'default', url: OUTPUTS.DefaultQueueUrl, dlqUrl: OUTPUTS.DefaultDlqUrl },
        { name: 'bulk', url: OUTPUTS.BulkQueueUrl, dlqUrl: OUTPUTS.BulkDlqUrl },
      ],
      tableName: 'bosun-dev-tasks',
      bucketName: 'bosun-dev-claims',
      appConfig: { applicationId: 'app1234', environmentId: 'env5678', profileId: 'prof9012' },
      legacyQueueUrl: OUTPUTS.LegacyQueueUrl,
      outputs: OUTPUTS,
    });
  });

  it('leaves out the AppConfig ids unless all three are present', () => {
    const { RoutingProfileId: _dropped, ...outputs } = OUTPUTS;

    expect(platformFromOutputs(outputs, { target: 'aws', region: 'eu-west-1', source: 's' })).not.toHaveProperty('appConfig');
  });

  it('names every missing required output in one error', () => {
    const { TaskStateTableName: _table, BulkQueueUrl: _bulk, ...outputs } = OUTPUTS;

    expect(() => platformFromOutputs(outputs, { target: 'aws', region: 'eu-west-1', source: 'stack Bosun-dev' })).toThrow(
      /^stack Bosun-dev: required outputs are missing: TaskStateTableName, BulkQueueUrl \(outputs present: /,
    );
  });

  it('rejects a QueueNames output that is not a JSON array of names', () => {
    expect(() =>
      platformFromOutputs({ ...OUTPUTS, QueueNames: '{"a":1}' }, { target: 'aws', region: 'eu-west-1', source: 'stack Bosun-dev' }),
    ).toThrow(CliPlatformInvalidError);
    expect(() =>
      platformFromOutputs({ ...OUTPUTS, QueueNames: '{"a":1}' }, { target: 'aws', region: 'eu-west-1', source: 'stack Bosun-dev' }),
    ).toThrow(/^stack Bosun-dev: output QueueNames must be a JSON array of non-empty strings \(given \{"a":1\}\)$/);
  });
});

describe('findQueue', () => {
  it('names the known queues when the queue is unknown', () => {
    const platform = platformFromOutputs(OUTPUTS, { target: 'aws', region: 'eu-west-1', source: 's' });

    expect(() => findQueue(platform, 'reports')).toThrow('queue "reports" is not a queue of this platform (queues: default, bulk)');
  });
});

describe('parseLocalPlatform', () => {
  const file = '/data/platform.json';
  const local = {
    stage: 'local',
    region: 'us-east-1',
    endpoints: { sqs: 'http://127.0.0.1:1', s3: 'http://127.0.0.1:1', dynamodb: 'http://127.0.0.1:2' },
    routingFile: 'routing.json',
    outputs: OUTPUTS,
    pid: 42,
  };

  it('reads endpoints and resolves the routing file against the data directory', () => {
    const platform = parseLocalPlatform(JSON.stringify(local), file);

    expect(platform).toMatchObject({
      target: 'local',
      stage: 'local',
      region: 'us-east-1',
      endpoints: local.endpoints,
      routingFile: '/data/routing.json',
      tableName: 'bosun-dev-tasks',
    });
  });

  it('keeps the endpoint of the event-source-mapping API when the platform names one', () => {
    const lambda = 'http://127.0.0.1:3';

    const platform = parseLocalPlatform(JSON.stringify({ ...local, endpoints: { ...local.endpoints, lambda } }), file);

    expect(platform.endpoints).toEqual({ ...local.endpoints, lambda });
  });

  it('says which endpoint is missing', () => {
    expect(() => parseLocalPlatform(JSON.stringify({ ...local, endpoints: { sqs: 'http://x' } }), file)).toThrow(
      '/data/platform.json: field "endpoints" lacks s3, dynamodb',
    );
  });

  it('rejects text that is not JSON', () => {
    expect(() => parseLocalPlatform('{', file)).toThrow(
      '/data/platform.json: is not valid JSON; restart the local platform with `npm start`',
    );
  });
});

describe('loadLocalPlatform', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'bosun-platform-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('tells the user to start the local platform when platform.json is absent', async () => {
    await expect(loadLocalPlatform(dir)).rejects.toThrow(CliPlatformNotRunningError);
    await expect(loadLocalPlatform(dir)).rejects.toThrow(
      `no local platform is running: start it with \`npm start\` (looked for ${path.join(dir, 'platform.json')};`,
    );
  });

  it('loads the platform the file describes', async () => {
    await writeFile(
      path.join(dir, 'platform.json'),
      JSON.stringify({
        stage: 'local',
        region: 'us-east-1',
        endpoints: { sqs: 'http://127.0.0.1:1', s3: 'http://127.0.0.1:1', dynamodb: 'http://127.0.0.1:2' },
        outputs: OUTPUTS,
      }),
    );

    await expect(loadLocalPlatform(dir)).resolves.toMatchObject({ target: 'local', queues: [{ name: 'default' }, { name: 'bulk' }] });
  });
});

describe('loadAwsPlatform', () => {
  const cloudFormation = mockClient(CloudFormationClient);

  afterEach(() => cloudFormation.reset());

  it('reads the outputs of the stack Bosun-<stage>', async () => {
    cloudFormation.on(DescribeStacksCommand, { StackName: 'Bosun-prod' }).resolves({
      Stacks: [
        {
          StackName: 'Bosun-prod',
          StackStatus: 'UPDATE_COMPLETE',
          CreationTime: new Date(),
          Outputs: Object.entries(OUTPUTS).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
        },
      ],
    });
    const client = new CloudFormationClient({ region: 'eu-west-1' });

    const platform = await loadAwsPlatform({ stage: 'prod', cloudFormation: client });

    expect(platform).toMatchObject({ target: 'aws', stage: 'prod', region: 'eu-west-1', tableName: 'bosun-dev-tasks' });
    expect(platform.queues.map((queue) => queue.name)).toEqual(['default', 'bulk']);
  });

  it('says the stack was not found, with the region, when CloudFormation does not know it', async () => {
    const error = Object.assign(new Error('Stack with id Bosun-qa does not exist'), { name: 'ValidationError' });
    cloudFormation.on(DescribeStacksCommand).rejects(error);
    const client = new CloudFormationClient({ region: 'eu-west-1' });

    const loading = loadAwsPlatform({ stage: 'qa', cloudFormation: client });

    await expect(loading).rejects.toThrow(CliStackNotFoundError);
    await expect(loadAwsPlatform({ stage: 'qa', cloudFormation: client })).rejects.toThrow(
      'stack Bosun-qa was not found in region eu-west-1: deploy it with `npx cdk deploy -c stage=<stage>`, or check --stage, --region and --profile',
    );
  });
});
