import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { CRON_QUEUE, installJobQueue, JobQueueNotReadyError, QUEUES, startJobQueue, type JobQueue } from '../platform/jobs/job-queue.js';
import { JobFailure } from '../platform/jobs/job-health.js';
import { forEachTarget } from '../testing/targets.js';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { registerAgent } from '../testing/agent-fixtures.js';
import { seedOrganization } from '../testing/people-fixtures.js';
import { insertDecision, rowExists } from '../testing/retention-fixtures.js';

forEachTarget('scheduled jobs (pg-boss)', (target) => {
  let t: TestApp;
  let jobs: JobQueue;
  let owner: pg.Client;
  before(async () => {
    t = await createTestApp(target);
    jobs = await startJobQueue(t.database.appUrl, t.app.jobs, t.platform.logger, { health: t.platform.jobHealth });
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
      ['aim.access-reviews', 'aim.audit-checkpoints', 'aim.audit-retention', 'aim.compliance-reports', 'aim.decision-retention', 'aim.expire-pending', 'aim.mcp-scan', 'aim.monitoring-baselines', 'aim.monitoring-sweep', 'aim.notification-digest', 'aim.partitions', 'aim.privacy-reseal', 'aim.rotate-keys', 'aim.trust-recalculate'],
    );
  });

  it('removes decisions past their retention, daily, by month and by row (aim.decision-retention)', async () => {
    const org = await seedOrganization(t, 'Retained decisions');
    const agent = (await registerAgent(t, org.as.admin.apiKey, { name: 'retained' })).agent.id;
    const longAgo = await insertDecision(owner, org.organizationId, agent, new Date(Date.UTC(new Date().getUTCFullYear() - 4, 6, 1)));
    const recent = await insertDecision(owner, org.organizationId, agent, new Date(Date.now() - 86_400_000));
    await jobs.runNow('aim.decision-retention');
    assert.equal(await rowExists(owner, 'verification_events', longAgo), false);
    assert.equal(await rowExists(owner, 'verification_events', recent), true);
    const { rows } = await owner.query(`select details from audit_events where organization_id = $1 and action = 'retention.applied'`, [org.organizationId]);
    assert.deepEqual(rows.map((r) => r.details.decisions), [1]);
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

  it('reports each run in the job health: the admin API and the metrics, the same from the database on every instance', async () => {
    const org = await seedOrganization(t, 'Health');
    await jobs.runNow('aim.rotate-keys');
    const read = await t.app.inject({ method: 'GET', url: '/api/v1/system/jobs', headers: org.as.admin.apiKey });
    assert.equal(read.statusCode, 200, read.body);
    const list = read.json().jobs as { name: string; schedule: string; nextRunAt: string; lastSuccessAt: string | null; lastSuccessDurationMs: number | null }[];
    assert.deepEqual(list.map((j) => j.name), [...QUEUES].sort());
    const rotate = list.find((j) => j.name === 'aim.rotate-keys')!;
    assert.equal(rotate.schedule, '5 3 * * *');
    assert.match(rotate.nextRunAt, /T03:05:00\.000Z$/);
    assert.ok(rotate.lastSuccessAt && rotate.lastSuccessDurationMs !== null);
    const stored = (await owner.query('select last_success_at from job_health where name = $1', ['aim.rotate-keys'])).rows[0];
    assert.equal(stored.last_success_at.toISOString(), rotate.lastSuccessAt);
    // Admins only: deployment-wide operations are not every member's business.
    for (const role of ['manager', 'member', 'viewer'] as const) {
      const denied = await t.app.inject({ method: 'GET', url: '/api/v1/system/jobs', headers: org.as[role].apiKey });
      assert.equal(denied.statusCode, 403, role);
    }
    const metrics = await t.app.inject({ method: 'GET', url: '/metrics' });
    const line = new RegExp('^aim_job_last_success_timestamp_seconds\\{job="aim\\.rotate-keys"\\} (\\S+)$', 'm').exec(metrics.body);
    assert.ok(line, metrics.body.split('\n').filter((l) => l.startsWith('aim_job_')).join('\n'));
    assert.equal(Number(line[1]), Date.parse(rotate.lastSuccessAt) / 1000);
    assert.match(metrics.body, /^aim_job_last_failure_timestamp_seconds\{job="aim\.rotate-keys"\} 0$/m);
  });

  it("installs pg-boss's cron queue, and start-up stops when it is missing (schedules could never fire)", async () => {
    assert.equal((await owner.query('select 1 from pgboss.queue where name = $1', [CRON_QUEUE])).rowCount, 1);
    await jobs.stop();
    await owner.query('select pgboss.delete_queue($1)', [CRON_QUEUE]);
    try {
      await assert.rejects(startJobQueue(t.database.appUrl, t.app.jobs, t.platform.logger), (error: Error) => {
        assert.ok(error instanceof JobQueueNotReadyError);
        assert.match(error.message, /__pgboss__send-it missing .*\(npm run migrate/);
        return true;
      });
    } finally {
      // The migrator puts it back.
      await installJobQueue(t.database.ownerUrl, t.platform.config.database.appRole);
      jobs = await startJobQueue(t.database.appUrl, t.app.jobs, t.platform.logger);
    }
    assert.equal((await owner.query('select 1 from pgboss.queue where name = $1', [CRON_QUEUE])).rowCount, 1);
  });
});

forEachTarget('job health of failed runs', (target) => {
  let t: TestApp;
  let owner: pg.Client;
  before(async () => {
    t = await createTestApp(target);
    owner = await t.owner();
  });
  after(async () => t?.close());

  it('keeps the time and a short description that quotes no data, and the last success stays', async () => {
    const secretish = 'org_of_someone_else 4111111111111111';
    let fail: 'database' | 'job' | 'none' = 'database';
    const queue = await startJobQueue(
      t.database.appUrl,
      [
        {
          name: 'aim.audit-retention',
          run: async () => {
            if (fail === 'database') await t.platform.db.query('select $1::int', [secretish]);
            if (fail === 'job') throw new JobFailure('retention failed for 2 organization(s)');
          },
        },
      ],
      t.platform.logger,
      { health: t.platform.jobHealth },
    );
    try {
      const health = async () => (await t.platform.jobHealth.read()).find((j) => j.name === 'aim.audit-retention')!;
      await assert.rejects(queue.runNow('aim.audit-retention'), /will be retried/);
      const first = await health();
      assert.equal(first.lastFailure, 'database error 22P02 (see the server log)');
      assert.ok(first.lastFailureAt);
      assert.equal(first.lastSuccessAt, null);
      assert.equal(first.schedule, null, 'sent on demand here, not scheduled');

      fail = 'none';
      await queue.runNow('aim.audit-retention');
      fail = 'job';
      await assert.rejects(queue.runNow('aim.audit-retention'), /will be retried/);
      const last = await health();
      assert.equal(last.lastFailure, 'retention failed for 2 organization(s)');
      assert.ok(last.lastSuccessAt && last.lastFailureAt! > last.lastSuccessAt);
      const everything = JSON.stringify((await owner.query('select * from job_health')).rows);
      assert.doesNotMatch(everything, /someone_else|4111/);
    } finally {
      await queue.stop();
    }
  });
});
