import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { secure } from '@aim/sdk';
import { DOMAIN_EVENT_TYPES } from '@aim/contracts';
import { startAim, type AimProcess } from './testing/aim-process.js';
import { eventually as waitFor } from './testing/eventually.js';

/**
 * Domain events survive a crash between their commit and their delivery, as `npm start` runs: the
 * real entry point in its own process on its embedded PostgreSQL. The first run holds delivery
 * (EVENT_DISPATCH_PAUSED) while changes commit their events, and is killed (SIGKILL, and its
 * PostgreSQL stopped the way a crash stops it); the second run delivers every held event, in commit
 * order, to the subscriptions — trust scoring recalculates the agent on the violation it never heard of.
 */
const BOOTSTRAP = 'bootstrap-token-for-the-events-test-0123456789';
const WAIT_MS = 60_000;

async function start(dataDir: string, env: Record<string, string>): Promise<AimProcess & { pgPort: number }> {
  const aim = await startAim(
    { AIM_DATA_DIR: dataDir, PORT: '0', SERVE_DASHBOARD: 'false', AIM_BOOTSTRAP_TOKEN: BOOTSTRAP, TRUST_RECALCULATION_DEBOUNCE_MS: '100', ...env },
    { readyTimeoutMs: 120_000 },
  );
  if (!aim.pgPort) {
    await aim.stop();
    assert.fail(`no embedded PostgreSQL port in the output:\n${aim.output()}`);
  }
  return Object.assign(aim, { pgPort: aim.pgPort });
}

const eventually = <T>(what: string, probe: () => Promise<T | undefined> | T | undefined) => waitFor(what, probe, { timeoutMs: WAIT_MS });

/** Kill the process and its embedded PostgreSQL as a power cut would: no shutdown of either. */
async function crash(running: AimProcess, clusterDir: string): Promise<void> {
  const exited = new Promise((resolve) => running.child.once('exit', resolve));
  running.child.kill('SIGKILL');
  await exited;
  const pidFile = await readFile(join(clusterDir, 'postmaster.pid'), 'utf8').catch(() => null);
  const pid = Number.parseInt(pidFile?.split('\n')[0] ?? '', 10);
  if (!Number.isInteger(pid) || pid <= 0) return;
  // SIGQUIT: PostgreSQL's immediate stop, no checkpoint; the next start recovers from the WAL.
  process.kill(pid, 'SIGQUIT');
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    if (Date.now() > deadline) assert.fail(`PostgreSQL (pid ${pid}) did not stop`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('domain events across a crash', () => {
  const dirs: string[] = [];
  after(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('delivers every event committed before a SIGKILL once AIM runs again, in commit order', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'aim-events-'));
    dirs.push(dataDir);
    const first = await start(dataDir, { EVENT_DISPATCH_PAUSED: 'true' });
    let second: (AimProcess & { pgPort: number }) | undefined;
    const owner = async (port: number) => {
      const secrets = JSON.parse(await readFile(join(dataDir, 'secrets.json'), 'utf8')) as { postgresPassword: string };
      const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password: secrets.postgresPassword, database: 'aim' });
      await client.connect();
      return client;
    };
    try {
      const base = first.base;
      const setup = await fetch(`${base}/api/v1/setup`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token: BOOTSTRAP, organization: { name: 'Crashing' }, admin: { email: 'ops@crashing.example', name: 'Ops' } }),
      });
      assert.equal(setup.status, 201, await setup.clone().text());
      const created = (await setup.json()) as { organization: { id: string }; apiKey: { key: string } };
      const organizationId = created.organization.id;
      const call = async (method: string, path: string, body?: unknown) => {
        const res = await fetch(`${base}${path}`, {
          method,
          headers: { authorization: `Bearer ${created.apiKey.key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
          ...(body ? { body: JSON.stringify(body) } : {}),
        });
        const text = await res.text();
        assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${text}`);
        return text ? JSON.parse(text) : undefined;
      };

      // Changes that commit events: a registration (its first score), decisions, a violation, new evidence.
      await call('POST', '/api/v1/capabilities', { name: 'reports:read', riskLevel: 'low' });
      await call('POST', '/api/v1/capabilities', { name: 'payments:refund', riskLevel: 'high' });
      const enrollment = await call('POST', '/api/v1/enrollment-tokens', { expiresInSeconds: 3600 });
      const agent = await secure('crash-agent', { baseUrl: base, enrollmentToken: enrollment.token, credentialsPath: join(dataDir, 'agent.json') });
      await call('POST', `/api/v1/agents/${agent.id}/grants`, { capability: 'reports:read' });
      assert.equal((await agent.verifyAction('reports:read', 'reports/1')).decision, 'allow');
      assert.equal((await agent.verifyAction('payments:refund', 'orders/1')).decision, 'deny');
      await call('PATCH', `/api/v1/agents/${agent.id}`, { purpose: 'Reads the monthly reports' });

      const db1 = await owner(first.pgPort);
      const clusterDir = (await db1.query<{ setting: string }>(`select setting from pg_settings where name = 'data_directory'`)).rows[0]!.setting;
      // Every change's events are in the outbox (and the chaining's `audit.appended`), none delivered.
      const held = await eventually('the audit chaining announcing the changes', async () => {
        const { rows } = await db1.query<{ seq: string; type: string }>(
          'select seq, type from event_outbox where organization_id = $1 order by seq',
          [organizationId],
        );
        return rows.some((r) => r.type === 'audit.appended') ? rows : undefined;
      });
      await db1.end();
      const types = new Set(held.map((r) => r.type));
      for (const type of ['decision.created', 'violation.recorded', 'trust.changed', 'trust.evidence', 'audit.appended']) assert.ok(types.has(type), `${type} recorded`);
      assert.ok([...types].every((t) => (DOMAIN_EVENT_TYPES as readonly string[]).includes(t)));
      assert.match(first.output(), /domain event dispatch is paused/);

      await crash(first, clusterDir);

      // Debug logs name each delivered batch (organization and seqs, in delivery order).
      second = await start(dataDir, { LOG_LEVEL: 'debug' });
      const db2 = await owner(second.pgPort);
      try {
        // Delivered, then deleted from the outbox in the same transaction.
        await eventually('the delivery of every held event', async () => {
          const { rows } = await db2.query('select 1 from event_outbox where organization_id = $1 and seq <= $2', [organizationId, held[held.length - 1]!.seq]);
          return rows.length === 0 ? true : undefined;
        });
        const deliveredSeqs = second
          .output()
          .split('\n')
          .filter((line) => line.includes('"domain events delivered"'))
          .map((line) => JSON.parse(line) as { organizationId: string; seqs: string[] })
          .filter((batch) => batch.organizationId === organizationId)
          .flatMap((batch) => batch.seqs.map(Number))
          .filter((seq) => seq <= Number(held[held.length - 1]!.seq));
        // Every held event exactly once, in order (all had committed before the restart).
        assert.deepEqual(deliveredSeqs, held.map((r) => Number(r.seq)));
        // A subscription acted on them: trust scoring recalculated the agent on the violation held across the crash.
        await eventually('a recalculation on the held violation', async () => {
          const { rows } = await db2.query(`select 1 from trust_scores where agent_id = $1 and trigger = 'event'`, [agent.id]);
          return rows[0];
        });
        const metrics = await (await fetch(`${second.base}/metrics`)).text();
        assert.match(metrics, /^aim_event_outbox_pending \d+$/m);
        assert.match(metrics, /^aim_event_dispatch_lag_seconds_count\{type="violation\.recorded"\} [1-9]/m);
      } finally {
        await db2.end();
      }
      assert.equal(await second.stop(), 0, second.output());
    } finally {
      if (first.child.exitCode === null && first.child.signalCode === null) first.child.kill('SIGKILL');
      if (second && second.child.exitCode === null && second.child.signalCode === null) second.child.kill('SIGKILL');
    }
  });
});
