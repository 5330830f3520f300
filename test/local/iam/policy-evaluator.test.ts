import * as fc from 'fast-check';
import {
  type AuthorizationRequest,
  type PolicyStatement,
  evaluatePolicies,
  matchesWildcard,
  parseConditionOperator,
} from '../../../local/iam/policy-evaluator';

const ACCOUNT = '000000000000';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/Bosun-local-ConsumerRole`;
const BUCKET = 'arn:aws:s3:::claims';

function request(action: string, resource: string, context: Record<string, string[]> = {}): AuthorizationRequest {
  return {
    principalArn: ROLE,
    principalAccount: ACCOUNT,
    action,
    resource,
    context: new Map(Object.entries(context).map(([key, values]) => [key.toLowerCase(), values])),
  };
}

const allow = (Action: string | string[], Resource: string | string[], extra: Partial<PolicyStatement> = {}): PolicyStatement => ({
  Effect: 'Allow',
  Action,
  Resource,
  ...extra,
});
const deny = (Action: string | string[], Resource: string | string[], extra: Partial<PolicyStatement> = {}): PolicyStatement => ({
  Effect: 'Deny',
  Action,
  Resource,
  ...extra,
});

/** Characters of ARNs and actions, including regex metacharacters that must match literally. */
const arnChar = fc.constantFrom(...'abcXYZ019:/-_.+()[]^$|\\{}'.split(''));
const text = fc.string({ unit: arnChar, minLength: 0, maxLength: 20 });

describe('matchesWildcard', () => {
  it('matches a pattern without wildcards only to itself, metacharacters included', () => {
    fc.assert(
      fc.property(text, text, (pattern, value) => {
        expect(matchesWildcard(pattern, value)).toBe(pattern === value);
      }),
    );
  });

  it('lets * stand for any run of characters, including none and slashes', () => {
    fc.assert(
      fc.property(text, text, text, (prefix, middle, suffix) => {
        expect(matchesWildcard(`${prefix}*${suffix}`, `${prefix}${middle}${suffix}`)).toBe(true);
      }),
    );
    expect(matchesWildcard('arn:aws:s3:::b/task-results/*', 'arn:aws:s3:::b/task-results/a/b.json')).toBe(true);
    expect(matchesWildcard('arn:aws:s3:::b/task-results/*', 'arn:aws:s3:::b/claim-checks/a.json')).toBe(false);
  });

  it('lets ? stand for exactly one character', () => {
    fc.assert(
      fc.property(text, arnChar, text, (prefix, one, suffix) => {
        expect(matchesWildcard(`${prefix}?${suffix}`, `${prefix}${one}${suffix}`)).toBe(true);
        expect(matchesWildcard(`${prefix}?${suffix}`, `${prefix}${suffix}`)).toBe(false);
        expect(matchesWildcard(`${prefix}?${suffix}`, `${prefix}${one}${one}${suffix}`)).toBe(false);
      }),
    );
  });

  it('is case-sensitive unless asked not to be', () => {
    expect(matchesWildcard('arn:aws:sqs:*:Queue', 'arn:aws:sqs:us-east-1:queue')).toBe(false);
    expect(matchesWildcard('SQS:Send*', 'sqs:sendmessage', true)).toBe(true);
  });
});

describe('evaluatePolicies', () => {
  it('denies by default: no statement, no access', () => {
    expect(evaluatePolicies(request('s3:GetObject', `${BUCKET}/k`), { identity: [] })).toEqual({ allowed: false, reason: 'no-allow' });
  });

  it('allows what an identity statement covers, with action wildcards in any case', () => {
    const identity = [allow('SQS:Send*', 'arn:aws:sqs:us-east-1:000000000000:q')];
    expect(evaluatePolicies(request('sqs:SendMessage', 'arn:aws:sqs:us-east-1:000000000000:q'), { identity }).allowed).toBe(true);
    expect(evaluatePolicies(request('sqs:ReceiveMessage', 'arn:aws:sqs:us-east-1:000000000000:q'), { identity }).allowed).toBe(false);
    expect(evaluatePolicies(request('sqs:SendMessage', 'arn:aws:sqs:us-east-1:000000000000:other'), { identity }).allowed).toBe(false);
  });

  it('lets an explicit deny win over any allow, in identity or resource policies', () => {
    const statement = fc.record({
      effect: fc.constantFrom<'Allow' | 'Deny'>('Allow', 'Deny'),
      action: fc.constantFrom('s3:*', 's3:GetObject', 's3:Get*', 's3:PutObject', '*'),
      resource: fc.constantFrom(`${BUCKET}/*`, `${BUCKET}/k`, '*', `${BUCKET}/other`),
    });
    fc.assert(
      fc.property(fc.array(statement, { maxLength: 6 }), fc.array(statement, { maxLength: 3 }), (identityRaw, resourceRaw) => {
        const identity = identityRaw.map((s): PolicyStatement => ({ Effect: s.effect, Action: s.action, Resource: s.resource }));
        const resource = resourceRaw.map((s): PolicyStatement => ({ Effect: s.effect, Action: s.action, Resource: s.resource, Principal: { AWS: '*' } }));
        const req = request('s3:GetObject', `${BUCKET}/k`);
        const covers = (s: { action: string; resource: string }): boolean =>
          ['s3:*', 's3:GetObject', 's3:Get*', '*'].includes(s.action) && [`${BUCKET}/*`, `${BUCKET}/k`, '*'].includes(s.resource);
        const denied = [...identityRaw, ...resourceRaw].some((s) => s.effect === 'Deny' && covers(s));
        const allowed = [...identityRaw, ...resourceRaw].some((s) => s.effect === 'Allow' && covers(s));
        expect(evaluatePolicies(req, { identity, resource }).allowed).toBe(!denied && allowed);
      }),
    );
  });

  it('reads NotAction and NotResource as everything but the listed ones', () => {
    const identity: PolicyStatement[] = [
      { Effect: 'Allow', NotAction: 's3:DeleteObject', Resource: `${BUCKET}/*` },
      { Effect: 'Deny', Action: 's3:*', NotResource: `${BUCKET}/task-results/*` },
    ];
    expect(evaluatePolicies(request('s3:PutObject', `${BUCKET}/task-results/1`), { identity }).allowed).toBe(true);
    expect(evaluatePolicies(request('s3:DeleteObject', `${BUCKET}/task-results/1`), { identity }).reason).toBe('no-allow');
    expect(evaluatePolicies(request('s3:PutObject', `${BUCKET}/claim-checks/1`), { identity }).reason).toBe('explicit-deny-identity');
  });

  it('matches a request that names no resource only with Resource "*"', () => {
    expect(evaluatePolicies(request('sqs:ListQueues', '*'), { identity: [allow('sqs:*', 'arn:aws:sqs:*')] }).allowed).toBe(false);
    expect(evaluatePolicies(request('sqs:ListQueues', '*'), { identity: [allow('sqs:*', '*')] }).allowed).toBe(true);
  });

  describe('conditions', () => {
    const list = allow('s3:ListBucket', BUCKET, { Condition: { StringLike: { 's3:prefix': 'claim-checks/*' } } });

    it('grants s3:ListBucket only for the prefix its StringLike condition names, and not without a prefix', () => {
      expect(evaluatePolicies(request('s3:ListBucket', BUCKET, { 's3:prefix': ['claim-checks/01J'] }), { identity: [list] }).allowed).toBe(true);
      expect(evaluatePolicies(request('s3:ListBucket', BUCKET, { 's3:prefix': ['task-results/01J'] }), { identity: [list] }).allowed).toBe(false);
      expect(evaluatePolicies(request('s3:ListBucket', BUCKET), { identity: [list] }).allowed).toBe(false);
    });

    it('treats a missing key as matching nothing: positive operators fail, negated ones hold, IfExists holds', () => {
      const on = (Condition: PolicyStatement['Condition']): boolean =>
        evaluatePolicies(request('s3:ListBucket', BUCKET), { identity: [allow('s3:ListBucket', BUCKET, { Condition })] }).allowed;
      expect(on({ StringEquals: { 's3:prefix': 'a' } })).toBe(false);
      expect(on({ StringNotEquals: { 's3:prefix': 'a' } })).toBe(true);
      expect(on({ StringEqualsIfExists: { 's3:prefix': 'a' } })).toBe(true);
      expect(on({ Null: { 's3:prefix': 'true' } })).toBe(true);
      expect(on({ Null: { 's3:prefix': 'false' } })).toBe(false);
    });

    it('needs every condition of a statement to hold, and any value of a key to match', () => {
      const Condition = { StringLike: { 's3:prefix': ['a/*', 'b/*'] }, StringEquals: { 's3:delimiter': '/' } };
      const identity = [allow('s3:ListBucket', BUCKET, { Condition })];
      expect(evaluatePolicies(request('s3:ListBucket', BUCKET, { 's3:prefix': ['b/x'], 's3:delimiter': ['/'] }), { identity }).allowed).toBe(true);
      expect(evaluatePolicies(request('s3:ListBucket', BUCKET, { 's3:prefix': ['b/x'] }), { identity }).allowed).toBe(false);
    });

    it('compares Bool and Numeric values, and a Deny on aws:SecureTransport false spares a secure request', () => {
      const resource = [deny('s3:*', [BUCKET, `${BUCKET}/*`], { Principal: { AWS: '*' }, Condition: { Bool: { 'aws:SecureTransport': 'false' } } })];
      const identity = [allow('s3:GetObject', `${BUCKET}/*`, { Condition: { NumericLessThanEquals: { 's3:max-keys': '10' } } })];
      expect(evaluatePolicies(request('s3:GetObject', `${BUCKET}/k`, { 'aws:SecureTransport': ['false'], 's3:max-keys': ['5'] }), { identity, resource }).reason).toBe(
        'explicit-deny-resource',
      );
      expect(evaluatePolicies(request('s3:GetObject', `${BUCKET}/k`, { 'aws:SecureTransport': ['true'], 's3:max-keys': ['5'] }), { identity, resource }).allowed).toBe(true);
      expect(evaluatePolicies(request('s3:GetObject', `${BUCKET}/k`, { 'aws:SecureTransport': ['true'], 's3:max-keys': ['50'] }), { identity, resource }).allowed).toBe(false);
    });

    it('knows the operators it evaluates and refuses the rest', () => {
      expect(parseConditionOperator('ForAnyValue:StringLikeIfExists')).toEqual({ base: 'stringlike', negated: false, ifExists: true, set: 'any' });
      expect(parseConditionOperator('ArnNotLike')).toEqual({ base: 'arnlike', negated: true, ifExists: false });
      expect(parseConditionOperator('DateGreaterThan')).toBeUndefined();
      expect(parseConditionOperator('IpAddress')).toBeUndefined();
    });
  });

  describe('resource policies', () => {
    const queue = 'arn:aws:sqs:us-east-1:000000000000:q';

    it('apply a Deny to everyone (*), the principal, or its account, but not to another principal', () => {
      const on = (Principal: unknown): boolean =>
        evaluatePolicies(request('sqs:SendMessage', queue), { identity: [allow('sqs:*', queue)], resource: [deny('sqs:*', queue, { Principal })] }).allowed;
      expect(on('*')).toBe(false);
      expect(on({ AWS: ROLE })).toBe(false);
      expect(on({ AWS: `arn:aws:iam::${ACCOUNT}:root` })).toBe(false);
      expect(on({ AWS: 'arn:aws:iam::000000000000:role/Other' })).toBe(true);
      expect(on({ Service: 'logging.s3.amazonaws.com' })).toBe(true);
    });

    it('grant with an Allow naming the principal or *, and not with one naming only its account', () => {
      const on = (Principal: unknown): boolean =>
        evaluatePolicies(request('sqs:SendMessage', queue), { identity: [], resource: [allow('sqs:SendMessage', queue, { Principal })] }).allowed;
      expect(on({ AWS: ROLE })).toBe(true);
      expect(on({ AWS: '*' })).toBe(true);
      expect(on({ AWS: ACCOUNT })).toBe(false);
    });
  });

  it('needs a permissions boundary to allow too, and lets its deny win', () => {
    const identity = [allow('s3:*', '*')];
    const boundary = [allow('s3:GetObject', `${BUCKET}/*`), deny('s3:GetObject', `${BUCKET}/secret/*`)];
    expect(evaluatePolicies(request('s3:GetObject', `${BUCKET}/k`), { identity, boundary }).allowed).toBe(true);
    expect(evaluatePolicies(request('s3:PutObject', `${BUCKET}/k`), { identity, boundary }).reason).toBe('boundary-no-allow');
    expect(evaluatePolicies(request('s3:GetObject', `${BUCKET}/secret/k`), { identity, boundary }).reason).toBe('explicit-deny-boundary');
  });
});
