import fc from 'fast-check';
import {
  PERCENTAGE_BUCKETS,
  type RouteInput,
  type RoutingDocument,
  type RoutingRule,
  evaluateRoute,
  matchesGlob,
  percentageBucket,
} from '../../../lib/contract';

const taskName = fc.stringMatching(/^[a-z][a-z0-9]{0,6}(\.[a-z0-9]{1,6}){0,2}$/);
const taskId = fc.stringMatching(/^[0-7][0-9A-HJKMNP-TV-Z]{25}$/);
const region = fc.constantFrom('us-east-1', 'eu-west-1', 'ca-central-1', 'ap-southeast-2');
const percentage = fc.integer({ min: 0, max: 10_000 }).map((hundredths) => hundredths / 100);

function doc(rules: RoutingRule[], extra: Partial<RoutingDocument> = {}): RoutingDocument {
  return { version: 1, defaultDestination: 'default', rules, ...extra };
}

function input(task: string, id: string, extra: Partial<RouteInput> = {}): RouteInput {
  return { task, taskId: id, ...extra };
}

/** Deterministic pseudo-random ULID-shaped ids (a fixed seed, so a failure is reproducible). */
const sampleIds = fc.sample(taskId, { seed: 20260131, numRuns: 20_000 });

describe('evaluateRoute', () => {
  it('is deterministic: the same document and input give the same decision, in any process', () => {
    fc.assert(
      fc.property(taskName, taskId, percentage, region, (task, id, pct, where) => {
        const document = doc([{ id: 'canary', tasks: [task], destination: 'bulk', percentage: pct }]);
        const first = evaluateRoute(document, input(task, id, { region: where }));
        const again = evaluateRoute(JSON.parse(JSON.stringify(document)) as RoutingDocument, input(task, id, { region: where }));
        expect(again).toEqual(first);
      }),
    );
  });

  it('sends a share of tasks close to the percentage', () => {
    for (const pct of [1, 10, 25, 50, 90]) {
      const document = doc([{ id: 'split', destination: 'bulk', percentage: pct }]);
      const taken = sampleIds.filter((id) => evaluateRoute(document, input('email.send', id)).destination === 'bulk').length;
      expect(Math.abs((taken / sampleIds.length) * 100 - pct)).toBeLessThan(1);
    }
  });

  it('is monotonic: raising a percentage keeps every task it already took', () => {
    fc.assert(
      fc.property(taskId, percentage, percentage, (id, a, b) => {
        const [low, high] = a <= b ? [a, b] : [b, a];
        const at = (pct: number) => evaluateRoute(doc([{ id: 'rollout', destination: 'bulk', percentage: pct }]), input('x.y', id));
        if (at(low).destination === 'bulk') expect(at(high).destination).toBe('bulk');
      }),
    );
  });

  it('takes nothing at 0 % and everything at 100 %', () => {
    fc.assert(
      fc.property(taskName, taskId, (task, id) => {
        expect(evaluateRoute(doc([{ id: 'none', destination: 'bulk', percentage: 0 }]), input(task, id))).toMatchObject({ destination: 'default', ruleId: null });
        expect(evaluateRoute(doc([{ id: 'all', destination: 'bulk', percentage: 100 }]), input(task, id))).toMatchObject({ destination: 'bulk', ruleId: 'all' });
      }),
    );
  });

  it('takes a task exactly when its bucket is below percentage × 100', () => {
    fc.assert(
      fc.property(taskId, percentage, (id, pct) => {
        const decision = evaluateRoute(doc([{ id: 'r', destination: 'bulk', percentage: pct }]), input('t', id));
        expect(decision.destination === 'bulk').toBe(percentageBucket('r', id) < Math.round(pct * 100));
      }),
    );
  });

  it('lets the first matching rule decide, and falls through rules whose percentage did not take the task', () => {
    fc.assert(
      fc.property(taskName, taskId, percentage, (task, id, pct) => {
        const first: RoutingRule = { id: 'first', tasks: [task], destination: 'bulk', percentage: pct };
        const second: RoutingRule = { id: 'second', tasks: ['*'], destination: 'legacy' };
        const decision = evaluateRoute(doc([first, second]), input(task, id));
        const takenByFirst = percentageBucket('first', id) < Math.round(pct * 100);
        expect(decision.ruleId).toBe(takenByFirst ? 'first' : 'second');
        expect(evaluateRoute(doc([second, first]), input(task, id)).ruleId).toBe('second');
      }),
    );
  });

  it('keeps percentage splits of different rules independent (salted by rule id)', () => {
    const a = sampleIds.slice(0, 5000).map((id) => percentageBucket('rule-a', id) < 5000);
    const b = sampleIds.slice(0, 5000).map((id) => percentageBucket('rule-b', id) < 5000);
    const both = a.filter((taken, i) => taken && b[i]).length;
    expect(Math.abs(both / 5000 - 0.25)).toBeLessThan(0.03);
  });

  it('moves everything sharing a hash key together (hashKey context.tenant)', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^t-[a-z0-9]{1,8}$/), fc.array(taskId, { minLength: 2, maxLength: 10 }), percentage, (tenant, ids, pct) => {
        const document = doc([{ id: 'by-tenant', destination: 'bulk', percentage: pct, hashKey: 'context.tenant' }]);
        const destinations = new Set(ids.map((id) => evaluateRoute(document, input('t', id, { context: { tenant } })).destination));
        expect(destinations.size).toBe(1);
      }),
    );
  });

  it('does not take a task whose hash key is absent', () => {
    fc.assert(
      fc.property(taskId, (id) => {
        const document = doc([{ id: 'by-tenant', destination: 'bulk', percentage: 99.99, hashKey: 'context.tenant' }]);
        expect(evaluateRoute(document, input('t', id)).destination).toBe('default');
      }),
    );
  });

  it('matches regions exactly and never a task without a region', () => {
    fc.assert(
      fc.property(taskId, region, region, (id, ruleRegion, taskRegion) => {
        const document = doc([{ id: 'regional', regions: [ruleRegion], destination: 'bulk' }]);
        expect(evaluateRoute(document, input('t', id, { region: taskRegion })).destination).toBe(ruleRegion === taskRegion ? 'bulk' : 'default');
        expect(evaluateRoute(document, input('t', id)).destination).toBe('default');
      }),
    );
  });

  it('matches context attributes by glob and requires every listed attribute', () => {
    const document = doc([{ id: 'enterprise', context: { plan: ['enterprise-*'], tier: ['gold'] }, destination: 'bulk' }]);
    expect(evaluateRoute(document, input('t', 'id', { context: { plan: 'enterprise-eu', tier: 'gold' } })).ruleId).toBe('enterprise');
    expect(evaluateRoute(document, input('t', 'id', { context: { plan: 'enterprise-eu' } })).ruleId).toBeNull();
    expect(evaluateRoute(document, input('t', 'id', { context: { plan: 'free', tier: 'gold' } })).ruleId).toBeNull();
  });

  it('rejects every task while the kill switch is on, whatever the rules say', () => {
    fc.assert(
      fc.property(taskName, taskId, (task, id) => {
        const decision = evaluateRoute(doc([{ id: 'r', tasks: [task], destination: 'bulk' }], { killSwitch: true }), input(task, id));
        expect(decision).toMatchObject({ killed: true, reason: 'the kill switch is on: publishing of every task is rejected' });
      }),
    );
  });

  it('rejects tasks on the killed list (globs) and only those', () => {
    fc.assert(
      fc.property(taskName, taskName, taskId, (killed, task, id) => {
        const decision = evaluateRoute(doc([], { killed: [`${killed}*`] }), input(task, id));
        expect(decision.killed).toBe(task.startsWith(killed));
      }),
    );
  });

  it('reports paused tasks without changing where they go', () => {
    fc.assert(
      fc.property(taskName, taskId, percentage, (task, id, pct) => {
        const rules: RoutingRule[] = [{ id: 'r', tasks: [task], destination: 'bulk', percentage: pct }];
        const running = evaluateRoute(doc(rules), input(task, id));
        const paused = evaluateRoute(doc(rules, { paused: [task] }), input(task, id));
        expect(paused).toMatchObject({ destination: running.destination, ruleId: running.ruleId, paused: true, killed: false });
        expect(running.paused).toBe(false);
      }),
    );
  });

  it('uses buckets within 0 … PERCENTAGE_BUCKETS − 1', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (rule, key) => {
        const bucket = percentageBucket(rule, key);
        expect(Number.isInteger(bucket) && bucket >= 0 && bucket < PERCENTAGE_BUCKETS).toBe(true);
      }),
    );
  });
});

describe('matchesGlob', () => {
  const text = fc.string({ unit: fc.constantFrom('a', 'b', '.', '-', '_', '(', '[', '+', '$', '^', '\\', '|', '{', '\n') });

  it('matches a glob without wildcards only against the same text (regex characters are literal)', () => {
    fc.assert(
      fc.property(text, text, (glob, value) => {
        expect(matchesGlob(value, glob)).toBe(value === glob);
      }),
    );
  });

  it('treats * as any run of characters', () => {
    fc.assert(
      fc.property(text, text, text, (prefix, middle, suffix) => {
        expect(matchesGlob(`${prefix}${middle}${suffix}`, `${prefix}*${suffix}`)).toBe(true);
        expect(matchesGlob(`${prefix}${middle}`, `${prefix}*`)).toBe(true);
      }),
    );
  });

  it('treats ? as exactly one character', () => {
    fc.assert(
      fc.property(text, fc.constantFrom('a', '.', 'z'), text, (prefix, one, suffix) => {
        expect(matchesGlob(`${prefix}${one}${suffix}`, `${prefix}?${suffix}`)).toBe(true);
        expect(matchesGlob(`${prefix}${suffix}`, `${prefix}?${suffix}`)).toBe(false);
      }),
    );
  });
});
