import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createAwsClients } from '../../lib/aws/clients';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

describe('createAwsClients', () => {
  it('returns the same clients for the same configuration, so calling it per request opens nothing new', () => {
    const env = { AWS_ENDPOINT_URL_SQS: 'http://127.0.0.1:4566' };
    const a = createAwsClients({ region: 'eu-west-1', env, credentials });
    const b = createAwsClients({ region: 'eu-west-1', env: { ...env }, credentials });
    expect(b).toBe(a);
    expect(createAwsClients({ region: 'eu-central-1', env, credentials })).not.toBe(a);
  });

  it('takes endpoints from the AWS SDK variables and path-style S3 from BOSUN_S3_FORCE_PATH_STYLE', async () => {
    const clients = createAwsClients({
      region: 'us-east-1',
      credentials,
      env: {
        AWS_ENDPOINT_URL_SQS: 'http://127.0.0.1:1111',
        AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:2222',
        AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:3333',
        AWS_ENDPOINT_URL: 'http://127.0.0.1:4444',
        BOSUN_S3_FORCE_PATH_STYLE: 'true',
      },
    });
    const endpointOf = async (config: { endpoint?: () => Promise<{ hostname: string; port?: number }> }) => {
      const endpoint = await config.endpoint?.();
      return `${endpoint?.hostname}:${endpoint?.port}`;
    };
    expect(await endpointOf(clients.sqs.config as never)).toBe('127.0.0.1:1111');
    expect(await endpointOf(clients.s3.config as never)).toBe('127.0.0.1:2222');
    expect(await endpointOf(clients.dynamodb.config as never)).toBe('127.0.0.1:3333');
    expect(await endpointOf(clients.appConfigData.config as never)).toBe('127.0.0.1:4444');
    expect(clients.s3.config.forcePathStyle).toBe(true);
    expect(await clients.sqs.config.region()).toBe('us-east-1');
  });

  it('reads the region from AWS_REGION in the given environment', async () => {
    const clients = createAwsClients({ env: { AWS_REGION: 'ap-southeast-2' }, credentials });
    expect(await clients.sqs.config.region()).toBe('ap-southeast-2');
    expect(clients.s3.config.forcePathStyle).toBe(false);
  });

  it("signs with the named profile's credentials from the shared files, in clients of their own", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'bosun-profile-'));
    const saved = { credentials: process.env['AWS_SHARED_CREDENTIALS_FILE'], config: process.env['AWS_CONFIG_FILE'] };
    try {
      await writeFile(path.join(dir, 'credentials'), '[ops]\naws_access_key_id = AKIAOPSEXAMPLE\naws_secret_access_key = ops-secret\n');
      await writeFile(path.join(dir, 'config'), '');
      process.env['AWS_SHARED_CREDENTIALS_FILE'] = path.join(dir, 'credentials');
      process.env['AWS_CONFIG_FILE'] = path.join(dir, 'config');

      const ops = createAwsClients({ region: 'eu-west-1', env: {}, profile: 'ops' });

      await expect(ops.sqs.config.credentials()).resolves.toMatchObject({ accessKeyId: 'AKIAOPSEXAMPLE' });
      await expect(ops.dynamodb.config.credentials()).resolves.toMatchObject({ accessKeyId: 'AKIAOPSEXAMPLE' });
      expect(createAwsClients({ region: 'eu-west-1', env: {} })).not.toBe(ops);
    } finally {
      for (const [name, value] of [['AWS_SHARED_CREDENTIALS_FILE', saved.credentials], ['AWS_CONFIG_FILE', saved.config]] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('drops the logger middleware that filters every request for a no-op logger', () => {
    const clients = createAwsClients({ region: 'us-west-2', env: {}, credentials });
    for (const client of [clients.sqs, clients.s3, clients.appConfigData]) {
      expect(client.middlewareStack.identify().some((entry) => entry.startsWith('loggerMiddleware'))).toBe(false);
    }
  });
});
