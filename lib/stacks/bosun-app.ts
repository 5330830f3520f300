import { App, type AppProps, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { platformStackName } from '../contract';
import { PlatformStack } from './platform-stack';
import { RECOMMENDED_CONTEXT } from './recommended-context';

/** CDK context keys the Bosun app reads (`cdk deploy -c stage=prod -c region=eu-west-1`). */
export const AppContext = {
  /** Deployment stage; default `dev`. */
  STAGE: 'stage',
  /** AWS region; default the CLI's (`CDK_DEFAULT_REGION`), else region-agnostic. */
  REGION: 'region',
  /** `true` to create the encrypted alarm topic. */
  ALARM_TOPIC: 'alarmTopic',
} as const;

/** The Bosun CDK app and its one stack. */
export interface BosunApp {
  readonly app: App;
  readonly stack: PlatformStack;
}

/**
 * Builds the Bosun CDK app: reads stage and region from context, instantiates `Bosun-<stage>` and runs cdk-nag's
 * AwsSolutions pack on it at synth. `bin/app.ts` calls this and nothing else; tests call it to check the real app.
 *
 * @example
 * const { app, stack } = createBosunApp({ context: { stage: 'prod' } });
 * app.synth();
 */
export function createBosunApp(props: AppProps = {}, env: NodeJS.ProcessEnv = process.env): BosunApp {
  const app = new App({ ...props, context: { ...RECOMMENDED_CONTEXT, ...props.context } });
  const stage = String(app.node.tryGetContext(AppContext.STAGE) ?? 'dev');
  const region = (app.node.tryGetContext(AppContext.REGION) as string | undefined) ?? env.CDK_DEFAULT_REGION;
  const alarmTopic = String(app.node.tryGetContext(AppContext.ALARM_TOPIC) ?? 'false') === 'true';
  const stack = new PlatformStack(app, platformStackName(stage), {
    stage,
    env: { account: env.CDK_DEFAULT_ACCOUNT, region },
    createAlarmTopic: alarmTopic,
    description: `Bosun task platform (${stage}): SQS queues and DLQs, Lambda consumers, claim checks, task state, routing flags`,
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}
