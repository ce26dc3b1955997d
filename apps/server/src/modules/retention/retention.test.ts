import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import type pg from 'pg';
import { SYSTEM_CONTEXT } from '../../platform/http/request-context.js';
import { registerAgent } from '../../testing/agent-fixtures.js';
import { seedOrganization, type SeededOrganization } from '../../testing/people-fixtures.js';
import { insertDecision, insertViolation, monthPartition, rowExists } from '../../testing/retention-fixtures.js';
import { forEachTarget } from '../../testing/targets.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { createRetentionService } from './retention-service.js';

const DAY_MS = 86_400_000;
const ctx = { ...SYSTEM_CONTEXT, requestId: 'job:aim.decision-retention' };

forEachTarget('decision retention and the retention settings', (target) => {
  let t: TestApp;
  let owner: pg.Client;
  before(async () => {
    t = await createTestApp(target);
    owner = await t.owner();
  });
  after(() => t?.close());

  const send = (method: string, url: string, headers: Record<string, string>, payload?: object) =>
    t.app.inject({ method: method as 'GET', url, headers: payload ? { ...headers, 'content-type': 'application/json' } : headers, ...(payload ? { payload } : {}) });
  const audits = async (organizationId: string, action: string) =>
    (await owner.query<{ details: Record<string, unknown>; actor_type: string }>(
      'select details, actor_type from audit_events where organization_id = $1 and action = $2 order by id',
      [organizationId, action],
    )).rows;

  it('reads and changes the retention: permissions, bounds with their codes, audited changes, the deployment values read-only', async () => {
    const org = await seedOrganization(t, 'Settings');
    const read = await send('GET', '/api/v1/compliance/retention', org.as.manager.apiKey);
    assert.equal(read.statusCode, 200, read.body);
    assert.deepEqual(read.json(), {
      auditEventDays: null,
      decisionDays: null,
      effectiveDecisionDays: 400,
      limits: { auditEventDays: { min: 30, max: 36500 }, decisionDays: { min: 180, max: 36500 } },
      deployment: { decisionDefaultDays: 400, trustHistoryMonths: 13, webhookDays: 30 },
      legalHold: { enabled: false, placedAt: null, reason: null, placedBy: null },
    });
    assert.equal((await send('GET', '/api/v1/compliance/retention', org.as.member.apiKey)).statusCode, 403);
    assert.equal((await send('PUT', '/api/v1/compliance/retention', org.as.manager.apiKey, { decisionDays: 200 })).statusCode, 403);

    for (const [body, field] of [
      [{ decisionDays: 179 }, 'decisionDays'],
      [{ decisionDays: 36501 }, 'decisionDays'],
      [{ auditEventDays: 29 }, 'auditEventDays'],
    ] as const) {
      const bad = await send('PUT', '/api/v1/compliance/retention', org.as.admin.apiKey, body);
      assert.equal(bad.statusCode, 400, bad.body);
      assert.equal(bad.json().error.code, 'retention_out_of_range');
      assert.equal(bad.json().error.details.field, field);
    }
    const changed = await send('PUT', '/api/v1/compliance/retention', org.as.admin.apiKey, { decisionDays: 200, auditEventDays: 365 });
    assert.equal(changed.statusCode, 200, changed.body);
    assert.equal(changed.json().decisionDays, 200);
    assert.equal(changed.json().effectiveDecisionDays, 200);
    assert.equal(changed.json().auditEventDays, 365);
    // The audit retention is the organization's one setting, whichever route changed it.
    assert.equal((await send('GET', '/api/v1/organization', org.as.admin.apiKey)).json().auditRetentionDays, 365);
    // Nothing changed, nothing audited; back to the default.
    assert.equal((await send('PUT', '/api/v1/compliance/retention', org.as.admin.apiKey, { decisionDays: 200 })).statusCode, 200);
    const reset = await send('PUT', '/api/v1/compliance/retention', org.as.admin.apiKey, { decisionDays: null });
    assert.equal(reset.json().effectiveDecisionDays, 400);
    assert.deepEqual(
      (await audits(org.organizationId, 'retention.updated')).map((r) => r.details),
      [{ decisionDays: { from: null, to: 200 }, auditEventDays: { from: null, to: 365 } }, { decisionDays: { from: 200, to: null } }],
    );
  });

  it('places and releases the legal hold: a reason required, no double placing, no release without a hold, both audited', async () => {
    const org = await seedOrganization(t, 'Held');
    const other = await seedOrganization(t, 'Not held');
    const hold = (headers: Record<string, string>, body: object) => send('PUT', '/api/v1/compliance/legal-hold', headers, body);
    assert.equal((await hold(org.as.manager.apiKey, { enabled: true, reason: 'Matter 7' })).statusCode, 403);
    for (const body of [{ enabled: true }, { enabled: true, reason: '   ' }]) {
      const bad = await hold(org.as.admin.apiKey, body);
      assert.equal(bad.statusCode, 400, bad.body);
      assert.equal(bad.json().error.code, 'legal_hold_reason_required');
    }
    const none = await hold(org.as.admin.apiKey, { enabled: false });
    assert.equal(none.statusCode, 409);
    assert.equal(none.json().error.code, 'legal_hold_not_placed');

    const placed = await hold(org.as.admin.apiKey, { enabled: true, reason: '  Matter 7: Acme v. Example  ' });
    assert.equal(placed.statusCode, 200, placed.body);
    assert.equal(placed.json().enabled, true);
    assert.equal(placed.json().reason, 'Matter 7: Acme v. Example');
    assert.deepEqual(placed.json().placedBy, { type: 'api_key', id: org.as.admin.apiKeyId });
    assert.ok(Math.abs(Date.parse(placed.json().placedAt) - Date.now()) < 60_000);
    const again = await hold(org.as.admin.apiKey, { enabled: true, reason: 'Another matter' });
    assert.equal(again.statusCode, 409);
    assert.equal(again.json().error.code, 'legal_hold_already_placed');
    assert.deepEqual((await send('GET', '/api/v1/compliance/retention', org.as.manager.apiKey)).json().legalHold, placed.json());
    assert.equal((await send('GET', '/api/v1/compliance/retention', other.as.admin.apiKey)).json().legalHold.enabled, false, 'one organization’s hold only');

    const released = await hold(org.as.admin.apiKey, { enabled: false, reason: 'Settled' });
    assert.equal(released.statusCode, 200, released.body);
    assert.deepEqual(released.json(), { enabled: false, placedAt: null, reason: null, placedBy: null });
    assert.deepEqual((await audits(org.organizationId, 'legal_hold.placed')).map((r) => r.details), [{ reason: 'Matter 7: Acme v. Example' }]);
    assert.deepEqual((await audits(org.organizationId, 'legal_hold.released')).map((r) => r.details), [
      { placedAt: placed.json().placedAt, placedReason: 'Matter 7: Acme v. Example', reason: 'Settled' },
    ]);
  });

  it('removes decisions past the retention by partition and row by row, keeps newer and pending ones, and audits each removal', async () => {
    const a = await seedOrganization(t, 'Short');
    const b = await seedOrganization(t, 'Default');
    assert.equal((await send('PUT', '/api/v1/compliance/retention', a.as.admin.apiKey, { decisionDays: 180 })).statusCode, 200);
    const agentA = (await registerAgent(t, a.as.admin.apiKey, { name: 'short-agent' })).agent.id as string;
    const agentB = (await registerAgent(t, b.as.admin.apiKey, { name: 'default-agent' })).agent.id as string;
    const now = new Date();
    const old = new Date(Date.UTC(now.getUTCFullYear() - 3, now.getUTCMonth(), 15)); // past everyone's retention
    const old2 = new Date(Date.UTC(now.getUTCFullYear() - 2, now.getUTCMonth(), 15)); // too, but a pending decision is in it
    const mid = new Date(now.getTime() - 300 * DAY_MS); // past A's 180 days, within B's 400
    const recent = new Date(now.getTime() - 10 * DAY_MS);

    const aOld = [await insertDecision(owner, a.organizationId, agentA, old), await insertDecision(owner, a.organizationId, agentA, old, 'denied')];
    const vOld = await insertViolation(owner, a.organizationId, agentA, aOld[1]!, old);
    const aOld2 = await insertDecision(owner, a.organizationId, agentA, old2);
    const aMid = await insertDecision(owner, a.organizationId, agentA, mid, 'denied');
    const vMid = await insertViolation(owner, a.organizationId, agentA, aMid, mid);
    const aRecent = await insertDecision(owner, a.organizationId, agentA, recent);
    const bOld = await insertDecision(owner, b.organizationId, agentB, old);
    const bPending = await insertDecision(owner, b.organizationId, agentB, old2, 'pending');
    const bOld2 = await insertDecision(owner, b.organizationId, agentB, old2, 'denied');
    const bMid = await insertDecision(owner, b.organizationId, agentB, mid);
    const bRecent = await insertDecision(owner, b.organizationId, agentB, recent);
    const oldPartition = await monthPartition(owner, 'verification_events', old);
    const old2Partition = await monthPartition(owner, 'verification_events', old2);

    // The app role cannot delete decisions itself; only the retention functions do.
    await assert.rejects(
      t.platform.db.transaction({ organizationId: a.organizationId }, (tx) => tx.query('delete from verification_events where id = $1', [aRecent])),
      /permission denied/,
    );
    await assert.rejects(
      t.platform.db.transaction({ organizationId: b.organizationId }, (tx) => tx.query('select * from aim_apply_decision_retention($1, 400, 10)', [a.organizationId])),
      /own scope/,
    );

    // Batches of one: each removed decision is its own transaction and audit record.
    const retention = createRetentionService({ db: t.platform.db, deployment: { decisionDefaultDays: 400, trustHistoryMonths: 13, webhookDays: 30 }, batchSize: 1 });
    assert.equal(await retention.dropExpiredMonths(ctx), 3);
    assert.equal((await owner.query('select to_regclass($1) as r', [oldPartition])).rows[0].r, null, 'the month past everyone is dropped');
    assert.notEqual((await owner.query('select to_regclass($1) as r', [old2Partition])).rows[0].r, null, 'the month with a pending decision stays');
    assert.equal(await retention.removeExpiredRows(ctx, a.organizationId), 2);
    assert.equal(await retention.removeExpiredRows(ctx, b.organizationId), 1);

    for (const id of [...aOld, aOld2, aMid, bOld, bOld2]) assert.equal(await rowExists(owner, 'verification_events', id), false, `${id} removed`);
    for (const id of [aRecent, bPending, bMid, bRecent]) assert.equal(await rowExists(owner, 'verification_events', id), true, `${id} kept`);
    for (const id of [vOld, vMid]) assert.equal(await rowExists(owner, 'violations', id), false, `violation ${id} removed with its decision`);

    const applied = (await audits(a.organizationId, 'retention.applied')).map((r) => ({ ...r.details, actor: r.actor_type }) as Record<string, unknown>);
    assert.equal(applied.length, 3);
    assert.deepEqual(applied[0], { data: 'decisions', method: 'partition', decisions: 2, violations: 1, removedBefore: new Date(Date.UTC(old.getUTCFullYear(), old.getUTCMonth() + 1, 1)).toISOString(), actor: 'system' });
    assert.deepEqual(applied.slice(1).map((d) => [d.method, d.decisions]), [['rows', 1], ['rows', 1]]);
    assert.equal(applied.slice(1).reduce((n, d) => n + Number(d.violations), 0), 1);
    const cutoff = Date.parse(String(applied[1]!.removedBefore));
    assert.ok(Math.abs(cutoff - (Date.now() - 180 * DAY_MS)) < 120_000, `A's cut-off is 180 days ago, not ${applied[1]!.removedBefore}`);
    const appliedB = (await audits(b.organizationId, 'retention.applied')).map((r) => r.details);
    assert.deepEqual(appliedB.map((d) => [d.method, d.decisions]), [['partition', 1], ['rows', 1]]);
    // B is at the longest retention: rows go only in months that should be gone, never by the day.
    assert.equal(Date.parse(String(appliedB[1]!.removedBefore)) % DAY_MS, 0);

    // Once the pending decision can no longer be answered, it goes too, and then its month.
    await owner.query(`update verification_events set status = 'expired', decision = 'deny', resolved_at = now() where id = $1`, [bPending]);
    assert.equal(await retention.removeExpiredRows(ctx, b.organizationId), 1);
    assert.equal(await rowExists(owner, 'verification_events', bPending), false);
    assert.equal(await retention.dropExpiredMonths(ctx), 0);
    assert.equal((await owner.query('select to_regclass($1) as r', [old2Partition])).rows[0].r, null, 'the empty month is dropped');
    // A second run finds nothing.
    assert.equal(await retention.removeExpiredRows(ctx, a.organizationId), 0);
  });
});
