import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { exampleTasks } from '../../lambdas/tasks';
import { loadAwsPlatform } from '../../cli/platform';
import { PlatformStackNotFoundError, TaskClientConfigError, taskClientOptionsFromStack } from '../../lib/sdk';
import { AWS_STACK_OUTPUTS } from '../support/fixtures';

const cloudFormation = mockClient(CloudFormationClient);

function stackWith(outputs: Readonly<Record<string, string>>): void {
  cloudFormation.on(DescribeStacksCommand, { StackName: 'Bosun-prod' }).resolves({
    Stacks: [
      {
        StackName: 'Bosun-prod',
        StackStatus: 'UPDATE_COMPLETE',
        CreationTime: new Date(),
        Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
      },
    ],
  });
}

afterEach(() => cloudFormation.reset());

describe('taskClientOptionsFromStack', () => {
  it("connects to the deployed stack Bosun-<stage>: every queue, the bucket, the table, the AppConfig ids, the legacy queue and the platform's threshold", async () => {
    // GIVEN a deployed Bosun-prod whose claim-check threshold is 128 KiB
    stackWith({ ...AWS_STACK_OUTPUTS, ClaimCheckThresholdBytes: '131072' });

    // WHEN a service builds its options from the stack
    const options = await taskClientOptionsFromStack({ stage: 'prod', region: 'eu-west-1', tasks: exampleTasks });

    // THEN they describe that platform, with clients for its region
    expect(options).toMatchObject({
      queueUrls: { default: AWS_STACK_OUTPUTS.DefaultQueueUrl, bulk: AWS_STACK_OUTPUTS.BulkQueueUrl },
      bucket: 'bosun-dev-claims',
      tableName: 'bosun-dev-tasks',
      appConfig: { applicationId: 'app1234', environmentId: 'env5678', profileId: 'prof9012' },
      legacyQueueUrl: AWS_STACK_OUTPUTS.LegacyQueueUrl,
      claimCheckThresholdBytes: 131_072,
      region: 'eu-west-1',
      tasks: exampleTasks,
    });
    await expect(options.clients!.sqs!.config.region()).resolves.toBe('eu-west-1');
    expect(cloudFormation.commandCalls(DescribeStacksCommand)).toHaveLength(1);
  });

  it('sends far ETAs through EventBridge Scheduler in the stack\'s region when the stack has the ETA schedule outputs', async () => {
    // GIVEN a deployed platform with its far-ETA schedule group and role
    stackWith({
      ...AWS_STACK_OUTPUTS,
      DefaultQueueArn: 'arn:aws:sqs:eu-west-1:123456789012:bosun-prod-default',
      EtaScheduleGroup: 'bosun-prod-eta',
      EtaScheduleRoleArn: 'arn:aws:iam::123456789012:role/bosun-prod-eta',
    });

    // WHEN a service builds its options from the stack
    const options = await taskClientOptionsFromStack({ stage: 'prod', region: 'eu-west-1' });

    // THEN far ETAs become one-time schedules in that group, through a Scheduler client of that region
    expect(options.etaSchedules).toMatchObject({
      groupName: 'bosun-prod-eta',
      roleArn: 'arn:aws:iam::123456789012:role/bosun-prod-eta',
      queueArns: { default: 'arn:aws:sqs:eu-west-1:123456789012:bosun-prod-default' },
    });
    await expect(options.etaSchedules!.client!.config.region()).resolves.toBe('eu-west-1');
  });

  it('says the stack was not found, naming it and the region', async () => {
    cloudFormation.on(DescribeStacksCommand).rejects(Object.assign(new Error('Stack with id Bosun-qa does not exist'), { name: 'ValidationError' }));

    const connecting = taskClientOptionsFromStack({ stage: 'qa', region: 'eu-west-1' });

    await expect(connecting).rejects.toThrow(PlatformStackNotFoundError);
    await expect(taskClientOptionsFromStack({ stage: 'qa', region: 'eu-west-1' })).rejects.toThrow(
      /^stack Bosun-qa was not found in region eu-west-1: deploy it with `npx cdk deploy -c stage=<stage>`, or check the stage, the region and the profile/,
    );
  });

  it('names the stack and every missing output when the stack is not a Bosun platform', async () => {
    stackWith({ Stage: 'prod', QueueNames: '["default","bulk"]', DefaultQueueUrl: 'https://q/default' });

    const connecting = taskClientOptionsFromStack({ stage: 'prod', region: 'eu-west-1' });

    await expect(connecting).rejects.toThrow(TaskClientConfigError);
    await expect(taskClientOptionsFromStack({ stage: 'prod', region: 'eu-west-1' })).rejects.toThrow(
      'stack Bosun-prod (eu-west-1): required outputs are missing: BulkQueueUrl (outputs present: DefaultQueueUrl, QueueNames, Stage)',
    );
  });

  it('reads the outputs as the CLI does: the same stack outputs get the same verdict from both', async () => {
    stackWith({ ...AWS_STACK_OUTPUTS, ClaimCheckThresholdBytes: '64' });
    const problem =
      'stack Bosun-prod (eu-west-1): output ClaimCheckThresholdBytes must be a whole number of bytes between 1024 and 1048576 (given "64")';

    await expect(taskClientOptionsFromStack({ stage: 'prod', region: 'eu-west-1' })).rejects.toThrow(problem);
    await expect(loadAwsPlatform({ stage: 'prod', region: 'eu-west-1' })).rejects.toThrow(problem);
  });
});
