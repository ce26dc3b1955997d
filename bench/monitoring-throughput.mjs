#!/usr/bin/env node
// `npm run bench:monitoring`: does detection keep up with the decision rate? (issue 18, "Scale";
// docs/monitoring.md, "measured").
//
// 1. The decision endpoint's rate, briefly, as the baseline: bench/decisions.mjs run as a child with a
//    short setting (BENCH_DECISION_AGENTS agents, BENCH_DECISION_ROUNDS rounds of BENCH_DECISION_DURATION
//    seconds), its median verify-action rate read from its JSON line.
// 2. The detection throughput: on a throwaway database of the same external PostgreSQL, one
//    organization with BENCH_AGENTS agents (1,000), each with BENCH_HISTORY_DAYS days of hour counters
//    of round-the-clock traffic and the values it used and a baseline computed by the engine's own job function; then per round
//    BENCH_EVENTS (100,000) decisions of the last hours, inserted as the owner into verification_events
//    with their `decision.created` events in the outbox, as the decision endpoint writes them. The real
//    event dispatcher (platform/events) with the `monitoring.detect` subscription as its only consumer
//    drains them; the figure is events per second from start to an empty outbox, median over
//    BENCH_ROUNDS (3) rounds, and its ratio to the decision rate.
//
// Environment: BENCH_EVENTS, BENCH_AGENTS, BENCH_ROUNDS, BENCH_HISTORY_DAYS (8), BENCH_SKIP_DECISIONS
// (set: skip step 1), BENCH_DATABASE_URL (the admin connection, as bench/decisions.mjs).
import { fork } from 'node:child_process';
import pg from 'pg';
import { dist } from './lib/database.mjs';
import { createExternalBenchDatabase } from './lib/external-database.mjs';

const env = process.env;
const EVENTS = Number(env.BENCH_EVENTS ?? 100_000);
const AGENTS = Number(env.BENCH_AGENTS ?? 1000);
const ROUNDS = Number(env.BENCH_ROUNDS ?? 3);
const HISTORY_DAYS = Number(env.BENCH_HISTORY_DAYS ?? 8);
const TARGET = 2000;
const HOUR = 3_600_000;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Step 1: bench/decisions.mjs as a child; its median decision rate. */
function decisionRate() {
  return new Promise((resolve, reject) => {
    const child = fork(new URL('./decisions.mjs', import.meta.url).pathname, [], {
      env: {
        ...env,
        BENCH_AGENTS: env.BENCH_DECISION_AGENTS ?? '200',
        BENCH_ROUNDS: env.BENCH_DECISION_ROUNDS ?? '3',
        BENCH_DURATION: env.BENCH_DECISION_DURATION ?? '5',
      },
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    });
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      process.stdout.write(`  [decisions] ${chunk}`.replace(/\n(?=.)/g, '\n  [decisions] '));
    });
    child.on('exit', () => {
      const line = out.split('\n').find((l) => l.startsWith('{') && l.includes('decisionsPerSecond'));
      if (!line) return reject(new Error('bench/decisions.mjs printed no result line'));
      resolve(JSON.parse(line).decisionsPerSecond);
    });
  });
}

async function setup(owner, organizationId) {
  const { newId } = await dist('platform/ids.js');
  const agents = Array.from({ length: AGENTS }, () => newId('agt'));
  await owner.query(`insert into organizations (id, name) values ($1, 'bench')`, [organizationId]);
  await owner.query(
    `insert into agents (id, organization_id, name, created_by_type, created_by_id, created_at)
     select a, $1, 'agent-' || n, 'api_key', 'key_bench', now() - interval '60 days' from unnest($2::text[]) with ordinality as x(a, n)`,
    [organizationId, agents],
  );
  // Round the clock, about 12 requests an hour (what a round loads), as hour counters of the history.
  await owner.query(
    `insert into agent_activity_hours (organization_id, agent_id, hour, requests, denials, records, bytes)
     select $1, a, h, 10 + (random() * 5)::int, (random() * 1.2)::int, 100, 10000
       from unnest($2::text[]) a,
            generate_series(date_trunc('hour', now()) - make_interval(days => $3), date_trunc('hour', now()) - interval '1 hour', interval '1 hour') h`,
    [organizationId, agents, HISTORY_DAYS],
  );
  // What the agents used in that history: the actions, resource prefix and networks a round uses, so
  // a round is steady-state traffic (first uses would each raise an alert: rare in service).
  await owner.query(
    `insert into agent_seen_values (organization_id, agent_id, kind, value, first_seen_at, first_decision_id)
     select $1, a, v.kind, v.value, now() - make_interval(days => $3), 'dec_00000000000000000000000000'
       from unnest($2::text[]) a,
            (values ('action', 'svc0:read'), ('action', 'svc1:read'), ('action', 'svc2:read'), ('action', 'svc3:read'), ('resource', 'records/*'),
                    ('network', '10.0.0.0/24'), ('network', '10.0.1.0/24'), ('network', '10.0.2.0/24'), ('network', '10.0.3.0/24')) as v(kind, value)`,
    [organizationId, agents, HISTORY_DAYS],
  );
  return agents;
}

/** One round's decisions: spread over the agents and the last 8 hours, a few actions and resources, 10 % denied. */
async function load(owner, organizationId, agents, newId) {
  const started = Date.now();
  const now = Date.now();
  const times = Array.from({ length: EVENTS }, () => now - Math.floor(Math.random() * 8 * HOUR));
  // Ids carry their decision's time, as the decision endpoint makes them (the ingestion reads by id and time).
  const ids = times.map((t) => newId('dec', t));
  const events = times.map((t) => newId('dev', t));
  await owner.query(
    `with d as (
       select u.id, u.event, ($2::text[])[1 + (u.i % $3)] as agent, to_timestamp(u.t / 1000.0) as at, u.i
         from unnest($4::text[], $5::text[], $6::float8[]) with ordinality as u(id, event, t, i))
     , v as (insert into verification_events (id, organization_id, agent_id, authenticated_by, action, resource, context, initial_decision, decision, status, reasons, policy_revision, created_at, client_address)
             select d.id, $1, d.agent, 'signature', 'svc' || (d.i % 4) || ':read', 'records/' || (d.i % 1000), jsonb_build_object('records', 1 + d.i % 20),
                    case when d.i % 10 = 0 then 'deny' else 'allow' end, case when d.i % 10 = 0 then 'deny' else 'allow' end,
                    case when d.i % 10 = 0 then 'denied' else 'allowed' end, '[]', 0, d.at, ('10.0.' || (d.i % 4) || '.7')::inet
               from d)
     insert into event_outbox (id, organization_id, type, version, occurred_at, data)
     select d.event, $1, 'decision.created', 1, d.at,
            jsonb_build_object('decisionId', d.id, 'agentId', d.agent, 'action', 'svc' || (d.i % 4) || ':read', 'decision', case when d.i % 10 = 0 then 'deny' else 'allow' end, 'flagged', false)
       from d order by d.i`,
    [organizationId, agents, agents.length, ids, events, times],
  );
  return (Date.now() - started) / 1000;
}

async function main() {
  const decisionsPerSecond = env.BENCH_SKIP_DECISIONS ? null : await decisionRate();
  const db0 = await createExternalBenchDatabase('monitoring');
  const { createDatabase } = await dist('platform/db/database.js');
  const { createMemoryStore } = await dist('platform/store/memory-store.js');
  const { createDomainEvents } = await dist('platform/events/domain-events.js');
  const { detectionSubscription } = await dist('modules/monitoring/detection/engine-ingest.js');
  const { computeBaselines } = await dist('modules/monitoring/detection/engine-baselines.js');
  const { newId } = await dist('platform/ids.js');
  const owner = new pg.Client({ connectionString: db0.ownerUrl });
  await owner.connect();
  const db = createDatabase({ connectionString: db0.appUrl, max: 10 });
  const quiet = { info() {}, warn: (o, m) => console.warn(m, o?.err?.message ?? ''), error: (o, m) => console.error(m, o?.err?.message ?? ''), debug() {}, child() { return quiet; } };
  const rounds = [];
  try {
    await owner.query('select aim_ensure_partitions(1)');
    const organizationId = newId('org');
    const started = Date.now();
    const agents = await setup(owner, organizationId);
    const baselines = await computeBaselines({ db }, organizationId, new Date());
    console.log(`setup: ${AGENTS} agents, ${HISTORY_DAYS} days of hour counters, ${baselines} baselines computed in ${((Date.now() - started) / 1000).toFixed(1)}s`);
    await owner.query('analyze');
    const countedSql = `select coalesce(sum(requests), 0)::bigint as n from agent_activity_hours`;
    const countedBefore = Number((await owner.query(countedSql)).rows[0].n);
    let findings = 0;
    const events = createDomainEvents({ db, store: createMemoryStore(), logger: quiet });
    events.subscribe(detectionSubscription({ db, events, observe: (u) => (findings += u.findings) }));
    for (let r = 1; r <= ROUNDS; r += 1) {
      const loadSeconds = await load(owner, organizationId, agents, newId);
      const t0 = performance.now();
      await events.drain();
      const seconds = (performance.now() - t0) / 1000;
      const { rows } = await owner.query('select count(*)::int as n from event_outbox');
      if (rows[0].n !== 0) throw new Error(`${rows[0].n} events left in the outbox`);
      rounds.push(EVENTS / seconds);
      console.log(`round ${r}: ${EVENTS} events loaded in ${loadSeconds.toFixed(1)}s, drained in ${seconds.toFixed(2)}s = ${Math.round(EVENTS / seconds)} events/s (findings so far ${findings})`);
    }
    await events.close();
    const counted = Number((await owner.query(countedSql)).rows[0].n) - countedBefore;
    const rate = median(rounds);
    console.log('');
    console.log(`detection throughput (median of ${ROUNDS}): ${Math.round(rate)} events/s (target ≥ ${TARGET}): ${rate >= TARGET ? 'met' : 'NOT met'}`);
    if (decisionsPerSecond) console.log(`decision endpoint (bench/decisions.mjs, short): ${decisionsPerSecond} decisions/s; detection / decisions = ${(rate / decisionsPerSecond).toFixed(2)}`);
    console.log(`decisions counted in the hour counters: ${counted} of ${EVENTS * ROUNDS} loaded`);
    console.log(JSON.stringify({ bench: 'monitoring-throughput', events: EVENTS, agents: AGENTS, rounds: rounds.map(Math.round), eventsPerSecond: Math.round(rate), decisionsPerSecond, ratio: decisionsPerSecond ? Number((rate / decisionsPerSecond).toFixed(2)) : null, counted }));
    return counted === EVENTS * ROUNDS && rate >= TARGET ? 0 : 1;
  } finally {
    await owner.end();
    await db.close();
    await db0.drop();
  }
}

process.exitCode = await main();
