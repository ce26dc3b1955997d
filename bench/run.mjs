#!/usr/bin/env node
// `npm run bench`: AIM's full production hook chain against a bare node:http server, same run,
// same load tool (autocannon), same bytes. Each server runs in its own process; rounds alternate
// between the two and the medians are reported, since the machine is small and noisy.
//
// Options (environment): BENCH_DURATION seconds per round (default 10), BENCH_ROUNDS (default 3),
// BENCH_CONNECTIONS (default 50).
import { fork, spawn } from 'node:child_process';
import { chmod, mkdtemp, rm, mkdir, writeFile } from 'node:fs/promises';
import { openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';

const root = new URL('..', import.meta.url).pathname;
const { findFreePort } = await import(join(root, 'apps/server/dist/platform/db/embedded-postgres.js'));

const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const PATH = '/api/v1/meta';
const ORIGIN = 'http://localhost:3000';

async function waitFor(url, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      if (res.ok) return res;
    } catch {}
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not answer within ${timeoutMs / 1000}s`);
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function load(url, seconds) {
  const latencies = [];
  const instance = autocannon({
    url,
    connections: CONNECTIONS,
    pipelining: 1,
    duration: seconds,
    headers: { origin: ORIGIN, 'user-agent': 'aim-bench' },
  });
  instance.on('response', (_client, _status, _bytes, responseTime) => latencies.push(responseTime));
  const result = await instance;
  latencies.sort((a, b) => a - b);
  return {
    rps: result.requests.total / (result.duration || seconds),
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const dataDir = await mkdtemp(join(tmpdir(), 'aim-bench-'));
await chmod(dataDir, 0o755); // as root, PostgreSQL runs as the postgres user and must reach it
const children = [];
try {
  // AIM exactly as `npm start` runs it, with logging on (to /dev/null) and the rate limiter on
  // with a limit the load cannot reach, so every hook runs on every request.
  const aimPort = await findFreePort();
  const devnull = openSync('/dev/null', 'w');
  const aim = spawn(process.execPath, [join(root, 'apps/server/dist/main.js')], {
    env: {
      PATH: process.env.PATH,
      AIM_DATA_DIR: join(dataDir, 'aim'),
      PORT: String(aimPort),
      LOG_LEVEL: 'info',
      CORS_ORIGINS: ORIGIN,
      RATE_LIMIT_IP_MAX: '100000000',
    },
    stdio: ['ignore', devnull, 'inherit'],
  });
  children.push(aim);
  aim.once('exit', (code) => {
    if (code !== null && code !== 0) console.error(`AIM exited with ${code}`);
  });
  const aimUrl = `http://127.0.0.1:${aimPort}${PATH}`;
  const body = await (await waitFor(aimUrl)).text();

  const barePort = await findFreePort();
  const bare = fork(join(root, 'bench/bare-server.mjs'), { env: { PORT: String(barePort), BENCH_BODY: body } });
  children.push(bare);
  await new Promise((r) => bare.once('message', r));
  const bareUrl = `http://127.0.0.1:${barePort}${PATH}`;
  const bareBody = await (await fetch(bareUrl)).text();
  if (bareBody !== body) throw new Error('the bare server does not answer the same bytes');

  console.log(`warming up (${CONNECTIONS} connections)…`);
  await load(bareUrl, 3);
  await load(aimUrl, 3);

  const rounds = { bare: [], aim: [] };
  for (let i = 1; i <= ROUNDS; i++) {
    for (const [name, url] of [['bare', bareUrl], ['aim', aimUrl]]) {
      const r = await load(url, DURATION);
      if (r.non2xx > 0 || r.errors > 0) throw new Error(`${name}: ${r.non2xx} non-2xx answers, ${r.errors} errors`);
      rounds[name].push(r);
      console.log(`round ${i} ${name.padEnd(4)} ${r.rps.toFixed(0).padStart(7)} req/s  p50 ${r.p50} ms  p95 ${r.p95} ms  p99 ${r.p99} ms`);
    }
  }

  const summary = Object.fromEntries(
    Object.entries(rounds).map(([name, rs]) => [
      name,
      { rps: median(rs.map((r) => r.rps)), p50: median(rs.map((r) => r.p50)), p95: median(rs.map((r) => r.p95)), p99: median(rs.map((r) => r.p99)) },
    ]),
  );
  const ratio = summary.aim.rps / summary.bare.rps;
  const line = (name, s) =>
    `${name.padEnd(28)} ${s.rps.toFixed(0).padStart(8)} req/s   p50 ${String(s.p50).padStart(3)} ms   p95 ${String(s.p95).padStart(3)} ms   p99 ${String(s.p99).padStart(3)} ms`;
  console.log('');
  console.log(`GET ${PATH}, ${CONNECTIONS} connections, ${ROUNDS} rounds of ${DURATION}s, medians`);
  console.log(line('bare node:http (ceiling)', summary.bare));
  console.log(line('AIM (full hook chain)', summary.aim));
  console.log(`AIM / bare throughput ratio: ${(ratio * 100).toFixed(1)}%  (target >= 50%)`);

  await mkdir(join(root, 'bench/results'), { recursive: true });
  await writeFile(
    join(root, 'bench/results/http-baseline.json'),
    `${JSON.stringify({ date: new Date().toISOString(), path: PATH, connections: CONNECTIONS, rounds, summary, ratio }, null, 2)}\n`,
  );
} finally {
  for (const child of children) child.kill('SIGTERM');
  await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r() : c.once('exit', r)))));
  await rm(dataDir, { recursive: true, force: true });
}
