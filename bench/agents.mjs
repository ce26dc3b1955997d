#!/usr/bin/env node
// `npm run bench:agents`: the authenticated agent request path (docs/agent-identity.md §4–5) under
// load, against the floor cost of that path measured in the same run: node:crypto's single-core
// Ed25519 verification rate.
//
// The server is the real app in one Node process (bench/lib/agent-server.mjs) on an embedded
// PostgreSQL, once with the in-process store and once with Redis (under a key prefix of its own,
// whose keys are deleted at the end). The load (autocannon, in this process, on the other core)
// sends GET /api/v1/agents/me, each request signed afresh (RFC 9421, new nonce): signature
// verification, nonce check, agent status check, then the handler; then the same route with an
// agent token. Two diagnostics place those figures: the agent gate alone (a signed request to the
// key-rotation route with an empty body, refused by validation after the gate, so no handler and
// no database), and the app without credentials (GET /api/v1/meta). Then half the signed peak rate,
// on an even schedule, for latency. Beside each load, CPU use of the server, PostgreSQL, the load
// and everything else (from /proc). Rounds alternate between stores, requests and the baselines;
// figures are medians over rounds. Results go to bench/results/agents.json.
//
// Environment: BENCH_DURATION seconds per load round (default 8; diagnostics and half-rate rounds
// take half), BENCH_ROUNDS (3), BENCH_CONNECTIONS (16), BENCH_STORES (memory,redis),
// BENCH_REDIS_URL (redis://127.0.0.1:6379). BENCH_PROFILE (signed, token, detail
// or floor): instead of the benchmark, sample the server's CPU under that load (one round per
// store), print where the time goes and write the .cpuprofile to bench/results/.
import { fork } from 'node:child_process';
import { createPublicKey, randomBytes, verify } from 'node:crypto';
import { openSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose';

import { startBenchDatabase } from './lib/database.mjs';
import { formatProfile, summarizeProfile } from './lib/cpu-profile.mjs';
import { pacedLoad } from './lib/paced-load.mjs';
import { newAgentKey, presigned, registerAgent, signedHeaders } from './lib/agent-signing.mjs';
import { cpuMeter, listProcesses } from './lib/cpu-meter.mjs';
import { redisReachable, scanPrefix } from './lib/redis.mjs';

const root = new URL('..', import.meta.url).pathname;
const env = process.env;
const DURATION = Number(env.BENCH_DURATION ?? 8);
const ROUNDS = Number(env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(env.BENCH_CONNECTIONS ?? 16);
const DIAGNOSTIC_DURATION = Math.max(2, Math.round(DURATION / 2));
const HALF_DURATION = Math.max(2, Math.round(DURATION / 2));
const WARMUP = 2;
const CORE_SECONDS = 2;
const STORES = (env.BENCH_STORES ?? 'memory,redis').split(',').map((s) => s.trim()).filter(Boolean);
const REDIS_URL = env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const PROFILE = env.BENCH_PROFILE;
const RATE_LIMIT_MAX = '100000000';
/** The trivial agent handler: it answers from the request's authentication, with no database read. */
const PATH = '/api/v1/agents/me/identity';
/** The agent's full record (PostgreSQL), a diagnostic row. */
const DETAIL_PATH = '/api/v1/agents/me';
/** Issuing an agent token (§5a), signed: a diagnostic row (its audit event is one PostgreSQL transaction). */
const TOKEN_PATH = '/api/v1/oauth/token';
const TOKEN_BODY = JSON.stringify({ grant_type: 'client_credentials' });
/** Signed requests are signed before a round starts, at most this many per second of the round. */
const PRESIGN_RATE = Number(env.BENCH_PRESIGN_RATE ?? 15_000);
const LABELS = {
  signed: `signed, GET ${PATH}`,
  token: `token, GET ${PATH}`,
  detail: `signed, GET ${DETAIL_PATH} (PostgreSQL)`,
  issue: `signed, POST ${TOKEN_PATH} (new token)`,
  floor: 'no credentials, GET /api/v1/meta',
};
/** Native functions that are socket (and file) writes: system calls, in a profile. */
const SYSCALL_WRITES = new Set(['writev', 'writeBuffer', 'writeUtf8String', 'writeString', 'writeLatin1String', 'writeAsciiString']);
/**
 * Registering an agent leaves short-lived tombstones for its key and state in the shared store
 * (platform/auth/access-cache.ts, TOMBSTONE_TTL_MS = 15 s); until they lapse, every request reads
 * both from PostgreSQL. Measurements start once they have, so they show the steady state.
 */
const CACHE_SETTLE_MS = 16_000;
const TARGET_RATIO = 0.6;
const TARGET_P99_MS = 10;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length === 0 ? NaN : s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const percentile = (sorted, p) => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]);
const ms = (x) => `${x.toFixed(2)} ms`;
const pct = (x) => `${(x * 100).toFixed(0)}%`;

// ---- signed requests ------------------------------------------------------------------------------

/** Headers signed ahead of a round (bench/lib/agent-signing.mjs `presigned`), as a load's `headersFor`. */
function presignedHeaders(make) {
  const pool = presigned(make);
  return { prepare: (n) => pool.prepare(n), headersFor: () => pool.next() };
}

// ---- CPU accounting: this process (the load), the server process, the whole machine -------------

/** The embedded PostgreSQL's processes: the postmaster listening on `port` and its children. */
function postgresPids(port) {
  const procs = listProcesses();
  const postmaster = procs.find((p) => p.title.includes(`-p ${port}`) && p.title.includes('-D'));
  if (!postmaster) return [];
  return [postmaster.pid, ...procs.filter((p) => p.ppid === postmaster.pid).map((p) => p.pid)];
}
let pgPort = null;

/** Start measuring (bench/lib/cpu-meter.mjs): this process, the server, PostgreSQL, the machine; in cores. */
const serverCpuMeter = (serverPid) => cpuMeter({ server: () => [serverPid], postgres: () => (pgPort ? postgresPids(pgPort) : []) });

// ---- the baselines: single-core rates in this process ---------------------------------------------

/** node:crypto Ed25519 verifications per second on one core, over a signature base of a real request. */
function verifyRate(seconds) {
  const key = newAgentKey();
  // The public KeyObject as the server holds it: made from the JWK (platform/crypto/ed25519.ts).
  const publicKey = createPublicKey({ key: key.jwk, format: 'jwk' });
  const targetUri = `http://127.0.0.1:8080${PATH}`;
  const headers = signedHeaders(key, 'GET', targetUri);
  const base = Buffer.from(`"@method": GET\n"@target-uri": ${targetUri}\n"@signature-params": ${headers['signature-input'].slice('aim='.length)}`);
  const signature = Buffer.from(headers.signature.slice('aim=:'.length, -1), 'base64');
  if (!verify(null, base, publicKey, signature)) throw new Error('the baseline signature does not verify');
  let n = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  while (performance.now() < end) {
    for (let i = 0; i < 100; i++) verify(null, base, publicKey, signature);
    n += 100;
  }
  return n / ((performance.now() - start) / 1000);
}

/** Agent tokens verified per second offline, with jose against AIM's JWKS, as a downstream service does. */
async function tokenVerifyRate(seconds, token, jwks) {
  const keySet = createLocalJWKSet(jwks);
  const { iss, aud } = decodeJwt(token);
  const options = { issuer: iss, audience: aud, algorithms: ['EdDSA'], typ: 'at+jwt' };
  await jwtVerify(token, keySet, options); // throws when it does not verify
  let n = 0;
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  const end = start + seconds * 1000;
  while (performance.now() < end) {
    for (let i = 0; i < 50; i++) await jwtVerify(token, keySet, options);
    n += 50;
  }
  const elapsed = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  // jose verifies with WebCrypto (crypto.subtle), which runs on libuv's thread pool: the process's
  // CPU use (main thread and pool) is reported beside the rate.
  return { rate: n / elapsed, cores: (cpu.user + cpu.system) / 1e6 / elapsed };
}

// ---- servers ------------------------------------------------------------------------------------

async function startServer(store, database, secrets) {
  const prefix = `aim-bench:${randomBytes(6).toString('hex')}:`;
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
      AGENT_TOKEN_TTL_SECONDS: '3600', // the token obtained at the start outlives the run
      ...(store === 'redis' ? { REDIS_URL, BENCH_REDIS_PREFIX: prefix } : {}),
    },
    stdio: ['ignore', openSync('/dev/null', 'w'), 'inherit', 'ipc'],
  });
  child.on('error', () => undefined); // a send to a server that has exited: command() reports it
  const ready = await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`the ${store} server exited with ${code} before it was ready`)));
  });
  if (ready.store !== store) throw new Error(`the ${store} server runs with the ${ready.store} store`);
  const base = `http://127.0.0.1:${ready.port}`;
  // Requests go to 127.0.0.1; signatures name AIM's public address (docs/agent-identity.md §4b).
  const server = { store, child, prefix, base, signedBase: ready.baseUrl };
  try {
    await prepareAgent(server, ready.apiKey);
  } catch (error) {
    await stopServer(server);
    throw error;
  }
  return server;
}

/** Register an agent with a key made here (§2–3a), check each request the load will send, get an agent token (§5a). */
async function prepareAgent(server, apiKey) {
  const { base, signedBase, store } = server;
  const key = newAgentKey();
  await registerAgent(base, apiKey, key, { name: `bench-${store}` }, signedBase);
  server.registeredAt = Date.now();

  const tokenBody = JSON.stringify({ grant_type: 'client_credentials' });
  const issued = await fetch(`${base}/api/v1/oauth/token`, {
    method: 'POST',
    headers: signedHeaders(key, 'POST', `${signedBase}/api/v1/oauth/token`, tokenBody),
    body: tokenBody,
  });
  if (issued.status !== 200) throw new Error(`getting an agent token: ${issued.status} ${await issued.text()}`);
  server.token = (await issued.json()).access_token;
  server.jwks = await (await fetch(`${base}/.well-known/jwks.json`)).json();

  server.loads = {
    signed: { method: 'GET', path: PATH, expect: 200, ...presignedHeaders(() => signedHeaders(key, 'GET', `${signedBase}${PATH}`)) },
    token: { method: 'GET', path: PATH, expect: 200, headersFor: () => ({ authorization: `Bearer ${server.token}` }) },
    detail: { method: 'GET', path: DETAIL_PATH, expect: 200, ...presignedHeaders(() => signedHeaders(key, 'GET', `${signedBase}${DETAIL_PATH}`)) },
    issue: { method: 'POST', path: TOKEN_PATH, expect: 200, body: TOKEN_BODY, ...presignedHeaders(() => signedHeaders(key, 'POST', `${signedBase}${TOKEN_PATH}`, TOKEN_BODY)) },
    floor: { method: 'GET', path: '/api/v1/meta', expect: 200, headersFor: () => ({}) },
  };
  for (const [name, load] of Object.entries(server.loads)) {
    const res = await fetch(`${base}${load.path}`, { method: load.method, headers: load.headersFor(), body: load.body });
    const text = await res.text();
    if (res.status !== load.expect) throw new Error(`${store} ${name}: ${load.method} ${load.path} answered ${res.status} ${text}`);
    if (load.expect === 400 && JSON.parse(text).error?.code !== 'validation_failed') throw new Error(`${store} ${name}: ${text}`);
    if (name === 'signed') server.responseBytes = Buffer.byteLength(text);
  }
}

async function stopServer(server) {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  const exited = new Promise((r) => server.child.once('exit', r));
  server.child.kill('SIGTERM');
  const timer = setTimeout(() => server.child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** Send a command to the server process (bench/lib/agent-server.mjs) and wait for its answer. */
let lastCommandId = 0;
function command(server, name) {
  const id = ++lastCommandId;
  return new Promise((resolve, reject) => {
    const onExit = (code, signal) => reject(new Error(`the ${server.store} server exited (${signal ?? code}) during ${name}`));
    const onMessage = (message) => {
      if (message?.id === id) {
        server.child.off('message', onMessage);
        server.child.off('exit', onExit);
        resolve(message.result);
      }
    };
    if (!server.child.connected) return reject(new Error(`the ${server.store} server is gone (${name})`));
    server.child.on('message', onMessage);
    server.child.once('exit', onExit);
    server.child.send({ id, command: name });
  });
}

// ---- load -----------------------------------------------------------------------------------------

/** Closed-loop load with autocannon; every request gets its headers from `headersFor` (a new signature). */
async function cannon(server, load, { seconds, connections = CONNECTIONS, overallRate } = {}) {
  load.prepare?.(Math.ceil(seconds * (overallRate ?? PRESIGN_RATE)));
  const latencies = [];
  let unexpected = 0;
  await command(server, 'stats-reset');
  const stop = serverCpuMeter(server.child.pid);
  const instance = autocannon({
    url: `${server.base}${load.path}`,
    connections,
    pipelining: 1,
    duration: seconds,
    ...(overallRate ? { overallRate } : {}),
    requests: [
      {
        method: load.method,
        path: load.path,
        ...(load.body !== undefined ? { body: load.body } : {}),
        setupRequest(request) {
          Object.assign(request.headers, load.headersFor());
          return request;
        },
      },
    ],
  });
  instance.on('response', (_client, status, _bytes, responseTime) => {
    latencies.push(responseTime);
    if (status !== load.expect) unexpected += 1;
  });
  const result = await instance;
  const cpu = stop();
  const stats = await command(server, 'stats');
  latencies.sort((a, b) => a - b);
  const rps = result.requests.total / (result.duration || seconds);
  return { rps, p50: percentile(latencies, 50), p99: percentile(latencies, 99), unexpected, errors: result.errors + result.timeouts, cpu, stats };
}

/** An even open-loop schedule at `rate` (bench/lib/paced-load.mjs). */
async function paced(server, load, rate, seconds) {
  load.prepare?.(Math.ceil(seconds * rate * 1.2));
  await command(server, 'stats-reset');
  const stop = serverCpuMeter(server.child.pid);
  const r = await pacedLoad({ url: `${server.base}${load.path}`, rate, seconds, headersFor: load.headersFor, connections: 2 * CONNECTIONS, expect: load.expect });
  const cpu = stop();
  const stats = await command(server, 'stats');
  r.latencies.sort((a, b) => a - b);
  return { rps: r.count / r.elapsed, p50: percentile(r.latencies, 50), p99: percentile(r.latencies, 99), unexpected: r.unexpected, errors: r.errors, cpu, stats };
}

function check(label, r) {
  if (r.unexpected > 0 || r.errors > 0) throw new Error(`${label}: ${r.unexpected} unexpected answers, ${r.errors} errors (the path under test failed)`);
}

/** Server and PostgreSQL CPU per request in µs, and CPU used by everything outside the bench. */
const perRequest = (r) => ({
  serverUs: (r.cpu.server / r.rps) * 1e6,
  postgresUs: (r.cpu.postgres / r.rps) * 1e6,
  other: r.cpu.machine - r.cpu.server - r.cpu.load - r.cpu.postgres,
});
const cpuText = (r) => {
  const { serverUs, postgresUs, other } = perRequest(r);
  return (
    `cpu: server ${pct(r.cpu.server).padStart(4)} (${serverUs.toFixed(0)} µs/req), postgres ${pct(r.cpu.postgres).padStart(4)} (${postgresUs.toFixed(0)} µs/req), ` +
    `load ${pct(r.cpu.load).padStart(4)}, others ${pct(Math.max(0, other)).padStart(4)}`
  );
};
const loadLine = (label, r) =>
  `${label.padEnd(42)} ${r.rps.toFixed(0).padStart(6)} req/s  p50 ${ms(r.p50).padStart(9)}  p99 ${ms(r.p99).padStart(9)}  ${cpuText(r)}; ` +
  `server GC max ${r.stats.gcMaxMs.toFixed(0)} ms, loop delay max ${r.stats.loopDelayMaxMs.toFixed(0)} ms, heap ${r.stats.heapUsedMb.toFixed(0)} MB`;

/** Wait until the cache tombstones left by the registrations have lapsed (CACHE_SETTLE_MS). */
async function settle() {
  const wait = Math.max(...servers.map((s) => s.registeredAt)) + CACHE_SETTLE_MS - Date.now();
  if (wait > 0) {
    console.log(`waiting ${(wait / 1000).toFixed(0)}s more for the agent cache entries to settle after registration…`);
    await new Promise((r) => setTimeout(r, wait));
  }
}

// ---- main -----------------------------------------------------------------------------------------

const stores = [];
for (const store of STORES) {
  if (store !== 'memory' && store !== 'redis') throw new Error(`BENCH_STORES: unknown store ${store} (memory, redis)`);
  if (store === 'redis' && !(await redisReachable(REDIS_URL))) {
    console.log(`Redis is not reachable at ${REDIS_URL}: the Redis store is left out (set BENCH_REDIS_URL)`);
    continue;
  }
  stores.push(store);
}
if (stores.length === 0) throw new Error('no store to measure');

const database = await startBenchDatabase('agents');
pgPort = new URL(database.ownerUrl).port;
// One set of keys for both servers: they share the database, and so the encrypted signing keys.
const secrets = { encryptionKeys: `b1:${randomBytes(32).toString('base64url')}`, lookupKey: randomBytes(32).toString('base64url') };
const servers = [];
let cleaning;
/** Stop the servers, remove their Redis keys, stop PostgreSQL; once, whether the run ends or is interrupted. */
const cleanUp = () =>
  (cleaning ??= (async () => {
    for (const server of servers) await stopServer(server).catch(() => undefined);
    for (const server of servers) {
      if (server.store !== 'redis') continue;
      await scanPrefix(REDIS_URL, server.prefix, { remove: true }).catch((e) => console.error(`could not remove the Redis keys ${server.prefix}*: ${e.message}`));
    }
    await database.stop();
  })());
process.once('SIGINT', () => {
  console.error('interrupted: stopping the servers and PostgreSQL…');
  cleanUp().finally(() => process.exit(130));
});
try {
  for (const store of stores) servers.push(await startServer(store, database, secrets));
  console.log(`AIM in one Node process per store (${stores.join(', ')}), embedded PostgreSQL (pool of 10), access log on (to /dev/null)`);
  console.log(`rate limits raised out of reach (RATE_LIMIT_IP_MAX = RATE_LIMIT_PRINCIPAL_MAX = ${RATE_LIMIT_MAX}): the limiter runs on every request but never refuses`);
  console.log(`load: autocannon in this process, ${CONNECTIONS} connections, a new RFC 9421 signature and nonce for every signed request; ${cpus().length} cores, Node ${process.version}`);
  if (PROFILE) await profileRun();
  else await benchmark();
} finally {
  await cleanUp();
}

async function benchmark() {
  // Each round: the two measured paths (signed, token) on every store, then the diagnostics in
  // shorter rounds: the agent gate alone for each credential, and the app's floor without
  // credentials (on the first store only: no store work differs but the rate limiter's).
  const rows = [];
  for (const server of servers) {
    rows.push({ server, kind: 'signed', seconds: DURATION });
    rows.push({ server, kind: 'token', seconds: DURATION });
    rows.push({ server, kind: 'detail', seconds: DIAGNOSTIC_DURATION });
    rows.push({ server, kind: 'issue', seconds: DIAGNOSTIC_DURATION });
  }
  rows.push({ server: servers[0], kind: 'floor', seconds: DIAGNOSTIC_DURATION });
  for (const row of rows) row.results = [];

  console.log(`warming up (${WARMUP}s per store and request)…`);
  for (const row of rows) await cannon(row.server, row.server.loads[row.kind], { seconds: WARMUP });
  await settle();

  const baseline = { verify: [], tokenVerify: [], tokenVerifyCores: [] };
  const { token, jwks } = servers[0];
  for (let i = 1; i <= ROUNDS; i++) {
    const v = verifyRate(CORE_SECONDS);
    const t = await tokenVerifyRate(CORE_SECONDS, token, jwks);
    baseline.verify.push(v);
    baseline.tokenVerify.push(t.rate);
    baseline.tokenVerifyCores.push(t.cores);
    console.log(
      `round ${i} baseline: Ed25519 verify ${v.toFixed(0)}/s on one core (${(1e6 / v).toFixed(0)} µs each); ` +
        `agent token, jose offline ${t.rate.toFixed(0)}/s (process CPU ${pct(t.cores)})`,
    );
    for (const row of rows) {
      const label = `${row.server.store} ${LABELS[row.kind]}`;
      const r = await cannon(row.server, row.server.loads[row.kind], { seconds: row.seconds });
      check(label, r);
      row.results.push(r);
      console.log(`round ${i} ${loadLine(label, r)}`);
    }
  }
  const verifyMedian = median(baseline.verify);
  const tokenVerifyMedian = median(baseline.tokenVerify);

  // Half the signed peak: an even open-loop schedule (the figure held against the target), and
  // autocannon's per-connection rate limit, which sends in bursts (shown for comparison).
  const half = {};
  for (const server of servers) {
    const peak = median(rows.find((r) => r.server === server && r.kind === 'signed').results.map((r) => r.rps));
    const rate = Math.max(1, Math.round(peak / 2));
    const even = [];
    for (let i = 1; i <= ROUNDS; i++) {
      const r = await paced(server, server.loads.signed, rate, HALF_DURATION);
      check(`${server.store} half rate`, r);
      even.push(r);
      console.log(`half ${i}  ${loadLine(`${server.store} signed @ ${rate}/s, even`, r)}`);
    }
    const bursty = await cannon(server, server.loads.signed, { seconds: HALF_DURATION, overallRate: rate });
    check(`${server.store} half rate (autocannon)`, bursty);
    console.log(`half    ${loadLine(`${server.store} signed @ ${rate}/s, autocannon`, bursty)}`);
    half[server.store] = { rate, even, bursty };
  }

  const med = (rs, f) => median(rs.map(f));
  const summarize = (rs) => ({
    rps: med(rs, (r) => r.rps),
    p50: med(rs, (r) => r.p50),
    p99: med(rs, (r) => r.p99),
    serverCpu: med(rs, (r) => r.cpu.server),
    postgresCpu: med(rs, (r) => r.cpu.postgres),
    loadCpu: med(rs, (r) => r.cpu.load),
    othersCpu: med(rs, (r) => Math.max(0, perRequest(r).other)),
    serverUsPerRequest: med(rs, (r) => perRequest(r).serverUs),
    postgresUsPerRequest: med(rs, (r) => perRequest(r).postgresUs),
    serverGcMaxMs: med(rs, (r) => r.stats.gcMaxMs),
    serverLoopDelayMaxMs: med(rs, (r) => r.stats.loopDelayMaxMs),
    serverHeapUsedMb: Math.max(...rs.map((r) => r.stats.heapUsedMb)),
  });
  const summary = {
    verifyPerSecond: verifyMedian,
    agentTokenVerifyPerSecond: tokenVerifyMedian,
    agentTokenVerifyProcessCpu: median(baseline.tokenVerifyCores),
    stores: {},
  };
  for (const server of servers) {
    const entry = {};
    for (const row of rows.filter((r) => r.server === server)) {
      const figures = summarize(row.results);
      entry[row.kind] = {
        ...figures,
        ratioToVerify: figures.rps / verifyMedian,
        // The rate the server's own CPU per request would allow with a core to itself, as a share of the verify rate.
        serverCpuCeilingRatio: 1e6 / figures.serverUsPerRequest / verifyMedian,
      };
    }
    const h = half[server.store];
    entry.halfPeak = { rate: h.rate, ...summarize(h.even), autocannon: { rps: h.bursty.rps, p50: h.bursty.p50, p99: h.bursty.p99 } };
    summary.stores[server.store] = entry;
  }

  console.log('');
  console.log(`medians of ${ROUNDS} rounds (${DURATION}s; diagnostics ${DIAGNOSTIC_DURATION}s; half rate ${HALF_DURATION}s), ${CONNECTIONS} connections; GET ${PATH} answers ${servers[0].responseBytes} bytes`);
  console.log(`baseline, one core in this process: node:crypto Ed25519 verify ${verifyMedian.toFixed(0)}/s (${(1e6 / verifyMedian).toFixed(0)} µs each)`);
  console.log(
    `agent tokens verified offline (jose jwtVerify, JWKS key, one at a time): ${tokenVerifyMedian.toFixed(0)}/s = ${pct(tokenVerifyMedian / verifyMedian)} of the verify rate ` +
      `(process CPU ${pct(median(baseline.tokenVerifyCores))}: jose verifies through WebCrypto on the thread pool)`,
  );
  console.log('');
  console.log(
    `${'store'.padEnd(7)} ${'request'.padEnd(34)} ${'req/s'.padStart(6)} ${'/verify'.padStart(8)} ${'p50'.padStart(9)} ${'p99'.padStart(9)}   ` +
      `server µs/req (ceiling)  postgres µs/req  server GC max, loop delay max`,
  );
  for (const [store, entry] of Object.entries(summary.stores)) {
    for (const kind of ['signed', 'token', 'detail', 'issue', 'floor']) {
      const s = entry[kind];
      if (!s) continue;
      console.log(
        `${store.padEnd(7)} ${LABELS[kind].padEnd(34)} ${s.rps.toFixed(0).padStart(6)} ${pct(s.ratioToVerify).padStart(8)} ${ms(s.p50).padStart(9)} ${ms(s.p99).padStart(9)}   ` +
          `${s.serverUsPerRequest.toFixed(0).padStart(13)} ${`(${pct(1e6 / s.serverUsPerRequest / verifyMedian)})`.padStart(9)}  ` +
          `${s.postgresUsPerRequest.toFixed(0).padStart(15)}  ${ms(s.serverGcMaxMs).padStart(9)}, ${ms(s.serverLoopDelayMaxMs).padStart(9)}`,
      );
    }
    const h = entry.halfPeak;
    console.log(
      `${store.padEnd(7)} ${`signed at half the peak, ${h.rate}/s`.padEnd(34)} ${h.rps.toFixed(0).padStart(6)} ${''.padStart(8)} ${ms(h.p50).padStart(9)} ${ms(h.p99).padStart(9)}   ` +
        `${h.serverUsPerRequest.toFixed(0).padStart(13)} ${''.padStart(9)}  ` +
        `${h.postgresUsPerRequest.toFixed(0).padStart(15)}  ${ms(h.serverGcMaxMs).padStart(9)}, ${ms(h.serverLoopDelayMaxMs).padStart(9)}`,
    );
    console.log(
      `${store.padEnd(7)} ${'  same rate, autocannon overallRate'.padEnd(34)} ${h.autocannon.rps.toFixed(0).padStart(6)} ${''.padStart(8)} ${ms(h.autocannon.p50).padStart(9)} ${ms(h.autocannon.p99).padStart(9)}   (bursty: each connection sends its quota at the top of every second)`,
    );
  }
  console.log('');
  const verdict = (ok) => (ok ? 'met' : 'NOT met');
  for (const [store, entry] of Object.entries(summary.stores)) {
    console.log(
      `${store}: signed requests at ${pct(entry.signed.ratioToVerify)} of the single-core verify rate (target >= ${pct(TARGET_RATIO)}: ${verdict(entry.signed.ratioToVerify >= TARGET_RATIO)}); ` +
        `p99 at half the peak rate ${ms(entry.halfPeak.p99)} (target <= ${TARGET_P99_MS} ms: ${verdict(entry.halfPeak.p99 <= TARGET_P99_MS)})`,
    );
  }
  const loadBound = rows.filter((r) => median(r.results.map((x) => x.cpu.load)) > 0.9);
  for (const row of loadBound) {
    console.log(`note: the load tool used a whole core for ${row.server.store} ${LABELS[row.kind]}: that figure is the load tool's limit, not the server's`);
  }
  const busiestOthers = Math.max(...rows.flatMap((r) => r.results.map((x) => Math.max(0, perRequest(x).other))));
  if (busiestOthers > 0.25) {
    console.log(`note: other programs used up to ${pct(busiestOthers)} of a core during a round; compare ratios from one run only`);
  }

  await mkdir(join(root, 'bench/results'), { recursive: true });
  const perRound = {};
  for (const row of rows) (perRound[row.server.store] ??= {})[row.kind] = row.results;
  for (const [store, h] of Object.entries(half)) Object.assign(perRound[store], { halfPeakEven: h.even, halfPeakAutocannon: [h.bursty] });
  await writeFile(
    join(root, 'bench/results/agents.json'),
    `${JSON.stringify(
      {
        date: new Date().toISOString(),
        node: process.version,
        cores: cpus().length,
        path: PATH,
        connections: CONNECTIONS,
        seconds: { round: DURATION, diagnostic: DIAGNOSTIC_DURATION, halfRate: HALF_DURATION, baseline: CORE_SECONDS },
        rounds: ROUNDS,
        rateLimitMax: Number(RATE_LIMIT_MAX),
        targets: { ratioToVerify: TARGET_RATIO, p99AtHalfPeakMs: TARGET_P99_MS },
        labels: LABELS,
        summary,
        baseline,
        perRound,
      },
      null,
      2,
    )}\n`,
  );
  console.log('figures written to bench/results/agents.json');
}

// ---- profiles ---------------------------------------------------------------------------------

/**
 * The stage of the request path a profile sample belongs to, from its stack (leaf first). Socket
 * writes are system calls, charged to whoever writes (response, PostgreSQL, Redis, access log);
 * everything else goes to the innermost frame that names a stage.
 */
function agentPathStage(stack) {
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
    if (on(f, '/jose/')) return 'jose (agent token verification)';
    if (on(f, '/pg/', '/pg-protocol/', '/pg-pool/', '/postgres-')) return 'pg driver (JS)';
    if (on(f, '/ioredis/', '/redis-parser/', '/@ioredis/')) return 'ioredis (JS)';
    if (on(f, '/structured-headers/') || f.functionName === 'parseSignedRequest') return 'Signature-Input/Signature parsing, signature base';
    if (on(f, '/prom-client/')) return 'metrics (prom-client)';
    if (on(f, 'access-log', '/pino', '/sonic-boom/')) return 'access log (JS)';
    if (on(f, '/zod/', 'response-serializer', 'fastify-type-provider-zod')) return 'zod (response serialization, validation)';
    if (on(f, '/apps/server/dist/')) return 'AIM code (other)';
    if (on(f, '/fastify/', '/find-my-way/', '/@fastify/', '/avvio/')) return 'fastify';
    if (on(f, 'node:_http_', 'node:http')) return 'node:http';
  }
  return 'node internals (streams, events, timers, microtasks)';
}

async function profileRun() {
  if (!LABELS[PROFILE]) throw new Error(`BENCH_PROFILE must be one of ${Object.keys(LABELS).join(', ')}`);
  await mkdir(join(root, 'bench/results'), { recursive: true });
  await settle();
  for (const server of servers) {
    const load = server.loads[PROFILE];
    await cannon(server, load, { seconds: WARMUP });
    await command(server, 'profile-start');
    const r = await cannon(server, load, { seconds: DURATION });
    const profile = await command(server, 'profile-stop');
    check(`${server.store} ${PROFILE}`, r);
    const file = join(root, `bench/results/agents-${server.store}-${PROFILE}.cpuprofile`);
    await writeFile(file, JSON.stringify(profile));
    console.log('');
    console.log(loadLine(`${server.store} ${LABELS[PROFILE]} (profiled)`, r));
    const summary = summarizeProfile(profile, { classify: agentPathStage });
    for (const line of formatProfile(summary, { top: 30 })) console.log(line);
    console.log(`profile written to ${file.slice(root.length)} (open it in Chrome DevTools or speedscope)`);
  }
}
