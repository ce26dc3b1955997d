import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  activityFrequency,
  communityTrust,
  compliance,
  computeTrust,
  FACTORS,
  incidentHistory,
  lastVerified,
  securityAudit,
  tierFor,
  TRUST_ALGORITHM_VERSION,
  TRUST_CONSTANTS as C,
  uptime,
  verificationStatus,
  type FactorKey,
  type TrustEvidence,
} from './trust-method.js';

/**
 * The published method (docs/trust-scoring.md), checked against the production weights and
 * constants: each formula at its boundaries, the score as the weighted mean of the known factors,
 * and that each piece of evidence moves exactly the factors it feeds.
 */
const AS_OF = '2026-11-28T12:00:00.000Z';
const daysBefore = (days: number) => new Date(Date.parse(AS_OF) - days * 86_400_000).toISOString();
const daysAfter = (days: number) => new Date(Date.parse(AS_OF) + days * 86_400_000).toISOString();

/** An agent with evidence for every factor. */
function evidence(): TrustEvidence {
  return {
    asOf: AS_OF,
    agent: { status: 'active', createdAt: daysBefore(40), ownerSet: true, purposeSet: true, dataClassificationSet: false },
    keys: { registered: 2, usable: 1, newestExpiresAt: null, newestCreatedAt: daysBefore(20) },
    requests: { verified: 90, failed: 10 },
    lastVerifiedAt: daysBefore(1),
    review: { reviewedAt: daysBefore(30), findings: { low: 1, medium: 1, high: 0, critical: 0 } },
    grants: { highRisk: 2, judged: 4, used: 3 },
    ratings: { count: 4, sum: 16 },
    attestations: { trusted: 3, distrusted: 1 },
    uptime: { observedMinutes: 10_080, minutesWithHeartbeat: 9_072 },
    incidents: [{ source: 'violation', severity: 'medium', ageDays: 10, count: 2 }],
    decisions: { total: 200, compliant: 190 },
    activity: { observedDays: 30, activeDays: 24, ageDays: 40 },
  };
}
const close = (actual: number | null, expected: number, message?: string) =>
  assert.ok(actual !== null && Math.abs(actual - expected) < 1e-9, `${message ?? ''} expected ${expected}, got ${actual}`);

describe('trust method', () => {
  it("uses the spec's factors and weights, which sum to 1", () => {
    assert.deepEqual(
      FACTORS.map((f) => [f.key, f.weight]),
      [
        ['verificationStatus', 0.3],
        ['securityAudit', 0.2],
        ['communityTrust', 0.15],
        ['uptime', 0.15],
        ['incidentHistory', 0.1],
        ['compliance', 0.05],
        ['activityFrequency', 0.03],
        ['lastVerified', 0.02],
      ],
    );
    close(FACTORS.reduce((s, f) => s + f.weight, 0), 1);
  });

  it('verification status: 0 unless active with a usable key; then possession, key validity and the request ratio', () => {
    close(verificationStatus(evidence()).value, (1 + 1 + 0.9) / 3);
    for (const status of ['suspended', 'revoked'] as const) {
      assert.equal(verificationStatus({ ...evidence(), agent: { ...evidence().agent, status } }).value, 0, status);
    }
    assert.equal(verificationStatus({ ...evidence(), keys: { ...evidence().keys, usable: 0 } }).value, 0);
    assert.equal(verificationStatus({ ...evidence(), keys: { ...evidence().keys, registered: 0, usable: 0 } }).value, null, 'no key ever: unknown');
    // A key at the warning distance from expiry still counts fully; halfway to expiry, half.
    close(verificationStatus({ ...evidence(), keys: { ...evidence().keys, newestExpiresAt: daysAfter(C.keyExpiryWarningDays) } }).value, (1 + 1 + 0.9) / 3);
    close(verificationStatus({ ...evidence(), keys: { ...evidence().keys, newestExpiresAt: daysAfter(C.keyExpiryWarningDays / 2) } }).value, (1 + 0.5 + 0.9) / 3);
    // No signed requests yet: the ratio is unknown and left out, not counted as perfect or as zero.
    close(verificationStatus({ ...evidence(), requests: { verified: 0, failed: 0 } }).value, 1);
    close(verificationStatus({ ...evidence(), requests: { verified: 0, failed: 5 } }).value, 2 / 3);
  });

  it('security audit: the newest review (findings by severity) and the posture checks', () => {
    const review = 1 - (C.findingPenalty.low + C.findingPenalty.medium) / 100;
    const posture = (1 + (1 - 2 * C.highRiskGrantPenalty) + 3 / 4 + 1) / 4;
    close(securityAudit(evidence()).value, C.reviewShare * review + (1 - C.reviewShare) * posture);
    // Findings beyond 100 points take the review to 0, never below.
    const severe = { ...evidence(), review: { reviewedAt: daysBefore(1), findings: { low: 0, medium: 0, high: 0, critical: 3 } } };
    close(securityAudit(severe).value, (1 - C.reviewShare) * posture);
    // No review within the window: the posture checks alone.
    close(securityAudit({ ...evidence(), review: null }).value, posture);
    // Key age: full up to keyAgeFullDays, 0 at keyAgeZeroDays, linear between.
    const withKeyAge = (days: number) => securityAudit({ ...evidence(), review: null, keys: { ...evidence().keys, newestCreatedAt: daysBefore(days) } }).value;
    close(withKeyAge(C.keyAgeFullDays), posture);
    close(withKeyAge(C.keyAgeZeroDays), (0 + (1 - 2 * C.highRiskGrantPenalty) + 3 / 4 + 1) / 4);
    close(withKeyAge((C.keyAgeFullDays + C.keyAgeZeroDays) / 2), (0.5 + (1 - 2 * C.highRiskGrantPenalty) + 3 / 4 + 1) / 4);
    // Breadth of high-risk grants reaches 0 and stays there.
    const broad = securityAudit({ ...evidence(), review: null, grants: { highRisk: 50, judged: 4, used: 3 } }).value;
    close(broad, (1 + 0 + 3 / 4 + 1) / 4);
    // No grant old enough to judge: usage is unknown and left out.
    close(securityAudit({ ...evidence(), review: null, grants: { highRisk: 2, judged: 0, used: 0 } }).value, (1 + 0.8 + 1) / 3);
  });

  it('community trust: ratings (1 → 0, 5 → 1) and attestations; unknown without either', () => {
    close(communityTrust(evidence()).value, C.ratingShare * ((4 - 1) / 4) + (1 - C.ratingShare) * 0.75);
    close(communityTrust({ ...evidence(), attestations: { trusted: 0, distrusted: 0 }, ratings: { count: 2, sum: 10 } }).value, 1);
    close(communityTrust({ ...evidence(), attestations: { trusted: 0, distrusted: 0 }, ratings: { count: 2, sum: 2 } }).value, 0);
    close(communityTrust({ ...evidence(), ratings: { count: 0, sum: 0 } }).value, 0.75);
    assert.equal(communityTrust({ ...evidence(), ratings: { count: 0, sum: 0 }, attestations: { trusted: 0, distrusted: 0 } }).value, null);
  });

  it('uptime: minutes with a heartbeat over minutes observed; unknown without any heartbeat', () => {
    close(uptime(evidence()).value, 0.9);
    close(uptime({ ...evidence(), uptime: { observedMinutes: 10, minutesWithHeartbeat: 10 } }).value, 1);
    assert.equal(uptime({ ...evidence(), uptime: { observedMinutes: null, minutesWithHeartbeat: 0 } }).value, null);
  });

  it('incident history: severity weights decayed by age, within the window', () => {
    const weighted = 2 * C.incidentWeight.medium * Math.pow(0.5, 10 / C.incidentHalfLifeDays);
    close(incidentHistory(evidence()).value, Math.exp(-weighted / C.incidentScale));
    // One fresh high violation; the same after one half-life counts half as much.
    const one = (ageDays: number) => incidentHistory({ ...evidence(), incidents: [{ source: 'incident', severity: 'high', ageDays, count: 1 }] }).value;
    close(one(0), Math.exp(-C.incidentWeight.high / C.incidentScale));
    close(one(C.incidentHalfLifeDays), Math.exp(-C.incidentWeight.high / 2 / C.incidentScale));
    assert.equal(one(C.incidentWindowDays + 1), 1, 'outside the window: no longer evidence');
    assert.equal(incidentHistory({ ...evidence(), incidents: [] }).value, 1, 'observed 40 days without incidents');
    const newborn = { ...evidence(), agent: { ...evidence().agent, createdAt: daysBefore(0.5) }, incidents: [] };
    assert.equal(incidentHistory(newborn).value, null, 'less than a day observed and nothing happened: unknown');
  });

  it('compliance: decisions that complied, and the required metadata', () => {
    close(compliance(evidence()).value, C.decisionShare * 0.95 + (1 - C.decisionShare) * (2 / 3));
    close(compliance({ ...evidence(), decisions: { total: 0, compliant: 0 } }).value, 2 / 3);
    const complete = { ...evidence(), agent: { ...evidence().agent, dataClassificationSet: true }, decisions: { total: 10, compliant: 10 } };
    close(compliance(complete).value, 1);
  });

  it('activity frequency: active days over observed days; unknown for a new agent not yet active', () => {
    close(activityFrequency(evidence()).value, 0.8);
    assert.equal(activityFrequency({ ...evidence(), activity: { observedDays: 1, activeDays: 0, ageDays: 0.2 } }).value, null);
    close(activityFrequency({ ...evidence(), activity: { observedDays: 1, activeDays: 1, ageDays: 0.2 } }).value, 1);
    close(activityFrequency({ ...evidence(), activity: { observedDays: 2, activeDays: 0, ageDays: 1.2 } }).value, 0);
  });

  it('last verified: halves every half-life; unknown when never verified', () => {
    close(lastVerified({ ...evidence(), lastVerifiedAt: AS_OF }).value, 1);
    close(lastVerified({ ...evidence(), lastVerifiedAt: daysBefore(C.lastVerifiedHalfLifeDays) }).value, 0.5);
    close(lastVerified({ ...evidence(), lastVerifiedAt: daysBefore(2 * C.lastVerifiedHalfLifeDays) }).value, 0.25);
    assert.equal(lastVerified({ ...evidence(), lastVerifiedAt: null }).value, null);
  });

  it('scores the weighted mean of the known factors: contributions sum to the score, confidence is the known weight', () => {
    const full = computeTrust(evidence());
    assert.equal(full.confidence, 1);
    assert.equal(full.algorithmVersion, TRUST_ALGORITHM_VERSION);
    const sum = full.factors.reduce((s, f) => s + f.contribution, 0);
    assert.ok(Math.abs(sum - full.score!) < 0.01, `contributions ${sum} vs score ${full.score}`);
    const expected = FACTORS.reduce((s, f) => s + f.weight * full.factors.find((x) => x.key === f.key)!.value!, 0) * 100;
    assert.ok(Math.abs(full.score! - expected) < 0.01);

    // Without community and uptime evidence, the score rests on 70% of the weight.
    const partial = computeTrust({ ...evidence(), ratings: { count: 0, sum: 0 }, attestations: { trusted: 0, distrusted: 0 }, uptime: { observedMinutes: null, minutesWithHeartbeat: 0 } });
    assert.equal(partial.confidence, 0.7);
    for (const key of ['communityTrust', 'uptime'] as FactorKey[]) {
      const f = partial.factors.find((x) => x.key === key)!;
      assert.equal(f.value, null, key);
      assert.equal(f.contribution, 0, key);
    }
    const partialSum = partial.factors.reduce((s, f) => s + f.contribution, 0);
    assert.ok(Math.abs(partialSum - partial.score!) < 0.01);
    const known = partial.factors.filter((f) => f.value !== null);
    const mean = (known.reduce((s, f) => s + f.weight * f.value!, 0) / 0.7) * 100;
    assert.ok(Math.abs(partial.score! - mean) < 0.01, `${partial.score} vs ${mean}`);
  });

  it('leaves out each factor without evidence; security audit and compliance always read the agent record', () => {
    // No key and nothing observed: six factors unknown. Security audit and compliance are computed from
    // the agent's own record (owner, high-risk grants, required fields), which every agent has.
    const none = computeTrust({
      ...evidence(),
      keys: { registered: 0, usable: 0, newestExpiresAt: null, newestCreatedAt: null },
      lastVerifiedAt: null,
      ratings: { count: 0, sum: 0 },
      attestations: { trusted: 0, distrusted: 0 },
      uptime: { observedMinutes: null, minutesWithHeartbeat: 0 },
      incidents: [],
      agent: { ...evidence().agent, createdAt: daysBefore(0.1) },
      activity: { observedDays: 1, activeDays: 0, ageDays: 0.1 },
    });
    const unknown = none.factors.filter((f) => f.value === null).map((f) => f.key);
    assert.deepEqual(unknown, ['verificationStatus', 'communityTrust', 'uptime', 'incidentHistory', 'activityFrequency', 'lastVerified']);
    assert.equal(none.confidence, 0.25, 'security audit (0.20) and compliance (0.05) are computed from the agent record itself');
    assert.equal(tierFor(null, 0), 'unscored');
  });

  it('every factor reports unknown, not a number, where its signal is missing', () => {
    const missing: Record<FactorKey, TrustEvidence | null> = {
      verificationStatus: { ...evidence(), keys: { registered: 0, usable: 0, newestExpiresAt: null, newestCreatedAt: null } },
      securityAudit: null, // always has the agent record: owner set or not, high-risk grants counted (0 is a count)
      communityTrust: { ...evidence(), ratings: { count: 0, sum: 0 }, attestations: { trusted: 0, distrusted: 0 } },
      uptime: { ...evidence(), uptime: { observedMinutes: null, minutesWithHeartbeat: 0 } },
      incidentHistory: { ...evidence(), incidents: [], agent: { ...evidence().agent, createdAt: daysBefore(0.5) } },
      compliance: null, // always has the agent record: which required fields are present
      activityFrequency: { ...evidence(), activity: { observedDays: 1, activeDays: 0, ageDays: 0.5 } },
      lastVerified: { ...evidence(), lastVerifiedAt: null },
    };
    for (const [key, e] of Object.entries(missing) as [FactorKey, TrustEvidence | null][]) {
      if (!e) continue;
      const factor = computeTrust(e).factors.find((f) => f.key === key)!;
      assert.equal(factor.value, null, key);
      assert.match(factor.explanation, /no |never|less than a day/, `${key} says why it is unknown: ${factor.explanation}`);
    }
  });

  it('moves exactly the factors a piece of evidence feeds', () => {
    const mutations: [string, (e: TrustEvidence) => void, FactorKey[]][] = [
      ['a failed signed request', (e) => (e.requests.failed += 5), ['verificationStatus']],
      ['a new security review', (e) => (e.review = { reviewedAt: daysBefore(1), findings: { low: 0, medium: 0, high: 1, critical: 0 } }), ['securityAudit']],
      ['a high-risk grant', (e) => (e.grants.highRisk += 1), ['securityAudit']],
      ['a rating', (e) => ((e.ratings.count += 1), (e.ratings.sum += 1)), ['communityTrust']],
      ['an attestation', (e) => (e.attestations.distrusted += 1), ['communityTrust']],
      ['a missed heartbeat minute', (e) => (e.uptime.minutesWithHeartbeat -= 100), ['uptime']],
      ['a violation', (e) => e.incidents.push({ source: 'violation', severity: 'high', ageDays: 0, count: 1 }), ['incidentHistory']],
      ['an incident', (e) => e.incidents.push({ source: 'incident', severity: 'critical', ageDays: 3, count: 1 }), ['incidentHistory']],
      ['a flagged decision', (e) => ((e.decisions.total += 1), undefined), ['compliance']],
      ['a data classification', (e) => (e.agent.dataClassificationSet = true), ['compliance']],
      ['a day of dormancy', (e) => (e.activity.activeDays -= 1), ['activityFrequency']],
      ['a later verification', (e) => (e.lastVerifiedAt = AS_OF), ['lastVerified']],
      // The owner is both a posture check and required metadata: it feeds exactly those two.
      ['the owner leaving', (e) => (e.agent.ownerSet = false), ['securityAudit', 'compliance']],
    ];
    const before = computeTrust(evidence());
    for (const [what, mutate, feeds] of mutations) {
      const e = evidence();
      mutate(e);
      const after = computeTrust(e);
      const moved = after.factors.filter((f, i) => f.value !== before.factors[i]!.value).map((f) => f.key);
      assert.deepEqual(moved, feeds, what);
      assert.notEqual(after.score, before.score, `${what} moves the score`);
    }
  });

  it('gives tiers by score, the top two only with enough confidence', () => {
    assert.equal(tierFor(95, 0.9), 'verified');
    assert.equal(tierFor(95, 0.79), 'high');
    assert.equal(tierFor(95, 0.59), 'medium');
    assert.equal(tierFor(75, 0.6), 'high');
    assert.equal(tierFor(74.99, 1), 'medium');
    assert.equal(tierFor(60, 0.1), 'medium');
    assert.equal(tierFor(40, 1), 'low');
    assert.equal(tierFor(39.99, 1), 'untrusted');
    assert.equal(tierFor(0, 1), 'untrusted');
    for (const t of C.tiers) assert.equal(tierFor(t.minScore, Math.max(t.minConfidence, 0)), t.tier);
  });

  it('is deterministic: the same evidence gives the same result, through JSON and back', () => {
    const e = evidence();
    assert.deepEqual(computeTrust(JSON.parse(JSON.stringify(e)) as TrustEvidence), computeTrust(e));
  });
});
