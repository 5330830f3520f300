import { Duration } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { Alarm, Metric } from 'aws-cdk-lib/aws-cloudwatch';
import { EnvVar, ROUTING_DOCUMENT_SCHEMA, defaultRoutingDocument } from '../../lib/contract';
import { RoutingFlags, TaskConsumer, TaskQueue } from '../../lib/constructs';
import { FIXTURE_ENTRY, FIXTURE_TASKS, templateOf, testStack } from './helpers';

function flagsStack(withAlarm = true) {
  const stack = testStack();
  const alarm = new Alarm(stack, 'DlqAlarm', {
    metric: new Metric({ namespace: 'AWS/SQS', metricName: 'ApproximateNumberOfMessagesVisible' }),
    threshold: 0,
    evaluationPeriods: 1,
  });
  const flags = new RoutingFlags(stack, 'R', {
    applicationName: 'bosun-dev',
    environmentName: 'dev',
    initialDocument: defaultRoutingDocument('default'),
    rollbackAlarms: withAlarm ? [alarm] : [],
  });
  return { stack, flags };
}

describe('RoutingFlags', () => {
  it('creates a freeform JSON profile validated by the contract routing-document schema', () => {
    const { stack } = flagsStack();
    const template = templateOf(stack);
    template.hasResourceProperties('AWS::AppConfig::Application', { Name: 'bosun-dev' });
    template.hasResourceProperties('AWS::AppConfig::ConfigurationProfile', {
      Name: 'routing',
      LocationUri: 'hosted',
      Type: 'AWS.Freeform',
      Validators: [{ Type: 'JSON_SCHEMA', Content: JSON.stringify(ROUTING_DOCUMENT_SCHEMA) }],
    });
  });

  it('hosts the initial routing document as JSON and deploys it to the environment', () => {
    const { stack } = flagsStack();
    const template = templateOf(stack);
    const versions = Object.values(template.findResources('AWS::AppConfig::HostedConfigurationVersion'));
    expect(versions).toHaveLength(1);
    const props = (versions[0] as { Properties: { Content: string; ContentType: string } }).Properties;
    expect(props.ContentType).toBe('application/json');
    expect(JSON.parse(props.Content)).toEqual({ version: 1, defaultDestination: 'default', rules: [] });
    template.resourceCountIs('AWS::AppConfig::Deployment', 1);
    template.hasResourceProperties('AWS::AppConfig::Deployment', {
      EnvironmentId: { Ref: Match.stringLikeRegexp('^REnvironment') },
      DeploymentStrategyId: { Ref: Match.stringLikeRegexp('^RDeploymentStrategy') },
    });
  });

  it('rolls a flag change back when a monitored alarm fires, with a gradual strategy', () => {
    const { stack } = flagsStack();
    const template = templateOf(stack);
    template.hasResourceProperties('AWS::AppConfig::Environment', {
      Name: 'dev',
      Monitors: [
        {
          AlarmArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DlqAlarm'), 'Arn'] },
          AlarmRoleArn: { 'Fn::GetAtt': [Match.anyValue(), 'Arn'] },
        },
      ],
    });
    template.hasResourceProperties('AWS::AppConfig::DeploymentStrategy', {
      GrowthType: 'LINEAR',
      GrowthFactor: 20,
      DeploymentDurationInMinutes: 10,
      FinalBakeTimeInMinutes: 10,
      ReplicateTo: 'NONE',
    });
  });

  it('warns when no alarm can roll a change back', () => {
    const { stack } = flagsStack(false);
    Annotations.fromStack(stack).hasWarning('/Test/R', Match.stringLikeRegexp('no rollbackAlarms'));
  });

  it('bindTo sets the three AppConfig ids and grants reading the routing profile only', () => {
    const { stack, flags } = flagsStack();
    const queue = new TaskQueue(stack, 'Q', { taskQueueName: 'default', visibilityTimeout: Duration.seconds(360) });
    const consumer = new TaskConsumer(stack, 'C', { queue, entry: FIXTURE_ENTRY, tasks: FIXTURE_TASKS, timeout: Duration.seconds(60) });
    flags.bindTo(consumer);
    const template = templateOf(stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          [EnvVar.APPCONFIG_APPLICATION_ID]: { Ref: Match.stringLikeRegexp('^RApplication') },
          [EnvVar.APPCONFIG_ENVIRONMENT_ID]: { Ref: Match.stringLikeRegexp('^REnvironment') },
          [EnvVar.APPCONFIG_PROFILE_ID]: { Ref: Match.stringLikeRegexp('^RRoutingDocumentConfigurationProfile') },
        }),
      },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['appconfig:StartConfigurationSession', 'appconfig:GetLatestConfiguration'],
            Resource: {
              'Fn::Join': [
                '',
                Match.arrayWith([
                  ':appconfig:eu-west-1:111111111111:application/',
                  '/environment/',
                  '/configuration/',
                  { Ref: Match.stringLikeRegexp('^RRoutingDocumentConfigurationProfile') },
                ]),
              ],
            },
          }),
        ]),
      },
    });
  });
});
