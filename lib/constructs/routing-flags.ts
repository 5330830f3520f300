import { Annotations, Arn, Duration, Stack, Validations } from 'aws-cdk-lib';
import {
  Application,
  ConfigurationContent,
  ConfigurationType,
  DeploymentStrategy,
  Environment,
  HostedConfiguration,
  JsonSchemaValidator,
  Monitor,
  RolloutStrategy,
} from 'aws-cdk-lib/aws-appconfig';
import { type IAlarm } from 'aws-cdk-lib/aws-cloudwatch';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { EnvVar, PRODUCER_AWS_ACCESS, ROUTING_DOCUMENT_SCHEMA, type RoutingDocument } from '../contract';
import { type ITaskConsumer } from './task-consumer';

/** Props of {@link RoutingFlags}. */
export interface RoutingFlagsProps {
  /** AppConfig application name, for example `bosun-dev`. */
  readonly applicationName: string;
  /**
   * AppConfig environment name.
   * @default 'default'
   */
  readonly environmentName?: string;
  /** The routing document the platform starts with, for example `defaultRoutingDocument('default')`. */
  readonly initialDocument: RoutingDocument;
  /**
   * Alarms AppConfig watches during a deployment: when one fires, the flag change rolls back.
   * @default - no monitors (a warning is added: nothing rolls a bad flag back)
   */
  readonly rollbackAlarms?: readonly IAlarm[];
  /**
   * How a routing-document change rolls out.
   * @default - linear, 20 % every 2 minutes over 10 minutes, then 10 minutes of bake time watching the alarms
   */
  readonly rolloutStrategy?: RolloutStrategy;
}

/** Name of the routing document's configuration profile. */
export const ROUTING_PROFILE_NAME = 'routing';

/**
 * Bosun's routing flags in AppConfig: an application, an environment whose monitors are the platform's DLQ alarms
 * (a DLQ filling up during a flag rollout rolls the flag back), a freeform JSON configuration profile validated by
 * the contract's routing-document JSON Schema, the initial routing document deployed to the environment, and a
 * gradual deployment strategy.
 *
 * @example
 * const flags = new RoutingFlags(this, 'Routing', {
 *   applicationName: 'bosun-dev',
 *   initialDocument: defaultRoutingDocument('default'),
 *   rollbackAlarms: monitoring.deadLetterAlarms,
 * });
 * flags.bindTo(consumer);
 */
export class RoutingFlags extends Construct {
  /** The AppConfig application. */
  public readonly application: Application;
  /** The AppConfig environment, monitored by the rollback alarms. */
  public readonly environment: Environment;
  /** The routing document's configuration profile and hosted version. */
  public readonly configuration: HostedConfiguration;
  /** How routing changes roll out. */
  public readonly deploymentStrategy: DeploymentStrategy;

  public constructor(scope: Construct, id: string, props: RoutingFlagsProps) {
    super(scope, id);
    const alarms = props.rollbackAlarms ?? [];
    this.application = new Application(this, 'Application', {
      applicationName: props.applicationName,
      description: 'Bosun routing flags: which destination each task goes to',
    });
    this.environment = new Environment(this, 'Environment', {
      application: this.application,
      environmentName: props.environmentName ?? 'default',
      description: 'Routing flags; a DLQ alarm during a rollout rolls the change back',
      monitors: alarms.map((alarm) => Monitor.fromCloudWatchAlarm(alarm)),
    });
    if (alarms.length > 0) {
      Validations.of(this.environment).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'The role AppConfig assumes to watch the rollback alarms needs cloudwatch:DescribeAlarms, which supports no resource-level permissions; it is the only action granted.',
      });
    }
    this.deploymentStrategy = new DeploymentStrategy(this, 'DeploymentStrategy', {
      deploymentStrategyName: `${props.applicationName}-routing-rollout`,
      description: 'Gradual routing-flag rollout watched by the DLQ alarms',
      rolloutStrategy:
        props.rolloutStrategy ??
        RolloutStrategy.linear({
          growthFactor: 20,
          deploymentDuration: Duration.minutes(10),
          finalBakeTime: Duration.minutes(10),
        }),
    });
    this.configuration = new HostedConfiguration(this, 'RoutingDocument', {
      application: this.application,
      name: ROUTING_PROFILE_NAME,
      description: 'Bosun routing document (JSON Schema validated)',
      type: ConfigurationType.FREEFORM,
      content: ConfigurationContent.fromInlineJson(JSON.stringify(props.initialDocument, null, 2)),
      validators: [JsonSchemaValidator.fromInline(JSON.stringify(ROUTING_DOCUMENT_SCHEMA))],
      deploymentStrategy: this.deploymentStrategy,
      deployTo: [this.environment],
    });
    if (alarms.length === 0) {
      Annotations.of(this).addWarningV2(
        'bosun:routingFlags:noRollbackAlarms',
        'no rollbackAlarms: a routing change that sends tasks to a failing destination will not roll back by itself',
      );
    }
  }

  /** ARN of the routing document's configuration in the environment: what a consumer's session reads. */
  public get configurationArn(): string {
    return Arn.format(
      {
        service: 'appconfig',
        resource: 'application',
        resourceName: `${this.application.applicationId}/environment/${this.environment.environmentId}/configuration/${this.configuration.configurationProfileId}`,
      },
      Stack.of(this),
    );
  }

  /**
   * Tells the consumer the AppConfig ids (`BOSUN_APPCONFIG_APPLICATION_ID` / `_ENVIRONMENT_ID` / `_PROFILE_ID`) and
   * grants starting a configuration session and reading the latest configuration of the routing profile only.
   *
   * @example
   * flags.bindTo(consumer);
   */
  public bindTo(consumer: ITaskConsumer): void {
    consumer.addEnvironment(EnvVar.APPCONFIG_APPLICATION_ID, this.application.applicationId);
    consumer.addEnvironment(EnvVar.APPCONFIG_ENVIRONMENT_ID, this.environment.environmentId);
    consumer.addEnvironment(EnvVar.APPCONFIG_PROFILE_ID, this.configuration.configurationProfileId);
    this.grantRead(consumer);
  }

  /**
   * Grants reading the routing document: starting a configuration session and reading the latest configuration, on
   * the routing profile only (what every consumer and producer needs to decide a route).
   *
   * @example
   * flags.grantRead(serviceRole);
   */
  public grantRead(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({ grantee, actions: [...PRODUCER_AWS_ACCESS.routingProfile.actions], resourceArns: [this.configurationArn] });
  }
}
