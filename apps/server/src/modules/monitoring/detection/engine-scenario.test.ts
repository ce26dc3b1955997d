import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { forEachTarget } from '../../../testing/targets.js';
import { acrossInstances, createTestApp, type TestApp } from '../../../testing/test-app.js';
import { seedOrganization, type SeededOrganization } from '../../../testing/people-fixtures.js';
import { newAgentKey, registerAgent, signedHeaders, type TestAgentKey } from '../../../testing/agent-fixtures.js';
import { DAY, HOUR, alertsOf, ensurePartitions, heartbeats, simulate, workingHours } from '../../../testing/engine-fixtures.js';
import { computeBaselines } from './engine-baselines.js';
import { sweepOrganization } from './engine-sweep.js';

/**
 * The "how it will be checked", in process on the real engine (dispatcher, subscription,
 * jobs run with simulated times): an agent with a normal history steals its own key, bursts at
 * 3 a.m., reads a resource it never touched and goes silent; each gives one alert, and a simulated
 * week of the same normal traffic gives none.
 */
const today = Math.floor(Date.now() / DAY) * DAY;
/** The simulated present: yesterday 00:00 UTC (so 03:00 of it is always in the past). */
const P = new Date(today - DAY);
const at = (offset: number) => new Date(P.getTime() + offset);

async function backdate(t: TestApp, agentId: string, createdAt: Date) {
  await (await t.owner()).query('update agents set created_at = $2 where id = $1', [agentId, createdAt]);
}

/** Requests signed by a second key that name the agent's key id, then replays of a captured request. */
async function stealKey(t: TestApp, key: TestAgentKey, thefts: number, replays: number): Promise<void> {
  const thief = { ...newAgentKey(), keyId: key.keyId };
  for (let i = 0; i < thefts; i += 1) {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/agents/me', headers: signedHeaders(thief, { url: '/api/v1/agents/me' }) });
    assert.equal(res.json().error?.code, 'invalid_signature');
  }
  const captured = signedHeaders(key, { url: '/api/v1/agents/me' });
  assert.equal((await t.app.inject({ method: 'GET', url: '/api/v1/agents/me', headers: captured })).statusCode, 200);
  for (let i = 0; i < replays; i += 1) {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/agents/me', headers: captured });
    assert.equal(res.json().error?.code, 'replayed_request');
  }
  await t.platform.authFailures.flush();
  await t.platform.domainEvents.drain();
}

/** An agent with `days` days of office hours (09–17 UTC, 12 requests an hour) before `end`, heartbeats until `beatsUntil`. */
async function normalAgent(t: TestApp, org: SeededOrganization, start: Date, end: Date, beatsUntil: Date) {
  const { key, agent } = await registerAgent(t, org.as.member.apiKey);
  await backdate(t, agent.id, new Date(start.getTime() - DAY));
  await heartbeats(t, org.organizationId, agent.id, start, beatsUntil);
  await simulate(t, org.organizationId, agent.id, workingHours(start, end, { fromHour: 9, toHour: 17, perHour: 12, records: 10 }));
  return { key, agentId: agent.id };
}

forEachTarget('detection engine', (target) => {
  let t: TestApp;
  let org: SeededOrganization;
  const deps = () => ({ db: t.platform.db, events: t.platform.domainEvents });
  before(async () => {
    t = await createTestApp(target);
    org = await seedOrganization(t);
    await ensurePartitions(await t.owner(), new Date(P.getTime() - 20 * DAY));
  });
  after(() => t?.close());

  it('raises nothing for a simulated week of normal traffic, then one alert for each incident, with evidence from the decision history', async () => {
    // Eight days of history (no baseline yet: nothing can fire), then the simulated week day by day,
    // baselines recomputed each midnight and the sweep run at every hour's end.
    const { key, agentId } = await normalAgent(t, org, at(-16 * DAY), at(-8 * DAY), at(3 * HOUR));
    for (let day = -8; day < 0; day += 1) {
      await computeBaselines(deps(), org.organizationId, at(day * DAY));
      await simulate(t, org.organizationId, agentId, workingHours(at(day * DAY), at((day + 1) * DAY), { fromHour: 9, toHour: 17, perHour: 12, records: 10 }));
      for (let h = 1; h <= 24; h += 1) await sweepOrganization(deps(), org.organizationId, at(day * DAY + h * HOUR + 30_000));
    }
    assert.deepEqual(await alertsOf(t, org.organizationId), [], 'a normal week raises nothing');
    const owner = await t.owner();
    assert.equal((await owner.query('select count(*)::int as n from alert_learning_findings where organization_id = $1', [org.organizationId])).rows[0].n, 0);
    const { rows: hours } = await owner.query('select sum(requests)::int as n from agent_activity_hours where agent_id = $1', [agentId]);
    assert.equal(hours[0].n, 16 * 8 * 12, 'every decision counted once in the hour counters');

    await computeBaselines(deps(), org.organizationId, at(0));
    // A burst at 3 a.m., an hour the agent is never active.
    const burst = await simulate(t, org.organizationId, agentId, Array.from({ length: 40 }, (_, i) => ({ at: at(3 * HOUR + i * 10_000) })));
    // A resource never touched, in working hours.
    const payroll = await simulate(t, org.organizationId, agentId, [{ at: at(10 * HOUR), resource: 'payroll/salaries' }, { at: at(10 * HOUR + 60_000), resource: 'payroll/salaries' }]);
    // The agent's key, stolen: a second key naming its key id, and replays of a captured request.
    await stealKey(t, key, 6, 3);
    await stealKey(t, key, 6, 0);
    // Silence: heartbeats ended at 03:00; the sweep an hour later, and again a minute after.
    await sweepOrganization(deps(), org.organizationId, at(4 * HOUR + 30_000));
    await sweepOrganization(deps(), org.organizationId, at(4 * HOUR + 90_000));

    const alerts = await alertsOf(t, org.organizationId);
    const byType = (type: string) => alerts.filter((a) => a.type === type);
    for (const type of ['key_misuse', 'off_hours', 'new_resource', 'heartbeat_lost']) assert.equal(byType(type).length, 1, `one ${type} alert: ${JSON.stringify(alerts.map((a) => a.type))}`);
    assert.ok(alerts.every((a) => a.subject_id === agentId));
    const misuse = byType('key_misuse')[0]!;
    assert.ok(misuse.occurrences >= 2, 'the second burst counted on the same alert');
    assert.equal(misuse.severity, 'critical');
    assert.equal(byType('heartbeat_lost')[0]!.occurrences, 1, 'one silence, however often the sweep sees it');
    const offHours = byType('off_hours')[0]!;
    assert.ok(offHours.evidence.decisionIds.length > 0 && offHours.evidence.decisionIds.every((id) => burst.includes(id)), 'the burst decisions are the evidence');
    assert.notEqual(offHours.evidence.baselineSnapshot, null, 'the baseline is stored with the alert');
    assert.ok(byType('new_resource')[0]!.evidence.decisionIds.includes(payroll[0]!));
    // Every decision the evidence names is in the decision history.
    for (const id of alerts.flatMap((a) => a.evidence.decisionIds)) {
      const res = await t.app.inject({ method: 'GET', url: `/api/v1/decisions/${id}`, headers: org.as.viewer.apiKey });
      assert.equal(res.statusCode, 200, `${id}: ${res.body}`);
      assert.equal(res.json().decision.agentId, agentId);
    }
    // Each alert was audited once, by the system.
    const { rows: audited } = await owner.query(
      `select target_id, actor_type from audit_events where organization_id = $1 and action = 'alert.raised' order by target_id`,
      [org.organizationId],
    );
    assert.deepEqual(audited.map((r) => r.target_id), alerts.map((a) => a.id));
    assert.ok(audited.every((r) => r.actor_type === 'system'));
  });

  it('records what a learning agent would have raised without alerting; rules alert from the first request', async () => {
    const { key, agentId } = await normalAgent(t, org, at(-5 * DAY), at(0), at(3 * HOUR));
    await computeBaselines(deps(), org.organizationId, at(0));
    const before = (await alertsOf(t, org.organizationId)).length;
    await simulate(t, org.organizationId, agentId, Array.from({ length: 40 }, (_, i) => ({ at: at(3 * HOUR + i * 10_000) })));
    const learned = await (await t.owner()).query('select type, occurrences from alert_learning_findings where agent_id = $1', [agentId]);
    assert.ok(learned.rows.some((r) => r.type === 'off_hours'), JSON.stringify(learned.rows));
    assert.equal((await alertsOf(t, org.organizationId)).filter((a) => a.subject_id === agentId).length, 0, 'no alert while learning');
    await stealKey(t, key, 6, 0);
    const alerts = (await alertsOf(t, org.organizationId)).filter((a) => a.subject_id === agentId);
    assert.deepEqual(alerts.map((a) => a.type), ['key_misuse']);
    assert.equal((await alertsOf(t, org.organizationId)).length, before + 1);
  });

  it('finds a burst split over two clock hours with the previous hour read from its counters', async () => {
    // 12 requests an hour at 10:00 and 11:00 (threshold 12 + 6 × (sqrt(12) + 1) = 38.8). A burst of 40
    // from 10:45 to 11:15 puts 32 in the first hour and 23 in the second: neither hour crosses alone.
    const other = await seedOrganization(t);
    const { agentId } = await normalAgent(t, other, at(-12 * DAY), at(0), at(0));
    await computeBaselines(deps(), other.organizationId, at(0));
    const spaced = (from: number, n: number, step: number) => Array.from({ length: n }, (_, i) => ({ at: at(from + i * step) }));
    await simulate(t, other.organizationId, agentId, [...spaced(10 * HOUR + 1000, 12, 225_000), ...spaced(10 * HOUR + 45 * 60_000, 20, 45_000)]);
    const rate = async () => (await alertsOf(t, other.organizationId)).filter((a) => a.type === 'rate_anomaly');
    assert.deepEqual(await rate(), [], 'the first hour alone stays under the threshold');
    await simulate(t, other.organizationId, agentId, [...spaced(11 * HOUR + 1000, 3, 100_000), ...spaced(11 * HOUR + 6 * 60_000, 20, 30_000)]);
    const [alert, ...more] = await rate();
    assert.equal(more.length, 0);
    assert.ok(alert, 'the 60-minute window crossed it');
    const { details, observed, threshold } = alert.evidence;
    assert.equal(details['previousHourRequests'], 32, 'the previous hour, from its counter row');
    assert.ok(Number(details['carriedOver']) > 0 && Number(details['carriedOver']) <= 20, JSON.stringify(details));
    assert.ok(Number(details['hourRequests']) < threshold && observed >= threshold, JSON.stringify(alert.evidence));
  });

  it('keeps the severity an alert was raised with when a repeat is found under a higher one', async () => {
    const other = await seedOrganization(t);
    const { key, agent } = await registerAgent(t, other.as.member.apiKey);
    const severity = async (value: string) => {
      const res = await t.app.inject({
        method: 'PUT',
        url: '/api/v1/monitoring/settings',
        headers: { ...other.as.admin.apiKey, 'content-type': 'application/json' },
        payload: JSON.stringify({ detectors: { key_misuse: { severity: value } } }),
      });
      assert.equal(res.statusCode, 200, res.body);
    };
    await severity('high');
    await stealKey(t, key, 6, 0);
    // An admin raises the detector's severity while the alert is open; the key is misused again.
    await severity('critical');
    await stealKey(t, key, 6, 0);
    const alerts = (await alertsOf(t, other.organizationId)).filter((a) => a.subject_id === agent.id);
    assert.deepEqual(alerts.map((a) => a.type), ['key_misuse']);
    assert.ok(alerts[0]!.occurrences >= 2, 'the second burst counted on the alert');
    assert.equal(alerts[0]!.severity, 'high', 'the severity announced, not silently escalated');
    const { rows } = await (await t.owner()).query(`select details->>'severity' as severity from audit_events where organization_id = $1 and action = 'alert.raised'`, [other.organizationId]);
    assert.deepEqual(rows.map((r) => r.severity), ['high']);
  });

  it('counts refusals naming unknown keys in the metric only', async () => {
    const stranger = newAgentKey();
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/agents/me', headers: signedHeaders(stranger, { url: '/api/v1/agents/me' }) });
    assert.equal(res.json().error?.code, 'unknown_key');
    const metrics = await t.platform.metrics!.registry.getSingleMetricAsString('aim_agent_authentication_failures_total');
    assert.match(metrics, /reason="unknown_key"} [1-9]/);
    // The refusals of the earlier tests, which named known keys, are counted there too.
    assert.match(metrics, /reason="invalid_signature"} [1-9]/);
  });
});

acrossInstances('detection engine across instances', (instances, skip) => {
  it('raises one alert, not two, when both instances find the same thing', { skip }, async () => {
    const { a, b } = instances;
    const org = await seedOrganization(a);
    await ensurePartitions(await a.owner(), new Date(P.getTime() - 20 * DAY));
    const { key, agentId } = await normalAgent(a, org, at(-12 * DAY), at(0), at(3 * HOUR));
    await computeBaselines({ db: a.platform.db }, org.organizationId, at(0));
    // Both sweep the same silence at once.
    const now = at(4 * HOUR);
    await Promise.all([a, b].map((t) => sweepOrganization({ db: t.platform.db, events: t.platform.domainEvents }, org.organizationId, now)));
    // Both see refusals of the stolen key and ingest their reports.
    await Promise.all([stealKey(a, key, 6, 0), stealKey(b, key, 6, 0)]);
    await Promise.all([a.platform.domainEvents.drain(), b.platform.domainEvents.drain()]);
    const alerts = (await alertsOf(a, org.organizationId)).filter((x) => x.subject_id === agentId);
    assert.deepEqual(alerts.map((x) => x.type).sort(), ['heartbeat_lost', 'key_misuse']);
    // The refusals both instances recorded count on the one alert (its reports may have been ingested in one batch or two).
    assert.ok(alerts.find((x) => x.type === 'key_misuse')!.evidence.observed >= 12);
    const { rows } = await (await a.owner()).query(`select count(*)::int as n from audit_events where organization_id = $1 and action = 'alert.raised'`, [org.organizationId]);
    assert.equal(rows[0].n, 2);
  });
});
