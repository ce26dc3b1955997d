#!/usr/bin/env node
// `npm run bench:decisions`: the decision endpoint end to end, POST /api/v1/agents/{agentId}/verify-action
// (docs/authorization.md §4), signed by the agent (RFC 9421), on the external PostgreSQL and Redis,
// against the bare node:http ceiling measured in the same run with the same load tool and connections.
//
// Per request the server verifies the signature, claims the nonce, checks the agent's status, then in
// one transaction reads the organization, agent, capability and grants, takes the policy set (cached
// in process by revision), counts the applicable rate limits in Redis, evaluates, inserts the decision
// into the partitioned verification_events table, records violations and the audit event, and answers.
//
// Setup, through the API as an organization would do it: a catalog of 100 capabilities (svcNN:verb),
// 1,000 agents registered with proof of possession (concurrently; the time is reported), a few grants
// each, and 20 policies of every type (some in monitor mode) that allowed actions pass. The load
// spreads signed requests over all agents and a mix of actions: 80% allowed, 20% denied (missing
// grant, denied resource, data volume, unknown action). Every request carries its own signature and
// nonce, signed before each round (up to BENCH_PRESIGN_RATE per second of the round).
//
// After the setup the bench runs ANALYZE, as autovacuum would in service. Each round: the bare server,
// AIM's decisions, and a diagnostic, the agent gate alone (a signed GET /api/v1/agents/me/identity by
// the same agents, no database), so that the decision's own cost shows; figures are medians over
// rounds, with CPU per request of the server, PostgreSQL and Redis (from /proc). Then half AIM's
// peak rate on an even open-loop schedule (bench/lib/paced-load.mjs) for p99. Finally every 200 the
// load tool counted (warm-ups, rounds, half-rate rounds, checks) is compared with the decisions stored
// for the organization: the run fails (exit code 1) if any is missing. Rounds end gracefully (no
// request is left in flight when a round stops), so the two counts must be equal.
//
// Environment: BENCH_DURATION (8 s per round), BENCH_ROUNDS (3), BENCH_CONNECTIONS (16),
// BENCH_AGENTS (1000), BENCH_REGISTER_CONCURRENCY (16), BENCH_PRESIGN_RATE (4000),
// BENCH_DATABASE_URL (postgres://postgres@127.0.0.1:5432/postgres: the admin connection that creates
// and drops the bench's database and role), BENCH_REDIS_URL (redis://127.0.0.1:6379; the server's keys
// go under a prefix of their own, removed at the end), BENCH_PROFILE (set: sample the server's CPU
// over one round instead of the benchmark, print where the time goes, write the .cpuprofile).
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { openSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';

import { newAgentKey, presigned, registerAgent, signedHeaders } from './lib/agent-signing.mjs';
import { cpuMeter, listProcesses } from './lib/cpu-meter.mjs';
import { formatProfile, summarizeProfile } from './lib/cpu-profile.mjs';
import { dist } from './lib/database.mjs';
import { createExternalBenchDatabase } from './lib/external-database.mjs';
import { pacedLoad } from './lib/paced-load.mjs';
import { redisReachable, redisServerPid, scanPrefix } from './lib/redis.mjs';

const root = new URL('..', import.meta.url).pathname;
const env = process.env;
const DURATION = Number(env.BENCH_DURATION ?? 8);
const ROUNDS = Number(env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(env.BENCH_CONNECTIONS ?? 16);
const HALF_DURATION = DURATION;
const DIAGNOSTIC_DURATION = Math.max(2, Math.round(DURATION / 2));
const WARMUP = 3;
const AGENTS = Number(env.BENCH_AGENTS ?? 1000);
const REGISTER_CONCURRENCY = Number(env.BENCH_REGISTER_CONCURRENCY ?? 16);
const PRESIGN_RATE = Number(env.BENCH_PRESIGN_RATE ?? 4000);
const REDIS_URL = env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const PROFILE = Boolean(env.BENCH_PROFILE);
const RATE_LIMIT_MAX = '100000000';
const TARGET_RPS = 1500;
const TARGET_P99_MS = 15;
/** Registration leaves 15-second cache tombstones for each agent's key and state (platform/auth/access-cache.ts). */
const CACHE_SETTLE_MS = 16_000;
/** Requests prepared once for the bare server and sent in a loop (it checks no signature or nonce). */
const BARE_SAMPLE = 5_000;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length === 0 ? NaN : s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const percentile = (sorted, p) => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]);
const ms = (x) => `${x.toFixed(2)} ms`;
const pct = (x) => `${(x * 100).toFixed(0)}%`;
const seconds = (t0) => (performance.now() - t0) / 1000;
const pad = (n, w) => String(n).padStart(w, '0');

// ---- the organization: catalog, agents, grants, policies ----------------------------------------

const SERVICES = 20;
/** 20 services × 5 verbs = 100 capabilities; the delete of the first five services is critical. */
const VERBS = [
  ['read', 'low'],
  ['list', 'low'],
  ['write', 'medium'],
  ['export', 'high'],
  ['delete', 'high'],
];
const CATALOG = [];
for (let s = 0; s < SERVICES; s++) {
  for (const [verb, risk] of VERBS) CATALOG.push({ name: `svc${pad(s, 2)}:${verb}`, riskLevel: verb === 'delete' && s < 5 ? 'critical' : risk });
}
/** What the load may ask for: never a critical capability (require_approval would make it pending). */
const USABLE = CATALOG.filter((c) => c.riskLevel !== 'critical').map((c) => c.name);
const TEAMS = ['team-a', 'team-b', 'team-c', 'team-d'];
const GRANTS_PER_AGENT = 4;

/** The 20 policies: every type, mixed scopes, some in monitor mode; allowed actions pass every enforced one. */
function policyDefinitions(agentIds) {
  const always = { timezone: 'UTC', windows: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], start: '00:00', end: '24:00' }] };
  return [
    { name: 'grants required', type: 'capability_required' },
    { name: 'sandbox: grants only watched', type: 'capability_required', mode: 'monitor', scope: { tags: ['sandbox'] } },
    { name: 'no secrets', type: 'resource_deny', config: { resources: ['secrets/**', 'customers/*/ssn'] } },
    { name: 'no archive for svc1x', type: 'resource_deny', scope: { actions: ['svc1*:*'] }, config: { resources: ['archive/**'] } },
    { name: 'backups watched', type: 'resource_deny', mode: 'monitor', config: { resources: ['backups/**'] } },
    { name: 'team-d off admin', type: 'resource_deny', scope: { tags: ['team-d'] }, config: { resources: ['admin/*'] } },
    { name: 'the first agents off customers', type: 'resource_deny', scope: { agentIds: agentIds.slice(0, 20) }, config: { resources: ['customers/**'] } },
    { name: 'always open (UTC)', type: 'time_window', config: always },
    { name: 'always open for svc0x (New York)', type: 'time_window', scope: { actions: ['svc0*:*'] }, config: { ...always, timezone: 'America/New_York' } },
    {
      name: 'office hours watched',
      type: 'time_window',
      mode: 'monitor',
      config: { timezone: 'Europe/Berlin', windows: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '17:00' }] },
    },
    { name: 'rate, generous', type: 'rate_limit', config: { limit: 1_000_000, windowSeconds: 60 } },
    { name: 'writes per hour, generous', type: 'rate_limit', scope: { actions: ['*:write'] }, config: { limit: 1_000_000, windowSeconds: 3600 } },
    { name: 'team-b rate watched', type: 'rate_limit', mode: 'monitor', scope: { tags: ['team-b'] }, config: { limit: 1000, windowSeconds: 60 } },
    { name: 'at most 10k records', type: 'data_volume', config: { field: 'records', max: 10_000, effect: 'deny', whenMissing: 'ignore' } },
    {
      name: 'big exports need a person',
      type: 'data_volume',
      scope: { actions: ['*:export'] },
      config: { field: 'bytes', max: 50_000_000, effect: 'require_approval', whenMissing: 'ignore' },
    },
    { name: 'amounts watched', type: 'data_volume', mode: 'monitor', config: { field: 'amount', max: 500, effect: 'deny', whenMissing: 'ignore' } },
    { name: 'trust for high risk', type: 'min_trust', config: { minimums: { high: 60, critical: 80 }, whenUnscored: 'allow' } },
    { name: 'trust for medium risk watched', type: 'min_trust', mode: 'monitor', config: { minimums: { medium: 40 }, whenUnscored: 'deny' } },
    { name: 'critical needs a person', type: 'require_approval', config: { minRisk: 'critical' } },
    { name: 'high risk approvals watched', type: 'require_approval', mode: 'monitor', config: { minRisk: 'high' } },
  ];
}

/** A small seeded PRNG (mulberry32), so that the mix is the same from run to run. */
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

/**
 * The mix, in percent: what each kind of request asks, and what AIM must answer. The denied ones
 * fail one rule each: no grant of the action, a denied resource, too many records, an action not in
 * the catalog.
 */
const MIX = [
  { kind: 'allow', share: 80, decision: 'allow' },
  { kind: 'no grant', share: 8, decision: 'deny', rule: 'capability_required' },
  { kind: 'denied resource', share: 6, decision: 'deny', rule: 'resource_deny' },
  { kind: 'too many records', share: 4, decision: 'deny', rule: 'data_volume' },
  { kind: 'unknown action', share: 2, decision: 'deny', rule: 'unknown_capability' },
];

/** The request generator: picks an agent and a kind, writes the body and signs it. */
function requestMaker(base, agents, seed) {
  const rng = prng(seed);
  const int = (n) => Math.floor(rng() * n);
  const thresholds = [];
  let sum = 0;
  for (const m of MIX) thresholds.push((sum += m.share));
  const describe = (kind) => {
    const agent = agents[int(agents.length)];
    const [patterned, ...plain] = agent.grants;
    const context = { records: 1 + int(500), amount: int(600), bytes: int(1_000_000) };
    let action;
    let resource;
    if (kind === 'allow') {
      const grant = agent.grants[int(agent.grants.length)];
      action = grant.capability;
      resource = grant.resourcePattern ? `records/${int(1e6)}` : `items/${int(1e6)}`;
    } else if (kind === 'no grant') {
      do action = USABLE[int(USABLE.length)];
      while (agent.grants.some((g) => g.capability === action));
      resource = `items/${int(1e6)}`;
    } else if (kind === 'denied resource') {
      action = plain[int(plain.length)].capability;
      resource = `secrets/${int(1e6)}/key`;
    } else if (kind === 'too many records') {
      action = patterned.capability;
      resource = `records/${int(1e6)}`;
      context.records = 10_001 + int(100_000);
    } else {
      action = `svc99:${VERBS[int(VERBS.length)][0]}`;
      resource = `items/${int(1e6)}`;
    }
    return { agent, action, resource, context };
  };
  const make = (kind) => {
    const { agent, action, resource, context } = describe(kind);
    const path = `/api/v1/agents/${agent.id}/verify-action`;
    const body = JSON.stringify({ action, resource, context });
    return { method: 'POST', path, body, headers: signedHeaders(agent.key, 'POST', `${base}${path}`, body), kind };
  };
  return {
    make,
    next() {
      const r = rng() * 100;
      let i = 0;
      while (r >= thresholds[i] && i < MIX.length - 1) i++;
      return make(MIX[i].kind);
    },
  };
}

// ---- servers ------------------------------------------------------------------------------------

/** The real app in its own process (bench/lib/agent-server.mjs), on the bench database and Redis. */
async function startAim(database, prefix) {
  const secrets = { encryptionKeys: `b1:${randomBytes(32).toString('base64url')}`, lookupKey: randomBytes(32).toString('base64url') };
  const child = fork(join(root, 'bench/lib/agent-server.mjs'), {
    env: {
      PATH: env.PATH,
      NODE_ENV: 'production',
      LOG_LEVEL: 'info', // one access-log line per request, to /dev/null, as in production
      DATABASE_URL: database.ownerUrl,
      DATABASE_APP_URL: database.appUrl,
      AIM_ENCRYPTION_KEYS: secrets.encryptionKeys,
      AIM_LOOKUP_KEY: secrets.lookupKey,
      RATE_LIMIT_IP_MAX: RATE_LIMIT_MAX,
      RATE_LIMIT_PRINCIPAL_MAX: RATE_LIMIT_MAX,
      REDIS_URL,
      BENCH_REDIS_PREFIX: prefix,
      // The server's own settings, when the bench is asked to vary them (e.g. DATABASE_POOL_MAX=20).
      ...(env.DATABASE_POOL_MAX ? { DATABASE_POOL_MAX: env.DATABASE_POOL_MAX } : {}),
    },
    stdio: ['ignore', openSync('/dev/null', 'w'), 'inherit', 'ipc'],
  });
  child.on('error', () => undefined); // a send to a server that has exited: command() reports it
  const ready = await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`the server exited with ${code} before it was ready`)));
  });
  if (ready.store !== 'redis') throw new Error(`the server runs with the ${ready.store} store, not Redis`);
  if (!ready.organizationId) throw new Error('bench/lib/agent-server.mjs did not name its organization');
  // Requests go to 127.0.0.1; signatures name AIM's public address (docs/agent-identity.md §4b).
  return { name: 'aim', child, base: `http://127.0.0.1:${ready.port}`, signedBase: ready.baseUrl, apiKey: ready.apiKey, organizationId: ready.organizationId };
}

/** The ceiling: bench/bare-server.mjs answering AIM's bytes for an allowed decision (body and headers). */
async function startBare(body, headers) {
  const { findFreePort } = await dist('platform/db/embedded-postgres.js');
  const port = await findFreePort();
  const child = fork(join(root, 'bench/bare-server.mjs'), {
    env: { PATH: env.PATH, PORT: String(port), BENCH_BODY: body, BENCH_HEADERS: JSON.stringify(headers) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`the bare server exited with ${code}`)));
  });
  const base = `http://127.0.0.1:${port}`;
  const res = await fetch(`${base}/api/v1/agents/x/verify-action`, { method: 'POST', body: '{}' });
  if ((await res.text()) !== body) throw new Error('the bare server does not answer the same body');
  return { name: 'bare', child, base };
}

async function stopChild(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

let lastCommandId = 0;
/** A command to the AIM process (bench/lib/agent-server.mjs); the bare server has none (null). */
function command(server, name) {
  if (server.name !== 'aim') return Promise.resolve(null);
  const id = ++lastCommandId;
  return new Promise((resolve, reject) => {
    const onExit = (code, signal) => reject(new Error(`the server exited (${signal ?? code}) during ${name}`));
    const onMessage = (message) => {
      if (message?.id === id) {
        server.child.off('message', onMessage);
        server.child.off('exit', onExit);
        resolve(message.result);
      }
    };
    if (!server.child.connected) return reject(new Error(`the server is gone (${name})`));
    server.child.on('message', onMessage);
    server.child.once('exit', onExit);
    server.child.send({ id, command: name });
  });
}

/** Run `fn` over `items`, `concurrency` at a time. */
async function pool(items, concurrency, fn) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

// ---- load -----------------------------------------------------------------------------------------

/** Every verify-action answer AIM gave, whichever load sent it: compared with the rows stored at the end. */
const tally = { answered200: 0, otherStatus: 0, errors: 0, statuses: {}, expected: { allow: 0, deny: 0 } };
const expectedDecision = Object.fromEntries(MIX.map((m) => [m.kind, m.decision]));

/**
 * Where AIM's requests come from: prepared before each round, every one counted by the decision
 * AIM must give (so that the decisions stored can be checked against the mix).
 */
function aimSource(maker) {
  const pool_ = presigned(() => maker.next());
  return {
    decisions: true,
    prepare: (n) => pool_.prepare(n),
    clear: () => pool_.clear(),
    get madeLate() {
      return pool_.madeLate;
    },
    next() {
      const r = pool_.next();
      tally.expected[expectedDecision[r.kind]] += 1;
      return r;
    },
  };
}

/** The bare server's requests: a fixed sample of the same requests, sent in a loop. */
function bareSource(maker) {
  const sample = Array.from({ length: BARE_SAMPLE }, () => maker.next());
  let i = 0;
  return { prepare() {}, clear() {}, madeLate: 0, next: () => sample[i++ % sample.length] };
}

/**
 * A diagnostic: the agent gate alone, GET /api/v1/agents/me/identity signed by the same agents
 * (signature verification, nonce, agent status; the handler answers from the authentication, with
 * no database), so that what the decision itself costs shows beside it.
 */
function identitySource(base, agents, seed) {
  const rng = prng(seed);
  const path = '/api/v1/agents/me/identity';
  const pool_ = presigned(() => {
    const agent = agents[Math.floor(rng() * agents.length)];
    return { method: 'GET', path, headers: signedHeaders(agent.key, 'GET', `${base}${path}`), body: '' };
  });
  return {
    prepare: (n) => pool_.prepare(n),
    clear: () => pool_.clear(),
    get madeLate() {
      return pool_.madeLate;
    },
    next: () => pool_.next(),
  };
}

const groups = {};
function meter(server) {
  return cpuMeter({ server: () => [server.child.pid], ...groups });
}

function record(source, status) {
  if (!source.decisions) return;
  if (status === 200) tally.answered200 += 1;
  else {
    tally.otherStatus += 1;
    tally.statuses[status] = (tally.statuses[status] ?? 0) + 1;
  }
}

/**
 * Closed-loop load with autocannon for `seconds`, ended gracefully: at the deadline each connection
 * sends no more and the round ends once every connection has had its last answer, so that no request
 * is left in flight (autocannon's own end of a round drops them, and the server would still store
 * decisions nobody counted). The rate is the answers over the time to the last one.
 */
async function cannon(server, source, { seconds: secs, connections = CONNECTIONS }) {
  // Enough for twice the rate of the previous round of this load (at most BENCH_PRESIGN_RATE a second).
  source.prepare(Math.ceil(secs * Math.min(PRESIGN_RATE, source.rate ? 2 * source.rate + 100 : PRESIGN_RATE)));
  const latencies = [];
  let ok = 0;
  let other = 0;
  const clients = [];
  await command(server, 'stats-reset');
  const stop = meter(server);
  const start = performance.now();
  let last = start;
  const instance = autocannon({
    url: server.base,
    connections,
    pipelining: 1,
    duration: secs + 120, // a safety net: rounds end at the deadline below
    setupClient: (client) => clients.push(client),
    requests: [
      {
        method: 'POST',
        path: '/',
        setupRequest(request) {
          const r = source.next();
          request.method = r.method;
          request.path = r.path;
          request.body = r.body;
          Object.assign(request.headers, r.headers);
          return request;
        },
      },
    ],
  });
  instance.on('response', (_client, status, _bytes, responseTime) => {
    last = performance.now();
    latencies.push(responseTime);
    if (status === 200) ok += 1;
    else other += 1;
    record(source, status);
  });
  const deadline = setTimeout(() => {
    // httpClient.js: a client whose requests reach responseMax stops after its answer and is done.
    for (const client of clients) client.responseMax = Math.max(1, client.reqsMade);
  }, secs * 1000);
  const result = await instance;
  clearTimeout(deadline);
  const cpu = stop();
  const stats = await command(server, 'stats');
  const madeLate = source.madeLate;
  source.clear();
  if (source.decisions) tally.errors += result.errors;
  latencies.sort((a, b) => a - b);
  const elapsed = (last - start) / 1000;
  source.rate = (ok + other) / elapsed;
  return { rps: ok / elapsed, answered: ok + other, ok, unexpected: other, errors: result.errors, p50: percentile(latencies, 50), p99: percentile(latencies, 99), cpu, stats, madeLate };
}

/** An even open-loop schedule at `rate` (bench/lib/paced-load.mjs): latency from when each request was due. */
async function paced(server, source, rate, secs) {
  source.prepare(Math.ceil(secs * rate * 1.1));
  await command(server, 'stats-reset');
  const stop = meter(server);
  const r = await pacedLoad({ url: server.base, rate, seconds: secs, requestFor: () => source.next(), connections: 2 * CONNECTIONS, expect: 200 });
  const cpu = stop();
  const stats = await command(server, 'stats');
  source.clear();
  const ok = r.count - r.unexpected;
  if (source.decisions) {
    tally.answered200 += ok;
    tally.otherStatus += r.unexpected;
    if (r.unexpected > 0) tally.statuses.paced = (tally.statuses.paced ?? 0) + r.unexpected;
    tally.errors += r.errors;
  }
  r.latencies.sort((a, b) => a - b);
  return { rps: r.count / r.elapsed, answered: r.count, ok, unexpected: r.unexpected, errors: r.errors, p50: percentile(r.latencies, 50), p99: percentile(r.latencies, 99), cpu, stats };
}

const perRequest = (r, name) => (r.cpu[name] / r.rps) * 1e6;
function loadLine(label, r) {
  const us = (name) => (Number.isFinite(r.cpu[name]) ? `${pct(r.cpu[name]).padStart(4)} (${perRequest(r, name).toFixed(0)} µs/req)` : 'n/a');
  const parts = [`server ${us('server')}`];
  if ('postgres' in r.cpu) parts.push(`postgres ${us('postgres')}`);
  if ('redis' in r.cpu) parts.push(`redis ${us('redis')}`);
  parts.push(`load ${pct(r.cpu.load).padStart(4)}`, `others ${pct(Math.max(0, r.cpu.others)).padStart(4)}`);
  let line = `${label.padEnd(34)} ${r.rps.toFixed(0).padStart(6)}/s  p50 ${ms(r.p50).padStart(9)}  p99 ${ms(r.p99).padStart(9)}  cpu: ${parts.join(', ')}`;
  if (r.stats) line += `; server GC max ${r.stats.gcMaxMs.toFixed(0)} ms, loop delay max ${r.stats.loopDelayMaxMs.toFixed(0)} ms`;
  if (r.unexpected > 0 || r.errors > 0) line += `  !! ${r.unexpected} answers other than 200, ${r.errors} errors`;
  if (r.madeLate > 0) line += `  (${r.madeLate} signed on the spot: raise BENCH_PRESIGN_RATE)`;
  return line;
}

// ---- profile ------------------------------------------------------------------------------------

const SYSCALL_WRITES = new Set(['writev', 'writeBuffer', 'writeUtf8String', 'writeString', 'writeLatin1String', 'writeAsciiString']);
/** The stage of the decision path a profile sample belongs to, from its stack (leaf first). */
function decisionPathStage(stack) {
  const leaf = stack[0];
  if (leaf.functionName === '(garbage collector)') return 'garbage collection';
  if (leaf.functionName === '(program)') return 'V8 and native code outside JS (program)';
  const on = (f, ...parts) => parts.some((part) => f.url.includes(part));
  if (SYSCALL_WRITES.has(leaf.functionName)) {
    for (const f of stack) {
      if (on(f, '/sonic-boom/', 'access-log')) return 'write syscalls: access log';
      if (on(f, '/ioredis/')) return 'write syscalls: Redis';
      if (on(f, '/pg/', '/pg-pool/')) return 'write syscalls: PostgreSQL';
      if (on(f, 'node:_http_outgoing', '/fastify/')) return 'write syscalls: HTTP response';
    }
    return 'write syscalls: other';
  }
  for (const f of stack) {
    if (f.functionName === 'verifyEd25519') return 'Ed25519 signature verification';
    if (on(f, '/pg/', '/pg-protocol/', '/pg-pool/', '/postgres-')) return 'pg driver (JS)';
    if (on(f, '/ioredis/', '/redis-parser/', '/@ioredis/')) return 'ioredis (JS)';
    if (on(f, 'modules/decisions/policy-engine')) return 'policy engine (evaluate)';
    if (on(f, 'platform/audit/audit-sequencer', '/@aim/audit-verify/', 'packages/audit-verify/')) return 'audit sequencer (chaining, background)';
    if (on(f, 'platform/audit/')) return 'audit event (record)';
    if (on(f, 'modules/policies/')) return 'policy set (load)';
    if (on(f, '/structured-headers/') || f.functionName === 'parseSignedRequest') return 'Signature-Input/Signature parsing, signature base';
    if (on(f, '/prom-client/')) return 'metrics (prom-client)';
    if (on(f, 'access-log', '/pino', '/sonic-boom/')) return 'access log (JS)';
    if (on(f, '/zod/', 'response-serializer', 'fastify-type-provider-zod')) return 'zod (validation, response serialization)';
    if (on(f, 'modules/decisions/decision-service')) return 'decision service (other)';
    if (on(f, '/apps/server/dist/')) return 'AIM code (other)';
    if (on(f, '/fastify/', '/find-my-way/', '/@fastify/', '/avvio/')) return 'fastify';
    if (on(f, 'node:_http_', 'node:http')) return 'node:http';
  }
  return 'node internals (streams, events, timers, microtasks)';
}

// ---- main -----------------------------------------------------------------------------------------

if (!(await redisReachable(REDIS_URL))) {
  console.error(`Redis is not reachable at ${REDIS_URL} (set BENCH_REDIS_URL)`);
  process.exit(1);
}
const prefix = `aim-bench:${randomBytes(6).toString('hex')}:`;
const setup = {};
let t0 = performance.now();
const database = await createExternalBenchDatabase('decisions');
setup.databaseSeconds = seconds(t0);
let aim;
let bare;
let cleaning;
/** Stop the servers, remove the Redis keys under the prefix, drop the database and role; once. */
const cleanUp = () =>
  (cleaning ??= (async () => {
    await stopChild(aim?.child).catch(() => undefined);
    await stopChild(bare?.child).catch(() => undefined);
    const removed = await scanPrefix(REDIS_URL, prefix, { remove: true }).catch((e) => {
      console.error(`could not remove the Redis keys ${prefix}*: ${e.message}`);
      return 0;
    });
    await database.drop().catch((e) => console.error(`could not drop the database ${database.database} or the role ${database.appRole}: ${e.message}`));
    console.log(`cleaned up: Redis keys ${prefix}* removed (${removed}), database ${database.database} and role ${database.appRole} dropped`);
  })());
process.once('SIGINT', () => {
  console.error('interrupted: stopping the servers, removing the Redis keys and the database…');
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
  console.log(`database ${database.database} on ${new URL(database.adminUrl).host} (role ${database.appRole}), migrated in ${setup.databaseSeconds.toFixed(1)}s; Redis ${REDIS_URL} under ${prefix}`);
  aim = await startAim(database, prefix);
  const postmaster = database.postmasterPid();
  if (postmaster) {
    // The cluster's own processes (WAL writer, checkpointer…) and the backends of this database; other databases' backends are left out.
    const backend = /\d+\.\d+\.\d+\.\d+\(\d+\)|\[local\]/;
    groups.postgres = () => listProcesses().filter((p) => p.pid === postmaster || (p.ppid === postmaster && (!backend.test(p.title) || p.title.includes(` ${database.database} `)))).map((p) => p.pid);
  }
  const redisPid = await redisServerPid(REDIS_URL);
  if (redisPid) groups.redis = () => [redisPid];
  const admin = { authorization: `Bearer ${aim.apiKey}`, 'content-type': 'application/json' };
  const post = async (path, body, expect = 201) => {
    const res = await fetch(`${aim.base}${path}`, { method: 'POST', headers: admin, body: JSON.stringify(body) });
    const text = await res.text();
    if (res.status !== expect) throw new Error(`POST ${path}: ${res.status} ${text}`);
    return JSON.parse(text);
  };

  // The catalog.
  t0 = performance.now();
  await pool(CATALOG, 8, (c) => post('/api/v1/capabilities', { name: c.name, riskLevel: c.riskLevel, description: `bench ${c.name}` }));
  setup.capabilitiesSeconds = seconds(t0);
  console.log(`catalog: ${CATALOG.length} capabilities (${CATALOG.filter((c) => c.riskLevel === 'critical').length} critical, never asked for) in ${setup.capabilitiesSeconds.toFixed(1)}s`);

  // The agents, registered with proof of possession, several at a time.
  const rng = prng(0xa1e);
  const agents = Array.from({ length: AGENTS }, (_, i) => ({ i, key: newAgentKey(), tags: [TEAMS[i % TEAMS.length]] }));
  t0 = performance.now();
  await pool(agents, REGISTER_CONCURRENCY, async (agent) => {
    const registered = await registerAgent(aim.base, aim.apiKey, agent.key, { name: `bench-agent-${pad(agent.i, 4)}`, tags: agent.tags, purpose: 'bench' }, aim.signedBase);
    agent.id = registered.id;
  });
  setup.registrationSeconds = seconds(t0);
  const registeredAt = Date.now();
  console.log(
    `agents: ${AGENTS} registered (challenge, proof of possession, POST /api/v1/agents; ${REGISTER_CONCURRENCY} at a time) in ${setup.registrationSeconds.toFixed(1)}s ` +
      `= ${(AGENTS / setup.registrationSeconds).toFixed(0)}/s`,
  );

  // Grants: a few capabilities each, the first limited to records/*.
  for (const agent of agents) {
    const picked = new Set();
    while (picked.size < GRANTS_PER_AGENT) picked.add(USABLE[Math.floor(rng() * USABLE.length)]);
    agent.grants = [...picked].map((capability, i) => ({ capability, resourcePattern: i === 0 ? 'records/*' : null }));
  }
  const grants = agents.flatMap((agent) => agent.grants.map((g) => ({ agent, g })));
  t0 = performance.now();
  await pool(grants, REGISTER_CONCURRENCY, ({ agent, g }) =>
    post(`/api/v1/agents/${agent.id}/grants`, { capability: g.capability, ...(g.resourcePattern ? { resourcePattern: g.resourcePattern } : {}) }),
  );
  setup.grantsSeconds = seconds(t0);
  console.log(`grants: ${grants.length} (${GRANTS_PER_AGENT} per agent, one limited to records/*) in ${setup.grantsSeconds.toFixed(1)}s = ${(grants.length / setup.grantsSeconds).toFixed(0)}/s`);

  // Policies.
  const definitions = policyDefinitions(agents.map((a) => a.id));
  t0 = performance.now();
  for (const p of definitions) await post('/api/v1/policies', { mode: 'enforce', scope: {}, config: {}, ...p });
  setup.policiesSeconds = seconds(t0);
  const types = {};
  for (const p of definitions) types[p.type] = (types[p.type] ?? 0) + 1;
  console.log(
    `policies: ${definitions.length} (${Object.entries(types).map(([t, n]) => `${n} ${t}`).join(', ')}; ${definitions.filter((p) => p.mode === 'monitor').length} in monitor mode)`,
  );

  // Statistics, as autovacuum would gather them in service (a cluster may run without it: the planner
  // would then choose its indexes blind).
  const owner = new pg.Client({ connectionString: database.ownerUrl, application_name: 'aim-bench-analyze' });
  await owner.connect();
  await owner.query('analyze').finally(() => owner.end());

  // Each kind of request once, through fetch, to check that AIM answers as the mix says.
  const maker = requestMaker(aim.signedBase, agents, 0x5eed);
  let sampleAllow;
  for (const m of MIX) {
    for (let n = 0; n < 3; n++) {
      const r = maker.make(m.kind);
      const res = await fetch(`${aim.base}${r.path}`, { method: 'POST', headers: r.headers, body: r.body });
      const text = await res.text();
      record({ decisions: true }, res.status);
      if (res.status !== 200) throw new Error(`${m.kind}: ${res.status} ${text}`);
      tally.expected[m.decision] += 1;
      const answer = JSON.parse(text);
      const deciding = answer.reasons.find((x) => x.effect === 'deny');
      if (answer.decision !== m.decision || (m.rule && deciding?.rule !== m.rule)) {
        throw new Error(`${m.kind}: AIM answered ${answer.decision} (${deciding?.rule ?? 'no deny reason'}), the bench expects ${m.decision}${m.rule ? ` (${m.rule})` : ''}: ${text}`);
      }
      if (m.kind === 'allow' && !sampleAllow) {
        const headers = Object.fromEntries(
          [...res.headers.entries()].filter(([k]) => !['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding'].includes(k)),
        );
        sampleAllow = { body: text, headers, reasons: answer.reasons.length };
      }
    }
  }
  console.log(`checked: each kind of request gets the decision the mix expects; an allow answers ${Buffer.byteLength(sampleAllow.body)} bytes with ${sampleAllow.reasons} reasons`);
  bare = await startBare(sampleAllow.body, sampleAllow.headers);

  const wait = registeredAt + CACHE_SETTLE_MS - Date.now();
  if (wait > 0) {
    console.log(`waiting ${(wait / 1000).toFixed(0)}s more for the agent cache entries to settle after registration…`);
    await new Promise((r) => setTimeout(r, wait));
  }
  console.log(
    `load: autocannon in this process, ${CONNECTIONS} connections, requests over ${AGENTS} agents, ` +
      `${MIX.map((m) => `${m.share}% ${m.kind}`).join(', ')}; a new RFC 9421 signature and nonce for every request; ${cpus().length} cores, Node ${process.version}`,
  );
  console.log(`AIM: one Node process, PostgreSQL pool of ${env.DATABASE_POOL_MAX ?? "10 (the default)"}, Redis store, access log on (to /dev/null), rate limits raised out of reach (${RATE_LIMIT_MAX})`);

  const aimLoad = aimSource(maker);
  const bareLoad = bareSource(requestMaker(aim.signedBase, agents, 0xba4e));
  const gateLoad = identitySource(aim.signedBase, agents, 0x1d);
  console.log(`warming up (${WARMUP}s each)…`);
  const warm = [await cannon(bare, bareLoad, { seconds: WARMUP }), await cannon(aim, aimLoad, { seconds: WARMUP }), await cannon(aim, gateLoad, { seconds: WARMUP })];
  console.log(`warm-up ${loadLine('bare node:http', warm[0])}`);
  console.log(`warm-up ${loadLine('AIM verify-action', warm[1])}`);
  console.log(`warm-up ${loadLine('AIM agent gate only', warm[2])}`);

  if (PROFILE) return await profileRun(aimLoad);

  const rounds = { bare: [], aim: [], gate: [] };
  for (let i = 1; i <= ROUNDS; i++) {
    const b = await cannon(bare, bareLoad, { seconds: DURATION });
    rounds.bare.push(b);
    console.log(`round ${i} ${loadLine('bare node:http (ceiling)', b)}`);
    const a = await cannon(aim, aimLoad, { seconds: DURATION });
    rounds.aim.push(a);
    console.log(`round ${i} ${loadLine('AIM verify-action', a)}`);
    const g = await cannon(aim, gateLoad, { seconds: DIAGNOSTIC_DURATION });
    rounds.gate.push(g);
    console.log(`round ${i} ${loadLine('AIM agent gate only (diagnostic)', g)}`);
  }
  const peak = median(rounds.aim.map((r) => r.rps));
  const ceiling = median(rounds.bare.map((r) => r.rps));
  const rate = Math.max(1, Math.round(peak / 2));
  const half = [];
  for (let i = 1; i <= ROUNDS; i++) {
    const h = await paced(aim, aimLoad, rate, HALF_DURATION);
    half.push(h);
    console.log(`half ${i}  ${loadLine(`AIM @ ${rate}/s, even`, h)}`);
  }

  const check = await checkStored(aim.organizationId);
  const med = (rs, f) => median(rs.map(f));
  const summarize = (rs) => ({
    rps: med(rs, (r) => r.rps),
    p50: med(rs, (r) => r.p50),
    p99: med(rs, (r) => r.p99),
    serverCpu: med(rs, (r) => r.cpu.server),
    serverUsPerRequest: med(rs, (r) => perRequest(r, 'server')),
    postgresUsPerRequest: groups.postgres ? med(rs, (r) => perRequest(r, 'postgres')) : null,
    redisUsPerRequest: groups.redis ? med(rs, (r) => perRequest(r, 'redis')) : null,
    loadCpu: med(rs, (r) => r.cpu.load),
    othersCpu: med(rs, (r) => Math.max(0, r.cpu.others)),
    serverGcMaxMs: rs[0].stats ? med(rs, (r) => r.stats.gcMaxMs) : null,
    serverLoopDelayMaxMs: rs[0].stats ? med(rs, (r) => r.stats.loopDelayMaxMs) : null,
  });
  const summary = {
    decisions: summarize(rounds.aim),
    ceiling: summarize(rounds.bare),
    agentGate: summarize(rounds.gate),
    ratio: peak / ceiling,
    halfPeak: { rate, ...summarize(half) },
  };
  const failures = [];
  if (check.missing !== 0) failures.push(`${check.missing > 0 ? `${check.missing} decisions answered 200 but not stored` : `${-check.missing} decisions stored but not counted as answered`}`);
  const gateFailed = rounds.gate.reduce((n, r) => n + r.unexpected + r.errors, 0);
  if (gateFailed > 0) failures.push(`${gateFailed} agent-gate diagnostic requests failed`);
  if (tally.otherStatus > 0 || tally.errors > 0) failures.push(`${tally.otherStatus} answers other than 200 (${JSON.stringify(tally.statuses)}), ${tally.errors} connection errors or timeouts`);
  if (check.auditEvents !== check.stored) failures.push(`${check.stored} decisions stored but ${check.auditEvents} decision audit events`);

  console.log('');
  console.log(
    `medians of ${ROUNDS} rounds of ${DURATION}s (diagnostic ${DIAGNOSTIC_DURATION}s), ${CONNECTIONS} connections (half rate: ${2 * CONNECTIONS} connections, even schedule, ${HALF_DURATION}s)`,
  );
  const row = (label, s, stores = true) =>
    `${label.padEnd(36)} ${s.rps.toFixed(0).padStart(6)}/s  p50 ${ms(s.p50).padStart(9)}  p99 ${ms(s.p99).padStart(9)}  server ${s.serverUsPerRequest.toFixed(0).padStart(4)} µs/req` +
    (stores && s.postgresUsPerRequest !== null ? `, postgres ${s.postgresUsPerRequest.toFixed(0).padStart(4)} µs/req` : '') +
    (stores && s.redisUsPerRequest !== null ? `, redis ${s.redisUsPerRequest.toFixed(0).padStart(3)} µs/req` : '') +
    `, load ${pct(s.loadCpu)}, others ${pct(s.othersCpu)}`;
  console.log(row('bare node:http, same bytes (ceiling)', summary.ceiling, false));
  console.log(row('AIM POST verify-action (decisions)', summary.decisions));
  console.log(row('AIM agent gate only (GET identity)', summary.agentGate));
  console.log(row(`AIM at half the peak, ${rate}/s`, summary.halfPeak));
  console.log(
    `decisions / ceiling: ${(summary.ratio * 100).toFixed(1)}%; the decision's own work (beyond the agent gate): ` +
      `server ${(summary.decisions.serverUsPerRequest - summary.agentGate.serverUsPerRequest).toFixed(0)} µs/req` +
      (summary.decisions.postgresUsPerRequest !== null ? `, postgres ${(summary.decisions.postgresUsPerRequest - summary.agentGate.postgresUsPerRequest).toFixed(0)} µs/req` : ''),
  );
  const verdict = (ok) => (ok ? 'met' : 'NOT met');
  console.log(
    `targets: ${peak.toFixed(0)} decisions/s (>= ${TARGET_RPS}: ${verdict(peak >= TARGET_RPS)}); ` +
      `p99 at half the peak ${ms(summary.halfPeak.p99)} (<= ${TARGET_P99_MS} ms: ${verdict(summary.halfPeak.p99 <= TARGET_P99_MS)})`,
  );
  printCheck(check);
  if (summary.decisions.loadCpu > 0.9) console.log('note: the load tool used a whole core during the AIM rounds: the figure is partly the load tool\'s limit');
  if (Math.max(...rounds.aim.map((r) => r.cpu.others)) > 0.25) console.log('note: other programs used more than a quarter of a core during some round: compare ratios from one run only');
  for (const f of failures) console.log(`FAILED: ${f}`);

  const line = {
    decisionsPerSecond: Math.round(peak),
    ceilingPerSecond: Math.round(ceiling),
    ratio: Number(summary.ratio.toFixed(4)),
    halfRate: rate,
    p99AtHalfPeakMs: Number(summary.halfPeak.p99.toFixed(2)),
    answered200: check.answered200,
    stored: check.stored,
    missing: check.missing,
    registrationSeconds: Number(setup.registrationSeconds.toFixed(1)),
    targets: { decisionsPerSecond: TARGET_RPS, p99AtHalfPeakMs: TARGET_P99_MS },
    met: { decisionsPerSecond: peak >= TARGET_RPS, p99AtHalfPeakMs: summary.halfPeak.p99 <= TARGET_P99_MS },
    ok: failures.length === 0,
  };
  console.log(JSON.stringify(line));
  await mkdir(join(root, 'bench/results'), { recursive: true });
  await writeFile(
    join(root, 'bench/results/decisions.json'),
    `${JSON.stringify(
      {
        date: new Date().toISOString(),
        node: process.version,
        cores: cpus().length,
        connections: CONNECTIONS,
        seconds: { round: DURATION, diagnostic: DIAGNOSTIC_DURATION, halfRate: HALF_DURATION, warmup: WARMUP },
        rounds: ROUNDS,
        agents: AGENTS,
        capabilities: CATALOG.length,
        grantsPerAgent: GRANTS_PER_AGENT,
        policies: definitions,
        mix: MIX,
        rateLimitMax: Number(RATE_LIMIT_MAX),
        setup,
        targets: line.targets,
        summary,
        check,
        failures,
        perRound: { bare: rounds.bare, aim: rounds.aim, agentGate: rounds.gate, halfPeak: half, warmup: warm },
        line,
      },
      null,
      2,
    )}\n`,
  );
  console.log('figures written to bench/results/decisions.json');
  return failures.length === 0 ? 0 : 1;
}

/** Count what the organization stored and compare it with what the load tool counted. */
async function checkStored(organizationId) {
  const client = new pg.Client({ connectionString: database.ownerUrl, application_name: 'aim-bench-check' });
  await client.connect();
  try {
    const { rows } = await client.query(
      'select decision, flagged, count(*)::int as n from verification_events where organization_id = $1 group by decision, flagged',
      [organizationId],
    );
    const by = { allow: 0, deny: 0, pending: 0 };
    let flagged = 0;
    for (const r of rows) {
      by[r.decision] += r.n;
      if (r.flagged) flagged += r.n;
    }
    const stored = by.allow + by.deny + by.pending;
    const violations = (await client.query('select count(*)::int as n from violations where organization_id = $1', [organizationId])).rows[0].n;
    const audit = (
      await client.query(
        `select count(*)::int as n, count(*) filter (where seq is null)::int as unchained from audit_events where organization_id = $1 and action like 'decision.%'`,
        [organizationId],
      )
    ).rows[0];
    return {
      answered200: tally.answered200,
      stored,
      missing: tally.answered200 - stored,
      otherStatus: tally.otherStatus,
      errors: tally.errors,
      byDecision: by,
      expected: { ...tally.expected },
      flagged,
      violations,
      auditEvents: audit.n,
      auditUnchained: audit.unchained,
    };
  } finally {
    await client.end();
  }
}

function printCheck(check) {
  console.log(`answered 200 (every verify-action the load tool sent: warm-ups, rounds, half-rate rounds, checks): ${check.answered200}`);
  console.log(`stored in verification_events for the organization: ${check.stored}`);
  console.log(`missing = answered200 - stored = ${check.missing}`);
  const { allow, deny, pending } = check.byDecision;
  console.log(
    `stored decisions: allow ${allow} (the mix expects ${check.expected.allow}), deny ${deny} (expects ${check.expected.deny}), pending ${pending}; ` +
      `${pct(check.flagged / Math.max(1, check.stored))} flagged by monitor-mode policies; ${check.violations} violations; ` +
      `${check.auditEvents} decision audit events (${check.auditUnchained} not chained yet)`,
  );
  if (allow !== check.expected.allow || deny !== check.expected.deny) console.log('note: the stored decisions do not match the mix');
}

async function profileRun(aimLoad) {
  await mkdir(join(root, 'bench/results'), { recursive: true });
  await command(aim, 'profile-start');
  const r = await cannon(aim, aimLoad, { seconds: DURATION });
  const profile = await command(aim, 'profile-stop');
  const file = join(root, 'bench/results/decisions.cpuprofile');
  await writeFile(file, JSON.stringify(profile));
  console.log('');
  console.log(loadLine('AIM verify-action (profiled)', r));
  const summary = summarizeProfile(profile, { classify: decisionPathStage });
  for (const line of formatProfile(summary, { top: 35 })) console.log(line);
  console.log(`profile written to ${file.slice(root.length)} (open it in Chrome DevTools or speedscope)`);
  const check = await checkStored(aim.organizationId);
  printCheck(check);
  return check.missing === 0 && tally.otherStatus === 0 && tally.errors === 0 ? 0 : 1;
}
