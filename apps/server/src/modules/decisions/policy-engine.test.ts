import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { PolicyConfig, PolicyMode, PolicyScope, PolicyType } from '@aim/contracts';
import { applicablePolicies, evaluate, evaluateApproval, EVALUATION_ORDER, matchesPattern } from './policy-engine.js';
import type { CompiledPolicy, EvaluationInput, GrantFact } from './policy-engine.js';

const pad = (n: number) => String(n).padStart(26, '0');
const polId = (n: number) => `pol_${pad(n)}`;
const grtId = (n: number) => `grt_${pad(n)}`;
const AGENT = `agt_${pad(1)}`;
// Monday 2026-01-05 12:00 UTC.
const MONDAY_NOON = Date.UTC(2026, 0, 5, 12, 0);

let nextPolicy = 100;
function policy<T extends PolicyType>(type: T, config: PolicyConfig<T>, options: { id?: string; mode?: PolicyMode; scope?: PolicyScope; version?: number } = {}): CompiledPolicy {
  return {
    id: options.id ?? polId(nextPolicy++),
    version: options.version ?? 1,
    name: type,
    type,
    mode: options.mode ?? 'enforce',
    scope: options.scope ?? {},
    config,
  };
}

const anyGrant: GrantFact = { id: grtId(1), resourcePattern: null, expiresAt: null };

function input(overrides: Partial<EvaluationInput> = {}): EvaluationInput {
  return {
    agent: { id: AGENT, tags: ['finance'], trustScore: 80 },
    action: 'payments:refund',
    resource: 'orders/1',
    context: {},
    capability: { name: 'payments:refund', riskLevel: 'medium' },
    declaredRisk: null,
    grants: [anyGrant],
    policies: [],
    rateCounts: new Map(),
    now: MONDAY_NOON,
    ...overrides,
  };
}

/** The one reason a single policy produced (the base rule's reason comes first). */
function policyReasonOf(overrides: Partial<EvaluationInput>) {
  const evaluation = evaluate(input(overrides));
  assert.equal(evaluation.reasons.length, 2);
  return { evaluation, reason: evaluation.reasons[1]! };
}

describe('matchesPattern', () => {
  it('lets * match within one segment only, and ** across segments', () => {
    assert.ok(matchesPattern('orders/*', 'orders/1'));
    assert.ok(matchesPattern('orders/*', 'orders/'));
    assert.ok(!matchesPattern('orders/*', 'orders/1/items'));
    assert.ok(matchesPattern('orders/**', 'orders/1/items'));
    assert.ok(matchesPattern('s3://reports/**/*.csv', 's3://reports/2026/q1/sales.csv'));
    assert.ok(!matchesPattern('s3://reports/*/*.csv', 's3://reports/2026/q1/sales.csv'));
    assert.ok(matchesPattern('**', ''));
    assert.ok(matchesPattern('payments:*', 'payments:refund'));
    assert.ok(!matchesPattern('payments:*', 'db:read'));
  });

  it('matches the whole value', () => {
    assert.ok(!matchesPattern('customers', 'customers/1'));
    assert.ok(!matchesPattern('customers/1', 'xcustomers/1'));
    assert.ok(!matchesPattern('a*c', 'abcd'));
    assert.ok(matchesPattern('a*c', 'abbbc'));
  });

  it('treats regular-expression characters literally', () => {
    assert.ok(matchesPattern('a.b', 'a.b'));
    assert.ok(!matchesPattern('a.b', 'axb'));
    assert.ok(matchesPattern('(x)', '(x)'));
    assert.ok(!matchesPattern('(x)', 'x'));
    assert.ok(!matchesPattern('[ab]+', 'a'));
    assert.ok(matchesPattern('^$\\d|?{2}', '^$\\d|?{2}'));
    assert.ok(matchesPattern('files/*.txt', 'files/a.txt'));
    assert.ok(!matchesPattern('files/*.txt', 'files/atxt'));
  });

  it('agrees with a regular-expression reference on random patterns', () => {
    const reference = (pattern: string) =>
      new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*\*|\*/g, (star) => (star === '**' ? '[\\s\\S]*' : '[^/]*'))}$`);
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    const word = (alphabet: string, max: number) => Array.from({ length: random(max) }, () => alphabet[random(alphabet.length)]).join('');
    for (let i = 0; i < 3000; i++) {
      const pattern = word('ab/.**', 8).replace(/\*{3,}/g, '**');
      const value = word('ab/.', 10);
      assert.equal(matchesPattern(pattern, value), reference(pattern).test(value), `${pattern} against ${value}`);
    }
  });

  it('stays fast on patterns that make backtracking matchers explode', () => {
    const started = performance.now();
    assert.ok(!matchesPattern('*a*a*a*a*a*a*a*a*a*a*a*b', 'a'.repeat(1000)));
    assert.ok(!matchesPattern('**a**a**a**a**a**a**a**b', 'a/'.repeat(500)));
    assert.ok(performance.now() - started < 1000);
  });

  it('keeps answering correctly once its cache has evicted patterns', () => {
    for (let i = 0; i < 10_050; i++) assert.ok(matchesPattern(`bulk/${i}/*`, `bulk/${i}/x`));
    assert.ok(matchesPattern('bulk/0/*', 'bulk/0/y'));
    assert.ok(!matchesPattern('bulk/0/*', 'bulk/1/y'));
  });
});

describe('applicablePolicies', () => {
  const agent = { id: AGENT, tags: ['finance', 'prod'] };

  it('applies an empty scope to everything', () => {
    const everywhere = policy('rate_limit', { limit: 1, windowSeconds: 1 });
    assert.deepEqual(applicablePolicies([everywhere], agent, 'db:read'), [everywhere]);
  });

  it('requires every given scope field to match', () => {
    const byAgent = policy('rate_limit', { limit: 1, windowSeconds: 1 }, { scope: { agentIds: [AGENT] } });
    const otherAgent = policy('rate_limit', { limit: 1, windowSeconds: 1 }, { scope: { agentIds: [`agt_${pad(2)}`] } });
    const byTag = policy('rate_limit', { limit: 1, windowSeconds: 1 }, { scope: { tags: ['support', 'prod'] } });
    const otherTag = policy('rate_limit', { limit: 1, windowSeconds: 1 }, { scope: { tags: ['support'] } });
    const byAction = policy('rate_limit', { limit: 1, windowSeconds: 1 }, { scope: { actions: ['db:*'] } });
    const otherAction = policy('rate_limit', { limit: 1, windowSeconds: 1 }, { scope: { actions: ['payments:*', 'email:send'] } });
    const allMatch = policy('rate_limit', { limit: 1, windowSeconds: 1 }, { scope: { agentIds: [AGENT], tags: ['finance'], actions: ['db:read'] } });
    const oneMisses = policy('rate_limit', { limit: 1, windowSeconds: 1 }, { scope: { agentIds: [AGENT], tags: ['finance'], actions: ['db:write'] } });
    const emptyList = policy('rate_limit', { limit: 1, windowSeconds: 1 }, { scope: { tags: [] } });
    const applicable = applicablePolicies([byAgent, otherAgent, byTag, otherTag, byAction, otherAction, allMatch, oneMisses, emptyList], agent, 'db:read');
    assert.deepEqual(
      applicable.map((p) => p.id),
      [byAgent, byTag, byAction, allMatch].map((p) => p.id),
    );
  });

  it('returns policies in evaluation order: by type, then by id', () => {
    const approval = policy('require_approval', { minRisk: 'high' }, { id: polId(1) });
    const denyB = policy('resource_deny', { resources: ['b'] }, { id: polId(3) });
    const denyA = policy('resource_deny', { resources: ['a'] }, { id: polId(2) });
    const required = policy('capability_required', {}, { id: polId(9) });
    assert.deepEqual(
      applicablePolicies([approval, denyB, required, denyA], agent, 'db:read').map((p) => p.id),
      [polId(9), polId(2), polId(3), polId(1)],
    );
  });
});

describe('evaluate: unknown capability and risk', () => {
  it('denies an action missing from the catalog and evaluates nothing else', () => {
    const evaluation = evaluate(input({ capability: null, action: 'rockets:launch', policies: [policy('require_approval', { minRisk: 'low' })] }));
    assert.equal(evaluation.decision, 'deny');
    assert.equal(evaluation.risk, null);
    assert.equal(evaluation.reasons.length, 1);
    assert.deepEqual({ ...evaluation.reasons[0]!, message: '' }, {
      rule: 'unknown_capability',
      effect: 'deny',
      message: '',
      policyId: null,
      policyVersion: null,
      mode: null,
    });
    assert.match(evaluation.reasons[0]!.message, /rockets:launch is not in .*catalog/);
    assert.deepEqual(evaluation.violations, [{ rule: 'unknown_capability', policyId: null, policyVersion: null }]);
    assert.equal(evaluation.grantId, null);
  });

  it('takes the higher of the catalog risk and the declared risk', () => {
    assert.equal(evaluate(input({ declaredRisk: 'critical' })).risk, 'critical');
    assert.equal(evaluate(input({ declaredRisk: 'low' })).risk, 'medium');
    assert.equal(evaluate(input({ declaredRisk: null })).risk, 'medium');
  });
});

describe('evaluate: capability_required', () => {
  it('allows with a live grant covering the resource and names it', () => {
    const evaluation = evaluate(input({ grants: [{ id: grtId(5), resourcePattern: 'orders/*', expiresAt: MONDAY_NOON + 1 }] }));
    assert.equal(evaluation.decision, 'allow');
    assert.equal(evaluation.grantId, grtId(5));
    const [base] = evaluation.reasons;
    assert.equal(base!.rule, 'capability_required');
    assert.equal(base!.effect, 'allow');
    assert.equal(base!.grantId, grtId(5));
    assert.equal(base!.policyId, null);
    assert.equal(base!.mode, 'enforce');
    assert.match(base!.message, /grt_0+5 .*orders\/\*/);
  });

  it('prefers a grant with a pattern over one without, then the lowest id', () => {
    const grants: GrantFact[] = [
      { id: grtId(1), resourcePattern: null, expiresAt: null },
      { id: grtId(4), resourcePattern: 'orders/**', expiresAt: null },
      { id: grtId(3), resourcePattern: 'orders/*', expiresAt: null },
      { id: grtId(2), resourcePattern: 'customers/*', expiresAt: null },
    ];
    assert.equal(evaluate(input({ grants })).grantId, grtId(3));
    assert.equal(evaluate(input({ grants: [...grants].reverse() })).grantId, grtId(3));
    assert.equal(evaluate(input({ grants, resource: 'invoices/9' })).grantId, grtId(1));
  });

  it('denies without any grant, saying what to request', () => {
    const evaluation = evaluate(input({ grants: [] }));
    assert.equal(evaluation.decision, 'deny');
    assert.equal(evaluation.grantId, null);
    assert.equal(evaluation.reasons[0]!.effect, 'deny');
    assert.equal(evaluation.reasons[0]!.message, 'agent holds no grant of payments:refund covering orders/1; request the capability');
    assert.deepEqual(evaluation.violations, [{ rule: 'capability_required', policyId: null, policyVersion: null }]);
  });

  it('denies with an expired grant, also one expiring exactly now', () => {
    for (const expiresAt of [MONDAY_NOON - 1, MONDAY_NOON]) {
      const evaluation = evaluate(input({ grants: [{ id: grtId(7), resourcePattern: null, expiresAt }] }));
      assert.equal(evaluation.decision, 'deny');
      assert.match(evaluation.reasons[0]!.message, /grant grt_0+7 of payments:refund expired at 2026-01-05T1[12]:/);
    }
  });

  it('denies when the grants do not cover the resource', () => {
    const evaluation = evaluate(input({ resource: 'orders/1/items', grants: [{ id: grtId(1), resourcePattern: 'orders/*', expiresAt: null }] }));
    assert.equal(evaluation.decision, 'deny');
    assert.match(evaluation.reasons[0]!.message, /cover orders\/\*, which does not cover orders\/1\/items/);
  });

  it('denies a patterned grant when no resource is given, but not an unrestricted one', () => {
    const patterned = evaluate(input({ resource: null, grants: [{ id: grtId(1), resourcePattern: 'orders/*', expiresAt: null }] }));
    assert.equal(patterned.decision, 'deny');
    assert.match(patterned.reasons[0]!.message, /no resource was given/);
    assert.equal(evaluate(input({ resource: null })).decision, 'allow');
  });

  it('only flags a missing grant when every applicable capability_required policy monitors', () => {
    const monitorB = policy('capability_required', {}, { id: polId(12), mode: 'monitor', version: 4 });
    const monitorA = policy('capability_required', {}, { id: polId(11), mode: 'monitor', version: 2 });
    const flaggedOnly = evaluate(input({ grants: [], policies: [monitorB, monitorA] }));
    assert.equal(flaggedOnly.decision, 'allow');
    assert.equal(flaggedOnly.flagged, true);
    assert.deepEqual(flaggedOnly.violations, []);
    assert.equal(flaggedOnly.reasons.length, 1);
    const reason = flaggedOnly.reasons[0]!;
    assert.equal(reason.effect, 'flag');
    assert.equal(reason.policyId, polId(11));
    assert.equal(reason.policyVersion, 2);
    assert.equal(reason.mode, 'monitor');
    assert.match(reason.message, /^monitor: would deny — agent holds no grant/);

    const enforceC = policy('capability_required', {}, { id: polId(13), mode: 'enforce', version: 7 });
    const mixed = evaluate(input({ grants: [], policies: [monitorA, enforceC, monitorB] }));
    assert.equal(mixed.decision, 'deny');
    assert.equal(mixed.flagged, false);
    assert.deepEqual(mixed.violations, [{ rule: 'capability_required', policyId: polId(13), policyVersion: 7 }]);

    const outOfScope = policy('capability_required', {}, { mode: 'monitor', scope: { tags: ['other'] } });
    assert.equal(evaluate(input({ grants: [], policies: [outOfScope] })).decision, 'deny');
  });
});

describe('evaluate: resource_deny', () => {
  const denied = policy('resource_deny', { resources: ['customers/*/ssn', 'secrets/**'] });

  it('denies a resource matching a pattern and names it', () => {
    const { evaluation, reason } = policyReasonOf({ resource: 'secrets/prod/db', policies: [denied], grants: [anyGrant] });
    assert.equal(evaluation.decision, 'deny');
    assert.equal(reason.effect, 'deny');
    assert.equal(reason.policyId, denied.id);
    assert.equal(reason.policyVersion, 1);
    assert.equal(reason.mode, 'enforce');
    assert.match(reason.message, /secrets\/\*\*/);
  });

  it('passes other resources and requests without a resource', () => {
    assert.equal(policyReasonOf({ resource: 'customers/1/name', policies: [denied] }).reason.effect, 'pass');
    const { reason } = policyReasonOf({ resource: null, policies: [denied] });
    assert.equal(reason.effect, 'pass');
    assert.equal(reason.message, 'no resource given');
  });

  it('only flags in monitor mode', () => {
    const monitored = policy('resource_deny', { resources: ['secrets/**'] }, { mode: 'monitor' });
    const { evaluation, reason } = policyReasonOf({ resource: 'secrets/x', policies: [monitored] });
    assert.equal(evaluation.decision, 'allow');
    assert.equal(evaluation.flagged, true);
    assert.deepEqual(evaluation.violations, []);
    assert.equal(reason.effect, 'flag');
    assert.equal(reason.mode, 'monitor');
    assert.match(reason.message, /^monitor: would deny — resource secrets\/x matches/);
  });
});

describe('evaluate: time_window', () => {
  const officeTokyo = policy('time_window', { timezone: 'Asia/Tokyo', windows: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '17:00' }] });

  it('reads the time in the policy time zone', () => {
    // Monday 23:30 UTC is Tuesday 08:30 in Tokyo; Tuesday 00:30 UTC is Tuesday 09:30 there.
    const early = policyReasonOf({ now: Date.UTC(2026, 0, 5, 23, 30), policies: [officeTokyo] });
    assert.equal(early.evaluation.decision, 'deny');
    assert.match(early.reason.message, /it is tue 08:30 in Asia\/Tokyo, outside/);
    const open = policyReasonOf({ now: Date.UTC(2026, 0, 6, 0, 30), policies: [officeTokyo] });
    assert.equal(open.evaluation.decision, 'allow');
    assert.equal(open.reason.effect, 'pass');
    assert.match(open.reason.message, /tue 09:30/);
    // Saturday 02:00 UTC is Saturday 11:00 in Tokyo: the right hour, the wrong day.
    assert.equal(policyReasonOf({ now: Date.UTC(2026, 0, 10, 2, 0), policies: [officeTokyo] }).reason.effect, 'deny');
  });

  it('follows daylight saving time', () => {
    const officeNewYork = policy('time_window', { timezone: 'America/New_York', windows: [{ days: ['mon'], start: '09:00', end: '17:00' }] });
    // 13:30 UTC on a Monday: 09:30 EDT in July, 08:30 EST in January.
    assert.equal(policyReasonOf({ now: Date.UTC(2026, 6, 6, 13, 30), policies: [officeNewYork] }).reason.effect, 'pass');
    assert.equal(policyReasonOf({ now: Date.UTC(2026, 0, 5, 13, 30), policies: [officeNewYork] }).reason.effect, 'deny');
  });

  it('includes the start, excludes the end, and reads 24:00 as the end of the day', () => {
    const evening = policy('time_window', { timezone: 'UTC', windows: [{ days: ['mon'], start: '09:00', end: '17:00' }, { days: ['mon'], start: '20:00', end: '24:00' }] });
    const at = (h: number, m: number, day = 5) => policyReasonOf({ now: Date.UTC(2026, 0, day, h, m, 30), policies: [evening] }).reason.effect;
    assert.equal(at(8, 59), 'deny');
    assert.equal(at(9, 0), 'pass');
    assert.equal(at(16, 59), 'pass');
    assert.equal(at(17, 0), 'deny');
    assert.equal(at(23, 59), 'pass');
    assert.equal(at(0, 0, 6), 'deny'); // Tuesday
    assert.equal(at(0, 0, 5), 'deny'); // Monday 00:00 is before 09:00
  });

  it('flags outside the window in monitor mode', () => {
    const monitored = policy('time_window', { timezone: 'UTC', windows: [{ days: ['sat'], start: '00:00', end: '24:00' }] }, { mode: 'monitor' });
    const { evaluation, reason } = policyReasonOf({ policies: [monitored] });
    assert.equal(evaluation.decision, 'allow');
    assert.equal(reason.effect, 'flag');
    assert.match(reason.message, /^monitor: would deny — it is mon 12:00 in UTC/);
  });
});

describe('evaluate: rate_limit', () => {
  const limit = policy('rate_limit', { limit: 100, windowSeconds: 60 });

  it('denies above the limit and passes at it', () => {
    const over = policyReasonOf({ policies: [limit], rateCounts: new Map([[limit.id, 101]]) });
    assert.equal(over.evaluation.decision, 'deny');
    assert.equal(over.reason.message, '101 of limit 100 in 60s');
    assert.deepEqual(over.evaluation.violations, [{ rule: 'rate_limit', policyId: limit.id, policyVersion: 1 }]);
    const at = policyReasonOf({ policies: [limit], rateCounts: new Map([[limit.id, 100]]) });
    assert.equal(at.evaluation.decision, 'allow');
    assert.equal(at.reason.effect, 'pass');
  });

  it('reports an uncounted limit without deciding on it', () => {
    const { evaluation, reason } = policyReasonOf({ policies: [limit] });
    assert.equal(reason.effect, 'info');
    assert.match(reason.message, /not counted/);
    assert.equal(evaluation.decision, 'allow');
  });
});

describe('evaluate: data_volume', () => {
  const volume = (config: Partial<PolicyConfig<'data_volume'>> = {}) =>
    policy('data_volume', { field: 'records', max: 1000, effect: 'deny', whenMissing: 'ignore', ...config });

  it('denies above the maximum, or asks for approval when so configured', () => {
    assert.equal(policyReasonOf({ policies: [volume()], context: { records: 1001 } }).evaluation.decision, 'deny');
    const asked = policyReasonOf({ policies: [volume({ effect: 'require_approval' })], context: { records: 1001 } });
    assert.equal(asked.evaluation.decision, 'pending');
    assert.equal(asked.reason.effect, 'approval');
    assert.match(asked.reason.message, /records is 1001, above the maximum 1000/);
    assert.equal(policyReasonOf({ policies: [volume()], context: { records: 1000 } }).reason.effect, 'pass');
  });

  it('ignores or denies a missing field as configured, and looks only at own fields', () => {
    const ignored = policyReasonOf({ policies: [volume()], context: {} });
    assert.equal(ignored.reason.effect, 'pass');
    assert.match(ignored.reason.message, /absent/);
    assert.equal(policyReasonOf({ policies: [volume({ whenMissing: 'deny' })], context: {} }).reason.effect, 'deny');
    assert.equal(policyReasonOf({ policies: [volume({ field: 'toString', whenMissing: 'deny' })], context: {} }).reason.effect, 'deny');
    assert.equal(policyReasonOf({ policies: [volume({ field: 'constructor' })], context: {} }).reason.effect, 'pass');
  });

  it('denies a value that is not a finite number', () => {
    for (const records of ['500', null, Number.NaN, Number.POSITIVE_INFINITY, [1]]) {
      const { reason } = policyReasonOf({ policies: [volume()], context: { records } });
      assert.equal(reason.effect, 'deny', String(records));
      assert.match(reason.message, /must be a number/);
    }
  });
});

describe('evaluate: min_trust', () => {
  const trust = (whenUnscored: PolicyConfig<'min_trust'>['whenUnscored']) => policy('min_trust', { minimums: { medium: 60, critical: 90 }, whenUnscored });

  it('compares the score with the minimum for the effective risk', () => {
    const low = policyReasonOf({ policies: [trust('deny')], agent: { id: AGENT, tags: [], trustScore: 59 } });
    assert.equal(low.evaluation.decision, 'deny');
    assert.match(low.reason.message, /59 is below the minimum 60 for medium risk/);
    assert.equal(policyReasonOf({ policies: [trust('deny')], agent: { id: AGENT, tags: [], trustScore: 60 } }).reason.effect, 'pass');
    // Declared critical risk raises the bar.
    assert.equal(policyReasonOf({ policies: [trust('deny')], declaredRisk: 'critical', agent: { id: AGENT, tags: [], trustScore: 80 } }).reason.effect, 'deny');
  });

  it('passes when the risk level has no minimum', () => {
    const { reason } = policyReasonOf({ policies: [trust('deny')], capability: { name: 'payments:refund', riskLevel: 'low' }, agent: { id: AGENT, tags: [], trustScore: 0 } });
    assert.equal(reason.effect, 'pass');
    assert.equal(reason.message, 'no minimum for low risk');
  });

  it('treats an unscored agent as whenUnscored says', () => {
    const unscored = { id: AGENT, tags: [], trustScore: null };
    const allowed = policyReasonOf({ policies: [trust('allow')], agent: unscored });
    assert.equal(allowed.evaluation.decision, 'allow');
    assert.equal(allowed.reason.effect, 'info');
    assert.equal(allowed.reason.message, 'no trust score yet; allowed by whenUnscored');
    const denied = policyReasonOf({ policies: [trust('deny')], agent: unscored });
    assert.equal(denied.evaluation.decision, 'deny');
    assert.match(denied.reason.message, /no trust score yet/);
    const asked = policyReasonOf({ policies: [trust('require_approval')], agent: unscored });
    assert.equal(asked.evaluation.decision, 'pending');
    assert.match(asked.reason.message, /no trust score yet/);
  });
});

describe('evaluate: require_approval', () => {
  const highRisk = policy('require_approval', { minRisk: 'high' });

  it('waits for a person at or above the minimum risk', () => {
    const high = policyReasonOf({ policies: [highRisk], capability: { name: 'payments:refund', riskLevel: 'high' } });
    assert.equal(high.evaluation.decision, 'pending');
    assert.equal(high.reason.effect, 'approval');
    assert.deepEqual(high.evaluation.violations, []);
    assert.equal(policyReasonOf({ policies: [highRisk] }).reason.effect, 'pass');
    assert.equal(policyReasonOf({ policies: [highRisk], declaredRisk: 'critical' }).evaluation.decision, 'pending');
  });

  it('only flags in monitor mode', () => {
    const monitored = policy('require_approval', { minRisk: 'low' }, { mode: 'monitor' });
    const { evaluation, reason } = policyReasonOf({ policies: [monitored] });
    assert.equal(evaluation.decision, 'allow');
    assert.equal(evaluation.flagged, true);
    assert.match(reason.message, /^monitor: would require approval — /);
  });
});

describe('evaluate: combining', () => {
  const approval = policy('require_approval', { minRisk: 'low' }, { id: polId(1) });
  const denyOrders = policy('resource_deny', { resources: ['orders/**'] }, { id: polId(2), version: 3 });
  const rate = policy('rate_limit', { limit: 1, windowSeconds: 10 }, { id: polId(3) });
  const trustMonitor = policy('min_trust', { minimums: { medium: 99 }, whenUnscored: 'deny' }, { id: polId(4), mode: 'monitor' });
  const required = policy('capability_required', {}, { id: polId(5) });
  const window = policy('time_window', { timezone: 'UTC', windows: [{ days: ['mon'], start: '00:00', end: '24:00' }] }, { id: polId(6) });
  const volume = policy('data_volume', { field: 'records', max: 10, effect: 'require_approval', whenMissing: 'ignore' }, { id: polId(7) });
  const all = [approval, denyOrders, rate, trustMonitor, required, window, volume];
  const counts = new Map([[rate.id, 2]]);

  it('lets deny win over approval, and approval over allow', () => {
    assert.equal(evaluate(input({ policies: [approval, denyOrders] })).decision, 'deny');
    assert.equal(evaluate(input({ policies: [approval], resource: 'orders/1' })).decision, 'pending');
    assert.equal(evaluate(input({ policies: [approval, denyOrders], grants: [] })).decision, 'deny');
    assert.equal(evaluate(input({ policies: [window] })).decision, 'allow');
  });

  it('lists the base rule first, then policies in evaluation order, with one violation per deny', () => {
    const evaluation = evaluate(input({ policies: all, rateCounts: counts, context: { records: 50 } }));
    assert.deepEqual(
      evaluation.reasons.map((r) => [r.rule, r.effect, r.policyId]),
      [
        ['capability_required', 'allow', polId(5)],
        ['resource_deny', 'deny', polId(2)],
        ['time_window', 'pass', polId(6)],
        ['rate_limit', 'deny', polId(3)],
        ['data_volume', 'approval', polId(7)],
        ['min_trust', 'flag', polId(4)],
        ['require_approval', 'approval', polId(1)],
      ],
    );
    const rules = evaluation.reasons.map((r) => r.rule);
    assert.deepEqual(rules, EVALUATION_ORDER.filter((rule) => rules.includes(rule)));
    assert.equal(evaluation.decision, 'deny');
    assert.equal(evaluation.flagged, true);
    assert.deepEqual(evaluation.violations, [
      { rule: 'resource_deny', policyId: polId(2), policyVersion: 3 },
      { rule: 'rate_limit', policyId: polId(3), policyVersion: 1 },
    ]);
  });

  it('gives the same evaluation whatever the order of policies and grants', () => {
    const grants: GrantFact[] = [
      { id: grtId(3), resourcePattern: 'orders/*', expiresAt: null },
      { id: grtId(2), resourcePattern: 'orders/*', expiresAt: null },
      anyGrant,
    ];
    const extra = [policy('resource_deny', { resources: ['x'] }, { id: polId(0) }), policy('require_approval', { minRisk: 'critical' }, { id: polId(8) })];
    const policies = [...all, ...extra];
    const expected = evaluate(input({ policies, grants, rateCounts: counts, context: { records: 50 } }));
    assert.equal(expected.grantId, grtId(2));
    let seed = 42;
    const shuffle = <T>(items: readonly T[]) => {
      const copy = [...items];
      for (let i = copy.length - 1; i > 0; i--) {
        seed = (seed * 16_807) % 2_147_483_647;
        const j = seed % (i + 1);
        [copy[i], copy[j]] = [copy[j]!, copy[i]!];
      }
      return copy;
    };
    for (let round = 0; round < 50; round++) {
      assert.deepEqual(evaluate(input({ policies: shuffle(policies), grants: shuffle(grants), rateCounts: counts, context: { records: 50 } })), expected);
    }
  });

  it('names the rules in their documented order', () => {
    assert.deepEqual(EVALUATION_ORDER, ['agent_status', 'unknown_capability', 'mcp_tool', 'capability_required', 'resource_deny', 'time_window', 'rate_limit', 'data_volume', 'min_trust', 'require_approval']);
    assert.ok(Object.isFrozen(EVALUATION_ORDER));
  });
});

describe('agent status and the re-evaluation at approval', () => {
  it('denies an agent that is not active first, and still evaluates the rest', () => {
    assert.equal(evaluate(input({ agent: { id: AGENT, tags: [], trustScore: 80, status: 'active' } })).decision, 'allow');
    const suspended = evaluate(input({ agent: { id: AGENT, tags: [], trustScore: 80, status: 'suspended' } }));
    assert.equal(suspended.decision, 'deny');
    assert.deepEqual(suspended.reasons.map((r) => [r.rule, r.effect]), [['agent_status', 'deny'], ['capability_required', 'allow']]);
    assert.equal(suspended.reasons[0]!.message, 'agent is suspended');
    assert.deepEqual(suspended.violations, [{ rule: 'agent_status', policyId: null, policyVersion: null }]);
    const outsideCatalog = evaluate(input({ agent: { id: AGENT, tags: [], trustScore: 80, status: 'revoked' }, capability: null }));
    assert.deepEqual(outsideCatalog.reasons.map((r) => r.rule), ['agent_status', 'unknown_capability']);
    assert.equal(outsideCatalog.risk, null);
  });

  it('lets the approval answer every approval reason, leaves rate limits out, and still denies on any deny', () => {
    const ask = policy('require_approval', { minRisk: 'low' });
    const volume = policy('data_volume', { field: 'records', max: 10, effect: 'require_approval', whenMissing: 'ignore' });
    const limit = policy('rate_limit', { limit: 1, windowSeconds: 60 });
    const base = { ...input({ context: { records: 50 } }), policies: [ask, volume, limit] };
    const approved = evaluateApproval(base);
    assert.equal(approved.decision, 'allow');
    assert.deepEqual(approved.reasons.map((r) => [r.rule, r.effect]), [['capability_required', 'allow'], ['data_volume', 'approval'], ['require_approval', 'approval']]);
    assert.deepEqual(approved.violations, []);
    // A grant gone, a resource now denied, a trust score below the minimum: each still denies.
    assert.equal(evaluateApproval({ ...base, grants: [] }).decision, 'deny');
    assert.equal(evaluateApproval({ ...base, grants: [{ ...anyGrant, expiresAt: MONDAY_NOON - 1 }] }).decision, 'deny');
    const denyList = evaluateApproval({ ...base, policies: [...base.policies, policy('resource_deny', { resources: ['orders/*'] })] });
    assert.equal(denyList.decision, 'deny');
    assert.deepEqual(denyList.violations.map((v) => v.rule), ['resource_deny']);
    const minTrust = policy('min_trust', { minimums: { medium: 90 }, whenUnscored: 'require_approval' });
    assert.equal(evaluateApproval({ ...base, policies: [minTrust] }).decision, 'deny');
    assert.equal(evaluateApproval({ ...base, policies: [minTrust], agent: { ...base.agent, trustScore: 95 } }).decision, 'allow');
    // Unscored with whenUnscored require_approval: the approval answers it.
    assert.equal(evaluateApproval({ ...base, policies: [minTrust], agent: { ...base.agent, trustScore: null } }).decision, 'allow');
  });
});

describe('MCP tools (mcp_tool)', () => {
  const ACTION = 'mcp:github/create_issue';
  const tool = (mcp: NonNullable<NonNullable<EvaluationInput['capability']>['mcp']>, overrides: Partial<EvaluationInput> = {}) =>
    evaluate(input({ action: ACTION, resource: null, capability: { name: ACTION, riskLevel: 'medium', mcp }, ...overrides }));
  const pinned = { state: 'pinned' as const, blocked: false };
  const SERVER = `mcp_${pad(1)}`;

  it('passes a pinned tool of an approved (or drifted) server, and then grants and policies decide', () => {
    for (const serverStatus of ['approved', 'drifted'] as const) {
      const allowed = tool({ serverId: SERVER, serverStatus, pin: pinned });
      assert.equal(allowed.decision, 'allow', serverStatus);
      assert.deepEqual(allowed.reasons.map((r) => [r.rule, r.effect]), [['mcp_tool', 'pass'], ['capability_required', 'allow']]);
    }
    const ungranted = tool({ serverId: SERVER, serverStatus: 'approved', pin: pinned }, { grants: [] });
    assert.equal(ungranted.decision, 'deny');
    assert.deepEqual(ungranted.violations.map((v) => v.rule), ['capability_required']);
    // A policy over the server's tools applies to this one: `*` matches the tool name.
    const ask = policy('require_approval', { minRisk: 'low' }, { scope: { actions: ['mcp:github/*'] } });
    assert.equal(tool({ serverId: SERVER, serverStatus: 'approved', pin: pinned }, { policies: [ask] }).decision, 'pending');
    const other = policy('require_approval', { minRisk: 'low' }, { scope: { actions: ['mcp:gitlab/*'] } });
    assert.equal(tool({ serverId: SERVER, serverStatus: 'approved', pin: pinned }, { policies: [other] }).decision, 'allow');
  });

  it('denies while the server is not approved, for a tool without a pin, and for a blocked pin, with a message a person understands', () => {
    for (const serverStatus of ['pending', 'verified', 'suspended', 'revoked'] as const) {
      const denied = tool({ serverId: SERVER, serverStatus, pin: pinned });
      assert.equal(denied.decision, 'deny', serverStatus);
      assert.equal(denied.reasons[0]!.rule, 'mcp_tool');
      assert.match(denied.reasons[0]!.message, new RegExp(`MCP server of ${ACTION} is ${serverStatus}`));
      assert.deepEqual(denied.violations, [{ rule: 'mcp_tool', policyId: null, policyVersion: null }]);
    }
    const unpinned = tool({ serverId: SERVER, serverStatus: 'approved', pin: null });
    assert.equal(unpinned.decision, 'deny');
    assert.match(unpinned.reasons[0]!.message, /not among the approved tools/);
    const changed = tool({ serverId: SERVER, serverStatus: 'drifted', pin: { state: 'changed', blocked: true } });
    assert.equal(changed.decision, 'deny');
    assert.match(changed.reasons[0]!.message, /changed since it was approved and is blocked until a manager/);
    assert.match(tool({ serverId: SERVER, serverStatus: 'drifted', pin: { state: 'removed', blocked: true } }).reasons[0]!.message, /no longer offered/);
    const unblocked = tool({ serverId: SERVER, serverStatus: 'drifted', pin: { state: 'changed', blocked: false } });
    assert.equal(unblocked.decision, 'allow', 'blocking off: a drifted tool is decided by grants and policies');
    assert.match(unblocked.reasons[0]!.message, /blocking of drifted tools is off/);
  });

  it('gives other capabilities no mcp_tool reason', () => {
    assert.ok(!evaluate(input()).reasons.some((r) => r.rule === 'mcp_tool'));
  });
});
