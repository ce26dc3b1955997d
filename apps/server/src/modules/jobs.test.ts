import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { startJobQueue, type JobQueue } from '../platform/jobs/job-queue.js';
import { forEachTarget } from '../testing/targets.js';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { registerAgent } from '../testing/agent-fixtures.js';
import { seedOrganization } from '../testing/people-fixtures.js';
import { defineJobs } from './jobs.js';

forEachTarget('scheduled jobs (pg-boss)', (target) => {
  let t: TestApp;
  let jobs: JobQueue;
  let owner: pg.Client;
  before(async () => {
    t = await createTestApp(target);
    jobs = await startJobQueue(t.database.appUrl, defineJobs(t.platform, t.app.services), t.platform.logger);
    owner = await t.owner();
  });
  after(async () => {
    await jobs?.stop();
    await t?.close();
  });

  it('schedules every job, in the queue the app role runs', async () => {
    const { rows } = await owner.query('select name, cron from pgboss.schedule order by name');
    assert.deepEqual(
      rows.map((r) => r.name),
      ['aim.audit-checkpoints', 'aim.audit-retention', 'aim.expire-pending', 'aim.partitions', 'aim.rotate-keys', 'aim.trust-recalculate'],
    );
  });

  it('creates missing monthly partitions', async () => {
    const furthest = (
      await owner.query(
        `select c.relname from pg_inherits i join pg_class c on c.oid = i.inhrelid where i.inhparent = 'audit_events'::regclass order by c.relname desc limit 1`,
      )
    ).rows[0].relname as string;
    await owner.query(`alter table audit_events detach partition ${furthest}`);
    await owner.query(`drop table ${furthest}`);
    await jobs.runNow('aim.partitions');
    const { rowCount } = await owner.query('select 1 from pg_class where relname = $1', [furthest]);
    assert.equal(rowCount, 1);
  });

  it('drops trust score months older than the retention, and keeps the rest with their scores', async () => {
    const partitions = async () =>
      (await owner.query(`select c.relname from pg_inherits i join pg_class c on c.oid = i.inhrelid where i.inhparent = 'trust_scores'::regclass order by 1`)).rows.map(
        (r: { relname: string }) => r.relname as string,
      );
    // A month long past (beyond the default 13 months) and one just inside the retention, each with a score.
    const monthStart = (monthsAgo: number) => {
      const d = new Date();
      return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - monthsAgo, 1));
    };
    const made: string[] = [];
    for (const monthsAgo of [30, 12]) {
      const from = monthStart(monthsAgo);
      const to = monthStart(monthsAgo - 1);
      const name = `trust_scores_y${from.getUTCFullYear()}m${String(from.getUTCMonth() + 1).padStart(2, '0')}`;
      await owner.query(`create table if not exists ${name} partition of trust_scores for values from ('${from.toISOString()}') to ('${to.toISOString()}')`);
      await owner.query(
        `insert into trust_scores (id, organization_id, agent_id, score, tier, confidence, factors, evidence, algorithm_version, trigger, computed_at)
         values ($1, 'org_00000000000000000000000000', 'agt_00000000000000000000000000', 50, 'medium', 0.5, '[]', '{}', 'aim-trust/1', 'schedule', $2)`,
        [`tsc_${String(monthsAgo).padStart(26, '0')}`, new Date(from.getTime() + 86_400_000)],
      );
      made.push(name);
    }
    const before = await partitions();
    assert.ok(made.every((n) => before.includes(n)));
    await jobs.runNow('aim.partitions');
    const after = await partitions();
    assert.ok(!after.includes(made[0]!), 'the month 30 months ago is gone');
    assert.ok(after.includes(made[1]!), 'the month 12 months ago stays');
    assert.deepEqual(after, before.filter((n) => n !== made[0]), 'nothing else was dropped');
    const kept = await owner.query(`select count(*)::int as n from trust_scores where computed_at >= $1`, [monthStart(12)]);
    assert.ok(kept.rows[0].n >= 1, 'the kept month still has its score');
    await assert.rejects(owner.query('select aim_drop_trust_score_months(0)'), /keep_months must be between 1 and 1200/);
  });

  it("signs a checkpoint for every chain that grew since its last one", async () => {
    const org = await seedOrganization(t, 'Jobs');
    await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/organization',
      headers: { ...org.as.admin.apiKey, 'content-type': 'application/json' },
      payload: { name: 'Checkpointed' },
    });
    await jobs.runNow('aim.audit-checkpoints');
    const { rows } = await owner.query('select seq from audit_checkpoints where organization_id = $1', [org.organizationId]);
    assert.equal(rows.length, 1);
    const verify = await t.app.inject({ method: 'GET', url: '/api/v1/audit-logs/verify', headers: org.as.admin.apiKey });
    assert.equal(verify.json().status, 'intact');
    assert.equal(verify.json().checkpoints, 1);
  });

  it('expires capability requests nobody answered in time', async () => {
    const org = await seedOrganization(t, 'Expiring');
    const post = (url: string, payload: object) =>
      t.app.inject({ method: 'POST', url, headers: { ...org.as.admin.apiKey, 'content-type': 'application/json' }, payload });
    await post('/api/v1/capabilities', { name: 'db:read', riskLevel: 'low' });
    const { agent } = await registerAgent(t, org.as.admin.apiKey);
    const asked = (await post(`/api/v1/agents/${agent.id}/capability-requests`, { capability: 'db:read', reason: 'r' })).json().request;
    await owner.query(`update capability_requests set created_at = now() - interval '8 days', expires_at = now() - interval '1 second' where id = $1`, [asked.id]);
    await jobs.runNow('aim.expire-pending');
    const { rows } = await owner.query('select status, decided_by_type from capability_requests where id = $1', [asked.id]);
    assert.deepEqual(rows[0], { status: 'expired', decided_by_type: 'system' });
  });
});
