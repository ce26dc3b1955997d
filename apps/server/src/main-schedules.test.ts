import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { secure } from '@aim/sdk';
import { QUEUES } from './platform/jobs/job-names.js';
import { startAim, type AimProcess } from './testing/aim-process.js';
import { eventually as waitFor } from './testing/eventually.js';

/**
 * The schedules, as `npm start` runs them: the real entry point in its own process (embedded
 * PostgreSQL, migrations, the restricted app role), every schedule shortened to every minute through
 * JOB_SCHEDULES, and nothing in this test calling a job. Each schedule must complete a run by itself;
 * the expiry of a pending decision and a checkpoint of a grown chain are observed in the data they
 * change, and the job health API and metrics must report every success.
 */
const BOOTSTRAP = 'bootstrap-token-for-the-schedules-0123456789';
const EVERY_MINUTE = QUEUES.map((name) => `${name}=* * * * *`).join(';');
/** A minute boundary, pg-boss's cron check (2 s here), its hand-over (2 s), the worker's poll, the run: well under this. */
const WAIT_MS = 150_000;

async function start(dataDir: string): Promise<AimProcess & { pgPort: number }> {
  const aim = await startAim(
    {
      AIM_DATA_DIR: dataDir,
      PORT: '0',
      SERVE_DASHBOARD: 'false',
      AIM_BOOTSTRAP_TOKEN: BOOTSTRAP,
      JOB_SCHEDULES: EVERY_MINUTE,
      JOB_CRON_CHECK_SECONDS: '2',
      // The schedule is what this test observes signing a checkpoint, not the follower of the chain's growth.
      AUDIT_CHECKPOINT_DELAY_MS: '900000',
    },
    { readyTimeoutMs: 120_000 },
  );
  if (!aim.pgPort) {
    await aim.stop();
    assert.fail(`no embedded PostgreSQL port in the output:\n${aim.output()}`);
  }
  return Object.assign(aim, { pgPort: aim.pgPort });
}

const stop = (running: AimProcess) => running.stop();

/** Poll `probe` until it returns a value (not undefined); fail with `what` and the last state seen. */
const eventually = <T>(what: string, probe: () => Promise<T | undefined>, describeState: () => Promise<unknown>) => waitFor(what, probe, { timeoutMs: WAIT_MS, intervalMs: 1000, describeState });

describe('npm start runs every schedule by itself', () => {
  const dirs: string[] = [];
  after(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('partitions, checkpoints, expiry, trust, retention and key rotation each complete a run; job health shows them', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'aim-schedules-'));
    dirs.push(dataDir);
    const running = await start(dataDir);
    const secrets = JSON.parse(await readFile(join(dataDir, 'secrets.json'), 'utf8')) as { postgresPassword: string };
    const owner = new pg.Client({ host: '127.0.0.1', port: running.pgPort, user: 'postgres', password: secrets.postgresPassword, database: 'aim' });
    await owner.connect();
    try {
      const { base } = running;
      const setup = await fetch(`${base}/api/v1/setup`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token: BOOTSTRAP, organization: { name: 'Scheduled' }, admin: { email: 'ops@scheduled.example', name: 'Ops' } }),
      });
      assert.equal(setup.status, 201, await setup.clone().text());
      const created = (await setup.json()) as { organization: { id: string }; apiKey: { key: string } };
      const organizationId = created.organization.id;
      const admin = { authorization: `Bearer ${created.apiKey.key}` };
      const call = async (method: string, path: string, body?: unknown) => {
        const res = await fetch(`${base}${path}`, {
          method,
          headers: { ...admin, ...(body ? { 'content-type': 'application/json' } : {}) },
          ...(body ? { body: JSON.stringify(body) } : {}),
        });
        const text = await res.text();
        assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${text}`);
        return text ? JSON.parse(text) : undefined;
      };

      // A decision that waits for a person, who never answers within the organization's 30 s.
      await call('PATCH', '/api/v1/organization', { approvalTimeoutSeconds: 30 });
      await call('POST', '/api/v1/capabilities', { name: 'payments:refund', riskLevel: 'high' });
      await call('POST', '/api/v1/policies', { name: 'ask for refunds', type: 'require_approval', config: { minRisk: 'high' } });
      const enrollment = await call('POST', '/api/v1/enrollment-tokens', { expiresInSeconds: 3600 });
      const agent = await secure('scheduled-agent', { baseUrl: base, enrollmentToken: enrollment.token, credentialsPath: join(dataDir, 'agent.json') });
      await call('POST', `/api/v1/agents/${agent.id}/grants`, { capability: 'payments:refund' });
      const asked = await agent.verifyAction('payments:refund', 'orders/1');
      assert.equal(asked.decision, 'pending');

      // Expired by the schedule: the row is closed and the system recorded it (reads alone change nothing).
      await eventually(
        'the schedule expiring the pending decision',
        async () => {
          const { rows } = await owner.query(
            `select v.status, e.actor_type, e.request_id from verification_events v
               join audit_events e on e.target_id = v.id and e.action = 'decision.expire'
              where v.id = $1`,
            [asked.decisionId],
          );
          return rows[0];
        },
        async () => (await owner.query('select status, expires_at, now() from verification_events where id = $1', [asked.decisionId])).rows,
      ).then((row) => assert.deepEqual(row, { status: 'expired', actor_type: 'system', request_id: 'job:aim.expire-pending' }));

      // A checkpoint of the organization's grown chain, signed by the schedule.
      const checkpoint = await eventually(
        'a checkpoint by the schedule',
        async () =>
          (
            await owner.query(
              `select c.seq, e.actor_type, e.request_id from audit_checkpoints c
                 join audit_events e on e.organization_id = c.organization_id and e.action = 'audit.checkpoint' and (e.details->>'seq')::bigint = c.seq
                where c.organization_id = $1 order by c.seq desc limit 1`,
              [organizationId],
            )
          ).rows[0],
        async () => (await owner.query('select * from audit_chain_heads where organization_id = $1', [organizationId])).rows,
      );
      assert.equal(checkpoint.actor_type, 'system');
      assert.equal(checkpoint.request_id, 'job:aim.audit-checkpoints');
      const verified = await call('GET', '/api/v1/audit-logs/verify');
      assert.equal(verified.status, 'intact');
      assert.ok(verified.checkpoints >= 1);

      // Trust recalculated by the schedule for the agent.
      await eventually(
        'a trust score from the schedule',
        async () => (await owner.query(`select 1 from trust_scores where agent_id = $1 and trigger = 'schedule'`, [agent.id])).rows[0],
        async () => (await owner.query('select trigger, computed_at from trust_scores where agent_id = $1', [agent.id])).rows,
      );

      // Every schedule completed at least one run, from a job pg-boss made from the schedule.
      await eventually(
        'a completed run of every schedule',
        async () => {
          const { rows } = await owner.query<{ name: string }>(
            `select distinct name from pgboss.job where state = 'completed' and name like 'aim.%'
             union select distinct name from pgboss.archive where state = 'completed' and name like 'aim.%'`,
          );
          return rows.length === QUEUES.length ? rows : undefined;
        },
        async () => (await owner.query(`select name, state, count(*)::int as n from pgboss.job group by 1, 2 order by 1, 2`)).rows,
      );

      // Job health: the API (admins) and the metrics report a success of each, and no failure.
      const health = (await call('GET', '/api/v1/system/jobs')) as {
        jobs: { name: string; schedule: string | null; nextRunAt: string | null; lastSuccessAt: string | null; lastFailureAt: string | null; lastFailure: string | null }[];
      };
      assert.deepEqual(health.jobs.map((j) => j.name), [...QUEUES].sort());
      for (const job of health.jobs) {
        assert.equal(job.schedule, '* * * * *', job.name);
        assert.ok(job.lastSuccessAt, `${job.name} has a last success`);
        assert.ok(job.nextRunAt && Date.parse(job.nextRunAt) > Date.parse(job.lastSuccessAt), `${job.name} is due again after its last run`);
        assert.equal(job.lastFailureAt, null, `${job.name}: ${job.lastFailure}`);
      }
      await eventually(
        'a success timestamp of every job in the metrics',
        async () => {
          const text = await (await fetch(`${base}/metrics`)).text();
          const seen = QUEUES.filter((name) => {
            const m = new RegExp(`^aim_job_last_success_timestamp_seconds\\{job="${name.replace('.', '\\.')}"\\} (\\d+(\\.\\d+)?)`, 'm').exec(text);
            return m && Number(m[1]) > 0;
          });
          return seen.length === QUEUES.length ? true : undefined;
        },
        async () => (await (await fetch(`${base}/metrics`)).text()).split('\n').filter((l) => l.startsWith('aim_job_')),
      );
      await owner.end();
      assert.equal(await stop(running), 0, running.output());
      assert.match(running.output(), /stopped cleanly/);
      const errors = running.output().split('\n').filter((l) => l.includes('"level":"error"'));
      assert.deepEqual(errors, [], 'no job or job queue error was logged, running or stopping');
    } finally {
      await owner.end().catch(() => undefined);
      if (running.child.exitCode === null) running.child.kill('SIGKILL');
    }
  });
});
