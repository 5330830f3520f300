/**
 * A small IAM policy evaluator for the local platform: the documented single-account evaluation logic for the parts
 * of IAM a CDK template uses — identity policies (Allow and Deny, `Action`/`NotAction`, `Resource`/`NotResource`,
 * `*` and `?` wildcards), an optional permissions boundary, resource policies, and conditions with the string, ARN,
 * boolean, numeric and `Null` operators (with `...IfExists` and `ForAnyValue:`/`ForAllValues:`).
 *
 * Not covered, because a Bosun template does not use them: policy variables (`${aws:username}`), SCPs and session
 * policies, cross-account access, date operators, `IpAddress` and `Binary` operators.
 */

/** One statement of a policy document, after the template's intrinsics are resolved. */
export interface PolicyStatement {
  /** Optional statement id, shown in explanations. */
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action?: string | readonly string[];
  readonly NotAction?: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly NotResource?: string | readonly string[];
  /** Only in resource policies: who the statement is about. */
  readonly Principal?: unknown;
  /** Only in resource policies: everyone but these. */
  readonly NotPrincipal?: unknown;
  /** `{ operator: { key: value | values } }`. */
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

/** Condition context of one request: key (lower case) → its values. A key that is absent is not in the request. */
export type ConditionContext = ReadonlyMap<string, readonly string[]>;

/** One authorization question: may this principal perform this action on this resource, in this context? */
export interface AuthorizationRequest {
  /** The principal's ARN, for example `arn:aws:iam::000000000000:role/Bosun-local-DefaultConsumerRole`. */
  readonly principalArn: string;
  /** The principal's account id. */
  readonly principalAccount: string;
  /** The IAM action, for example `s3:PutObject`. */
  readonly action: string;
  /** The resource ARN, for example `arn:aws:s3:::bucket/key`, or `*` for actions that name no resource. */
  readonly resource: string;
  /** Condition keys the request carries (the evaluator adds `aws:PrincipalArn` and `aws:PrincipalAccount`). */
  readonly context?: ConditionContext;
}

/** The policies that decide a request. */
export interface ApplicablePolicies {
  /** Every statement of every identity policy attached to the principal. */
  readonly identity: readonly PolicyStatement[];
  /** The permissions boundary's statements, when the principal has one. */
  readonly boundary?: readonly PolicyStatement[];
  /** Statements of the resource policies of the resource (those whose principal matches are applied). */
  readonly resource?: readonly PolicyStatement[];
}

/** Why a request was decided as it was. */
export type DecisionReason =
  | 'allowed'
  | 'explicit-deny-identity'
  | 'explicit-deny-resource'
  | 'explicit-deny-boundary'
  | 'no-allow'
  | 'boundary-no-allow';

/** The outcome of {@link evaluatePolicies}. */
export interface Decision {
  readonly allowed: boolean;
  readonly reason: DecisionReason;
}

function list(value: string | readonly string[] | undefined): readonly string[] {
  if (value === undefined) return [];
  return typeof value === 'string' ? [value] : value;
}

const patternCache = new Map<string, RegExp>();

/**
 * Whether `value` matches an IAM wildcard `pattern`: `*` matches any run of characters (including none and `/`), `?`
 * exactly one character, everything else itself.
 *
 * @example
 * matchesWildcard('arn:aws:s3:::b/task-results/*', 'arn:aws:s3:::b/task-results/01J.json'); // true
 */
export function matchesWildcard(pattern: string, value: string, ignoreCase = false): boolean {
  if (!pattern.includes('*') && !pattern.includes('?')) {
    return ignoreCase ? pattern.toLowerCase() === value.toLowerCase() : pattern === value;
  }
  const key = `${ignoreCase ? 'i' : 's'}${pattern}`;
  let regex = patternCache.get(key);
  if (regex === undefined) {
    const source = pattern
      .split('')
      .map((char) => (char === '*' ? '.*' : char === '?' ? '.' : char.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
      .join('');
    regex = new RegExp(`^${source}$`, ignoreCase ? 'is' : 's');
    if (patternCache.size > 10_000) patternCache.clear();
    patternCache.set(key, regex);
  }
  return regex.test(value);
}

/** Whether an action matches an action pattern (`s3:Get*`): service prefix and name are case-insensitive in IAM. */
export function matchesAction(pattern: string, action: string): boolean {
  return pattern === '*' || matchesWildcard(pattern, action, true);
}

function matchesResource(pattern: string, resource: string): boolean {
  if (pattern === '*') return true;
  // A request that names no resource (`*`) is matched only by a statement on every resource.
  if (resource === '*') return false;
  return matchesWildcard(pattern, resource);
}

function statementCovers(statement: PolicyStatement, request: AuthorizationRequest): boolean {
  const actionHit =
    statement.Action !== undefined
      ? list(statement.Action).some((pattern) => matchesAction(pattern, request.action))
      : statement.NotAction !== undefined && !list(statement.NotAction).some((pattern) => matchesAction(pattern, request.action));
  if (!actionHit) return false;
  if (statement.Resource !== undefined) return list(statement.Resource).some((pattern) => matchesResource(pattern, request.resource));
  if (statement.NotResource !== undefined) {
    return !list(statement.NotResource).some((pattern) => matchesResource(pattern, request.resource));
  }
  // A resource policy statement may leave Resource out: it is about the resource it is attached to.
  return statement.Principal !== undefined || statement.NotPrincipal !== undefined;
}

function principalValues(principal: unknown): { any: boolean; arns: string[] } {
  if (principal === '*') return { any: true, arns: [] };
  if (typeof principal !== 'object' || principal === null) return { any: false, arns: [] };
  const aws = (principal as Record<string, unknown>)['AWS'];
  const values = aws === undefined ? [] : Array.isArray(aws) ? aws.map(String) : [String(aws)];
  return { any: values.includes('*'), arns: values.filter((value) => value !== '*') };
}

function principalNamed(arns: readonly string[], request: AuthorizationRequest): boolean {
  return arns.some(
    (arn) =>
      arn === request.principalArn ||
      arn === request.principalAccount ||
      arn === `arn:aws:iam::${request.principalAccount}:root`,
  );
}

/**
 * Whether a resource-policy statement is about the request's principal. An account (`123…` or `…:root`) names every
 * principal of that account for a Deny; for an Allow, same-account access through an account principal is delegated
 * to IAM, so only `*` or the principal's own ARN grant.
 */
function statementAppliesTo(statement: PolicyStatement, request: AuthorizationRequest): boolean {
  if (statement.NotPrincipal !== undefined) {
    const { any, arns } = principalValues(statement.NotPrincipal);
    return !any && !principalNamed(arns, request);
  }
  const { any, arns } = principalValues(statement.Principal);
  if (any) return true;
  if (statement.Effect === 'Deny') return principalNamed(arns, request);
  return arns.includes(request.principalArn);
}

function conditionValues(raw: unknown): string[] {
  const values = Array.isArray(raw) ? (raw as unknown[]) : [raw];
  return values.map((value) => String(value));
}

type Comparator = (contextValue: string, policyValue: string) => boolean;

const numeric = (compare: (a: number, b: number) => boolean): Comparator => (a, b) => {
  const left = Number(a);
  const right = Number(b);
  return !Number.isNaN(left) && !Number.isNaN(right) && compare(left, right);
};

/** Positive operators; each `...Not...` operator is the negation of its positive one. */
const COMPARATORS: Readonly<Record<string, Comparator>> = {
  stringequals: (a, b) => a === b,
  stringequalsignorecase: (a, b) => a.toLowerCase() === b.toLowerCase(),
  stringlike: (a, b) => matchesWildcard(b, a),
  arnequals: (a, b) => matchesWildcard(b, a),
  arnlike: (a, b) => matchesWildcard(b, a),
  bool: (a, b) => a.toLowerCase() === b.toLowerCase(),
  numericequals: numeric((a, b) => a === b),
  numericlessthan: numeric((a, b) => a < b),
  numericlessthanequals: numeric((a, b) => a <= b),
  numericgreaterthan: numeric((a, b) => a > b),
  numericgreaterthanequals: numeric((a, b) => a >= b),
};

const NEGATED: Readonly<Record<string, string>> = {
  stringnotequals: 'stringequals',
  stringnotequalsignorecase: 'stringequalsignorecase',
  stringnotlike: 'stringlike',
  arnnotequals: 'arnequals',
  arnnotlike: 'arnlike',
  numericnotequals: 'numericequals',
};

/** Parses a condition operator (`ForAnyValue:StringLikeIfExists`), or `undefined` if the evaluator does not know it. */
export function parseConditionOperator(
  operator: string,
): { readonly base: string; readonly negated: boolean; readonly ifExists: boolean; readonly set?: 'any' | 'all' } | undefined {
  let name = operator.toLowerCase();
  let set: 'any' | 'all' | undefined;
  if (name.startsWith('foranyvalue:')) {
    set = 'any';
    name = name.slice('foranyvalue:'.length);
  } else if (name.startsWith('forallvalues:')) {
    set = 'all';
    name = name.slice('forallvalues:'.length);
  }
  const ifExists = name.endsWith('ifexists');
  if (ifExists) name = name.slice(0, -'ifexists'.length);
  if (name === 'null') return ifExists || set !== undefined ? undefined : { base: 'null', negated: false, ifExists: false };
  if (COMPARATORS[name] !== undefined) return { base: name, negated: false, ifExists, ...(set === undefined ? {} : { set }) };
  const positive = NEGATED[name];
  if (positive !== undefined) return { base: positive, negated: true, ifExists, ...(set === undefined ? {} : { set }) };
  return undefined;
}

function conditionHolds(operator: string, key: string, policyRaw: unknown, context: ConditionContext): boolean {
  const parsed = parseConditionOperator(operator);
  // Unknown operators are refused when the template is read; here an unknown one can only fail closed.
  if (parsed === undefined) return false;
  const policyValues = conditionValues(policyRaw);
  const present = context.get(key.toLowerCase());
  if (parsed.base === 'null') {
    const wantsAbsent = policyValues.some((value) => value.toLowerCase() === 'true');
    return wantsAbsent === (present === undefined || present.length === 0);
  }
  if (present === undefined || present.length === 0) {
    if (parsed.ifExists) return true;
    if (parsed.set === 'all') return true;
    // A negated operator holds when no value of the request matches, and a missing key matches nothing.
    return parsed.negated && parsed.set !== 'any';
  }
  const compare = COMPARATORS[parsed.base]!;
  const matches = (value: string): boolean => policyValues.some((policyValue) => compare(value, policyValue));
  if (parsed.set === 'all') return present.every((value) => (parsed.negated ? !matches(value) : matches(value)));
  if (parsed.set === 'any') return present.some((value) => (parsed.negated ? !matches(value) : matches(value)));
  const any = present.some(matches);
  return parsed.negated ? !any : any;
}

function conditionsHold(statement: PolicyStatement, context: ConditionContext): boolean {
  for (const [operator, entries] of Object.entries(statement.Condition ?? {})) {
    for (const [key, values] of Object.entries(entries)) {
      if (!conditionHolds(operator, key, values, context)) return false;
    }
  }
  return true;
}

function fullContext(request: AuthorizationRequest): ConditionContext {
  const context = new Map(request.context ?? []);
  context.set('aws:principalarn', [request.principalArn]);
  context.set('aws:principalaccount', [request.principalAccount]);
  return context;
}

function matching(statements: readonly PolicyStatement[], request: AuthorizationRequest, context: ConditionContext, effect: 'Allow' | 'Deny'): boolean {
  return statements.some(
    (statement) => statement.Effect === effect && statementCovers(statement, request) && conditionsHold(statement, context),
  );
}

/**
 * Decides one request the way IAM does within one account: an explicit Deny in any applicable policy wins; then a
 * permissions boundary, if any, must allow; then an Allow in an identity policy, or in a resource policy naming the
 * principal (or `*`), grants; otherwise the request is denied by default.
 *
 * @example
 * const decision = evaluatePolicies(
 *   { principalArn, principalAccount: '000000000000', action: 's3:PutObject', resource: 'arn:aws:s3:::b/task-results/1.json' },
 *   { identity: [{ Effect: 'Allow', Action: 's3:PutObject', Resource: 'arn:aws:s3:::b/task-results/*' }] },
 * ); // { allowed: true, reason: 'allowed' }
 */
export function evaluatePolicies(request: AuthorizationRequest, policies: ApplicablePolicies): Decision {
  const context = fullContext(request);
  const resourceStatements = (policies.resource ?? []).filter((statement) => statementAppliesTo(statement, request));
  if (matching(policies.identity, request, context, 'Deny')) return { allowed: false, reason: 'explicit-deny-identity' };
  if (matching(resourceStatements, request, context, 'Deny')) return { allowed: false, reason: 'explicit-deny-resource' };
  if (policies.boundary !== undefined) {
    if (matching(policies.boundary, request, context, 'Deny')) return { allowed: false, reason: 'explicit-deny-boundary' };
    if (!matching(policies.boundary, request, context, 'Allow')) return { allowed: false, reason: 'boundary-no-allow' };
  }
  if (matching(policies.identity, request, context, 'Allow')) return { allowed: true, reason: 'allowed' };
  if (matching(resourceStatements, request, context, 'Allow')) return { allowed: true, reason: 'allowed' };
  return { allowed: false, reason: 'no-allow' };
}
