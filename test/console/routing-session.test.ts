import {
  AppConfigDataClient,
  GetLatestConfigurationCommand,
  StartConfigurationSessionCommand,
} from '@aws-sdk/client-appconfigdata';
import { mockClient } from 'aws-sdk-client-mock';
import type { CliClients } from '../../cli/clients';
import { platformFromOutputs } from '../../cli/platform';
import { ConsoleApi } from '../../console/server/console-api';

// A deployed platform whose routing document lives in AppConfig. The console is long-lived: every flags, explain and
// task-lookup request must read through one AppConfigData session, within AppConfig's poll interval, not open a
// session (a billed configuration received) per request.
const PLATFORM = platformFromOutputs(
  {
    QueueNames: '["default"]',
    TaskStateTableName: 'bosun-prod-tasks',
    DefaultQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/bosun-prod-default',
    RoutingApplicationId: 'app1234',
    RoutingEnvironmentId: 'env5678',
    RoutingProfileId: 'prof9012',
  },
  { target: 'aws', stage: 'prod', region: 'eu-west-1', source: 'stack Bosun-prod' },
);

const DOCUMENT = {
  version: 1,
  defaultDestination: 'default',
  rules: [{ id: 'eu-to-legacy', regions: ['eu-west-1'], tasks: ['email.*'], destination: 'legacy' }],
};

describe('the console against AppConfig', () => {
  const appConfig = mockClient(AppConfigDataClient);
  const client = new AppConfigDataClient({ region: 'eu-west-1' });

  afterEach(() => appConfig.reset());

  it('reads the routing document through one session, polling again only after the interval AppConfig asked for', async () => {
    appConfig.on(StartConfigurationSessionCommand).resolves({ InitialConfigurationToken: 'token-1' });
    appConfig.on(GetLatestConfigurationCommand).resolves({
      Configuration: Buffer.from(JSON.stringify(DOCUMENT)) as never,
      NextPollConfigurationToken: 'token-next',
      NextPollIntervalInSeconds: 30,
    });
    let nowMs = Date.parse('2026-11-29T12:00:00Z');
    const api = new ConsoleApi({
      platform: PLATFORM,
      clients: { appConfigData: client } as unknown as CliClients,
      actionsAllowed: false,
      now: () => nowMs,
    });

    const flags = await api.flags();
    const explained = await api.explain({ taskName: 'email.send' });
    await api.flags();

    expect(JSON.parse(flags.document)).toEqual(DOCUMENT);
    expect(flags.source).toBe('AppConfig app1234/env5678/prof9012');
    expect(explained.decision).toMatchObject({ destination: 'legacy', ruleId: 'eu-to-legacy' });
    expect(appConfig.commandCalls(StartConfigurationSessionCommand)).toHaveLength(1);
    expect(appConfig.commandCalls(GetLatestConfigurationCommand)).toHaveLength(1);

    nowMs += 31_000;
    await api.flags();

    expect(appConfig.commandCalls(StartConfigurationSessionCommand)).toHaveLength(1);
    expect(appConfig.commandCalls(GetLatestConfigurationCommand).map((call) => call.args[0].input.ConfigurationToken)).toEqual([
      'token-1',
      'token-next',
    ]);
  });
});
