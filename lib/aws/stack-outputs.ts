import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { platformStackName } from '../contract';
import { PlatformStackNotFoundError } from './errors';

/** Which deployed platform stack to read. */
export interface PlatformStackLocation {
  /** Stage; the stack is `Bosun-<stage>`. @default dev */
  readonly stage?: string;
  /** Region of the stack. @default - the AWS SDK's default (`AWS_REGION`, the profile's region) */
  readonly region?: string;
  /** Named profile for credentials. @default - the default credential provider chain */
  readonly profile?: string;
  /** CloudFormation client to use (tests, custom credentials). @default - one built from `region` and `profile` */
  readonly cloudFormation?: CloudFormationClient;
}

/** The outputs of a deployed platform stack, and where they were read. */
export interface DeployedStackOutputs {
  /** The stage asked for. */
  readonly stage: string;
  /** The stack's name, `Bosun-<stage>`. */
  readonly stackName: string;
  /** The region the stack was read in (resolved, when not given). */
  readonly region: string;
  /** Output key → value, to parse with the contract's `parseStackOutputs`. */
  readonly outputs: Readonly<Record<string, string>>;
}

/** Default stage of a deployed platform, as `cdk deploy` without `-c stage=` deploys it. */
export const DEFAULT_STAGE = 'dev';

/**
 * Reads the outputs of the deployed platform stack `Bosun-<stage>` with one CloudFormation `DescribeStacks` call
 * (IAM: `cloudformation:DescribeStacks` on that stack). The one reader of a deployed stack: the SDK's
 * `taskClientOptionsFromStack` and the CLI's `--aws` use it.
 *
 * @throws PlatformStackNotFoundError when the stack does not exist in that region (and account).
 * @example
 * const { outputs, region } = await readStackOutputs({ stage: 'prod', region: 'eu-west-1', profile: 'ops' });
 */
export async function readStackOutputs(location: PlatformStackLocation = {}): Promise<DeployedStackOutputs> {
  const stage = location.stage ?? DEFAULT_STAGE;
  const stackName = platformStackName(stage);
  const client =
    location.cloudFormation ??
    new CloudFormationClient({
      ...(location.region === undefined ? {} : { region: location.region }),
      ...(location.profile === undefined ? {} : { profile: location.profile }),
    });
  try {
    const region = await client.config.region();
    let response;
    try {
      response = await client.send(new DescribeStacksCommand({ StackName: stackName }));
    } catch (error) {
      if ((error as Error).name === 'ValidationError' && /does not exist/.test((error as Error).message)) {
        throw new PlatformStackNotFoundError(stackName, region, { cause: error });
      }
      throw error;
    }
    const stack = response.Stacks?.[0];
    if (stack === undefined) throw new PlatformStackNotFoundError(stackName, region);
    const outputs: Record<string, string> = {};
    for (const output of stack.Outputs ?? []) {
      if (output.OutputKey !== undefined && output.OutputValue !== undefined) outputs[output.OutputKey] = output.OutputValue;
    }
    return { stage, stackName, region, outputs };
  } finally {
    if (location.cloudFormation === undefined) client.destroy();
  }
}
