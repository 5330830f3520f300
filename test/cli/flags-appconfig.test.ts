import {
  AppConfigDataClient,
  GetLatestConfigurationCommand,
  StartConfigurationSessionCommand,
} from '@aws-sdk/client-appconfigdata';
import { mockClient } from 'aws-sdk-client-mock';
import type { CliClients } from '../../cli/clients';
import { explainRoute, loadRoutingDocument } from '../../cli/flags';
import { platformFromOutputs } from '../../cli/platform';

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

describe('flags against AppConfig (--aws)', () => {
  const appConfig = mockClient(AppConfigDataClient);
  const client = new AppConfigDataClient({ region: 'eu-west-1' });
  const clients = { appConfigData: client } as unknown as CliClients;

  afterEach(() => appConfig.reset());

  it('reads the document the stack outputs point at and explains a decision with it', async () => {
    appConfig
      .on(StartConfigurationSessionCommand, {
        ApplicationIdentifier: 'app1234',
        EnvironmentIdentifier: 'env5678',
        ConfigurationProfileIdentifier: 'prof9012',
      })
      .resolves({ InitialConfigurationToken: 'token-1' });
    appConfig.on(GetLatestConfigurationCommand, { ConfigurationToken: 'token-1' }).resolves({
      Configuration: Object.assign(Buffer.from(JSON.stringify(DOCUMENT)), { transformToString: () => JSON.stringify(DOCUMENT) }),
      NextPollConfigurationToken: 'token-2',
      NextPollIntervalInSeconds: 30,
    });

    const loaded = await loadRoutingDocument(PLATFORM, clients);
    const explanation = await explainRoute(PLATFORM, clients, { task: 'email.send', region: 'eu-west-1' });

    expect(loaded).toEqual({ source: 'AppConfig app1234/env5678/prof9012', raw: DOCUMENT });
    expect(explanation.decision).toMatchObject({ destination: 'legacy', ruleId: 'eu-to-legacy' });
  });

  it('fails clearly when AppConfig cannot be reached instead of showing the embedded default', async () => {
    appConfig.on(StartConfigurationSessionCommand).rejects(Object.assign(new Error('connect ETIMEDOUT'), { name: 'TimeoutError' }));

    await expect(loadRoutingDocument(PLATFORM, clients)).rejects.toThrow(
      'routing document from AppConfig app1234/env5678/prof9012 is not available: TimeoutError: connect ETIMEDOUT',
    );
  });
});
