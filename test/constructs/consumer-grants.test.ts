import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { type CfnRole } from 'aws-cdk-lib/aws-iam';
import { type IConstruct } from 'constructs';
import { CONSUMER_AWS_ACCESS } from '../../lib/contract';
import { type TaskConsumer } from '../../lib/constructs';
import { DEFAULT_PLATFORM, PlatformStack, RECOMMENDED_CONTEXT } from '../../lib/stacks';

/** One IAM statement of a consumer's role, its ARNs rendered as `<LogicalId>.Arn` and `/`-joined strings. */
interface Statement {
  readonly effect: string;
  readonly actions: readonly string[];
  readonly resources: readonly string[];
  readonly conditions: Readonly<Record<string, Readonly<Record<string, string | string[]>>>>;
  readonly hasNegations: boolean;
}

/** The request context of one call: the condition keys IAM would see (only `s3:prefix` matters here). */
type RequestContext = Readonly<Record<string, string>>;

/** Renders Ref, Fn::GetAtt and Fn::Join so ARNs compare as strings; anything else stays JSON, never matching. */
function render(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null) {
    const entry = Object.entries(value)[0];
    if (entry !== undefined && Object.keys(value).length === 1) {
      const [fn, args] = entry;
      if (fn === 'Ref') return `Ref(${String(args)})`;
      if (fn === 'Fn::GetAtt') return (args as string[]).join('.');
      if (fn === 'Fn::Join') {
        const [separator, parts] = args as [string, unknown[]];
        return parts.map(render).join(separator);
      }
    }
  }
  return JSON.stringify(value);
}

const asList = <T,>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/** IAM's wildcard match: `*` any run of characters, `?` one; actions compare case-insensitively. */
function wildcardMatches(pattern: string, value: string, ignoreCase = false): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`, ignoreCase ? 'i' : '').test(value);
}

/** Whether the statement's conditions hold for the request; unknown operators or keys never hold. */
function conditionsHold(statement: Statement, request: RequestContext): boolean {
  return Object.entries(statement.conditions).every(([operator, keys]) =>
    Object.entries(keys).every(([key, expected]) => {
      const actual = request[key];
      if (actual === undefined) return false;
      if (operator === 'StringLike') return asList(expected).some((pattern) => wildcardMatches(pattern, actual));
      if (operator === 'StringEquals') return asList(expected).includes(actual);
      return false;
    }),
  );
}

/** Whether some Allow statement lets `action` on `resource` with the request context `request`. */
function allows(statements: readonly Statement[], action: string, resource: string, request: RequestContext = {}): boolean {
  return statements.some(
    (s) =>
      s.effect === 'Allow' &&
      s.actions.some((pattern) => wildcardMatches(pattern, action, true)) &&
      s.resources.some((pattern) => wildcardMatches(pattern, resource)) &&
      conditionsHold(s, request),
  );
}

function logicalIdOf(construct: IConstruct): string {
  return Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnElement);
}

/** Every statement of the consumer role's policies, inline or attached, rendered for comparison. */
function statementsOf(template: Template, consumer: TaskConsumer): Statement[] {
  const roleId = Stack.of(consumer).getLogicalId(consumer.function.role!.node.defaultChild as CfnRole);
  type RawStatement = Record<string, unknown>;
  type PolicyDocument = { Statement: RawStatement[] };
  const documents: PolicyDocument[] = [];
  for (const policy of Object.values(template.findResources('AWS::IAM::Policy'))) {
    const props = (policy as { Properties: { Roles?: unknown[]; PolicyDocument: PolicyDocument } }).Properties;
    if (asList(props.Roles).some((role) => render(role) === `Ref(${roleId})`)) documents.push(props.PolicyDocument);
  }
  const role = template.findResources('AWS::IAM::Role')[roleId] as { Properties: { Policies?: Array<{ PolicyDocument: PolicyDocument }>; ManagedPolicyArns?: unknown[] } };
  expect(role.Properties.ManagedPolicyArns).toBeUndefined();
  documents.push(...asList(role.Properties.Policies).map((p) => p.PolicyDocument));
  return documents.flatMap((document) =>
    document.Statement.map((raw) => ({
      effect: String(raw['Effect']),
      actions: asList(raw['Action'] as string | string[] | undefined),
      resources: asList(raw['Resource'] as unknown).map(render),
      conditions: (raw['Condition'] ?? {}) as Statement['conditions'],
      hasNegations: ['NotAction', 'NotResource', 'NotPrincipal'].some((key) => key in raw),
    })),
  );
}

const SAMPLE_KEY = '01JTASKID0000000000000000/9f86d081884c7d659a2feaa0c55ad015';

describe('consumer grants', () => {
  // GIVEN the platform as bin/app.ts deploys it
  const app = new App({ context: { ...RECOMMENDED_CONTEXT, 'aws:cdk:bundling-stacks': [] } });
  const stack = new PlatformStack(app, 'Bosun-grants', { stage: 'grants', env: { account: '111111111111', region: 'eu-west-1' } });
  const template = Template.fromStack(stack);
  const bucketArn = `${logicalIdOf(stack.claimChecks.bucket)}.Arn`;
  const tableArn = `${logicalIdOf(stack.taskState.table)}.Arn`;
  const otherPrefixKey = `not-${SAMPLE_KEY}`;

  it('deploys one consumer per queue of the default platform', () => {
    expect(stack.consumers.map((c) => c.queue.taskQueueName)).toEqual(DEFAULT_PLATFORM.queues.map((q) => q.name));
  });

  describe.each(stack.consumers.map((consumer) => [consumer.queue.taskQueueName, consumer] as const))('the %s consumer', (_name, consumer) => {
    // WHEN its role's statements are collected
    const statements = statementsOf(template, consumer);
    const allowStatements = statements.filter((s) => s.effect === 'Allow');

    // THEN every call the runtime makes is allowed…
    it.each(CONSUMER_AWS_ACCESS.taskStateTable.actions.map((action) => [action]))('allows %s on the task-state table', (action) => {
      expect(allows(statements, action, tableArn)).toBe(true);
    });

    it.each(CONSUMER_AWS_ACCESS.claimCheckBucket.objects.map((a) => [a.action, a.keyPrefix]))(
      'allows %s on %s keys, and on no key outside that prefix',
      (action, keyPrefix) => {
        expect(allows(statements, action, `${bucketArn}/${keyPrefix}${SAMPLE_KEY}`)).toBe(true);
        expect(allows(statements, action, `${bucketArn}/${otherPrefixKey}`)).toBe(false);
      },
    );

    it.each(CONSUMER_AWS_ACCESS.claimCheckBucket.bucket.map((a) => [a.action, a.keyPrefix]))(
      'allows %s on the bucket for s3:prefix %s only',
      (action, keyPrefix) => {
        expect(allows(statements, action, bucketArn, { 's3:prefix': `${keyPrefix}${SAMPLE_KEY}` })).toBe(true);
        expect(allows(statements, action, bucketArn, { 's3:prefix': otherPrefixKey })).toBe(false);
        expect(allows(statements, action, bucketArn)).toBe(false);
      },
    );

    it('allows the SQS calls of its own queue, its DLQ, every other Bosun queue and the legacy queue', () => {
      const arnOf = (queue: IConstruct): string => `${logicalIdOf(queue)}.Arn`;
      for (const action of CONSUMER_AWS_ACCESS.queues.own) expect([action, allows(statements, action, arnOf(consumer.queue.queue))]).toEqual([action, true]);
      for (const action of CONSUMER_AWS_ACCESS.queues.deadLetterQueue) {
        expect([action, allows(statements, action, arnOf(consumer.queue.deadLetterQueue))]).toEqual([action, true]);
      }
      for (const other of stack.taskQueues.filter((q) => q !== consumer.queue)) {
        for (const action of CONSUMER_AWS_ACCESS.queues.otherTaskQueues) {
          expect([other.taskQueueName, action, allows(statements, action, arnOf(other.queue))]).toEqual([other.taskQueueName, action, true]);
        }
      }
      expect(stack.legacyQueue).toBeDefined();
      for (const action of CONSUMER_AWS_ACCESS.queues.legacyQueue) {
        expect([action, allows(statements, action, arnOf(stack.legacyQueue!))]).toEqual([action, true]);
      }
    });

    // …and nothing more on the table and the bucket.
    it('has no NotAction, NotResource or action "*" statement that could grant more than it names', () => {
      expect(statements.filter((s) => s.hasNegations)).toEqual([]);
      expect(allowStatements.filter((s) => s.actions.some((a) => a === '*'))).toEqual([]);
    });

    it('grants no DynamoDB action but the runtime’s, and those on the table only', () => {
      const granted = allowStatements.flatMap((s) =>
        s.actions.filter((a) => a.toLowerCase().startsWith('dynamodb:')).flatMap((action) => s.resources.map((resource) => `${action} ${resource}`)),
      );
      expect(granted.sort()).toEqual(CONSUMER_AWS_ACCESS.taskStateTable.actions.map((action) => `${action} ${tableArn}`).sort());
    });

    it('grants no S3 action but the runtime’s: each object action on its prefix, each bucket action with its s3:prefix condition', () => {
      const granted = allowStatements.flatMap((s) =>
        s.actions
          .filter((a) => a.toLowerCase().startsWith('s3:'))
          .flatMap((action) => s.resources.map((resource) => `${action} ${resource} ${JSON.stringify(s.conditions)}`)),
      );
      const expected = [
        ...CONSUMER_AWS_ACCESS.claimCheckBucket.objects.map((a) => `${a.action} ${bucketArn}/${a.keyPrefix}* {}`),
        ...CONSUMER_AWS_ACCESS.claimCheckBucket.bucket.map(
          (a) => `${a.action} ${bucketArn} ${JSON.stringify({ StringLike: { 's3:prefix': `${a.keyPrefix}*` } })}`,
        ),
      ];
      expect(granted.sort()).toEqual(expected.sort());
    });
  });
});
