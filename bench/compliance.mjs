#!/usr/bin/env node
// `npm run bench:compliance`: a year's SOC 2 report for one organization with BENCH_AGENTS agents
// (default 1,000) and BENCH_EVENTS chained audit events (default 10,000,000) spread over the year,
// a tenth of them decisions with their rows in verification_events. Measured against a plain count
// of the same evidence (the rows the checks read, counted with count(*)) in the same run; the peak
// RSS of this process is sampled every 50 ms during each. The report is generated through the real
// evaluator and report service (the chain walked event by event, every check's SQL, the signature),
// on an external PostgreSQL (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres).
import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import pg from 'pg';
import { dist } from './lib/database.mjs';
import { createExternalBenchDatabase } from './lib/external-database.mjs';

const root = new URL('..', import.meta.url).pathname;
const { createDatabase } = await dist('platform/db/database.js');
const { newId } = await dist('platform/ids.js');
const { createChainVerifier } = await dist('modules/compliance/chain-verification.js');
const { createComplianceEvaluator } = await dist('modules/compliance/compliance-evaluator.js');
const { createComplianceReportService } = await dist('modules/compliance/report-service.js');
const { chainHash } = await import(join(root, 'packages/audit-verify/dist/index.js'));

const EVENTS = Number(process.env.BENCH_EVENTS ?? 10_000_000);
const AGENTS = Number(process.env.BENCH_AGENTS ?? 1_000);
const BATCH = 5_000;
const DAY = 86_400_000;
const to = new Date(Math.floor(Date.now() / DAY) * DAY);
const from = new Date(to.getTime() - 365 * DAY);

// BENCH_KEEP=1 keeps the seeded database and prints BENCH_REUSE=<owner URL> <app URL>, which a later
// run takes instead of seeding again (seeding 10 million events takes minutes).
const reuse = process.env.BENCH_REUSE?.split(' ');
const bench = reuse
  ? { ownerUrl: reuse[0], appUrl: reuse[1], drop: async () => undefined }
  : await createExternalBenchDatabase('compliance');
const owner = new pg.Client({ connectionString: bench.ownerUrl });
await owner.connect();
try {
  const seeded = reuse ? (await owner.query(`select o.id as org, m.user_id as user from organizations o join memberships m on m.organization_id = o.id where o.name = 'Bench'`)).rows[0] : null;
  const org = seeded?.org ?? newId('org');
  const user = seeded?.user ?? newId('usr');
  if (!seeded) {
    await owner.query(`insert into organizations (id, name) values ($1, 'Bench')`, [org]);
    await owner.query(`insert into users (id, email_hash, email_encrypted, name_encrypted) values ($1, sha256(convert_to($1, 'UTF8')), 'x', 'x')`, [user]);
    await owner.query(`insert into memberships (organization_id, user_id, role) values ($1, $2, 'admin')`, [org, user]);
    // Monthly partitions for the year back.
    await owner.query(`do $$ declare s date; begin for m in 1..13 loop s := (date_trunc('month', now() at time zone 'UTC') - make_interval(months => m))::date;
      execute format('create table if not exists audit_events_b%s partition of audit_events for values from (%L) to (%L)', m, s, (s + interval '1 month')::date);
      execute format('create table if not exists verification_events_b%s partition of verification_events for values from (%L) to (%L)', m, s, (s + interval '1 month')::date);
    end loop; end $$`);
    const agents = [];
    for (let i = 0; i < AGENTS; i++) agents.push(newId('agt'));
    await owner.query(
      `insert into agents (id, organization_id, name, owner_id, created_by_type, created_by_id, created_at)
       select a, $1, 'agent ' || ord, $2, 'user', $2, $3 from unnest($4::text[]) with ordinality as u(a, ord)`,
      [org, user, new Date(from.getTime() - DAY), agents],
    );

    console.log(`seeding ${EVENTS.toLocaleString()} chained audit events (hashes computed here) and ${(EVENTS / 10).toLocaleString()} decisions for ${AGENTS} agents…`);
    const seedStarted = performance.now();
    let previous = Buffer.alloc(32);
    const span = to.getTime() - from.getTime() - 1000;
    for (let done = 0; done < EVENTS; done += BATCH) {
      const n = Math.min(BATCH, EVENTS - done);
      const cols = { id: [], seq: [], hash: [], at: [], action: [], ttype: [], tid: [], details: [] };
      const decisions = { id: [], agent: [], at: [] };
      for (let j = 0; j < n; j++) {
        const seq = done + j + 1;
        const at = new Date(from.getTime() + Math.floor((seq / EVENTS) * span));
        const occurredAt = `${at.toISOString().slice(0, 23)}000Z`;
        const isDecision = seq % 10 === 0;
        const agent = agents[seq % AGENTS];
        const id = newId('evt', at.getTime());
        const decisionId = isDecision ? newId('dec', at.getTime()) : null;
        const event = {
          id, organizationId: org, seq, occurredAt, actor: { type: isDecision ? 'agent' : 'user', id: isDecision ? agent : user },
          action: isDecision ? 'decision.allow' : 'agent.update', target: isDecision ? { type: 'decision', id: decisionId } : { type: 'agent', id: agent },
          outcome: 'success', requestId: `req-${seq}`, clientIp: null, userAgent: null, details: isDecision ? { agentId: agent, action: 'files:read', risk: 'low' } : { n: seq },
        };
        previous = chainHash(previous, event);
        cols.id.push(id); cols.seq.push(seq); cols.hash.push(`\\x${previous.toString('hex')}`); cols.at.push(occurredAt); cols.action.push(event.action);
        cols.ttype.push(event.target.type); cols.tid.push(event.target.id); cols.details.push(JSON.stringify(event.details));
        if (isDecision) { decisions.id.push(decisionId); decisions.agent.push(agent); decisions.at.push(at.toISOString()); }
      }
      await owner.query('begin');
      await owner.query("set local session_replication_role = 'replica'");
      await owner.query(
        `insert into audit_events (id, organization_id, seq, hash, occurred_at, actor_type, actor_id, action, target_type, target_id, outcome, request_id, details)
         select u.id, $1, u.seq, u.hash, u.at, case when u.action = 'decision.allow' then 'agent' else 'user' end,
                case when u.action = 'decision.allow' then (u.details::jsonb)->>'agentId' else $2 end, u.action, u.ttype, u.tid, 'success', 'req-' || u.seq, u.details::jsonb
           from unnest($3::text[], $4::bigint[], $5::bytea[], $6::timestamptz[], $7::text[], $8::text[], $9::text[], $10::text[]) as u(id, seq, hash, at, action, ttype, tid, details)`,
        [org, user, cols.id, cols.seq, cols.hash, cols.at, cols.action, cols.ttype, cols.tid, cols.details],
      );
      await owner.query(
        `insert into verification_events (id, organization_id, agent_id, authenticated_by, action, initial_decision, decision, status, reasons, policy_revision, risk, created_at)
         select u.id, $1, u.agent, 'signature', 'files:read', 'allow', 'allow', 'allowed', '[]', 0, 'low', u.at from unnest($2::text[], $3::text[], $4::timestamptz[]) as u(id, agent, at)`,
        [org, decisions.id, decisions.agent, decisions.at],
      );
      await owner.query('commit');
    }
    await owner.query(`insert into audit_chain_heads (organization_id, seq, hash) values ($1, $2, $3) on conflict (organization_id) do update set seq = excluded.seq, hash = excluded.hash`, [org, EVENTS, previous]);
    // As autovacuum leaves an insert-only table (PostgreSQL 13 and later): visibility map set, statistics fresh.
    await owner.query('vacuum analyze');
    console.log(`seeded in ${((performance.now() - seedStarted) / 1000).toFixed(0)} s`);
  }

  const db = createDatabase({ connectionString: bench.appUrl, max: 4 });
  const measure = async (label, fn) => {
    let peak = process.memoryUsage().rss;
    const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 50);
    const started = performance.now();
    const out = await fn();
    const seconds = (performance.now() - started) / 1000;
    clearInterval(timer);
    console.log(`${label.padEnd(64)} ${seconds.toFixed(2).padStart(8)} s   peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB`);
    return { seconds, out };
  };

  const baseline = await measure('baseline: plain count of the same evidence', () =>
    db.transaction({ organizationId: org }, async (tx) => {
      const counts = await tx.query(
        `select (select count(*) from audit_events where organization_id = $1 and occurred_at >= $2 and occurred_at < $3) as events,
                (select count(*) from verification_events where organization_id = $1 and created_at >= $2 and created_at < $3) as decisions,
                (select count(*) from agents where organization_id = $1) as agents,
                (select count(*) from agent_keys where organization_id = $1) as keys,
                (select count(*) from alerts where organization_id = $1 and created_at >= $2 and created_at < $3) as alerts`,
        [org, from, to],
      );
      return counts.rows[0];
    }),
  );
  console.log(`  evidence: ${JSON.stringify(baseline.out)}`);

  const { privateKey } = generateKeyPairSync('ed25519');
  const keys = { current: async () => ({ kid: 'bench', privateKey }) };
  const chain = createChainVerifier({ db });
  const evaluator = createComplianceEvaluator({ db, chain, checkpointKeys: async () => ({ keys: [] }), signingKeyMaxAgeDays: { session: 30, agent_token: 7, audit_checkpoint: 365 } });
  const reports = createComplianceReportService({ db, evaluator, reportKeys: keys });
  const ctx = { requestId: 'bench', clientIp: null, userAgent: null, actor: { type: 'user', id: user }, organizationId: org, role: 'admin', userId: user, personId: user, sessionId: null };
  await measure('  of which the chain walk alone', () => chain.verifyPeriod(org, { from, to }));
  for (const id of ['decisions_recorded', 'high_risk_approval', 'agents_owned', 'policy_changes_recorded']) {
    const { CHECKS_BY_ID } = await dist('modules/compliance/catalogue/frameworks.js');
    await measure(`  of which ${id}`, () => db.transaction({ organizationId: org }, (tx) => CHECKS_BY_ID.get(id).run({ tx, period: { from, to }, settings: { accessReviewDays: 90, agentKeyMaxAgeDays: 90, alertAckMinutes: { critical: 60, high: 240, medium: 1440, low: 4320 }, signingKeyMaxAgeDays: { session: 30, agent_token: 7, audit_checkpoint: 365 } }, chain: { status: 'empty', fromSeq: null, throughSeq: null }, checkpointKeys: async () => ({ keys: [] }) })));
  }
  const report = await measure(`SOC 2 report, a year, ${EVENTS.toLocaleString()} events, ${AGENTS} agents`, () =>
    reports.create(ctx, { framework: 'soc2', from: from.toISOString(), to: to.toISOString() }),
  );
  const walked = report.out.document.controls.flatMap((c) => c.checks).find((c) => c.id === 'audit_chain_intact');
  console.log(`  chain: ${walked.status}, ${walked.evidence.counts.eventsVerified} events verified; overall ${report.out.report.status}`);
  console.log(`ratio report / plain count: ${(report.seconds / baseline.seconds).toFixed(1)}×   target: under 60 s`);
  await db.close();
} finally {
  await owner.end();
  if (process.env.BENCH_KEEP || reuse) console.log(`kept: BENCH_REUSE='${bench.ownerUrl} ${bench.appUrl}'`);
  else await bench.drop();
}
