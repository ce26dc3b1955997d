import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { raiseAlert, setAlertStatus } from '../../testing/alert-rows.js';
import { registerAgent } from '../../testing/agent-fixtures.js';
import { seedOrganization, type SeededOrganization } from '../../testing/people-fixtures.js';
import { forEachTarget } from '../../testing/targets.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { computeTrust, TRUST_ALGORITHM_VERSION, TRUST_CONSTANTS, type TrustEvidence } from './trust-method.js';

interface Factor {
  key: string;
  value: number | null;
  explanation: string;
  evidence: Record<string, unknown>;
}

/**
 * Alerts as trust evidence (docs/trust-scoring.md, incident history): a high or critical alert about
 * an agent lowers the factor through the evidence the score stores, by itself (the scheduler's
 * subscription to alert.raised and alert.status_changed), and a false positive takes it back out.
 */
forEachTarget('trust: alerts as evidence', (target) => {
  let t: TestApp;
  let a: SeededOrganization;
  before(async () => {
    t = await createTestApp(target, { env: { TRUST_RECALCULATION_DEBOUNCE_MS: '100' } });
    a = await seedOrganization(t, 'A');
  });
  after(() => t?.close());

  interface Row {
    id: string;
    score: string;
    factors: Factor[];
    evidence: TrustEvidence;
    algorithm_version: string;
    trigger: string;
  }
  const scores = async (agentId: string): Promise<Row[]> =>
    (await (await t.owner()).query(`select * from trust_scores where agent_id = $1 order by computed_at, id`, [agentId])).rows;
  /** Waits for the event-driven recalculations to reach `count` (the scheduler works after the debounce). */
  const eventScores = async (agentId: string, count: number): Promise<Row[]> => {
    for (let i = 0; i < 400; i++) {
      const rows = (await scores(agentId)).filter((r) => r.trigger === 'event');
      if (rows.length >= count) return rows;
      await new Promise((r) => setTimeout(r, 25));
    }
    assert.fail(`no ${count} event-driven recalculation(s) of ${agentId}`);
  };
  const incidentHistory = (row: Row) => row.factors.find((f) => f.key === 'incidentHistory')!;

  it('a critical alert about an agent lowers incident history through stored evidence; a false positive takes it back', async () => {
    const { agent } = await registerAgent(t, a.as.admin.apiKey);
    const registered = (await scores(agent.id))[0]!;
    assert.equal(registered.algorithm_version, TRUST_ALGORITHM_VERSION);
    assert.equal(TRUST_ALGORITHM_VERSION, 'aim-trust/2');

    const alertId = await raiseAlert(t, a.organizationId, { severity: 'critical', subject: { type: 'agent', id: agent.id } });
    const [raised] = await eventScores(agent.id, 1);
    const factor = incidentHistory(raised!);
    assert.equal(factor.evidence.alerts, 1);
    // One fresh critical alert weighs like a fresh critical incident: exp(-10 / 10).
    const expected = Math.exp(-TRUST_CONSTANTS.incidentWeight.critical / TRUST_CONSTANTS.incidentScale);
    assert.equal(factor.value, Math.round(expected * 10_000) / 10_000);
    assert.match(factor.explanation, new RegExp(`${alertId} \\(key_misuse, critical, open\\)`), 'the explanation names the alert');
    assert.ok(Number(raised!.score) < Number(registered.score), `${raised!.score} < ${registered.score}`);
    // The stored evidence lists it, and replays to the stored score.
    assert.deepEqual(raised!.evidence.alerts, [{ id: alertId, type: 'key_misuse', severity: 'critical', status: 'open', ageDays: 0 }]);
    assert.deepEqual(raised!.evidence.incidents, [{ source: 'alert', severity: 'critical', ageDays: 0, count: 1 }]);
    assert.equal(computeTrust(raised!.evidence).score, Number(raised!.score));

    // Acknowledged or resolved, it still counts (history); marked a false positive, it no longer does.
    await setAlertStatus(t, a.organizationId, alertId, 'resolved', { type: 'system', id: null });
    const [, resolved] = await eventScores(agent.id, 2);
    assert.equal(incidentHistory(resolved!).evidence.alerts, 1, 'a resolved alert still counts');
    assert.equal(resolved!.evidence.alerts![0]!.status, 'resolved');

    await setAlertStatus(t, a.organizationId, alertId, 'false_positive');
    const [, , cleared] = await eventScores(agent.id, 3);
    assert.equal(incidentHistory(cleared!).evidence.alerts, 0);
    assert.deepEqual(cleared!.evidence.alerts, []);
    assert.equal(incidentHistory(cleared!).value, incidentHistory(registered).value, 'back to what it was before the alert');
  });

  it('counts only high and critical alerts about the agent, never trust drops, and recalculates only for those', async () => {
    const { agent } = await registerAgent(t, a.as.admin.apiKey);
    const { agent: other } = await registerAgent(t, a.as.admin.apiKey);
    await raiseAlert(t, a.organizationId, { severity: 'medium', type: 'rate_anomaly', subject: { type: 'agent', id: agent.id } });
    await raiseAlert(t, a.organizationId, { severity: 'high', type: 'trust_drop', subject: { type: 'agent', id: agent.id } });
    await raiseAlert(t, a.organizationId, { severity: 'critical', subject: { type: 'organization', id: a.organizationId } });
    const high = await raiseAlert(t, a.organizationId, { severity: 'high', type: 'data_volume', subject: { type: 'agent', id: other.id } });
    // The other agent's alert is recalculated; once it is, the first agent's (none due) would have been too.
    const [otherScore] = await eventScores(other.id, 1);
    assert.deepEqual(otherScore!.evidence.alerts!.map((l) => l.id), [high]);
    assert.equal(incidentHistory(otherScore!).evidence.alerts, 1);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await scores(agent.id)).filter((r) => r.trigger === 'event').length, 0, 'no recalculation for a medium alert or a trust drop');

    const res = await t.app.inject({ method: 'POST', url: `/api/v1/agents/${agent.id}/recalculate-trust`, headers: a.as.admin.apiKey });
    assert.equal(res.statusCode, 200, res.body);
    const manual = (await scores(agent.id)).at(-1)!;
    assert.equal(incidentHistory(manual).evidence.alerts, 0, 'medium alerts and trust drops are not evidence');
    assert.deepEqual(manual.evidence.alerts, []);
  });

  it('replays evidence stored before alerts counted (aim-trust/1) unchanged', () => {
    const old = {
      asOf: '2026-12-01T00:00:00.000Z',
      agent: { status: 'active', createdAt: '2026-11-01T00:00:00.000Z', ownerSet: true, purposeSet: true, dataClassificationSet: true },
      keys: { registered: 1, usable: 1, newestExpiresAt: null, newestCreatedAt: '2026-11-01T00:00:00.000Z' },
      requests: { verified: 10, failed: 0 },
      lastVerifiedAt: '2026-11-30T00:00:00.000Z',
      review: null,
      grants: { highRisk: 0, judged: 0, used: 0 },
      ratings: { count: 0, sum: 0 },
      attestations: { trusted: 0, distrusted: 0 },
      uptime: { observedMinutes: null, minutesWithHeartbeat: 0 },
      incidents: [{ source: 'violation', severity: 'high', ageDays: 0, count: 1 }],
      decisions: { total: 0, compliant: 0 },
      activity: { observedDays: 30, activeDays: 10, ageDays: 30 },
    } satisfies TrustEvidence;
    const factor = computeTrust(old).factors.find((f) => f.key === 'incidentHistory')!;
    assert.equal(factor.value, Math.round(Math.exp(-0.5) * 10_000) / 10_000);
    assert.equal(factor.evidence.alerts, 0);

    // Many alerts: all count, the newest TRUST_CONSTANTS.alertsNamed are named, the rest summed up.
    const named = Array.from({ length: TRUST_CONSTANTS.alertsNamed }, (_, i) => ({ id: `alr_${String(i).padStart(26, '0')}`, type: 'key_misuse', severity: 'high' as const, status: 'open', ageDays: 30 }));
    const many = computeTrust({ ...old, incidents: [{ source: 'alert', severity: 'high', ageDays: 30, count: 25 }], alerts: named }).factors.find((f) => f.key === 'incidentHistory')!;
    assert.equal(many.evidence.alerts, 25);
    assert.equal(many.value, Math.round(Math.exp((-25 * 5 * 0.5) / 10) * 10_000) / 10_000, 'each high alert weighs 5, halved at 30 days');
    assert.match(many.explanation, /^0 violations, 0 incidents and 25 alerts: alr_0+ \(key_misuse, high, open\);.*; and 5 more; weighted 62\.5 after decay$/);
  });
});
