#!/usr/bin/env node
// `npm run bench:trust`: trust scoring at scale (docs/trust-scoring.md), on the external PostgreSQL.
// The issue's targets: a full recalculation of 10,000 agents with 1,000,000 evidence rows in ≤ 60 s,
// with constant memory, and a single on-event recalculation in ≤ 20 ms p95. Each figure is also
// reported as a ratio against a baseline measured in the same run (the machine is small and noisy).
//
// Setup: an isolated database and restricted role (bench/lib/external-database.mjs, migrated), the
// monthly partitions of verification_events back to the start of the oldest window, then, seeded as
// the database owner with set-based SQL (generate_series / INSERT … SELECT): one organization with
// BENCH_AGENTS agents (10,000; keys, some rotated or revoked, some suspended, profiles partly filled)
// and about 100 evidence rows per agent spread over the method's windows (decisions over 30 days
// with some denied and flagged, a violation for each of those and older ones up to 180 days, a row
// per agent and UTC day of requests,
// heartbeats of 3% of the agents per minute over 7 days, grants, ratings, attestations, reviews,
// incidents), and a second organization of BENCH_SMALL_AGENTS agents (2,000) with the same
// densities, for the memory comparison. Then VACUUM ANALYZE, as autovacuum would.
//
// The code under test is the server's, built (apps/server/dist) and assembled in this process as
// main.js assembles it: loadConfig, createPlatform (app-role pool of 10, the audit sequencer chaining
// the audit events in the background, Redis under a prefix of its own when it answers, else the
// in-process store) and createServices; the scheduled job's call, services.trust.recalculateOrganization,
// with the job's context. No HTTP server and no job queue: neither is on the measured path.
//
// Each round (BENCH_ROUNDS, 3), medians over rounds:
//   - baseline: one plain SELECT, as the app role in the organization's scope, that reads every
//     evidence row the pass reads (the same windows) once and aggregates a column of each;
//   - the full pass over the big organization: wall time, rows written to trust_scores (must be
//     exactly BENCH_AGENTS, else the run fails), agents whose score changed notably (audit events),
//     CPU of this process and of PostgreSQL, and memory (RSS and V8 heap sampled every 10 ms, against
//     the figures after a forced GC at the start); then, timed apart, the job's pruneEvidence;
//   - the same pass over the small organization (memory: the peak must not grow with agent count);
//   - BENCH_SINGLE (500) random agents of the big organization recalculated one at a time
//     (services.trust.recalculate, the on-event path), interleaved with the baseline, a trivial
//     single-row transaction on the same pool (select of the agent's row in its tenant scope).
// After the rounds (BENCH_SPLIT=0 skips them), diagnostics:
//   - one more full pass through the same service code over a pool wrapper that times every
//     statement: where the pass's time goes (evidence statement, write statement, audit insert,
//     agent pages, BEGIN/COMMIT and the pool, JavaScript);
//   - EXPLAIN (ANALYZE, BUFFERS) of the evidence statement for the first batch of 200, as the app
//     role in the organization's scope, with the custom and with the generic plan (a named prepared
//     statement may switch to the generic plan after five executions), and of the write statement
//     (in a transaction that is rolled back). The plans are written to bench/results/.
//
// Environment: BENCH_ROUNDS (3), BENCH_AGENTS (10000), BENCH_SMALL_AGENTS (2000), BENCH_SINGLE (500),
// BENCH_SPLIT (1), BENCH_STORE (redis | memory; redis when it answers), BENCH_REDIS_URL
// (redis://127.0.0.1:6379), BENCH_DATABASE_URL (postgres://postgres@127.0.0.1:5432/postgres: the
// admin connection that creates and drops the bench's database and role).
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import pg from 'pg';

import { cpuMeter, listProcesses } from './lib/cpu-meter.mjs';
import { dist } from './lib/database.mjs';
import { createExternalBenchDatabase } from './lib/external-database.mjs';
import { redisReachable, scanPrefix } from './lib/redis.mjs';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');

const { loadConfig } = await dist('platform/config/env.js');
const { createLoggers } = await dist('platform/observability/logger.js');
const { createPlatform } = await dist('platform/platform.js');
const { createServices } = await dist('modules/services.js');
const { createTrustService } = await dist('modules/trust/trust-service.js');
const { SYSTEM_CONTEXT } = await dist('platform/http/request-context.js');
const { newId } = await dist('platform/ids.js');
const { organizationRepository } = await dist('modules/organizations/organization-repository.js');

const root = new URL('..', import.meta.url).pathname;
const env = process.env;
const ROUNDS = Number(env.BENCH_ROUNDS ?? 3);
const AGENTS = Number(env.BENCH_AGENTS ?? 10_000);
const SMALL_AGENTS = Number(env.BENCH_SMALL_AGENTS ?? 2_000);
const SINGLE = Number(env.BENCH_SINGLE ?? 500);
const SPLIT = (env.BENCH_SPLIT ?? '1') !== '0';
const REDIS_URL = env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const TARGET_FULL_SECONDS = 60;
const TARGET_SINGLE_P95_MS = 20;
/** The service's batch (trust-service.ts BATCH): the EXPLAIN is of one batch of this many agents. */
const BATCH = 200;
const SINGLE_WARMUP = 20;
/** Thrown to roll a diagnostic transaction back. */
class RollBack extends Error {}
const MEMORY_SAMPLE_MS = 10;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length === 0 ? NaN : s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const percentile = (sorted, p) => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]);
const seconds = (t0) => (performance.now() - t0) / 1000;
const mb = (bytes) => bytes / 1024 / 1024;
const fmt = (x, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');
const int = (n) => Number(n).toLocaleString('en-US');

/** A small seeded PRNG (mulberry32): the same agents are picked from run to run. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---- seeding ------------------------------------------------------------------------------------

const USERS = 40;

/**
 * The seed, one statement per table, as the owner, for one organization (seed_params: org, tag, t0).
 * Ids are `<prefix>_<tag><25 hex>`: valid, unique across the two organizations, and ordered by agent.
 * Per agent g (1…n), an activity level (0.2–2.6, mean 1) scales its decisions, requests and violations.
 */
const SEED = [
  [
    'agents (temp)',
    `create temp table seed_agents as
     select x.*, 'k' || lpad(x.sfx, 42, '0') as key_id, coalesce(x.rotated_at, x.created_at) as key_created_at
       from (select a.*,
                    case when a.g % 10 = 0 then greatest(a.created_at + interval '1 hour', p.t0 - make_interval(days => (a.g / 10) % 60, hours => 3)) end as rotated_at
               from seed_params p,
                    lateral (select g, p.tag || lpad(to_hex(g), 25, '0') as sfx, 'agt_' || p.tag || lpad(to_hex(g), 25, '0') as id,
                                    p.t0 - make_interval(days => 1 + (g * 7919) % 400, hours => g % 24) as created_at,
                                    0.2 + 2.4 * power(((g::bigint * 2654435761) % 1000) / 1000.0, 2) as level,
                                    0.2 + 2.4 * power(((g::bigint * 40503) % 997) / 997.0, 2) as risk_level
                               from generate_series(1, p.agents) g) a) x`,
  ],
  [
    'capabilities (temp)',
    `create temp table seed_caps as
     select i, 'cap_' || p.tag || lpad(to_hex(i + 1), 25, '0') as id,
            'svc' || lpad((i / 5)::text, 2, '0') || ':' || (array['read', 'list', 'write', 'export', 'delete'])[1 + i % 5] as name,
            case i % 5 when 0 then 'low' when 1 then 'low' when 2 then 'medium' when 3 then 'high' else case when i < 25 then 'critical' else 'high' end end as risk
       from seed_params p, generate_series(0, 99) i`,
  ],
  [
    'agents',
    `insert into agents (id, organization_id, name, purpose, owner_id, tags, status, created_by_type, created_by_id, created_at, updated_at, status_changed_at, last_seen_at, data_classification)
     select s.id, p.org, 'bench-agent-' || s.g, case when s.g % 5 <> 4 then 'Answers support tickets' end,
            case when s.g % 10 <> 9 then 'usr_' || lpad(to_hex(1 + s.g % ${USERS}), 26, '0') end, array['team-' || s.g % 4],
            case when s.g % 37 = 0 then 'suspended' else 'active' end, 'user', 'usr_' || lpad(to_hex(1 + s.g % ${USERS}), 26, '0'),
            s.created_at, s.created_at, s.created_at,
            case when s.g % 37 <> 0 and s.g % 20 <> 0 then greatest(s.created_at, p.t0 - make_interval(mins => (s.g * 13) % 4320)) end,
            case when s.g % 10 < 7 then (array['public', 'internal', 'confidential', 'restricted'])[1 + s.g % 4] end
       from seed_agents s, seed_params p`,
  ],
  [
    'agent_keys',
    // The current key (revoked for 1% of the agents), then the key it replaced for the 10% that rotated.
    `insert into agent_keys (id, organization_id, agent_id, public_key, created_at, revoked_at, last_used_at, use_count)
     select s.key_id, p.org, s.id, sha256(convert_to(s.key_id, 'UTF8')), s.key_created_at,
            case when s.g % 97 = 0 then greatest(s.key_created_at + interval '1 minute', p.t0 - interval '2 days') end,
            p.t0 - interval '1 hour', 100
       from seed_agents s, seed_params p;
     insert into agent_keys (id, organization_id, agent_id, public_key, created_at, expires_at, replaced_by)
     select 'o' || lpad(s.sfx, 42, '0'), p.org, s.id, sha256(convert_to('o' || lpad(s.sfx, 42, '0'), 'UTF8')), s.created_at,
            s.rotated_at + interval '1 day', s.key_id
       from seed_agents s, seed_params p where s.rotated_at is not null`,
  ],
  [
    'capabilities, capability_grants',
    // Three grants per agent; 5% revoked.
    `insert into capabilities (id, organization_id, name, risk_level) select c.id, p.org, c.name, c.risk from seed_caps c, seed_params p;
     insert into capability_grants (id, organization_id, agent_id, capability_id, granted_by_type, granted_by_id, created_at, revoked_at, revoked_by_type)
     select 'grt_' || p.tag || lpad(to_hex(s.g * 4 + k), 25, '0'), p.org, s.id, c.id, 'user', 'usr_' || lpad(to_hex(1), 26, '0'),
            s.created_at + make_interval(hours => 1 + k), r.revoked_at, case when r.revoked_at is not null then 'user' end
       from seed_agents s cross join seed_params p cross join generate_series(0, 2) k
       join seed_caps c on c.i = (s.g * 3 + k) % 100
       cross join lateral (select case when (s.g + k) % 20 = 0 then s.created_at + interval '1 day' end as revoked_at) r`,
  ],
  [
    'verification_events',
    // 60 per agent on average over the last 30 days (since creation): 4% denied, 3% allowed but flagged
    // (monitor mode); an allowed decision names the grant it used (an agent in four uses only two of its three).
    `insert into verification_events (id, organization_id, agent_id, key_id, authenticated_by, action, resource, context, risk,
                                      initial_decision, decision, status, reasons, flagged, grant_id, policy_revision, created_at)
     select 'dec_' || p.tag || lpad(to_hex(s.g::bigint * 4096 + e.n), 25, '0'), p.org, s.id, s.key_id,
            case when e.n % 3 = 0 then 'token' else 'signature' end, c.name, 'records/' || e.n, '{}', c.risk,
            case when e.r < 0.04 then 'deny' else 'allow' end, case when e.r < 0.04 then 'deny' else 'allow' end,
            case when e.r < 0.04 then 'denied' else 'allowed' end,
            case when e.r < 0.04 then '[{"rule": "capability_required"}]' else '[]' end::jsonb,
            e.r >= 0.04 and e.r < 0.07,
            case when e.r >= 0.04 then 'grt_' || p.tag || lpad(to_hex(s.g * 4 + e.k), 25, '0') end,
            1, p.t0 - (0.999 * random()) * least(interval '30 days', p.t0 - s.created_at)
       from seed_agents s cross join seed_params p
       cross join lateral (select n, n % (case when s.g % 4 = 0 then 2 else 3 end) as k, random() as r
                             from generate_series(1, round(60 * s.level)::int) n) e
       join seed_caps c on c.i = (s.g * 3 + e.k) % 100`,
  ],
  [
    'violations',
    // As the decision engine records them: one per denied or flagged decision of the window (a tenth of the
    // denials for too low a trust score), then older ones (30–180 days, their decisions not seeded), 0.8 per
    // agent on average. Severity: 50% low, 30% medium, 15% high, 5% critical.
    `insert into violations (id, organization_id, agent_id, decision_id, rule, action, severity, created_at)
     select 'vio_' || substr(v.id, 5), v.organization_id, v.agent_id, v.id,
            case when v.flagged then 'time_window' when random() < 0.1 then 'min_trust' else 'capability_required' end, v.action,
            case when x.r < 0.5 then 'low' when x.r < 0.8 then 'medium' when x.r < 0.95 then 'high' else 'critical' end, v.created_at
       from verification_events v cross join seed_params p
       cross join lateral (select random() + 0 * length(v.id) as r) x
      where v.organization_id = p.org and (v.decision = 'deny' or v.flagged);
     insert into violations (id, organization_id, agent_id, decision_id, rule, action, severity, created_at)
     select 'vio_' || p.tag || lpad(to_hex(s.g::bigint * 64 + n + 1099511627776), 25, '0'), p.org, s.id,
            'dec_' || p.tag || lpad(to_hex(s.g::bigint * 64 + n + 1099511627776), 25, '0'), 'capability_required', 'svc00:read',
            case when r < 0.5 then 'low' when r < 0.8 then 'medium' when r < 0.95 then 'high' else 'critical' end,
            greatest(s.created_at, p.t0 - interval '30 days' - (0.999 * random()) * interval '150 days')
       from seed_agents s cross join seed_params p
       cross join lateral (select n, random() as r from generate_series(1, round(0.8 * s.risk_level)::int) n) v
      where s.created_at < p.t0 - interval '31 days'`,
  ],
  [
    'agent_activity_days',
    // One row per agent and UTC day of the 30-day window since creation: 15% of days with no verified request, 10% with failures.
    `insert into agent_activity_days (organization_id, agent_id, day, verified, failed)
     select p.org, s.id, d.day::date,
            case when random() < 0.15 then 0 else floor(s.level * 40 * (0.5 + random())) end,
            case when random() < 0.1 then floor(1 + random() * 5) else 0 end
       from seed_agents s cross join seed_params p
       cross join lateral generate_series((p.t0 at time zone 'UTC')::date - 29, (p.t0 at time zone 'UTC')::date, interval '1 day') d(day)
      where d.day::date >= (s.created_at at time zone 'UTC')::date`,
  ],
  [
    'agent_uptime_hours',
    // 3% of the agents send heartbeats every minute: 168 hours each over 7 days, 10% of the hours with gaps.
    `insert into agent_uptime_hours (organization_id, agent_id, hour, minutes, heartbeats)
     select p.org, s.id, h.hour, m.minutes, length(replace(m.minutes::bit(64)::text, '0', ''))
       from seed_agents s cross join seed_params p
       cross join lateral generate_series(date_trunc('hour', p.t0) - interval '167 hours', date_trunc('hour', p.t0), interval '1 hour') h(hour)
       cross join lateral (select case when random() < 0.9 then (1::bigint << 60) - 1 else floor(random() * 1152921504606846976)::bigint end
                                  + 0 * extract(epoch from h.hour)::bigint as minutes) m
      where s.g % 33 = 0 and h.hour >= date_trunc('hour', s.created_at)`,
  ],
  [
    'security_reviews',
    // A third of the agents reviewed (one in nine twice), up to 500 days ago (some outside the 365-day window), 0–5 findings.
    `insert into security_reviews (id, organization_id, agent_id, reviewer_type, reviewer_id, reviewed_at, findings, created_at)
     select 'srv_' || p.tag || lpad(to_hex(s.g * 2 + j), 25, '0'), p.org, s.id, 'user', 'usr_' || lpad(to_hex(1 + s.g % ${USERS}), 26, '0'), t.at,
            (select coalesce(jsonb_agg(jsonb_build_object('severity', (array['low', 'low', 'low', 'medium', 'medium', 'high', 'critical'])[1 + (s.g + f) % 7],
                                                          'title', 'finding ' || f)), '[]')
               from generate_series(1, (s.g / 3 + j) % 6) f),
            t.at
       from seed_agents s cross join seed_params p
       cross join lateral generate_series(0, case when s.g % 9 = 0 then 1 else 0 end) j
       cross join lateral (select greatest(s.created_at + interval '1 day', p.t0 - make_interval(days => (s.g * 31 + j * 200) % 500)) as at) t
      where s.g % 3 = 0`,
  ],
  [
    'agent_ratings',
    // 40% of the agents rated by one or two members.
    `insert into agent_ratings (id, organization_id, agent_id, user_id, rating, created_at, updated_at)
     select 'rat_' || p.tag || lpad(to_hex(s.g * 8 + j), 25, '0'), p.org, s.id, 'usr_' || lpad(to_hex(1 + (s.g + j * 7) % ${USERS}), 26, '0'),
            (array[5, 4, 4, 3, 5, 2, 4, 1, 5, 4])[1 + floor(random() * 10)::int], t.at, t.at
       from seed_agents s cross join seed_params p
       cross join lateral generate_series(1, 1 + s.g % 5) j
       cross join lateral (select greatest(s.created_at, p.t0 - make_interval(days => (s.g + j) % 90)) as at) t
      where s.g % 5 in (0, 1)`,
  ],
  [
    'agent_attestations',
    // 20% of the agents vouched for (85%) or against by one to three other agents.
    `insert into agent_attestations (id, organization_id, agent_id, attester_id, verdict, created_at, updated_at)
     select 'att_' || p.tag || lpad(to_hex(s.g * 4 + j), 25, '0'), p.org, s.id, 'agt_' || p.tag || lpad(to_hex((s.g - 1 + j * 101) % p.agents + 1), 25, '0'),
            case when random() < 0.85 then 'trusted' else 'distrusted' end, p.t0 - interval '1 day', p.t0 - interval '1 day'
       from seed_agents s cross join seed_params p cross join lateral generate_series(1, 1 + s.g % 3) j
      where s.g % 5 = 2`,
  ],
  [
    'agent_incidents',
    // 2% of the agents with one or two incidents up to 200 days ago, half resolved.
    `insert into agent_incidents (id, organization_id, agent_id, severity, title, occurred_at, resolved_at, reported_by_type, reported_by_id, created_at)
     select 'inc_' || p.tag || lpad(to_hex(s.g * 4 + j), 25, '0'), p.org, s.id, (array['low', 'medium', 'high', 'critical'])[1 + (s.g + j) % 4],
            'bench incident', t.at, case when j = 1 then t.at + interval '1 day' end, 'user', 'usr_' || lpad(to_hex(1), 26, '0'), t.at + interval '2 hours'
       from seed_agents s cross join seed_params p cross join lateral generate_series(1, 1 + s.g % 2) j
       cross join lateral (select greatest(s.created_at, p.t0 - make_interval(days => (s.g * j) % 200, hours => 3)) as at) t
      where s.g % 50 = 0`,
  ],
];
/** The evidence tables (what "evidence rows" counts). */
const EVIDENCE_TABLES = [
  'verification_events',
  'agent_activity_days',
  'violations',
  'agent_uptime_hours',
  'capability_grants',
  'agent_ratings',
  'agent_attestations',
  'security_reviews',
  'agent_incidents',
  'agent_keys',
];

/** The months (first days, UTC) from the one holding `from` up to the current one. */
function monthsSince(from) {
  const months = [];
  const d = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), 1));
  const now = new Date();
  while (d <= now) {
    months.push(new Date(d));
    d.setUTCMonth(d.getUTCMonth() + 1);
  }
  return months;
}

/** Partitions of verification_events for past months, named and secured as aim_ensure_partitions does. */
async function ensurePastPartitions(owner, from) {
  const created = [];
  for (const month of monthsSince(from)) {
    const next = new Date(month);
    next.setUTCMonth(next.getUTCMonth() + 1);
    const name = `verification_events_y${month.getUTCFullYear()}m${String(month.getUTCMonth() + 1).padStart(2, '0')}`;
    const { rows } = await owner.query('select to_regclass($1) as r', [`public.${name}`]);
    if (rows[0].r) continue;
    await owner.query(
      `create table public.${owner.escapeIdentifier(name)} partition of public.verification_events for values from (${owner.escapeLiteral(month.toISOString())}) to (${owner.escapeLiteral(next.toISOString())})`,
    );
    await owner.query(`alter table public.${owner.escapeIdentifier(name)} enable row level security`);
    created.push(name);
  }
  return created;
}

async function seedOrganization(owner, organizationId, tag, n, t0) {
  const timings = {};
  const started = performance.now();
  await owner.query('drop table if exists seed_params, seed_agents, seed_caps');
  await owner.query('create temp table seed_params (org text, tag text, t0 timestamptz, agents int)');
  await owner.query('insert into seed_params values ($1, $2, $3, $4)', [organizationId, tag, t0, n]);
  for (const [label, sql] of SEED) {
    const t = performance.now();
    await owner.query(sql);
    timings[label] = seconds(t);
  }
  await owner.query('drop table seed_params, seed_agents, seed_caps');
  return { seconds: seconds(started), timings };
}

async function countEvidence(owner, organizationId) {
  const counts = {};
  for (const table of EVIDENCE_TABLES) {
    counts[table] = Number((await owner.query(`select count(*) as n from ${table} where organization_id = $1`, [organizationId])).rows[0].n);
  }
  return counts;
}

// ---- the baseline read --------------------------------------------------------------------------

/**
 * Every evidence row the pass reads (the method's windows, back from now), read once: a count and a
 * sum over a column of each table (so each row is fetched, not only counted from an index).
 */
const READ_ONCE_SQL = `
select 'verification_events' as t, count(*) as n, sum(length(v.action) + v.flagged::int) as s from verification_events v
 where v.organization_id = $1 and v.created_at > $2::timestamptz - interval '30 days' and v.created_at <= $2
union all
select 'agent_activity_days', count(*), sum(d.verified + d.failed) from agent_activity_days d
 where d.organization_id = $1 and d.day > ($2::timestamptz at time zone 'UTC')::date - 30
union all
select 'agent_uptime_hours', count(*), sum(length(replace(h.minutes::bit(64)::text, '0', ''))) from agent_uptime_hours h
 where h.organization_id = $1 and h.hour >= date_trunc('hour', $2::timestamptz - interval '7 days')
union all
select 'violations', count(*), sum(length(v.severity)) from violations v
 where v.organization_id = $1 and v.created_at > $2::timestamptz - interval '180 days'
union all
select 'agent_incidents', count(*), sum(length(n.severity)) from agent_incidents n
 where n.organization_id = $1 and n.occurred_at > $2::timestamptz - interval '180 days'
union all
select 'security_reviews', count(*), sum(jsonb_array_length(r.findings)) from security_reviews r
 where r.organization_id = $1 and r.reviewed_at > $2::timestamptz - interval '365 days'
union all
select 'agent_ratings', count(*), sum(r.rating) from agent_ratings r where r.organization_id = $1
union all
select 'agent_attestations', count(*), sum(length(t.verdict)) from agent_attestations t where t.organization_id = $1
union all
select 'capability_grants', count(*), sum(length(g.capability_id)) from capability_grants g where g.organization_id = $1
union all
select 'agent_keys', count(*), sum(length(k.id)) from agent_keys k where k.organization_id = $1
union all
select 'agents', count(*), sum(length(a.name)) from agents a where a.organization_id = $1 and a.status <> 'revoked'`;

// ---- memory -------------------------------------------------------------------------------------

/** Sample RSS and the V8 heap every MEMORY_SAMPLE_MS until stopped; the start is taken after a full GC. */
function memorySampler() {
  gc();
  const start = process.memoryUsage();
  const peak = { rss: start.rss, heapUsed: start.heapUsed, heapTotal: start.heapTotal, external: start.external + start.arrayBuffers };
  const sample = () => {
    const m = process.memoryUsage();
    peak.rss = Math.max(peak.rss, m.rss);
    peak.heapUsed = Math.max(peak.heapUsed, m.heapUsed);
    peak.heapTotal = Math.max(peak.heapTotal, m.heapTotal);
    peak.external = Math.max(peak.external, m.external + m.arrayBuffers);
  };
  const timer = setInterval(sample, MEMORY_SAMPLE_MS);
  return () => {
    clearInterval(timer);
    sample();
    gc();
    const end = process.memoryUsage();
    return {
      startRssMb: mb(start.rss),
      peakRssMb: mb(peak.rss),
      startHeapMb: mb(start.heapUsed),
      peakHeapMb: mb(peak.heapUsed),
      peakHeapTotalMb: mb(peak.heapTotal),
      peakExternalMb: mb(peak.external),
      heapAfterGcMb: mb(end.heapUsed),
    };
  };
}

// ---- the run ------------------------------------------------------------------------------------

const storeWanted = env.BENCH_STORE ?? 'redis';
const useRedis = storeWanted === 'redis' && (await redisReachable(REDIS_URL));
if (storeWanted === 'redis' && !useRedis) console.log(`Redis is not reachable at ${REDIS_URL}: the in-process store is used (set BENCH_REDIS_URL)`);
const prefix = `aim-bench:${randomBytes(6).toString('hex')}:`;

let t0 = performance.now();
const database = await createExternalBenchDatabase('trust');
const migrateSeconds = seconds(t0);
let platform;
let owner;
let cleaning;
const cleanUp = () =>
  (cleaning ??= (async () => {
    await platform?.close().catch((e) => console.error(`could not close the platform: ${e.message}`));
    await owner?.end().catch(() => undefined);
    let removed = 0;
    if (useRedis) {
      removed = await scanPrefix(REDIS_URL, prefix, { remove: true }).catch((e) => {
        console.error(`could not remove the Redis keys ${prefix}*: ${e.message}`);
        return 0;
      });
    }
    await database.drop().catch((e) => console.error(`could not drop the database ${database.database} or the role ${database.appRole}: ${e.message}`));
    console.log(`cleaned up: ${useRedis ? `Redis keys ${prefix}* removed (${removed}), ` : ''}database ${database.database} and role ${database.appRole} dropped`);
  })());
process.once('SIGINT', () => {
  console.error('interrupted: closing, removing the Redis keys and the database…');
  cleanUp().finally(() => process.exit(130));
});

let exitCode = 0;
try {
  exitCode = await main();
} catch (error) {
  console.error(error);
  exitCode = 1;
} finally {
  await cleanUp();
}
process.exit(exitCode);

async function main() {
  console.log(
    `database ${database.database} on ${new URL(database.adminUrl).host} (role ${database.appRole}), migrated in ${migrateSeconds.toFixed(1)} s; ` +
      `store: ${useRedis ? `Redis ${REDIS_URL} under ${prefix}` : 'in-process'}; ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB`,
  );
  owner = new pg.Client({ connectionString: database.ownerUrl, application_name: 'aim-bench-trust-owner' });
  await owner.connect();
  await owner.query(`set timezone = 'UTC'`);
  const pgVersion = (await owner.query('show server_version')).rows[0].server_version;
  const pgSettings = Object.fromEntries(
    (await owner.query(`select name, setting || coalesce(unit, '') as v from pg_settings where name in ('shared_buffers', 'work_mem', 'jit', 'effective_cache_size', 'random_page_cost', 'synchronous_commit', 'max_parallel_workers_per_gather')`)).rows.map((r) => [r.name, r.v]),
  );

  // The server, assembled as main.js assembles it (no HTTP server, no job queue).
  const config = loadConfig({
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    DATABASE_URL: database.ownerUrl,
    DATABASE_APP_URL: database.appUrl,
    AIM_ENCRYPTION_KEYS: `b1:${randomBytes(32).toString('base64url')}`,
    AIM_LOOKUP_KEY: randomBytes(32).toString('base64url'),
    ...(useRedis ? { REDIS_URL } : {}),
    ...(env.DATABASE_POOL_MAX ? { DATABASE_POOL_MAX: env.DATABASE_POOL_MAX } : {}),
  });
  platform = await createPlatform(config, createLoggers(config.logLevel, process.stderr), {
    appUrl: config.database.appUrl,
    secrets: { encryptionKeys: config.secrets.encryptionKeys, lookupKey: config.secrets.lookupKey },
    redisPrefix: prefix,
  });
  const services = createServices(platform);
  const { db } = platform;
  const jobContext = { ...SYSTEM_CONTEXT, requestId: 'job:aim.trust-recalculate' };
  const eventContext = { ...SYSTEM_CONTEXT, requestId: 'trust:event' };

  // ---- seed ----
  const big = newId('org');
  const small = newId('org');
  for (const [id, name] of [
    [big, 'Bench trust (big)'],
    [small, 'Bench trust (small)'],
  ]) {
    await db.transaction({ organizationId: id }, (tx) => organizationRepository.insert(tx, name));
  }
  const seedT0 = new Date();
  const partitions = await ensurePastPartitions(owner, new Date(seedT0.getTime() - 31 * 86_400_000));
  await owner.query(
    `insert into users (id, email_hash, email_encrypted, name_encrypted)
     select 'usr_' || lpad(to_hex(i), 26, '0'), sha256(convert_to('bench-user-' || i, 'UTF8')), 'x', 'x' from generate_series(1, ${USERS}) i`,
  );
  console.log(`partitions created for past months: ${partitions.join(', ') || 'none'}; seeding ${int(AGENTS)} + ${int(SMALL_AGENTS)} agents…`);
  await owner.query(`select setseed(0.42)`);
  const seedBig = await seedOrganization(owner, big, 'a', AGENTS, seedT0);
  const seedSmall = await seedOrganization(owner, small, 'b', SMALL_AGENTS, seedT0);
  t0 = performance.now();
  await owner.query('vacuum analyze');
  const vacuumSeconds = seconds(t0);
  const evidenceBig = await countEvidence(owner, big);
  const evidenceSmall = await countEvidence(owner, small);
  const evidenceRows = Object.values(evidenceBig).reduce((a, b) => a + b, 0);
  const evidenceRowsSmall = Object.values(evidenceSmall).reduce((a, b) => a + b, 0);
  console.log(`seeded the big organization in ${seedBig.seconds.toFixed(1)} s (${int(evidenceRows)} evidence rows), the small one in ${seedSmall.seconds.toFixed(1)} s (${int(evidenceRowsSmall)}); VACUUM ANALYZE ${vacuumSeconds.toFixed(1)} s`);
  for (const table of EVIDENCE_TABLES) {
    console.log(`  ${table.padEnd(22)} ${int(evidenceBig[table]).padStart(10)}   seeded in ${fmt(seedBig.timings[Object.keys(seedBig.timings).find((k) => k.split(', ').includes(table))] ?? NaN)} s`);
  }
  const bigAgents = (await owner.query(`select id from agents where organization_id = $1 order by id`, [big])).rows.map((r) => r.id);

  // ---- meters ----
  const groups = {};
  const postmaster = database.postmasterPid();
  if (postmaster) {
    // The cluster's own processes (WAL writer, checkpointer…) and the backends of this database.
    const backend = /\d+\.\d+\.\d+\.\d+\(\d+\)|\[local\]/;
    groups.postgres = () =>
      listProcesses()
        .filter((p) => p.pid === postmaster || (p.ppid === postmaster && (!backend.test(p.title) || p.title.includes(` ${database.database} `))))
        .map((p) => p.pid);
  }
  const scoresWritten = async (organizationId, trigger) =>
    Number((await owner.query(`select count(*) as n from trust_scores where organization_id = $1 and trigger = $2`, [organizationId, trigger])).rows[0].n);
  const trustChanges = async (organizationId) =>
    Number((await owner.query(`select count(*) as n from audit_events where organization_id = $1 and action = 'agent.trust_change'`, [organizationId])).rows[0].n);

  /** The scheduled pass over one organization, measured. */
  const fullPass = async (organizationId, expected) => {
    await platform.auditSequencer.drain(organizationId); // the previous pass's audit events are chained first
    const before = await scoresWritten(organizationId, 'schedule');
    const changesBefore = await trustChanges(organizationId);
    const memory = memorySampler();
    const cpu = cpuMeter(groups);
    const t = performance.now();
    const result = await services.trust.recalculateOrganization(jobContext, organizationId);
    const wall = seconds(t);
    const cores = cpu();
    const mem = memory();
    // The scheduled job then prunes counters beyond the method's windows (nothing to prune in this seed).
    let prune = null;
    if (services.trust.pruneEvidence) {
      const tp = performance.now();
      const deleted = await services.trust.pruneEvidence(organizationId);
      prune = { seconds: seconds(tp), ...deleted };
    }
    const written = (await scoresWritten(organizationId, 'schedule')) - before;
    const changed = (await trustChanges(organizationId)) - changesBefore;
    return { seconds: wall, agents: result.agents, written, changed, ok: written === expected && result.agents === expected, cpu: cores, memory: mem, prune };
  };

  /** The plain read of the same evidence rows, once. */
  const readOnce = async (organizationId) => {
    const t = performance.now();
    const rows = await db.transaction({ organizationId }, async (tx) => (await tx.query(READ_ONCE_SQL, [organizationId, new Date()])).rows);
    return { seconds: seconds(t), rows: rows.reduce((s, r) => s + Number(r.n), 0), perTable: Object.fromEntries(rows.map((r) => [r.t, Number(r.n)])) };
  };

  /** Single-agent recalculations (the on-event path) interleaved with a trivial one-row transaction on the same pool. */
  const singles = async (round) => {
    const rng = prng(0x7a57 + round);
    const pick = () => bigAgents[Math.floor(rng() * bigAgents.length)];
    const trivial = (id) => db.transaction({ organizationId: big }, (tx) => tx.query('select trust_score from agents where organization_id = $1 and id = $2', [big, id]));
    const recalc = (id) => services.trust.recalculate(eventContext, big, [id], 'event');
    for (let i = 0; i < SINGLE_WARMUP; i++) {
      const id = pick();
      await trivial(id);
      await recalc(id);
    }
    const base = [];
    const single = [];
    let scored = 0;
    for (let i = 0; i < SINGLE; i++) {
      const id = pick();
      let t = performance.now();
      await trivial(id);
      base.push(performance.now() - t);
      t = performance.now();
      const result = await recalc(id);
      single.push(performance.now() - t);
      scored += result.length;
    }
    if (scored !== SINGLE) throw new Error(`single recalculations: ${scored} of ${SINGLE} agents scored`);
    base.sort((a, b) => a - b);
    single.sort((a, b) => a - b);
    return {
      baseline: { p50: percentile(base, 50), p95: percentile(base, 95), p99: percentile(base, 99) },
      recalculate: { p50: percentile(single, 50), p95: percentile(single, 95), p99: percentile(single, 99), max: single[single.length - 1] },
    };
  };

  // ---- rounds ----
  const rounds = [];
  const failures = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const read = await readOnce(big);
    const full = await fullPass(big, AGENTS);
    const smallPass = await fullPass(small, SMALL_AGENTS);
    const one = await singles(round);
    for (const [label, pass, expected] of [
      ['big', full, AGENTS],
      ['small', smallPass, SMALL_AGENTS],
    ]) {
      if (!pass.ok) failures.push(`round ${round}, ${label} organization: ${pass.written} rows written to trust_scores and ${pass.agents} agents reported, expected ${expected}`);
    }
    rounds.push({ round, read, full, small: smallPass, single: one });
    console.log(
      `round ${round}: read once ${read.seconds.toFixed(2)} s (${int(read.rows)} rows); full pass ${full.seconds.toFixed(1)} s ` +
        `(${int(full.written)} scores written, ${int(full.changed)} changed; node ${fmt(full.cpu.load, 2)} + postgres ${fmt(full.cpu.postgres, 2)} cores, others ${fmt(full.cpu.others, 2)}; ` +
        `heap ${fmt(full.memory.startHeapMb)} → peak ${fmt(full.memory.peakHeapMb)} MB, RSS ${fmt(full.memory.startRssMb)} → ${fmt(full.memory.peakRssMb)} MB); ` +
        `${int(SMALL_AGENTS)} agents ${smallPass.seconds.toFixed(1)} s (heap peak ${fmt(smallPass.memory.peakHeapMb)} MB, RSS ${fmt(smallPass.memory.peakRssMb)} MB); ` +
        `single p50 ${fmt(one.recalculate.p50, 2)} / p95 ${fmt(one.recalculate.p95, 2)} ms vs trivial tx p95 ${fmt(one.baseline.p95, 2)} ms`,
    );
  }

  // ---- diagnostics: where the pass's time goes, and the plans ----
  let split = null;
  let plans = null;
  if (SPLIT) {
    ({ split, plans } = await diagnostics({ platform, owner, big, jobContext, groups }));
  }

  // ---- summary ----
  const m = (f) => median(rounds.map(f));
  const summary = {
    readOnceSeconds: m((r) => r.read.seconds),
    fullSeconds: m((r) => r.full.seconds),
    fullAgentsPerSecond: m((r) => AGENTS / r.full.seconds),
    smallSeconds: m((r) => r.small.seconds),
    pruneSeconds: m((r) => r.full.prune?.seconds ?? NaN),
    seedSeconds: seedBig.seconds,
    fullCpu: { node: m((r) => r.full.cpu.load), postgres: m((r) => r.full.cpu.postgres), machine: m((r) => r.full.cpu.machine), others: m((r) => r.full.cpu.others) },
    memory: {
      big: { startHeapMb: m((r) => r.full.memory.startHeapMb), peakHeapMb: m((r) => r.full.memory.peakHeapMb), peakRssMb: m((r) => r.full.memory.peakRssMb), startRssMb: m((r) => r.full.memory.startRssMb), heapAfterGcMb: m((r) => r.full.memory.heapAfterGcMb) },
      small: { startHeapMb: m((r) => r.small.memory.startHeapMb), peakHeapMb: m((r) => r.small.memory.peakHeapMb), peakRssMb: m((r) => r.small.memory.peakRssMb), startRssMb: m((r) => r.small.memory.startRssMb), heapAfterGcMb: m((r) => r.small.memory.heapAfterGcMb) },
    },
    single: {
      baselineP50: m((r) => r.single.baseline.p50),
      baselineP95: m((r) => r.single.baseline.p95),
      p50: m((r) => r.single.recalculate.p50),
      p95: m((r) => r.single.recalculate.p95),
      p99: m((r) => r.single.recalculate.p99),
    },
  };
  summary.ratios = {
    fullVsReadOnce: summary.fullSeconds / summary.readOnceSeconds,
    fullVsSeed: summary.fullSeconds / summary.seedSeconds,
    fullPerAgentBigVsSmall: summary.fullSeconds / AGENTS / (summary.smallSeconds / SMALL_AGENTS),
    singleP95VsTrivialP95: summary.single.p95 / summary.single.baselineP95,
    singleP50VsTrivialP50: summary.single.p50 / summary.single.baselineP50,
    peakHeapGrowthBigVsSmall: (summary.memory.big.peakHeapMb - summary.memory.big.startHeapMb) / (summary.memory.small.peakHeapMb - summary.memory.small.startHeapMb),
  };
  const met = {
    fullSeconds: summary.fullSeconds <= TARGET_FULL_SECONDS,
    singleP95Ms: summary.single.p95 <= TARGET_SINGLE_P95_MS,
    rowsWritten: failures.length === 0,
  };

  const rows = [
    ['figure', 'median', 'baseline (same run)', 'ratio', 'target', 'met'],
    [
      `full pass, ${int(AGENTS)} agents, ${int(evidenceRows)} evidence rows`,
      `${fmt(summary.fullSeconds, 1)} s`,
      `read once ${fmt(summary.readOnceSeconds, 2)} s`,
      `${fmt(summary.ratios.fullVsReadOnce, 1)}×`,
      `≤ ${TARGET_FULL_SECONDS} s`,
      met.fullSeconds ? 'yes' : 'NO',
    ],
    ['', `${fmt(summary.fullAgentsPerSecond, 0)} agents/s`, `seed ${fmt(summary.seedSeconds, 1)} s`, `${fmt(summary.ratios.fullVsSeed, 2)}×`, '', ''],
    ['then the job\'s pruneEvidence (nothing to prune here)', `${fmt(summary.pruneSeconds, 2)} s`, '', '', '', ''],
    [
      `full pass, ${int(SMALL_AGENTS)} agents (per agent vs big)`,
      `${fmt(summary.smallSeconds, 1)} s`,
      '',
      `${fmt(summary.ratios.fullPerAgentBigVsSmall, 2)}× per agent`,
      '',
      '',
    ],
    [
      `memory, ${int(AGENTS)} agents: heap start → peak, RSS start → peak`,
      `${fmt(summary.memory.big.startHeapMb)} → ${fmt(summary.memory.big.peakHeapMb)} MB, ${fmt(summary.memory.big.startRssMb)} → ${fmt(summary.memory.big.peakRssMb)} MB`,
      `${int(SMALL_AGENTS)}: ${fmt(summary.memory.small.startHeapMb)} → ${fmt(summary.memory.small.peakHeapMb)} MB, ${fmt(summary.memory.small.startRssMb)} → ${fmt(summary.memory.small.peakRssMb)} MB`,
      `${fmt(summary.ratios.peakHeapGrowthBigVsSmall, 2)}× heap growth`,
      'constant',
      '',
    ],
    [
      'single recalculation (on-event path) p95',
      `${fmt(summary.single.p95, 2)} ms`,
      `trivial tx p95 ${fmt(summary.single.baselineP95, 2)} ms`,
      `${fmt(summary.ratios.singleP95VsTrivialP95, 1)}×`,
      `≤ ${TARGET_SINGLE_P95_MS} ms`,
      met.singleP95Ms ? 'yes' : 'NO',
    ],
    [
      'single recalculation p50',
      `${fmt(summary.single.p50, 2)} ms`,
      `trivial tx p50 ${fmt(summary.single.baselineP50, 2)} ms`,
      `${fmt(summary.ratios.singleP50VsTrivialP50, 1)}×`,
      '',
      '',
    ],
    [
      'CPU during the full pass (cores)',
      `node ${fmt(summary.fullCpu.node, 2)}, postgres ${fmt(summary.fullCpu.postgres, 2)}`,
      `machine ${fmt(summary.fullCpu.machine, 2)} of ${cpus().length}, others ${fmt(summary.fullCpu.others, 2)}`,
      '',
      '',
      '',
    ],
  ];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  console.log(`\nmedians over ${ROUNDS} rounds (PostgreSQL ${pgVersion}, ${cpus().length} cores, store ${useRedis ? 'Redis' : 'in-process'})`);
  for (const [i, r] of rows.entries()) {
    console.log(r.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd());
    if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
  if (split) printSplit(split);
  if (plans) printPlans(plans);
  for (const f of failures) console.error(`FAILED: ${f}`);

  await mkdir(join(root, 'bench/results'), { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const file = join(root, `bench/results/trust-${stamp}.json`);
  await writeFile(
    file,
    `${JSON.stringify(
      {
        date: new Date().toISOString(),
        node: process.version,
        postgres: pgVersion,
        postgresSettings: pgSettings,
        cores: cpus().length,
        store: useRedis ? 'redis' : 'memory',
        poolMax: config.database.poolMax,
        rounds: ROUNDS,
        agents: AGENTS,
        smallAgents: SMALL_AGENTS,
        singleSamples: SINGLE,
        setup: { migrateSeconds, partitions, seedBig, seedSmall, vacuumSeconds },
        evidence: { big: evidenceBig, bigTotal: evidenceRows, small: evidenceSmall, smallTotal: evidenceRowsSmall },
        targets: { fullSeconds: TARGET_FULL_SECONDS, singleP95Ms: TARGET_SINGLE_P95_MS },
        met,
        summary,
        perRound: rounds,
        split,
        plans,
        failures,
      },
      null,
      2,
    )}\n`,
  );
  console.log(`\nfigures written to ${file.slice(root.length)}`);
  return failures.length === 0 ? 0 : 1;
}

// ---- diagnostics --------------------------------------------------------------------------------

/**
 * One more full pass through the same service code, over a wrapper of the pool that times each
 * statement (by name) and each transaction, then the plans of the first batch's statements.
 */
async function diagnostics({ platform, owner, big, jobContext, groups }) {
  const { db } = platform;
  const stats = new Map();
  const add = (label, ms) => {
    const s = stats.get(label) ?? { count: 0, ms: 0 };
    s.count += 1;
    s.ms += ms;
    stats.set(label, s);
  };
  const captured = {};
  const labelOf = (text, options) => {
    if (options?.name) return options.name;
    if (text.startsWith('insert into audit_events')) return 'aim.audit.insert (batch)';
    if (text.includes('from agents where organization_id = $1 and status')) return 'agent page (keyset)';
    return text.slice(0, 40);
  };
  const wrapTx = (tx) => ({
    organizationId: tx.organizationId,
    withScope: (next, inner) => tx.withScope(next, (t) => inner(wrapTx(t))),
    async query(text, params, options) {
      const label = labelOf(text, options);
      captured[label] ??= { text, params };
      const t = performance.now();
      try {
        return await tx.query(text, params, options);
      } finally {
        add(label, performance.now() - t);
      }
    },
  });
  let inside = 0;
  let transactions = 0;
  const timedDb = {
    ...db,
    async transaction(scope, fn) {
      const t = performance.now();
      let t1 = 0;
      let t2 = 0;
      try {
        return await db.transaction(scope, async (tx) => {
          t1 = performance.now();
          try {
            return await fn(wrapTx(tx));
          } finally {
            t2 = performance.now();
          }
        });
      } finally {
        const total = performance.now() - t;
        inside += t2 - t1;
        transactions += 1;
        add('BEGIN + COMMIT + pool', total - (t2 - t1));
      }
    },
  };
  const trust = createTrustService({ db: timedDb, store: platform.store, events: platform.domainEvents, logger: platform.logger });
  await platform.auditSequencer.drain(big);
  const cpu = cpuMeter(groups);
  const t = performance.now();
  const result = await trust.recalculateOrganization(jobContext, big);
  const wallMs = performance.now() - t;
  const cores = cpu();
  const queryMs = [...stats.entries()].filter(([k]) => k !== 'BEGIN + COMMIT + pool').reduce((s, [, v]) => s + v.ms, 0);
  const parts = [...stats.entries()].map(([label, v]) => ({ label, count: v.count, ms: v.ms, share: v.ms / wallMs }));
  parts.push({ label: 'JavaScript in the transactions (computeTrust, JSON, ids)', count: transactions, ms: inside - queryMs, share: (inside - queryMs) / wallMs });
  const outside = wallMs - [...stats.values()].reduce((s, v) => s + v.ms, 0) - (inside - queryMs);
  parts.push({ label: 'outside the transactions (announce, loop)', count: 0, ms: outside, share: outside / wallMs });
  parts.sort((a, b) => b.ms - a.ms);
  const split = { agents: result.agents, wallMs, cpu: cores, parts };

  // The plans: the first batch's evidence statement, as the app role in the organization's scope.
  const plans = {};
  const evidence = captured['aim.trust.evidence'];
  const write = captured['aim.trust.write'];
  if (evidence) {
    const [org, asOf, ids] = evidence.params;
    const literal = (v) => owner.escapeLiteral(v);
    const args = `${literal(org)}, ${literal(asOf.toISOString())}::timestamptz, array[${ids.map(literal).join(', ')}]::text[]`;
    for (const mode of ['force_custom_plan', 'force_generic_plan']) {
      plans[mode] = await db.transaction({ organizationId: big }, async (tx) => {
        await tx.query(`set local plan_cache_mode = ${mode}`);
        await tx.query(`prepare bench_trust_evidence (text, timestamptz, text[]) as ${evidence.text}`);
        try {
          const json = (await tx.query(`explain (analyze, buffers, format json) execute bench_trust_evidence (${args})`)).rows[0]['QUERY PLAN'][0];
          const text = (await tx.query(`explain (analyze, buffers) execute bench_trust_evidence (${args})`)).rows.map((r) => r['QUERY PLAN']).join('\n');
          return { agents: ids.length, planningMs: json['Planning Time'], executionMs: json['Execution Time'], jit: json.JIT ?? null, hotspots: hotspots(json.Plan), text };
        } finally {
          await tx.query('deallocate bench_trust_evidence');
        }
      });
    }
  }
  if (write) {
    // The write statement of the same batch, one millisecond later (new primary keys), rolled back.
    const [org, asOf, input] = write.params;
    const later = new Date(asOf.getTime() + 1);
    try {
      await db.transaction({ organizationId: big }, async (tx) => {
        const json = (await tx.query(`explain (analyze, buffers, format json) ${write.text}`, [org, later, input])).rows[0]['QUERY PLAN'][0];
        plans.write = { agents: JSON.parse(input).length, planningMs: json['Planning Time'], executionMs: json['Execution Time'], jit: json.JIT ?? null, hotspots: hotspots(json.Plan) };
        throw new RollBack();
      });
    } catch (error) {
      if (!(error instanceof RollBack)) throw error;
    }
  }
  await mkdir(join(root, 'bench/results'), { recursive: true });
  if (plans.force_custom_plan) {
    await writeFile(
      join(root, 'bench/results/trust-evidence-plan.txt'),
      `-- the evidence statement for ${plans.force_custom_plan.agents} agents, custom plan\n${plans.force_custom_plan.text}\n\n-- generic plan\n${plans.force_generic_plan.text}\n`,
    );
  }
  return { split, plans };
}


/** The plan's nodes by exclusive time (actual total × loops, less their children's), grouped by node and relation. */
function hotspots(plan) {
  const groups = new Map();
  const walk = (node) => {
    const total = node['Actual Total Time'] * node['Actual Loops'];
    const children = node.Plans ?? [];
    const childTotal = children.reduce((s, c) => s + c['Actual Total Time'] * c['Actual Loops'], 0);
    const relation = node['Relation Name'] ? ` on ${node['Relation Name']}${node['Index Name'] ? ` using ${node['Index Name']}` : ''}` : node['Index Name'] ? ` using ${node['Index Name']}` : '';
    const label = `${node['Node Type']}${relation}`;
    const g = groups.get(label) ?? { label, exclusiveMs: 0, loops: 0, rows: 0 };
    g.exclusiveMs += Math.max(0, total - childTotal);
    g.loops += node['Actual Loops'];
    g.rows += node['Actual Rows'] * node['Actual Loops'];
    groups.set(label, g);
    for (const c of children) walk(c);
  };
  walk(plan);
  return [...groups.values()].sort((a, b) => b.exclusiveMs - a.exclusiveMs).slice(0, 12);
}

function printSplit(split) {
  console.log(`\nwhere a full pass's time goes (one more pass, ${int(split.agents)} agents, ${fmt(split.wallMs / 1000, 1)} s, node ${fmt(split.cpu.load, 2)} + postgres ${fmt(split.cpu.postgres, 2)} cores; client-side time of each statement):`);
  for (const p of split.parts) console.log(`  ${p.label.padEnd(58)} ${String(p.count).padStart(6)}×  ${fmt(p.ms / 1000, 2).padStart(7)} s  ${fmt(p.share * 100, 1).padStart(5)}%`);
}

function printPlans(plans) {
  for (const [mode, p] of Object.entries(plans)) {
    const what = mode === 'write' ? 'write statement (rolled back)' : `evidence statement, ${mode.replace('force_', '').replace('_', ' ')}`;
    const jit = p.jit ? `, JIT ${fmt(p.jit.Timing?.Total ?? NaN, 1)} ms (${p.jit.Functions} functions)` : '';
    console.log(`\nEXPLAIN ANALYZE, ${what}, ${p.agents} agents: planning ${fmt(p.planningMs, 2)} ms, execution ${fmt(p.executionMs, 1)} ms${jit}; nodes by exclusive time (rows ≈ loops × PostgreSQL's rounded rows per loop):`);
    for (const h of p.hotspots.slice(0, 8)) console.log(`  ${h.label.padEnd(90)} ${fmt(h.exclusiveMs, 1).padStart(8)} ms  ${int(h.loops).padStart(7)} loops  ${int(h.rows).padStart(9)} rows`);
  }
  if (plans.force_custom_plan) console.log('(the full plans: bench/results/trust-evidence-plan.txt)');
}
