import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AccountRootPrincipal, Role } from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { PRODUCER_AWS_ACCESS, QUEUE_MOVER_AWS_ACCESS, STACK_OUTPUTS_AWS_ACCESS, STATUS_AWS_ACCESS } from '../../lib/contract';
import { TaskQueueEncryption } from '../../lib/constructs';
import { DEFAULT_PLATFORM, PlatformStack, RECOMMENDED_CONTEXT, type PlatformDefinition } from '../../lib/stacks';

/** A platform and a service role granted to publish. */
function granted(definition: PlatformDefinition = DEFAULT_PLATFORM) {
  const app = new App({ context: { ...RECOMMENDED_CONTEXT, 'aws:cdk:bundling-stacks': [] } });
  const platform = new PlatformStack(app, 'Bosun-grants', { stage: 'grants', definition });
  const role = new Role(platform, 'OrdersServiceRole', { assumedBy: new AccountRootPrincipal() });
  platform.grantPublish(role);
  return { app, platform, role };
}

interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
}

/** The statements of the role's policies, with resources rendered as `<LogicalId>.Arn`, `Ref(X)` and `/`-joined parts. */
function statementsOf(platform: PlatformStack, role: Role): { actions: string[]; resources: string[] }[] {
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
  return Object.values(template.Resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties['Roles']).includes(roleId))
    .flatMap((r) => (r.Properties['PolicyDocument'] as { Statement: Statement[] }).Statement)
    .map((s) => {
      expect(s.Effect).toBe('Allow');
      return { actions: [s.Action].flat(), resources: [s.Resource].flat().map(render) };
    });
}

const idOf = (platform: PlatformStack, construct: { node: { defaultChild?: unknown } }): string =>
  platform.getLogicalId(construct.node.defaultChild as never);

describe('PlatformStack.grantPublish', () => {
  it('grants a producer exactly PRODUCER_AWS_ACCESS, each action on its resources only', () => {
    const { platform, role } = granted();
    const statements = statementsOf(platform, role);
    const allowed = (action: string): string[] => statements.filter((s) => s.actions.includes(action)).flatMap((s) => s.resources);

    const queues = platform.taskQueues.map((q) => `${idOf(platform, q.queue)}.Arn`);
    const dlqs = platform.taskQueues.map((q) => `${idOf(platform, q.deadLetterQueue)}.Arn`);
    const legacy = `${idOf(platform, platform.legacyQueue as never)}.Arn`;
    expect(allowed('sqs:SendMessage').sort()).toEqual([...queues, legacy].sort());
    for (const dlq of dlqs) expect(statements.flatMap((s) => s.resources)).not.toContain(dlq);

    const table = `${idOf(platform, platform.taskState.table)}.Arn`;
    for (const action of PRODUCER_AWS_ACCESS.taskStateTable.actions) expect(allowed(action)).toEqual([table]);

    const bucket = `${idOf(platform, platform.claimChecks.bucket)}.Arn`;
    for (const access of PRODUCER_AWS_ACCESS.claimCheckBucket.objects) expect(allowed(access.action)).toEqual([`${bucket}/${access.keyPrefix}*`]);

    for (const action of PRODUCER_AWS_ACCESS.routingProfile.actions) expect(allowed(action)).toHaveLength(1);

    // Far ETAs: schedules of the ETA group only (never the periodic tasks' group), and passing the ETA role only.
    const etaGroup = `Ref(${platform.getLogicalId(platform.schedules.etaGroup)})`;
    for (const action of PRODUCER_AWS_ACCESS.etaSchedules.actions) {
      expect(allowed(action)).toEqual([`arn:Ref(AWS::Partition):scheduler:Ref(AWS::Region):Ref(AWS::AccountId):schedule/${etaGroup}/*`]);
    }
    expect(allowed('iam:PassRole')).toEqual([`${idOf(platform, platform.schedules.etaRole)}.Arn`]);

    const every = [
      ...PRODUCER_AWS_ACCESS.taskStateTable.actions,
      ...PRODUCER_AWS_ACCESS.claimCheckBucket.objects.map((o) => o.action),
      ...PRODUCER_AWS_ACCESS.queues.taskQueues,
      ...PRODUCER_AWS_ACCESS.routingProfile.actions,
      ...PRODUCER_AWS_ACCESS.etaSchedules.actions,
      ...PRODUCER_AWS_ACCESS.etaSchedules.passRole,
    ];
    expect([...new Set(statements.flatMap((s) => s.actions))].sort()).toEqual([...new Set(every)].sort());
  });

  it('adds the queue keys (encrypt only: GenerateDataKey and Decrypt) when the queues are KMS-encrypted', () => {
    const { platform, role } = granted({ ...DEFAULT_PLATFORM, encryption: TaskQueueEncryption.KMS });
    const kms = statementsOf(platform, role).filter((s) => s.actions.some((a) => a.startsWith('kms:')));
    expect(kms.length).toBeGreaterThan(0);
    for (const statement of kms) expect(statement.actions.sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
  });

  it('leaves no unacknowledged cdk-nag finding on the granted role', () => {
    const { app } = granted();
    const report = new AwsSolutionsChecks().validateScope(app);
    expect(report.violations).toEqual([]);
  });
});

describe('the operator grants (bosun move, dlq redrive, --aws)', () => {
  function operator(grant: (platform: PlatformStack, role: Role) => void) {
    const app = new App({ context: { ...RECOMMENDED_CONTEXT, 'aws:cdk:bundling-stacks': [] } });
    const platform = new PlatformStack(app, 'Bosun-ops', { stage: 'ops' });
    const role = new Role(platform, 'OperatorRole', { assumedBy: new AccountRootPrincipal() });
    grant(platform, role);
    const statements = statementsOf(platform, role);
    const allowed = (action: string): string[] => statements.filter((s) => s.actions.includes(action)).flatMap((s) => s.resources);
    return { app, platform, allowed };
  }

  it('grantMoveFrom allows the move engine source actions on that source queue only, and publishing', () => {
    let source = '';
    const { platform, allowed } = operator((platform, role) => {
      const legacy = new Queue(platform, 'LegacyJobs', { enforceSSL: true });
      source = `${platform.getLogicalId(legacy.node.defaultChild as never)}.Arn`;
      platform.grantMoveFrom(role, legacy);
    });
    for (const action of QUEUE_MOVER_AWS_ACCESS.source) expect(allowed(action)).toEqual([source]);
    const queues = platform.taskQueues.map((q) => `${idOf(platform, q.queue)}.Arn`);
    for (const queue of queues) expect(allowed('sqs:SendMessage')).toContain(queue);
  });

  it("grantRedrive allows the source actions on every DLQ, the schedules' DLQ included, and not on the task queues", () => {
    const { platform, allowed } = operator((platform, role) => platform.grantRedrive(role));
    const dlqs = [...platform.taskQueues.map((q) => q.deadLetterQueue), platform.schedules.deadLetterQueue].map((dlq) => `${idOf(platform, dlq)}.Arn`);
    for (const action of QUEUE_MOVER_AWS_ACCESS.source) expect(allowed(action).sort()).toEqual([...dlqs].sort());
    expect(allowed('dynamodb:UpdateItem')).toEqual([`${idOf(platform, platform.taskState.table)}.Arn`]);
  });

  it('grantReadOutputs allows DescribeStacks on the platform stack only', () => {
    const { allowed } = operator((platform, role) => platform.grantReadOutputs(role));
    expect(allowed(STACK_OUTPUTS_AWS_ACCESS.stack[0]!)).toEqual(['Ref(AWS::StackId)']);
  });

  it("grantReadStatus allows STATUS_AWS_ACCESS: depths of every queue, DLQ and the schedules' DLQ, the table scan, mapping states and metrics on *", () => {
    const { platform, allowed } = operator((platform, role) => platform.grantReadStatus(role));
    const queues = [
      ...platform.taskQueues.flatMap((q) => [q.queue, q.deadLetterQueue]),
      platform.schedules.deadLetterQueue,
    ].map((queue) => `${idOf(platform, queue)}.Arn`);
    expect(allowed('sqs:GetQueueAttributes').sort()).toEqual([...queues].sort());
    expect(allowed('dynamodb:Scan')).toEqual([`${idOf(platform, platform.taskState.table)}.Arn`]);
    for (const action of STATUS_AWS_ACCESS.anyResource) expect(allowed(action)).toEqual(['*']);
    expect(allowed('cloudformation:DescribeStacks')).toEqual(['Ref(AWS::StackId)']);
    // It reads; it cannot pause or redrive.
    expect(allowed('lambda:UpdateEventSourceMapping')).toEqual([]);
    expect(allowed('sqs:ReceiveMessage')).toEqual([]);
  });

  it('leave no unacknowledged cdk-nag finding', () => {
    const { app } = operator((platform, role) => {
      platform.grantRedrive(role);
      platform.grantReadOutputs(role);
      platform.grantReadStatus(role);
    });
    expect(new AwsSolutionsChecks().validateScope(app).violations).toEqual([]);
  });
});
