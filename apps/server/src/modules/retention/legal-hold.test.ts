import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import type pg from 'pg';
import { SYSTEM_CONTEXT } from '../../platform/http/request-context.js';
import { newId } from '../../platform/ids.js';
import { registerAgent } from '../../testing/agent-fixtures.js';
import { insertMcpServer } from '../../testing/mcp-rows.js';
import { seedOrganization, type SeededOrganization } from '../../testing/people-fixtures.js';
import { insertDecision, monthPartition, rowExists } from '../../testing/retention-fixtures.js';
import { forEachTarget } from '../../testing/targets.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { pruneDetectionState } from '../monitoring/detection/engine-baselines.js';
import { scanRepository } from '../mcp-servers/scans/scan-repository.js';

const DAY_MS = 86_400_000;
const ctx = { ...SYSTEM_CONTEXT, requestId: 'job:test' };

/**
 * A legal hold stops every path that deletes an organization's data: one test per path, each with the
 * organization on hold (its rows all still there afterwards, another organization's removed as usual),
 * then the hold released and the next run removing them.
 */
forEachTarget('a legal hold suspends every deletion', (target) => {
  let t: TestApp;
  let owner: pg.Client;
  before(async () => {
    t = await createTestApp(target, { env: { OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'true' } });
    owner = await t.owner();
  });
  after(() => t?.close());

  const send = (method: string, url: string, headers: Record<string, string>, payload?: object) =>
    t.app.inject({ method: method as 'PUT', url, headers: payload ? { ...headers, 'content-type': 'application/json' } : headers, ...(payload ? { payload } : {}) });
  const hold = async (org: SeededOrganization, enabled: boolean) => {
    const res = await send('PUT', '/api/v1/compliance/legal-hold', org.as.admin.apiKey, enabled ? { enabled, reason: 'Matter 42' } : { enabled });
    assert.equal(res.statusCode, 200, res.body);
  };
  const count = async (sql: string, values: unknown[]) => Number((await owner.query(sql, values)).rows[0].n);
  const regclass = async (name: string) => (await owner.query('select to_regclass($1) as r', [name])).rows[0].r as string | null;
  const twoOrganizations = async (name: string) => {
    const held = await seedOrganization(t, `${name} held`);
    const free = await seedOrganization(t, `${name} free`);
    await hold(held, true);
    return { held, free };
  };

  it('decisions: neither their month nor their rows go while held; released, the month is dropped and audited', async () => {
    const { held, free } = await twoOrganizations('Decisions');
    const agentH = (await registerAgent(t, held.as.admin.apiKey, { name: 'held-agent' })).agent.id;
    const agentF = (await registerAgent(t, free.as.admin.apiKey, { name: 'free-agent' })).agent.id;
    const at = new Date(Date.UTC(new Date().getUTCFullYear() - 5, 4, 10));
    const heldIds = [await insertDecision(owner, held.organizationId, agentH, at), await insertDecision(owner, held.organizationId, agentH, at, 'denied')];
    const freeId = await insertDecision(owner, free.organizationId, agentF, at);
    const partition = await monthPartition(owner, 'verification_events', at);

    assert.equal(await t.app.services.retention.dropExpiredMonths(ctx), 0);
    assert.notEqual(await regclass(partition), null, 'the month stays for the held organization');
    assert.equal(await t.app.services.retention.removeExpiredRows(ctx, held.organizationId), 0);
    const due = (await t.platform.db.query<{ organization_id: string }>('select organization_id from aim_decision_retention_due()')).rows.map((r) => r.organization_id);
    assert.ok(!due.includes(held.organizationId) && due.includes(free.organizationId));
    // The other organization's rows in the kept month go row by row.
    assert.equal(await t.app.services.retention.removeExpiredRows(ctx, free.organizationId), 1);
    assert.equal(await rowExists(owner, 'verification_events', freeId), false);
    for (const id of heldIds) assert.equal(await rowExists(owner, 'verification_events', id), true, `${id} kept under the hold`);

    await hold(held, false);
    assert.equal(await t.app.services.retention.dropExpiredMonths(ctx), 2);
    assert.equal(await regclass(partition), null);
    const applied = await owner.query(`select details from audit_events where organization_id = $1 and action = 'retention.applied'`, [held.organizationId]);
    assert.deepEqual(applied.rows.map((r) => [r.details.method, r.details.decisions]), [['partition', 2]]);
  });

  it('audit events: the retention function refuses while held; released, the expired events go', async () => {
    const { held } = await twoOrganizations('Audit');
    assert.equal((await send('PUT', '/api/v1/compliance/retention', held.as.admin.apiKey, { auditEventDays: 30 })).statusCode, 200);
    await t.platform.auditSequencer.drain(held.organizationId);
    const first = (await owner.query<{ start: string }>(`select to_char(date_trunc('month', now() at time zone 'UTC'), 'YYYY-MM-DD') as start`)).rows[0]!.start;
    await owner.query(`create table if not exists audit_events_test_past partition of audit_events for values from ('2000-01-01') to ('${first}')`);
    await owner.query('begin');
    await owner.query("set local session_replication_role = 'replica'");
    await owner.query(`update audit_events set occurred_at = occurred_at - interval '400 days' where seq <= 3 and organization_id = $1`, [held.organizationId]);
    await owner.query('commit');
    const total = () => count('select count(*) as n from audit_events where organization_id = $1', [held.organizationId]);
    const before = await total();

    assert.equal(await t.app.services.audit.applyRetention(ctx), 0);
    const direct = await t.platform.db.transaction({ organizationId: held.organizationId }, (tx) => tx.query('select * from aim_apply_audit_retention($1, null)', [held.organizationId]));
    assert.equal(direct.rowCount, 0, 'the function itself refuses while held');
    assert.equal(await total(), before);
    assert.equal(await count('select count(*) as n from audit_chain_anchors where organization_id = $1', [held.organizationId]), 0);

    await hold(held, false);
    assert.equal(await t.app.services.audit.applyRetention(ctx), 3);
    assert.equal(await count('select count(*) as n from audit_events where organization_id = $1 and seq <= 3', [held.organizationId]), 0);
  });

  it('trust score history: the month stays with the held organization’s scores only; released, it is dropped', async () => {
    const { held, free } = await twoOrganizations('Trust');
    const at = new Date(Date.UTC(2020, 1, 10));
    const partition = await monthPartition(owner, 'trust_scores', at);
    const score = async (organizationId: string) => {
      const id = newId('tsc', at.getTime());
      await owner.query(
        `insert into trust_scores (id, organization_id, agent_id, score, tier, confidence, factors, evidence, algorithm_version, trigger, computed_at)
         values ($1, $2, $3, 50, 'medium', 0.5, '{}', '{}', 'test', 'schedule', $4)`,
        [id, organizationId, newId('agt', at.getTime()), at],
      );
      return id;
    };
    const heldScore = await score(held.organizationId);
    const freeScore = await score(free.organizationId);
    assert.equal((await t.platform.db.query('select aim_drop_trust_score_months(13) as n')).rows[0]!.n, 0);
    assert.equal(await rowExists(owner, 'trust_scores', heldScore), true);
    assert.equal(await rowExists(owner, 'trust_scores', freeScore), false, 'the other organization’s history past the retention goes');
    await hold(held, false);
    assert.equal((await t.platform.db.query('select aim_drop_trust_score_months(13) as n')).rows[0]!.n, 1);
    assert.equal(await regclass(partition), null);
  });

  it('webhook events: their month stays while held, and an endpoint (with its delivery log) cannot be deleted', async () => {
    const { held, free } = await twoOrganizations('Webhooks');
    const at = new Date(Date.UTC(2020, 2, 10));
    const partitions = [];
    for (const table of ['webhook_events', 'webhook_deliveries', 'webhook_attempts']) partitions.push(await monthPartition(owner, table, at));
    const event = async (organizationId: string) => {
      const id = newId('dev', at.getTime());
      await owner.query(`insert into webhook_events (id, organization_id, type, version, occurred_at, data) values ($1, $2, 'decision.created', 1, $3, '{}')`, [id, organizationId, at]);
      return id;
    };
    const heldEvent = await event(held.organizationId);
    const freeEvent = await event(free.organizationId);
    assert.equal((await t.platform.db.query('select aim_drop_webhook_months(30) as n')).rows[0]!.n, 2, 'the empty delivery and attempt months go');
    assert.notEqual(await regclass(partitions[0]!), null);
    assert.equal(await rowExists(owner, 'webhook_events', heldEvent), true);
    assert.equal(await rowExists(owner, 'webhook_events', freeEvent), false);

    const endpoint = await send('POST', '/api/v1/webhook-endpoints', held.as.admin.apiKey, { url: 'http://127.0.0.1:9/held', eventTypes: ['decision.*'] });
    assert.equal(endpoint.statusCode, 201, endpoint.body);
    const refused = await send('DELETE', `/api/v1/webhook-endpoints/${endpoint.json().webhookEndpoint.id}`, held.as.admin.apiKey);
    assert.equal(refused.statusCode, 409, refused.body);
    assert.equal(refused.json().error.code, 'legal_hold_active');

    await hold(held, false);
    assert.equal((await t.platform.db.query('select aim_drop_webhook_months(30) as n')).rows[0]!.n, 1);
    assert.equal(await regclass(partitions[0]!), null);
    assert.equal((await send('DELETE', `/api/v1/webhook-endpoints/${endpoint.json().webhookEndpoint.id}`, held.as.admin.apiKey)).statusCode, 204);
  });

  it('MCP scans: none pruned past the newest 200 while held; released, the next prune removes them', async () => {
    const { held } = await twoOrganizations('Scans');
    const server = await insertMcpServer(t, held.organizationId, { name: 'Held tools', ownerId: held.as.admin.userId });
    await owner.query(
      `insert into mcp_scans (id, organization_id, mcp_server_id, trigger, status, finished_at)
       select aim_new_id('msc'), $1, $2, 'scheduled', 'succeeded', now() from generate_series(1, 202)`,
      [held.organizationId, server],
    );
    // The end of a scan prunes (scanRepository.finish, the statement that also points the server at its scan).
    const latest = async () => (await owner.query('select id from mcp_scans where mcp_server_id = $1 order by id desc limit 1', [server])).rows[0].id as string;
    const prune = async () => {
      const id = await latest();
      await t.platform.db.transaction({ organizationId: held.organizationId }, (tx) => scanRepository.finish(tx, { id, mcpServerId: server }, {}, 60));
    };
    await prune();
    assert.equal(await count('select count(*) as n from mcp_scans where mcp_server_id = $1', [server]), 202);
    await hold(held, false);
    await prune();
    assert.equal(await count('select count(*) as n from mcp_scans where mcp_server_id = $1', [server]), 200);
  });

  it('monitoring state and trust evidence: counters older than their window stay while held; released, they go', async () => {
    const { held } = await twoOrganizations('Counters');
    const agent = (await registerAgent(t, held.as.admin.apiKey, { name: 'counted' })).agent;
    const old = new Date(Math.floor((Date.now() - 400 * DAY_MS) / 3_600_000) * 3_600_000);
    await owner.query('insert into agent_activity_hours (organization_id, agent_id, hour) values ($1, $2, $3)', [held.organizationId, agent.id, old]);
    await owner.query(`insert into agent_auth_failures (organization_id, agent_id, key_id, minute, reason, count) values ($1, $2, 'k1', $3, 'invalid_signature', 1)`, [
      held.organizationId,
      agent.id,
      old,
    ]);
    await owner.query('insert into agent_uptime_hours (organization_id, agent_id, hour, minutes) values ($1, $2, $3, 1)', [held.organizationId, agent.id, old]);
    await owner.query('insert into agent_activity_days (organization_id, agent_id, day, verified) values ($1, $2, $3::date, 1)', [held.organizationId, agent.id, old]);
    const counters = async () =>
      (
        await owner.query<{ hours: number; failures: number; uptime: number; days: number }>(
          `select (select count(*)::int from agent_activity_hours where agent_id = $1 and hour = $2) as hours,
                  (select count(*)::int from agent_auth_failures where agent_id = $1 and minute = $2) as failures,
                  (select count(*)::int from agent_uptime_hours where agent_id = $1 and hour = $2) as uptime,
                  (select count(*)::int from agent_activity_days where agent_id = $1 and day = $2::date) as days`,
          [agent.id, old],
        )
      ).rows[0]!;
    await pruneDetectionState({ db: t.platform.db }, held.organizationId, new Date());
    assert.deepEqual(await t.app.services.trust.pruneEvidence(held.organizationId), { uptimeHours: 0, activityDays: 0 });
    assert.deepEqual(await counters(), { hours: 1, failures: 1, uptime: 1, days: 1 });

    await hold(held, false);
    await pruneDetectionState({ db: t.platform.db }, held.organizationId, new Date());
    assert.deepEqual(await t.app.services.trust.pruneEvidence(held.organizationId), { uptimeHours: 1, activityDays: 1 });
    assert.deepEqual(await counters(), { hours: 0, failures: 0, uptime: 0, days: 0 });
  });

  it('a hold waits for a deletion in progress, and a deletion after it sees the hold', async () => {
    const org = await seedOrganization(t, 'Racing');
    // A deletion path's transaction holds the shared lock: the hold's placement waits for its commit.
    let placed = false;
    let pending: Promise<unknown> | undefined;
    await t.platform.db.transaction({ organizationId: org.organizationId }, async (tx) => {
      assert.equal((await tx.query('select aim_legal_hold_held($1) as held', [org.organizationId])).rows[0]!.held, false);
      pending = hold(org, true).then(() => (placed = true));
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(placed, false, 'the placement waits for the deletion in progress');
    });
    await pending;
    assert.equal(placed, true);
    const seen = await t.platform.db.transaction({ organizationId: org.organizationId }, (tx) => tx.query('select aim_legal_hold_held($1) as held', [org.organizationId]));
    assert.equal(seen.rows[0]!.held, true);
    // Nor can a scope ask about another organization's hold.
    const other = await seedOrganization(t, 'Curious');
    await assert.rejects(
      t.platform.db.transaction({ organizationId: other.organizationId }, (tx) => tx.query('select aim_legal_hold_held($1)', [org.organizationId])),
      /own scope/,
    );
    await hold(org, false);
  });
});
