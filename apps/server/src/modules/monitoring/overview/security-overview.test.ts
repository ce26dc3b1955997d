import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { newId } from '../../../platform/ids.js';
import { registerAgent } from '../../../testing/agent-fixtures.js';
import { seedOrganization, type SeededOrganization } from '../../../testing/people-fixtures.js';
import { forEachTarget } from '../../../testing/targets.js';
import { createTestApp, type TestApp } from '../../../testing/test-app.js';

const DAY_MS = 86_400_000;
const dayOf = (at: Date) => at.toISOString().slice(0, 10);
const daysAgo = (n: number, hours = 0) => new Date(Date.now() - n * DAY_MS - hours * 3_600_000);

/**
 * GET /api/v1/monitoring/overview over real rows: alerts written as the engine writes them, decisions
 * as the decision engine stores them (by month partition), agents with their current scores.
 */
forEachTarget('monitoring: security overview', (target) => {
  let t: TestApp;
  let a: SeededOrganization;
  let b: SeededOrganization;
  const agents: Record<'top' | 'second' | 'full' | 'unscored' | 'suspended', string> = {} as never;
  const now = new Date();

  const sql = async (text: string, values: unknown[] = []) => (await t.owner()).query(text, values);
  /** A decision's month partition, as the hourly partition job creates them (it creates months ahead only). */
  const partitionFor = async (at: Date) => {
    const start = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1));
    const end = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 1));
    const name = `verification_events_y${start.getUTCFullYear()}m${String(start.getUTCMonth() + 1).padStart(2, '0')}`;
    await sql(`create table if not exists ${name} partition of verification_events for values from ('${start.toISOString()}') to ('${end.toISOString()}')`);
    await sql(`alter table ${name} enable row level security`);
  };
  const decision = async (org: SeededOrganization, agentId: string, at: Date, initial: 'allow' | 'deny' | 'pending') => {
    await partitionFor(at);
    const [decision, status] = initial === 'pending' ? ['allow', 'approved'] : [initial, initial === 'allow' ? 'allowed' : 'denied'];
    await sql(
      `insert into verification_events (id, organization_id, agent_id, authenticated_by, action, initial_decision, decision, status, reasons, policy_revision, created_at, expires_at)
       values ($1, $2, $3, 'signature', 'reports:read', $4, $5, $6, '[]', 1, $7, $8)`,
      [newId('dec', at.getTime()), org.organizationId, agentId, initial, decision, status, at, initial === 'pending' ? new Date(at.getTime() + 3_600_000) : null],
    );
  };
  const alert = async (org: SeededOrganization, subject: { type: string; id: string }, severity: string, status: string, at: Date) => {
    const closed = status === 'resolved' || status === 'false_positive';
    await sql(
      `insert into alerts (id, organization_id, type, severity, subject_type, subject_id, status, snoozed_until, title, summary, dedup_key, first_seen_at, last_seen_at, evidence, created_at, resolved_at)
       values ($1, $2, 'rate_anomaly', $3, $4, $5, $6, $7, 'Request rate far above baseline', 'Observed 90 against 10.', $1, $8, $8, '{}', $8, $9)`,
      [newId('alr', at.getTime()), org.organizationId, severity, subject.type, subject.id, status, status === 'snoozed' ? new Date(Date.now() + DAY_MS) : null, at, closed ? at : null],
    );
  };

  before(async () => {
    // Scores are set below; no recalculation on new evidence (registration's) may replace them meanwhile.
    t = await createTestApp(target, { env: { TRUST_RECALCULATION_DEBOUNCE_MS: '600000' } });
    a = await seedOrganization(t, 'A');
    b = await seedOrganization(t, 'B');
    for (const [name, score] of [['top', 95], ['second', 45.5], ['full', 100], ['unscored', null], ['suspended', 10]] as const) {
      const { agent } = await registerAgent(t, a.as.admin.apiKey, { name: `agent ${name}` });
      agents[name] = agent.id;
      await sql(`update agents set trust_score = $2, trust_tier = $3, status = $4 where id = $1`, [
        agent.id,
        score,
        score === null ? 'unscored' : 'medium',
        name === 'suspended' ? 'suspended' : 'active',
      ]);
    }
    const { agent: other } = await registerAgent(t, b.as.admin.apiKey);

    // A: two alerts about the top agent today, one about the second two days ago, one about the organization
    // five days ago; an old open one (20 days) is active now but outside the period.
    await alert(a, { type: 'agent', id: agents.top }, 'critical', 'open', daysAgo(0, 0.01));
    await alert(a, { type: 'agent', id: agents.top }, 'high', 'resolved', daysAgo(0, 0.02));
    await alert(a, { type: 'agent', id: agents.second }, 'medium', 'acknowledged', daysAgo(2));
    await alert(a, { type: 'organization', id: a.organizationId }, 'info', 'snoozed', daysAgo(5));
    await alert(a, { type: 'agent', id: agents.second }, 'high', 'open', daysAgo(20));
    await alert(b, { type: 'agent', id: other.id }, 'critical', 'open', daysAgo(0, 0.01));

    for (const initial of ['allow', 'allow', 'deny'] as const) await decision(a, agents.top, daysAgo(0, 0.01), initial);
    await decision(a, agents.second, daysAgo(1), 'pending');
    await decision(a, agents.second, daysAgo(20), 'deny');
    await decision(b, other.id, daysAgo(0, 0.01), 'deny');
  });
  after(() => t?.close());

  const overview = (org: SeededOrganization, query = '', headers = org.as.viewer.apiKey) => t.app.inject({ method: 'GET', url: `/api/v1/monitoring/overview${query}`, headers });

  it('counts active alerts, alerts per day, top agents, decisions per day and the trust distribution, with zeros on quiet days', async () => {
    const res = await overview(a);
    assert.equal(res.statusCode, 200, res.body);
    const o = res.json();
    assert.equal(o.alertsByDay.length, 14);
    assert.equal(o.alertsByDay.at(-1).day, dayOf(now));
    assert.equal(o.from, `${o.alertsByDay[0].day}T00:00:00.000Z`);
    assert.deepEqual(o.openBySeverity, { info: 1, low: 0, medium: 1, high: 1, critical: 1 }, 'open, acknowledged and snoozed, whenever raised');

    const expectedAlerts = new Map<string, Record<string, number>>();
    for (const [at, severity] of [[daysAgo(0, 0.01), 'critical'], [daysAgo(0, 0.02), 'high'], [daysAgo(2), 'medium'], [daysAgo(5), 'info']] as const) {
      const counts = expectedAlerts.get(dayOf(at)) ?? { info: 0, low: 0, medium: 0, high: 0, critical: 0 };
      counts[severity]! += 1;
      expectedAlerts.set(dayOf(at), counts);
    }
    for (const { day, ...counts } of o.alertsByDay) {
      assert.deepEqual(counts, expectedAlerts.get(day) ?? { info: 0, low: 0, medium: 0, high: 0, critical: 0 }, day);
    }

    assert.deepEqual(o.topAgents, [
      { agentId: agents.top, name: 'agent top', alerts: 2, active: 1, highest: 'critical' },
      { agentId: agents.second, name: 'agent second', alerts: 1, active: 1, highest: 'medium' },
    ]);

    assert.equal(o.decisionsByDay.length, 14);
    const decisions = new Map<string, { allowed: number; denied: number; pending: number }>(o.decisionsByDay.map((d: { day: string }) => [d.day, d]));
    assert.deepEqual(decisions.get(dayOf(daysAgo(0, 0.01))), { day: dayOf(daysAgo(0, 0.01)), allowed: 2, denied: 1, pending: 0 });
    assert.deepEqual(decisions.get(dayOf(daysAgo(1))), { day: dayOf(daysAgo(1)), allowed: 0, denied: 0, pending: 1 }, 'by how it was first decided');
    const total = o.decisionsByDay.reduce((s: number, d: { allowed: number; denied: number; pending: number }) => s + d.allowed + d.denied + d.pending, 0);
    assert.equal(total, 4, 'nothing from before the period or from another organization');

    assert.equal(o.trustDistribution.length, 10);
    assert.deepEqual(o.trustDistribution[0], { from: 0, to: 10, agents: 0 }, 'the suspended agent (10) is not counted');
    assert.deepEqual(o.trustDistribution[4], { from: 40, to: 50, agents: 1 });
    assert.deepEqual(o.trustDistribution[9], { from: 90, to: 100, agents: 2 }, '95 and 100');
    assert.equal(o.trustDistribution.reduce((s: number, x: { agents: number }) => s + x.agents, 0), 3);
    assert.equal(o.unscoredAgents, 1);
  });

  it('takes the period in days (1 to 90), and shows each organization only its own', async () => {
    const one = (await overview(a, '?days=1')).json();
    assert.deepEqual(one.alertsByDay.map((d: { day: string }) => d.day), [dayOf(new Date())]);
    assert.equal(one.decisionsByDay.length, 1);
    const wide = (await overview(a, '?days=30')).json();
    assert.deepEqual(wide.topAgents.map((x: { agentId: string; alerts: number }) => [x.agentId, x.alerts]), [[agents.top, 2], [agents.second, 2]], 'the 20-day-old alert is in a 30-day period');
    assert.equal(wide.decisionsByDay.reduce((s: number, d: { denied: number }) => s + d.denied, 0), 2);
    for (const days of ['0', '91', 'x']) {
      const bad = await overview(a, `?days=${days}`);
      assert.equal(bad.statusCode, 400, days);
      assert.equal(bad.json().error.code, 'validation_failed');
    }
    const other = (await overview(b)).json();
    assert.deepEqual(other.openBySeverity, { info: 0, low: 0, medium: 0, high: 0, critical: 1 });
    assert.equal(other.topAgents.length, 1);
    assert.equal(other.unscoredAgents + other.trustDistribution.reduce((s: number, x: { agents: number }) => s + x.agents, 0), 1);
    assert.equal((await t.app.inject({ method: 'GET', url: '/api/v1/monitoring/overview' })).statusCode, 401);
  });
});
