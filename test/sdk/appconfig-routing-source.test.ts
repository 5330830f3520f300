import { AppConfigDataClient } from '@aws-sdk/client-appconfigdata';
import type { RoutingDocument } from '../../lib/contract';
import type { SdkLogger } from '../../lib/aws/logger';
import { appConfigRoutingSource, routingSourceFromEnv } from '../../lib/aws/routing-sources';
import { AppConfigDataStub } from './support/appconfigdata-stub';

const profile = { applicationId: 'app1234', environmentId: 'env5678', profileId: 'prof9012' };
const v1: RoutingDocument = { version: 1, defaultDestination: 'default', rules: [] };
const v2: RoutingDocument = {
  version: 1,
  defaultDestination: 'default',
  rules: [{ id: 'ca-to-legacy', tasks: ['audit.*'], regions: ['ca-central-1'], destination: 'legacy', percentage: 25 }],
};
const builtInDefault: RoutingDocument = { version: 1, defaultDestination: 'default', rules: [] };

function recordingLogger(): SdkLogger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, warn: (m) => lines.push(`WARN ${m}`), info: (m) => lines.push(`INFO ${m}`) };
}

describe('appConfigRoutingSource against an AppConfigData-compatible server', () => {
  let stub: AppConfigDataStub;
  let client: AppConfigDataClient;
  let clockMs: number;
  let logger: ReturnType<typeof recordingLogger>;

  beforeEach(async () => {
    stub = new AppConfigDataStub(profile);
    const endpoint = await stub.start();
    client = new AppConfigDataClient({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
    clockMs = 1_000_000;
    logger = recordingLogger();
  });

  afterEach(async () => {
    client.destroy();
    await stub.stop();
  });

  function source(overrides: { pollIntervalSeconds?: number; applicationId?: string } = {}) {
    return appConfigRoutingSource({ client, ...profile, ...overrides, logger, now: () => clockMs });
  }

  it('opens one session, then polls with each single-use token no sooner than the interval', async () => {
    stub.deploy(v1);
    const routing = source({ pollIntervalSeconds: 20 });
    const concurrent = await Promise.all([routing.current(), routing.current(), routing.current()]);
    expect(concurrent).toEqual([v1, v1, v1]);
    expect(stub.sessionsStarted).toBe(1);
    expect(stub.callsOf('GetLatestConfiguration')).toHaveLength(1);

    clockMs += 19_999;
    for (let i = 0; i < 50; i += 1) await routing.current();
    expect(stub.callsOf('GetLatestConfiguration')).toHaveLength(1);

    clockMs += 1;
    await expect(routing.current()).resolves.toEqual(v1);
    expect(stub.callsOf('GetLatestConfiguration')).toEqual([
      { operation: 'GetLatestConfiguration', session: 1, status: 200, bodyBytes: JSON.stringify(v1).length },
      { operation: 'GetLatestConfiguration', session: 1, status: 200, bodyBytes: 0 },
    ]);

    stub.deploy(v2);
    clockMs += 20_000;
    await expect(routing.current()).resolves.toEqual(v2);
    expect(stub.sessionsStarted).toBe(1);
    expect(stub.reusedTokens).toEqual([]);
    expect(logger.lines).toEqual([]);
  });

  it('respects a longer NextPollIntervalInSeconds from the service', async () => {
    stub.deploy(v1);
    stub.pollIntervalSeconds = 60;
    const routing = source({ pollIntervalSeconds: 15 });
    await routing.current();
    clockMs += 59_000;
    await routing.current();
    expect(stub.callsOf('GetLatestConfiguration')).toHaveLength(1);
    clockMs += 1_000;
    await routing.current();
    expect(stub.callsOf('GetLatestConfiguration')).toHaveLength(2);
  });

  it('keeps the last known good document when an invalid one is deployed, and says so once', async () => {
    stub.deploy(v1);
    const routing = source();
    await routing.current();
    stub.deploy({ version: 1, defaultDestination: 'default', rules: [{ id: 'x', destination: 'bulk', percentage: 150 }] });
    for (let i = 0; i < 3; i += 1) {
      clockMs += 30_000;
      await expect(routing.current()).resolves.toEqual(v1);
    }
    expect(routing.describe()).toMatchObject({ origin: 'last-known-good' });
    expect(logger.lines).toEqual([
      'WARN routing document from AppConfig app1234/env5678/prof9012 is unusable (routing document is invalid (AppConfig app1234/env5678/prof9012): 1 problem: /rules/0/percentage must be <= 100 (given 150)); publishing continues with the last known good document',
    ]);
    stub.deploy(v2);
    clockMs += 30_000;
    await expect(routing.current()).resolves.toEqual(v2);
    expect(logger.lines[1]).toBe('INFO routing document from AppConfig app1234/env5678/prof9012 is valid again; using it');
  });

  it('falls back to the embedded default when AppConfig is unreachable from the start', async () => {
    stub.deploy(v2);
    stub.failNext(2, 500, 'InternalServerException');
    const routing = source();
    await expect(routing.current()).resolves.toEqual(builtInDefault);
    await expect(routing.current()).resolves.toEqual(builtInDefault);
    expect(routing.describe()).toMatchObject({ origin: 'default' });
    expect(stub.calls).toHaveLength(1);
    expect(logger.lines).toHaveLength(1);
    expect(logger.lines[0]).toMatch(
      /^WARN routing document from AppConfig app1234\/env5678\/prof9012 is unusable \(InternalServerException: .*\); publishing continues with the embedded default document \(every task to "default"\)$/,
    );
    clockMs += 30_000;
    await routing.current();
    expect(logger.lines).toHaveLength(1);
    clockMs += 30_000;
    await expect(routing.current()).resolves.toEqual(v2);
    expect(stub.sessionsStarted).toBe(1);
  });

  it('keeps the last known good document while the service is down, then starts a new session', async () => {
    stub.deploy(v2);
    const routing = source();
    await routing.current();
    stub.failNext(3, 503, 'ThrottlingException');
    for (let i = 0; i < 3; i += 1) {
      clockMs += 30_000;
      await expect(routing.current()).resolves.toEqual(v2);
    }
    expect(logger.lines).toHaveLength(1);
    expect(logger.lines[0]).toContain('publishing continues with the last known good document');
    clockMs += 30_000;
    await expect(routing.current()).resolves.toEqual(v2);
    expect(stub.sessionsStarted).toBe(2);
    expect(stub.reusedTokens).toEqual([]);
  });

  it('treats a missing profile like an unreachable service', async () => {
    stub.deploy(v1);
    const routing = source({ applicationId: 'nope' });
    await expect(routing.current()).resolves.toEqual(builtInDefault);
    expect(stub.calls).toEqual([{ operation: 'StartConfigurationSession', status: 404 }]);
    expect(logger.lines[0]).toContain('ResourceNotFoundException');
  });

  it('sends the minimum poll interval it was given and refuses one AppConfig would refuse', async () => {
    stub.deploy(v1);
    await source({ pollIntervalSeconds: 45 }).current();
    expect(stub.pollIntervalSeconds).toBe(45);
    expect(() => source({ pollIntervalSeconds: 5 })).toThrow('pollIntervalSeconds must be an integer between 15 and 86400 (given 5)');
  });

  it('refresh() polls immediately with the next token', async () => {
    stub.deploy(v1);
    const routing = source();
    await routing.current();
    stub.deploy(v2);
    await expect(routing.refresh()).resolves.toEqual(v2);
    expect(stub.callsOf('GetLatestConfiguration')).toHaveLength(2);
    expect(stub.reusedTokens).toEqual([]);
  });

  it('is what routingSourceFromEnv builds from the BOSUN_APPCONFIG_* ids, once per process', async () => {
    stub.deploy(v2);
    const env = {
      BOSUN_APPCONFIG_APPLICATION_ID: profile.applicationId,
      BOSUN_APPCONFIG_ENVIRONMENT_ID: profile.environmentId,
      BOSUN_APPCONFIG_PROFILE_ID: profile.profileId,
      BOSUN_QUEUE_NAME: 'default',
    };
    const first = routingSourceFromEnv(env, { appConfigData: client });
    const again = routingSourceFromEnv({ ...env }, { appConfigData: client });
    expect(again).toBe(first);
    await expect(first.current()).resolves.toEqual(v2);
    await expect(again.current()).resolves.toEqual(v2);
    expect(stub.sessionsStarted).toBe(1);
  });
});
