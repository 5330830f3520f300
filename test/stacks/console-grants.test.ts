import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AccountRootPrincipal, Role } from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { CONSOLE_AWS_ACCESS, PRODUCER_AWS_ACCESS, QUEUE_MOVER_AWS_ACCESS, STACK_OUTPUTS_AWS_ACCESS } from '../../lib/contract';
import { PlatformStack, RECOMMENDED_CONTEXT } from '../../lib/stacks';

interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: unknown;
}

/** A platform and an operator role given `grantConsole`, with the role's statements rendered (`<LogicalId>.Arn`, `Ref(X)`). */
function console(options?: { allowActions?: boolean }) {
  const app = new App({ context: { ...RECOMMENDED_CONTEXT, 'aws:cdk:bundling-stacks': [] } });
  const platform = new PlatformStack(app, 'Bosun-console', { stage: 'console' });
  const role = new Role(platform, 'OnCallRole', { assumedBy: new AccountRootPrincipal() });
  platform.grantConsole(role, options);
  const template = Template.fromStack(platform).toJSON() as { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };
  const roleId = platform.getLogicalId(role.node.defaultChild as never);
  const render = (value: unknown): string => {
    if (typeof value === 'string') return value;
    const [fn, args] = Object.entries(value as object)[0] as [string, unknown];
    if (fn === 'Ref') return `Ref(${String(args)})`;
    if (fn === 'Fn::GetAtt') return (args as string[]).join('.');
    if (fn === 'Fn::Join') return (args as [string, unknown[]])[1].map(render).join((args as [string])[0]);
    return JSON.stringify(value);
  };
  const statements = Object.values(template.Resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties['Roles']).includes(roleId))
    .flatMap((r) => (r.Properties['PolicyDocument'] as { Statement: Statement[] }).Statement)
    .map((s) => ({ actions: [s.Action].flat(), resources: [s.Resource].flat().map(render), condition: s.Condition }));
  const allowed = (action: string): string[] => [...new Set(statements.filter((s) => s.actions.includes(action)).flatMap((s) => s.resources))].sort();
  const idOf = (construct: { node: { defaultChild?: unknown } }): string => `${platform.getLogicalId(construct.node.defaultChild as never)}.Arn`;
  return { app, platform, statements, allowed, idOf };
}

describe('PlatformStack.grantConsole', () => {
  it('grants the console exactly CONSOLE_AWS_ACCESS, each action on its resources only', () => {
    const { platform, statements, allowed, idOf } = console();
    const queues = platform.taskQueues.map((q) => idOf(q.queue));
    const dlqs = platform.taskQueues.map((q) => idOf(q.deadLetterQueue));
    const bucket = idOf(platform.claimChecks.bucket);

    expect(allowed('sqs:GetQueueAttributes')).toEqual([...queues, ...dlqs, idOf(platform.schedules.deadLetterQueue)].sort());
    expect(allowed('sqs:ReceiveMessage')).toEqual([...dlqs].sort());
    expect(allowed('sqs:ChangeMessageVisibility')).toEqual([...dlqs].sort());
    expect(allowed('dynamodb:GetItem')).toEqual([idOf(platform.taskState.table)]);
    expect(allowed('s3:GetObject')).toEqual([`${bucket}/claim-checks/*`]);
    expect(allowed('s3:ListBucket')).toEqual([bucket]);
    expect(statements.find((s) => s.actions.includes('s3:ListBucket'))?.condition).toEqual({ StringLike: { 's3:prefix': 'claim-checks/*' } });
    expect(allowed('cloudwatch:GetMetricData')).toEqual(['*']);
    expect(allowed('lambda:ListEventSourceMappings')).toEqual(['*']);
    for (const action of PRODUCER_AWS_ACCESS.routingProfile.actions) expect(allowed(action)).toHaveLength(1);
    expect(allowed(STACK_OUTPUTS_AWS_ACCESS.stack[0]!)).toEqual(['Ref(AWS::StackId)']);
    const granted = new Set(statements.flatMap((s) => s.actions));
    const expected = new Set([
      ...CONSOLE_AWS_ACCESS.queues,
      ...CONSOLE_AWS_ACCESS.deadLetterQueues,
      ...CONSOLE_AWS_ACCESS.taskStateTable.actions,
      ...CONSOLE_AWS_ACCESS.claimCheckBucket.objects.map((access) => access.action),
      ...CONSOLE_AWS_ACCESS.claimCheckBucket.bucket.map((access) => access.action),
      ...CONSOLE_AWS_ACCESS.metrics,
      ...CONSOLE_AWS_ACCESS.eventSourceMappings,
      ...PRODUCER_AWS_ACCESS.routingProfile.actions,
      ...STACK_OUTPUTS_AWS_ACCESS.stack,
    ]);
    expect([...granted].sort()).toEqual([...expected].sort());
  });

  it('without allowActions grants nothing that writes: no delete, send or table update', () => {
    const { statements } = console();
    const actions = statements.flatMap((s) => s.actions);

    for (const write of ['sqs:DeleteMessage', 'sqs:SendMessage', 'dynamodb:UpdateItem', 's3:PutObject', 's3:DeleteObject']) expect(actions).not.toContain(write);
  });

  it("with allowActions adds bosun dlq redrive's access: the move engine's source actions on every DLQ (the schedules' too), and publishing", () => {
    const { platform, allowed, idOf } = console({ allowActions: true });
    const dlqs = [...platform.taskQueues.map((q) => idOf(q.deadLetterQueue)), idOf(platform.schedules.deadLetterQueue)];

    for (const action of QUEUE_MOVER_AWS_ACCESS.source) expect(allowed(action)).toEqual(expect.arrayContaining(dlqs));
    expect(allowed('sqs:DeleteMessage')).toEqual([...dlqs].sort());
    expect(allowed('dynamodb:UpdateItem')).toEqual([idOf(platform.taskState.table)]);
  });

  it('leaves no unacknowledged cdk-nag finding', () => {
    const { app } = console({ allowActions: true });

    expect(new AwsSolutionsChecks().validateScope(app).violations).toEqual([]);
  });
});
