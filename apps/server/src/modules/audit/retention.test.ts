import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { verifyExportFile } from '@aim/audit-verify';
import { rehashChain } from '../../testing/audit-fixtures.js';
import { SYSTEM_CONTEXT } from '../../platform/http/request-context.js';
import { forEachTarget } from '../../testing/targets.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { seedOrganization } from '../../testing/people-fixtures.js';

forEachTarget('audit retention', (target) => {
  let t: TestApp;
  let owner: pg.Client;
  before(async () => {
    t = await createTestApp(target);
    owner = await t.owner();
  });
  after(() => t?.close());

  /** Age the first five events of the organizations (as a superuser: time passes), into a partition for the past. */
  async function ageFirstEvents(organizationIds: string[]): Promise<void> {
    const firstPartition = (
      await owner.query<{ start: string }>(`select to_char(date_trunc('month', now() at time zone 'UTC'), 'YYYY-MM-DD') as start`)
    ).rows[0]!.start;
    await owner.query(`create table if not exists audit_events_test_past partition of audit_events for values from ('2000-01-01') to ('${firstPartition}')`);
    await owner.query('begin');
    await owner.query("set local session_replication_role = 'replica'");
    await owner.query(`update audit_events set occurred_at = occurred_at - interval '400 days' where seq <= 5 and organization_id = any($1)`, [organizationIds]);
    await owner.query('commit');
    // The time is part of each hash: re-chain as the events would have been chained back then.
    for (const id of organizationIds) await rehashChain(owner, id);
  }

  const countOf = async (organizationId: string) =>
    Number((await owner.query('select count(*) from audit_events where organization_id = $1', [organizationId])).rows[0].count);

  it('removes expired events through the maintenance role only, records it, and keeps the chain verifiable from its new start', async () => {
    const org = await seedOrganization(t, 'Retained');
    const other = await seedOrganization(t, 'Kept forever');
    const json = { ...org.as.admin.apiKey, 'content-type': 'application/json' };
    for (let i = 0; i < 6; i++) {
      await t.app.inject({ method: 'PATCH', url: '/api/v1/organization', headers: json, payload: { name: `R${i}` } });
      await t.app.inject({ method: 'PATCH', url: '/api/v1/organization', headers: { ...other.as.admin.apiKey, 'content-type': 'application/json' }, payload: { name: `O${i}` } });
    }
    const set = await t.app.inject({ method: 'PATCH', url: '/api/v1/organization', headers: json, payload: { auditRetentionDays: 30 } });
    assert.equal(set.statusCode, 200, set.body);
    assert.equal(set.json().auditRetentionDays, 30);
    assert.equal((await t.app.inject({ method: 'PATCH', url: '/api/v1/organization', headers: json, payload: { auditRetentionDays: 5 } })).statusCode, 400);
    await t.platform.auditSequencer.drain(org.organizationId);
    await t.platform.auditSequencer.drain(other.organizationId);

    await ageFirstEvents([org.organizationId, other.organizationId]);
    const before = Number((await owner.query('select count(*) from audit_events where organization_id = $1', [org.organizationId])).rows[0].count);

    // The app role still cannot delete; only the retention path can.
    await assert.rejects(
      t.platform.db.transaction({ organizationId: org.organizationId }, (tx) => tx.query('delete from audit_events where seq <= 5')),
      /permission denied/,
    );
    // Nor can one organization's scope apply (or look up) another organization's retention.
    await assert.rejects(
      t.platform.db.transaction({ organizationId: other.organizationId }, (tx) =>
        tx.query('select * from aim_apply_audit_retention($1, null)', [org.organizationId]),
      ),
      /own scope/,
    );
    const through = await t.platform.db.transaction({ organizationId: other.organizationId }, (tx) =>
      tx.query<{ through: string | null }>('select aim_audit_retention_through($1) as through', [org.organizationId]),
    );
    assert.equal(through.rows[0]!.through, null);
    const archive = await mkdtemp(join(tmpdir(), 'aim-archive-'));
    const removed = await t.app.services.audit.applyRetention({ ...SYSTEM_CONTEXT, requestId: 'job:test' }, { exportDir: archive });
    assert.equal(removed, 5);
    // What was removed was exported first, and verifies offline.
    const exported = join(archive, org.organizationId, 'through-5.ndjson');
    const offline = await verifyExportFile(exported);
    assert.equal(offline.verdict.status, 'intact');
    assert.equal(offline.events, 5);
    await rm(archive, { recursive: true, force: true });
    const afterCount = Number((await owner.query('select count(*) from audit_events where organization_id = $1', [org.organizationId])).rows[0].count);
    assert.equal(afterCount, before - 5 + 1, 'five removed, one retention event added');
    const kept = Number((await owner.query('select count(*) from audit_events where organization_id = $1 and seq <= 5', [other.organizationId])).rows[0].count);
    assert.equal(kept, 5, 'an organization without a retention period keeps everything');

    const verify = await t.app.inject({ method: 'GET', url: '/api/v1/audit-logs/verify', headers: org.as.admin.apiKey });
    assert.equal(verify.json().status, 'intact', verify.body);
    assert.equal(verify.json().fromSeq, 6);
    const events = (await t.app.inject({ method: 'GET', url: '/api/v1/audit-logs?action=audit.retention', headers: org.as.admin.apiKey })).json().events;
    assert.equal(events.length, 1);
    assert.equal(events[0].details.removed, 5);
    assert.equal(events[0].details.anchorSeq, 5);

    // An export from the new start verifies too.
    const fresh = await t.app.inject({ method: 'GET', url: '/api/v1/audit-logs/export', headers: org.as.admin.apiKey });
    assert.equal(JSON.parse(fresh.body.split('\n')[0]!).fromSeq, 6);
  });
  it('removes a long expired stretch in batches, each recorded, and the chain still verifies from its new start', async () => {
    const org = await seedOrganization(t, 'Batched');
    const json = { ...org.as.admin.apiKey, 'content-type': 'application/json' };
    for (let i = 0; i < 6; i++) await t.app.inject({ method: 'PATCH', url: '/api/v1/organization', headers: json, payload: { name: `B${i}` } });
    await t.app.inject({ method: 'PATCH', url: '/api/v1/organization', headers: json, payload: { auditRetentionDays: 30 } });
    await t.platform.auditSequencer.drain(org.organizationId);
    await ageFirstEvents([org.organizationId]);
    const removed = await t.app.services.audit.applyRetention({ ...SYSTEM_CONTEXT, requestId: 'job:test' }, { batchSize: 2 });
    assert.ok(removed >= 5, `removed ${removed}`);
    await t.platform.auditSequencer.drain(org.organizationId);
    const events = (await t.app.inject({ method: 'GET', url: '/api/v1/audit-logs?action=audit.retention', headers: org.as.admin.apiKey })).json().events as {
      details: { removed: number; anchorSeq: number };
    }[];
    const batches = events.map((e) => [e.details.anchorSeq, e.details.removed]).sort((a, b) => a[0]! - b[0]!);
    assert.deepEqual(batches, [[2, 2], [4, 2], [5, 1]], 'three transactions of at most two events, oldest first');
    const verify = await t.app.inject({ method: 'GET', url: '/api/v1/audit-logs/verify', headers: org.as.admin.apiKey });
    assert.equal(verify.json().status, 'intact', verify.body);
    assert.equal(verify.json().fromSeq, 6);
  });

  it('removes nothing whose export failed, and still serves the other organizations', async () => {
    const broken = await seedOrganization(t, 'Export fails');
    const fine = await seedOrganization(t, 'Export works');
    for (const org of [broken, fine]) {
      const json = { ...org.as.admin.apiKey, 'content-type': 'application/json' };
      for (let i = 0; i < 6; i++) await t.app.inject({ method: 'PATCH', url: '/api/v1/organization', headers: json, payload: { name: `N${i}` } });
      assert.equal((await t.app.inject({ method: 'PATCH', url: '/api/v1/organization', headers: json, payload: { auditRetentionDays: 30 } })).statusCode, 200);
      await t.platform.auditSequencer.drain(org.organizationId);
    }
    await ageFirstEvents([broken.organizationId, fine.organizationId]);
    const brokenBefore = await countOf(broken.organizationId);
    const fineBefore = await countOf(fine.organizationId);

    const archive = await mkdtemp(join(tmpdir(), 'aim-archive-'));
    try {
      // A file where the organization's export directory should be: its export cannot be written.
      await writeFile(join(archive, broken.organizationId), 'in the way');
      await assert.rejects(
        t.app.services.audit.applyRetention({ ...SYSTEM_CONTEXT, requestId: 'job:test' }, { exportDir: archive }),
        (error: unknown) => error instanceof AggregateError && error.errors.length === 1,
      );
      assert.equal(await countOf(broken.organizationId), brokenBefore, 'nothing is removed without its export');
      assert.equal(await countOf(fine.organizationId), fineBefore - 5 + 1, 'the other organization is still served');
      const verdict = await verifyExportFile(join(archive, fine.organizationId, 'through-5.ndjson'));
      assert.equal(verdict.verdict.status, 'intact');
    } finally {
      await rm(archive, { recursive: true, force: true });
    }
  });
});
