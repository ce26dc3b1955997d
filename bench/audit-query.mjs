#!/usr/bin/env node
// `npm run bench:audit-query`: filtered reads of an organization's audit log at scale. Seeds
// BENCH_AUDIT_EVENTS events (default 10,000,000) for one organization, spread over four monthly
// partitions, plus events of other organizations, then times GET /api/v1/audit-logs queries through
// the real service and restricted role: p50/p95/p99 over BENCH_QUERIES (default 200) per filter,
// against `select 1` on the same pool as the baseline. Target: p95 <= 50 ms.
import { join } from 'node:path';
import pg from 'pg';

import { dist, startBenchDatabase } from './lib/database.mjs';

const root = new URL('..', import.meta.url).pathname;
const { createDatabase } = await dist('platform/db/database.js');
const { createAuditService } = await dist('modules/audit/audit-service.js');
const { newId } = await dist('platform/ids.js');

const EVENTS = Number(process.env.BENCH_AUDIT_EVENTS ?? 10_000_000);
const QUERIES = Number(process.env.BENCH_QUERIES ?? 200);
const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

const bench = await startBenchDatabase('query');
const { ownerUrl, appUrl } = bench;
try {
  const owner = new pg.Client({ connectionString: ownerUrl });
  await owner.connect();
  const org = newId('org');
  const others = [newId('org'), newId('org')];
  for (const id of [org, ...others]) await owner.query(`insert into organizations (id, name) values ($1, 'Bench')`, [id]);
  // Three past months as well as the current one.
  for (let m = 1; m <= 3; m++) {
    await owner.query(`do $$ declare s date := (date_trunc('month', now() at time zone 'UTC') - interval '${m} month')::date; begin
      execute format('create table if not exists audit_events_past${m} partition of audit_events for values from (%L) to (%L)', s, (s + interval '1 month')::date); end $$`);
  }
  const seed = async (organizationId, count) => {
    const started = performance.now();
    const chunk = 1_000_000;
    for (let done = 0; done < count; done += chunk) {
      const n = Math.min(chunk, count - done);
      await owner.query('begin');
      await owner.query("set local session_replication_role = 'replica'");
      await owner.query(
        `insert into audit_events (id, organization_id, ingest_id, seq, hash, occurred_at, actor_type, actor_id, action, target_type, target_id, outcome, request_id, client_ip, user_agent, details)
         select 'evt_' || lpad(to_hex(g), 26, '0'), $1, $2::bigint + g, $2::bigint + g, sha256(int8send(g)),
                now() - ((($3::bigint - ($2::bigint + g))::float8 / $3::float8) * interval '110 days'),
                (array['user','api_key','agent','system'])[1 + g % 4], 'usr_' || lpad(to_hex(g % 500), 26, '0'),
                (array['organization.update','member.update_role','api_key.create','agent.verify_action','session.create'])[1 + g % 5],
                'agent', 'agt_' || lpad(to_hex(g % 5000), 26, '0'),
                (array['success','success','success','denied'])[1 + g % 4], 'req-' || g, '203.0.113.7', 'bench',
                jsonb_build_object('n', g, 'resource', 'customers/' || (g % 10000))
           from generate_series(1, $4::bigint) as g`,
        [organizationId, done, count, n],
      );
      await owner.query('commit');
    }
    return (performance.now() - started) / 1000;
  };
  console.log(`seeding ${EVENTS.toLocaleString()} events for one organization…`);
  const seconds = await seed(org, EVENTS);
  for (const other of others) await seed(other, Math.min(200_000, EVENTS));
  await owner.query('analyze audit_events');
  console.log(`seeded in ${seconds.toFixed(0)} s`);

  const db = createDatabase({ connectionString: appUrl, max: 4 });
  const audit = createAuditService({ db });
  const ctx = { requestId: 'bench', clientIp: null, userAgent: null, actor: { type: 'user', id: 'usr_x' }, organizationId: org, role: 'admin', userId: 'usr_x', sessionId: null };
  const day = (n) => new Date(Date.now() - n * 86_400_000).toISOString();
  const filters = {
    'newest page (no filter)': () => ({}),
    'one actor, last 30 days': (i) => ({ actorId: `usr_${(i % 500).toString(16).padStart(26, '0')}`, from: day(30) }),
    'one target': (i) => ({ targetType: 'agent', targetId: `agt_${(i % 5000).toString(16).padStart(26, '0')}` }),
    'action prefix, a week 60 days ago': () => ({ action: 'member.*', from: day(67), to: day(60) }),
    'denied outcomes, last 7 days': () => ({ outcome: 'denied', from: day(7) }),
  };
  const time = async (fn) => {
    const samples = [];
    for (let i = 0; i < QUERIES; i++) {
      const t0 = performance.now();
      await fn(i);
      samples.push(performance.now() - t0);
    }
    return samples.sort((a, b) => a - b);
  };
  const baseline = await time(() => db.query('select 1'));
  console.log(`\n${EVENTS.toLocaleString()} events in the organization, ${QUERIES} queries each, 50 per page`);
  console.log(`${'baseline: select 1'.padEnd(40)} p50 ${pct(baseline, 50).toFixed(2)} ms  p95 ${pct(baseline, 95).toFixed(2)} ms  p99 ${pct(baseline, 99).toFixed(2)} ms`);
  for (const [label, make] of Object.entries(filters)) {
    const samples = await time((i) => audit.list(ctx, make(i), 50, undefined));
    console.log(`${label.padEnd(40)} p50 ${pct(samples, 50).toFixed(2)} ms  p95 ${pct(samples, 95).toFixed(2)} ms  p99 ${pct(samples, 99).toFixed(2)} ms  (${(pct(samples, 95) / pct(baseline, 95)).toFixed(1)}x baseline p95)`);
  }
  await db.close();
  await owner.end();
} finally {
  await bench.stop();
}
