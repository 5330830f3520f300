import { LocalTemplateError } from '../errors';
import type { CfnResource, CfnTemplate, IntrinsicResolver } from '../intrinsics';
import { referencedLogicalId } from '../platform-template';
import { type PolicyStatement, parseConditionOperator } from './policy-evaluator';

/** One IAM role of the template with every identity policy the template attaches to it. */
export interface RoleAccess {
  readonly logicalId: string;
  readonly roleName: string;
  /** `arn:aws:iam::<account>:role/<roleName>`. */
  readonly arn: string;
  /** Statements of its inline `Policies`, of `AWS::IAM::Policy` and `AWS::IAM::ManagedPolicy` resources naming it, and of the AWS managed policies the local platform knows. */
  readonly identity: readonly PolicyStatement[];
  /** Statements of its permissions boundary, when it has one the template defines. */
  readonly boundary?: readonly PolicyStatement[];
  /** ARNs of managed policies attached to it whose content the template does not hold (they grant nothing locally). */
  readonly unknownManagedPolicies: readonly string[];
}

/** A resource policy of the template and the resources it is attached to. */
export interface ResourcePolicy {
  /** Logical id of the policy resource (or of the table holding it). */
  readonly logicalId: string;
  /** ARNs of the resources it governs; a request on one of them, or on an ARN under one of them (`<arn>/…`), is subject to it. */
  readonly resourceArns: readonly string[];
  readonly statements: readonly PolicyStatement[];
}

/** The IAM of one template, as the local platform enforces it. */
export interface TemplateIam {
  /** Roles by logical id. */
  readonly roles: ReadonlyMap<string, RoleAccess>;
  /** Role logical id of each Lambda function, by the function's logical id (functions whose role is not in the template are absent). */
  readonly functionRoles: ReadonlyMap<string, string>;
  readonly resourcePolicies: readonly ResourcePolicy[];
}

/** Condition keys the local IAM gateway puts in a request's context; a policy conditioned on any other key is refused. */
export const SUPPORTED_CONDITION_KEYS: readonly string[] = [
  'aws:SecureTransport',
  'aws:PrincipalArn',
  'aws:PrincipalAccount',
  'aws:RequestedRegion',
  's3:prefix',
  's3:delimiter',
  's3:max-keys',
];

/**
 * AWS managed policies a Lambda consumer role commonly carries, with their documented statements (the template only
 * names them). Logs and EC2 actions never reach the local platform; the SQS ones are what an event source needs.
 */
const KNOWN_MANAGED_POLICIES: Readonly<Record<string, readonly PolicyStatement[]>> = {
  'service-role/AWSLambdaBasicExecutionRole': [
    { Effect: 'Allow', Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'], Resource: '*' },
  ],
  'service-role/AWSLambdaSQSQueueExecutionRole': [
    {
      Effect: 'Allow',
      Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: '*',
    },
  ],
};

const ROLE_NAME_MAX_LENGTH = 64;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function props(resource: CfnResource): Readonly<Record<string, unknown>> {
  return resource.Properties ?? {};
}

/** Whether a resource-policy statement names only service principals (it can never apply to a role). */
function onlyServicePrincipals(statement: PolicyStatement): boolean {
  const principal = statement.Principal;
  return isRecord(principal) && principal['AWS'] === undefined && principal['Service'] !== undefined && statement.NotPrincipal === undefined;
}

function checkConditions(statements: readonly PolicyStatement[], where: string): void {
  statements.forEach((statement, index) => {
    if (onlyServicePrincipals(statement)) return;
    for (const [operator, entries] of Object.entries(statement.Condition ?? {})) {
      const at = `${where}.Statement[${index}].Condition.${operator}`;
      if (parseConditionOperator(operator) === undefined) {
        throw new LocalTemplateError(
          at,
          `the condition operator ${operator} is not evaluated by the local platform's IAM enforcement (String*, Arn*, Bool, Numeric* and Null are, with IfExists and ForAnyValue/ForAllValues); start it with --no-iam to run without IAM`,
        );
      }
      for (const key of Object.keys(entries)) {
        if (!SUPPORTED_CONDITION_KEYS.some((supported) => supported.toLowerCase() === key.toLowerCase())) {
          throw new LocalTemplateError(
            `${at}.${key}`,
            `the condition key ${key} is not known to the local platform's IAM enforcement (known: ${SUPPORTED_CONDITION_KEYS.join(', ')}); start it with --no-iam to run without IAM`,
          );
        }
      }
    }
  });
}

function statementsOf(document: unknown, where: string): PolicyStatement[] {
  if (!isRecord(document)) throw new LocalTemplateError(where, 'must be a policy document (an object with a Statement)');
  const raw = document['Statement'];
  const statements = (Array.isArray(raw) ? raw : [raw]) as unknown[];
  return statements.map((statement, index) => {
    if (!isRecord(statement) || (statement['Effect'] !== 'Allow' && statement['Effect'] !== 'Deny')) {
      throw new LocalTemplateError(`${where}.Statement[${index}]`, 'must be a statement with Effect "Allow" or "Deny"');
    }
    return statement as unknown as PolicyStatement;
  });
}

function resolvedDocument(resolver: IntrinsicResolver, document: unknown, where: string): PolicyStatement[] {
  const statements = statementsOf(resolver.resolve(document, where), where);
  checkConditions(statements, where);
  return statements;
}

function roleIds(value: unknown): string[] {
  return (Array.isArray(value) ? value : []).map((entry) => referencedLogicalId(entry)).filter((id): id is string => id !== undefined);
}

/**
 * Reads the IAM a template defines — its roles with the identity policies attached to them (inline `Policies`,
 * `AWS::IAM::Policy`, `AWS::IAM::ManagedPolicy` and the AWS managed policies it knows), permissions boundaries,
 * each Lambda function's role, and the resource policies (`AWS::SQS::QueuePolicy`, `AWS::S3::BucketPolicy`, a
 * table's `ResourcePolicy`) — with intrinsics resolved against the local resources. Registers each role's `Ref` and
 * `Arn` with the resolver. Call it after the queues, buckets and tables are created, so policy ARNs resolve to them.
 *
 * @throws LocalTemplateError when a policy a role could be subject to uses a condition operator or key the local
 * platform cannot evaluate (it would otherwise decide wrongly, one way or the other).
 * @example
 * const iam = readTemplateIam(template, resolver, { stackName: 'Bosun-local', accountId: LOCAL_ACCOUNT_ID });
 */
export function readTemplateIam(
  template: CfnTemplate,
  resolver: IntrinsicResolver,
  options: { readonly stackName: string; readonly accountId: string },
): TemplateIam {
  const entries = Object.entries(template.Resources);
  const names = new Map<string, { roleName: string; arn: string }>();
  for (const [id, resource] of entries) {
    if (resource.Type !== 'AWS::IAM::Role') continue;
    const given = props(resource)['RoleName'];
    const roleName =
      given === undefined
        ? `${options.stackName}-${id}`.slice(0, ROLE_NAME_MAX_LENGTH)
        : resolver.resolveString(given, `Resources.${id}.Properties.RoleName`);
    const path = typeof props(resource)['Path'] === 'string' ? (props(resource)['Path'] as string) : '/';
    const arn = `arn:aws:iam::${options.accountId}:role${path}${roleName}`;
    names.set(id, { roleName, arn });
    resolver.register(id, { ref: roleName, attributes: { Arn: arn, RoleId: `AROALOCAL${id.toUpperCase()}`.slice(0, 21) } });
  }

  const identity = new Map<string, PolicyStatement[]>([...names.keys()].map((id) => [id, []]));
  const unknown = new Map<string, string[]>([...names.keys()].map((id) => [id, []]));
  const managed = new Map<string, PolicyStatement[]>();
  const attachTo = (roles: readonly string[], statements: readonly PolicyStatement[]): void => {
    for (const role of roles) identity.get(role)?.push(...statements);
  };
  for (const [id, resource] of entries) {
    if (resource.Type !== 'AWS::IAM::ManagedPolicy') continue;
    const where = `Resources.${id}.Properties.PolicyDocument`;
    const statements = resolvedDocument(resolver, props(resource)['PolicyDocument'], where);
    managed.set(id, statements);
    attachTo(roleIds(props(resource)['Roles']), statements);
    const arn = `arn:aws:iam::${options.accountId}:policy/${resolver.resolveString(props(resource)['ManagedPolicyName'] ?? `${options.stackName}-${id}`, `Resources.${id}.Properties.ManagedPolicyName`)}`;
    resolver.register(id, { ref: arn, attributes: { PolicyArn: arn } });
  }
  for (const [id, resource] of entries) {
    if (resource.Type !== 'AWS::IAM::Policy') continue;
    attachTo(roleIds(props(resource)['Roles']), resolvedDocument(resolver, props(resource)['PolicyDocument'], `Resources.${id}.Properties.PolicyDocument`));
  }

  const roles = new Map<string, RoleAccess>();
  for (const [id, { roleName, arn }] of names) {
    const p = props(template.Resources[id]!);
    const inline = Array.isArray(p['Policies']) ? (p['Policies'] as unknown[]) : [];
    inline.forEach((policy, index) => {
      const where = `Resources.${id}.Properties.Policies[${index}].PolicyDocument`;
      attachTo([id], resolvedDocument(resolver, isRecord(policy) ? policy['PolicyDocument'] : undefined, where));
    });
    const managedArns = Array.isArray(p['ManagedPolicyArns']) ? (p['ManagedPolicyArns'] as unknown[]) : [];
    managedArns.forEach((entry, index) => {
      const ref = referencedLogicalId(entry);
      if (ref !== undefined && managed.has(ref)) {
        attachTo([id], managed.get(ref)!);
        return;
      }
      const policyArn = resolver.resolveString(entry, `Resources.${id}.Properties.ManagedPolicyArns[${index}]`);
      const known = /^arn:aws[\w-]*:iam::aws:policy\/(.+)$/.exec(policyArn)?.[1];
      const statements = known === undefined ? undefined : KNOWN_MANAGED_POLICIES[known];
      if (statements === undefined) unknown.get(id)!.push(policyArn);
      else attachTo([id], statements);
    });
    const boundaryRef = referencedLogicalId(p['PermissionsBoundary']);
    const boundary = boundaryRef === undefined ? undefined : managed.get(boundaryRef);
    if (p['PermissionsBoundary'] !== undefined && boundary === undefined) {
      throw new LocalTemplateError(
        `Resources.${id}.Properties.PermissionsBoundary`,
        'must reference an AWS::IAM::ManagedPolicy of the template for the local platform to enforce it; start it with --no-iam to run without IAM',
      );
    }
    roles.set(id, {
      logicalId: id,
      roleName,
      arn,
      identity: identity.get(id)!,
      ...(boundary === undefined ? {} : { boundary }),
      unknownManagedPolicies: unknown.get(id)!,
    });
  }

  const functionRoles = new Map<string, string>();
  for (const [id, resource] of entries) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const role = referencedLogicalId(props(resource)['Role']);
    if (role !== undefined && roles.has(role)) functionRoles.set(id, role);
  }

  return { roles, functionRoles, resourcePolicies: readResourcePolicies(template, resolver) };
}

function arnOf(resolver: IntrinsicResolver, value: unknown, where: string): string | undefined {
  const id = referencedLogicalId(value);
  if (id === undefined) return undefined;
  const arn = resolver.resolve({ 'Fn::GetAtt': [id, 'Arn'] }, where);
  return typeof arn === 'string' ? arn : undefined;
}

function readResourcePolicies(template: CfnTemplate, resolver: IntrinsicResolver): ResourcePolicy[] {
  const policies: ResourcePolicy[] = [];
  for (const [id, resource] of Object.entries(template.Resources)) {
    const p = props(resource);
    const where = `Resources.${id}.Properties`;
    if (resource.Type === 'AWS::SQS::QueuePolicy') {
      const queues = (Array.isArray(p['Queues']) ? (p['Queues'] as unknown[]) : []).map((queue, index) => arnOf(resolver, queue, `${where}.Queues[${index}]`));
      policies.push({
        logicalId: id,
        resourceArns: queues.filter((arn): arn is string => arn !== undefined),
        statements: resolvedDocument(resolver, p['PolicyDocument'], `${where}.PolicyDocument`),
      });
    } else if (resource.Type === 'AWS::S3::BucketPolicy') {
      const bucket = resolver.resolveString(p['Bucket'], `${where}.Bucket`);
      policies.push({
        logicalId: id,
        resourceArns: [`arn:aws:s3:::${bucket}`],
        statements: resolvedDocument(resolver, p['PolicyDocument'], `${where}.PolicyDocument`),
      });
    } else if ((resource.Type === 'AWS::DynamoDB::Table' || resource.Type === 'AWS::DynamoDB::GlobalTable') && isRecord(p['ResourcePolicy'])) {
      const arn = arnOf(resolver, { Ref: id }, `${where}.ResourcePolicy`);
      policies.push({
        logicalId: id,
        resourceArns: arn === undefined ? [] : [arn],
        statements: resolvedDocument(resolver, p['ResourcePolicy']['PolicyDocument'], `${where}.ResourcePolicy.PolicyDocument`),
      });
    }
  }
  return policies;
}
