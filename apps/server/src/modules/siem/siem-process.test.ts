import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startAim, type AimProcess } from '../../testing/aim-process.js';
import { startSyslogCollector, type SyslogCollector, type SyslogMessage } from '../../testing/syslog-collector.js';
import { eventually as waitFor } from '../../testing/eventually.js';

/**
 * The audit stream as `npm start` runs it: the real process on its embedded PostgreSQL, streaming to
 * a real syslog listener. The collector goes down while changes are made, the process is killed (no
 * shutdown, its PostgreSQL stopped as a crash stops it), the collector comes back and the process is
 * started again: every audit event arrives, in chain order, none skipped; a repeat is identified by
 * its eventId and seq.
 */
const BOOTSTRAP = 'bootstrap-token-for-the-siem-test-0123456789';
const WAIT_MS = 60_000;

const eventually = <T>(what: string, probe: () => Promise<T | undefined> | T | undefined) => waitFor(what, probe, { timeoutMs: WAIT_MS, intervalMs: 100 });

/** Kill the process and its embedded PostgreSQL as a power cut would. */
async function crash(running: AimProcess, clusterDir: string): Promise<void> {
  const exited = new Promise((resolve) => running.child.once('exit', resolve));
  running.child.kill('SIGKILL');
  await exited;
  const pid = Number.parseInt((await readFile(join(clusterDir, 'postmaster.pid'), 'utf8').catch(() => '')).split('\n')[0] ?? '', 10);
  if (!Number.isInteger(pid) || pid <= 0) return;
  process.kill(pid, 'SIGQUIT');
  await eventually('PostgreSQL stopping', async () => {
    try {
      process.kill(pid, 0);
      return undefined;
    } catch {
      return true;
    }
  });
}

/** The organization's events as received: seqs in arrival order, and how many were repeats (same id, same content). */
function received(messages: SyslogMessage[], organizationId: string): { order: number[]; duplicates: number } {
  const seen = new Map<string, string>();
  const order: number[] = [];
  let duplicates = 0;
  for (const m of messages) {
    const event = JSON.parse(m.msg) as { id: string; organizationId: string; seq: number };
    if (event.organizationId !== organizationId) continue;
    const previous = seen.get(event.id);
    if (previous !== undefined) {
      assert.equal(m.msg, previous, `the repeat of ${event.id} is the same event`);
      duplicates += 1;
      continue;
    }
    seen.set(event.id, m.msg);
    order.push(event.seq);
  }
  return { order, duplicates };
}

describe('SIEM streaming under npm start', () => {
  const dirs: string[] = [];
  let collector: SyslogCollector | undefined;
  after(async () => {
    await collector?.close();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('streams every audit event across a collector outage and a crash of the server, resuming from the cursor', async () => {
    collector = await startSyslogCollector();
    const dataDir = await mkdtemp(join(tmpdir(), 'aim-siem-'));
    dirs.push(dataDir);
    const env = {
      AIM_DATA_DIR: dataDir,
      PORT: '0',
      SERVE_DASHBOARD: 'false',
      AIM_BOOTSTRAP_TOKEN: BOOTSTRAP,
      SIEM_SYSLOG_URL: `tcp://127.0.0.1:${collector.port}`,
      SIEM_SYSLOG_POLL_MS: '200',
      // Checkpoints (and their audit events) only when the test asks: the chain's length is what it counts.
      AUDIT_CHECKPOINT_DELAY_MS: '900000',
      SIEM_SYSLOG_RETRY_MAX_MS: '200',
    };
    const first = await startAim(env, { readyTimeoutMs: 120_000 });
    let second: AimProcess | undefined;
    const owner = async (port: number) => {
      const secrets = JSON.parse(await readFile(join(dataDir, 'secrets.json'), 'utf8')) as { postgresPassword: string };
      const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password: secrets.postgresPassword, database: 'aim' });
      await client.connect();
      return client;
    };
    try {
      const setup = await fetch(`${first.base}/api/v1/setup`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token: BOOTSTRAP, organization: { name: 'Streamed' }, admin: { email: 'ops@streamed.example', name: 'Ops' } }),
      });
      assert.equal(setup.status, 201, await setup.clone().text());
      const created = (await setup.json()) as { organization: { id: string }; apiKey: { key: string } };
      const organizationId = created.organization.id;
      const changes = async (base: string, prefix: string, n: number) => {
        for (let i = 0; i < n; i += 1) {
          const res = await fetch(`${base}/api/v1/capabilities`, {
            method: 'POST',
            headers: { authorization: `Bearer ${created.apiKey.key}`, 'content-type': 'application/json' },
            body: JSON.stringify({ name: `${prefix}:c${i}`, riskLevel: 'low' }),
          });
          assert.equal(res.status, 201, await res.text());
        }
      };
      /** Once everything committed is chained: the head of the chain. */
      const head = (db: pg.Client) =>
        eventually('the chaining of every event', async () => {
          const { rows } = await db.query<{ waiting: string; seq: string }>(
            `select (select count(*) from audit_events where organization_id = $1 and seq is null) as waiting,
                    (select seq from audit_chain_heads where organization_id = $1) as seq`,
            [organizationId],
          );
          return rows[0]!.waiting === '0' ? Number(rows[0]!.seq) : undefined;
        });
      const arrived = (upTo: number) => collector!.until(`seq ${upTo}`, (m) => received(m, organizationId).order.includes(upTo), WAIT_MS);

      // Streaming while all is well.
      await changes(first.base, 'live', 3);
      const db1 = await owner(first.pgPort!);
      const clusterDir = (await db1.query<{ setting: string }>(`select setting from pg_settings where name = 'data_directory'`)).rows[0]!.setting;
      const streamedLive = await head(db1);
      await arrived(streamedLive);

      // The collector goes down; changes go on; the server crashes before the collector is back.
      await collector.down();
      await changes(first.base, 'outage', 4);
      const beforeCrash = await head(db1);
      assert.ok(beforeCrash > streamedLive);
      const cursor = await db1.query<{ seq: string }>('select seq from siem_cursors where organization_id = $1', [organizationId]);
      assert.ok(Number(cursor.rows[0]!.seq) < beforeCrash, 'what the collector did not take is not marked as streamed');
      await db1.end();
      await crash(first, clusterDir);
      const heardBeforeRestart = collector.messages.length;

      // The collector is back; so is the server, which takes the stream over once the dead one's lease ran out.
      await collector.up();
      second = await startAim(env, { readyTimeoutMs: 120_000 });
      await changes(second.base, 'after', 2);
      const db2 = await owner(second.pgPort!);
      try {
        const last = await head(db2);
        await arrived(last);
        assert.ok(collector.messages.length > heardBeforeRestart);
        const { order, duplicates } = received(collector.messages, organizationId);
        // Every event once (repeats set aside by eventId), in chain order: nothing skipped.
        assert.deepEqual(order, Array.from({ length: last }, (_, i) => i + 1));
        assert.deepEqual(collector.problems, []);
        const cursorAfter = await eventually('the cursor at the head', async () => {
          const { rows } = await db2.query<{ seq: string }>('select seq from siem_cursors where organization_id = $1', [organizationId]);
          return Number(rows[0]?.seq) === last ? last : undefined;
        });
        assert.equal(cursorAfter, last);
        const metrics = await (await fetch(`${second.base}/metrics`)).text();
        assert.match(metrics, /^aim_siem_connected 1$/m);
        assert.match(metrics, /^aim_siem_events_streamed_total [1-9]/m);
        process.stdout.write(`# SIEM across a crash: ${last} events, ${duplicates} repeats\n`);
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
