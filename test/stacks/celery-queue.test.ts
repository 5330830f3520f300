import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AccountRootPrincipal, Role } from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { CONSUMER_AWS_ACCESS, EnvVar, PRODUCER_AWS_ACCESS, StackOutput } from '../../lib/contract';
import { DEFAULT_PLATFORM, PlatformStack, RECOMMENDED_CONTEXT, type PlatformDefinition } from '../../lib/stacks';

interface Resource {
  readonly Type: string;
  readonly Properties: Record<string, unknown>;
}

/** GIVEN a platform whose definition names the Celery worker's queue, and a service role granted to publish. */
function celeryPlatform(definition: PlatformDefinition = { ...DEFAULT_PLATFORM, celeryQueue: 'celery-default' }) {
  const app = new App({ context: { ...RECOMMENDED_CONTEXT, 'aws:cdk:bundling-stacks': [] } });
  const platform = new PlatformStack(app, 'Bosun-celery', { stage: 'celery', definition });
  const role = new Role(platform, 'OrdersServiceRole', { assumedBy: new AccountRootPrincipal() });
  platform.grantPublish(role);
  const template = Template.fromStack(platform);
  return { app, platform, role, template, resources: (template.toJSON() as { Resources: Record<string, Resource> }).Resources };
}

/** The ARN of the Celery queue as the template writes it: arn:<partition>:sqs:<region>:<account>:celery-default. */
const CELERY_ARN = JSON.stringify({
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':sqs:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':celery-default']],
});

/** Actions each role's policies allow on the Celery queue, by role logical id. */
function actionsOnCelery(resources: Record<string, Resource>): Map<string, string[]> {
  const byRole = new Map<string, string[]>();
  for (const resource of Object.values(resources)) {
    if (resource.Type !== 'AWS::IAM::Policy') continue;
    const roles = (resource.Properties['Roles'] as Array<{ Ref: string }>).map((role) => role.Ref);
    const statements = (resource.Properties['PolicyDocument'] as { Statement: Array<{ Action: string | string[]; Resource: unknown }> }).Statement;
    for (const statement of statements) {
      if (![statement.Resource].flat().some((arn) => JSON.stringify(arn) === CELERY_ARN)) continue;
      for (const role of roles) byRole.set(role, [...(byRole.get(role) ?? []), ...[statement.Action].flat()]);
    }
  }
  return byRole;
}

describe('PlatformDefinition.celeryQueue', () => {
  it('lets every consumer and a granted producer send to the Celery queue, exactly the access the contract names', () => {
    const { platform, role, resources } = celeryPlatform();
    const granted = actionsOnCelery(resources);
    const consumerRoles = platform.consumers.map((consumer) => platform.getLogicalId(consumer.function.role!.node.defaultChild as never));
    expect(consumerRoles.length).toBeGreaterThan(0);
    for (const consumerRole of consumerRoles) expect(granted.get(consumerRole)).toEqual([...CONSUMER_AWS_ACCESS.queues.celeryQueue]);
    expect(granted.get(platform.getLogicalId(role.node.defaultChild as never))).toEqual([...PRODUCER_AWS_ACCESS.queues.celeryQueue]);
    expect(granted.size).toBe(consumerRoles.length + 1);
  });

  it('tells every consumer the queue URL and outputs it', () => {
    const { platform, template, resources } = celeryPlatform();
    const url = { 'Fn::Join': ['', ['https://sqs.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }, '/', { Ref: 'AWS::AccountId' }, '/celery-default']] };
    for (const consumer of platform.consumers) {
      const fn = resources[platform.getLogicalId(consumer.function.node.defaultChild as never)]!;
      expect((fn.Properties['Environment'] as { Variables: Record<string, unknown> }).Variables[EnvVar.CELERY_QUEUE_URL]).toEqual(url);
    }
    template.hasOutput(StackOutput.CELERY_QUEUE_URL, { Value: url });
  });

  it('grants nothing on a Celery queue and sets no URL when the definition names none', () => {
    const { resources } = celeryPlatform(DEFAULT_PLATFORM);
    expect(actionsOnCelery(resources).size).toBe(0);
    expect(JSON.stringify(resources)).not.toContain(EnvVar.CELERY_QUEUE_URL);
  });

  it('leaves no unacknowledged cdk-nag finding', () => {
    const { app } = celeryPlatform();
    expect(new AwsSolutionsChecks().validateScope(app).violations).toEqual([]);
  });

  it('refuses a name SQS would refuse, saying what is allowed', () => {
    expect(() => celeryPlatform({ ...DEFAULT_PLATFORM, celeryQueue: 'celery.fifo' })).toThrow(
      'celeryQueue must be an SQS queue name: 1–80 letters, digits, hyphens or underscores, standard (no .fifo) (given "celery.fifo")',
    );
  });
});
