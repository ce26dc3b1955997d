#!/usr/bin/env node
// `npm run bench`: AIM's full production hook chain against a bare node:http server, same run,
// same load tool (autocannon), same bytes. Each server runs in its own process; rounds alternate
// between the servers and the medians are reported, since the machine is small and noisy.
//
// Two baselines: "same bytes" sends AIM's exact response (body and header set, captured from AIM),
// so the ratio measures what AIM's code costs; "minimal" sends the body with only content-type,
// which also counts the cost of the extra header bytes on the wire and in the load tool.
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
  await waitFor(aimUrl);
  const sample = await fetch(aimUrl, { headers: { origin: ORIGIN, 'user-agent': 'aim-bench' } });
  const body = await sample.text();
  const headers = Object.fromEntries(
    [...sample.headers.entries()].filter(([k]) => !['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding'].includes(k)),
  );

  const startBare = async (name, env) => {
    const port = await findFreePort();
    const child = fork(join(root, 'bench/bare-server.mjs'), { env: { PORT: String(port), BENCH_BODY: body, ...env } });
    children.push(child);
    await new Promise((r) => child.once('message', r));
    const url = `http://127.0.0.1:${port}${PATH}`;
    if ((await (await fetch(url)).text()) !== body) throw new Error(`${name} does not answer the same body`);
    return url;
  };
  const sameUrl = await startBare('same-bytes bare server', { BENCH_HEADERS: JSON.stringify(headers) });
  const minimalUrl = await startBare('minimal bare server', {
    BENCH_HEADERS: JSON.stringify({ 'content-type': headers['content-type'] }),
  });
  const servers = [
    ['bare', sameUrl],
    ['aim', aimUrl],
    ['minimal', minimalUrl],
  ];

  console.log(`warming up (${CONNECTIONS} connections)…`);
  for (const [, url] of servers) await load(url, 3);

  const rounds = { bare: [], aim: [], minimal: [] };
  for (let i = 1; i <= ROUNDS; i++) {
    for (const [name, url] of servers) {
      const r = await load(url, DURATION);
      if (r.non2xx > 0 || r.errors > 0) throw new Error(`${name}: ${r.non2xx} non-2xx answers, ${r.errors} errors`);
      rounds[name].push(r);
      console.log(`round ${i} ${name.padEnd(7)} ${r.rps.toFixed(0).padStart(7)} req/s  p50 ${r.p50.toFixed(2)} ms  p95 ${r.p95.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms`);
    }
  }

  const summary = Object.fromEntries(
    Object.entries(rounds).map(([name, rs]) => [
      name,
      { rps: median(rs.map((r) => r.rps)), p50: median(rs.map((r) => r.p50)), p95: median(rs.map((r) => r.p95)), p99: median(rs.map((r) => r.p99)) },
    ]),
  );
  const ratio = summary.aim.rps / summary.bare.rps;
  const minimalRatio = summary.aim.rps / summary.minimal.rps;
  const line = (name, s) =>
    `${name.padEnd(34)} ${s.rps.toFixed(0).padStart(8)} req/s   p50 ${s.p50.toFixed(2)} ms   p95 ${s.p95.toFixed(2)} ms   p99 ${s.p99.toFixed(2)} ms`;
  console.log('');
  console.log(`GET ${PATH}, ${CONNECTIONS} connections, ${ROUNDS} rounds of ${DURATION}s, medians`);
  console.log(`response: ${Buffer.byteLength(body)} body bytes, ${Object.keys(headers).length} headers`);
  console.log(line('bare node:http, same bytes (ceiling)', summary.bare));
  console.log(line('AIM, full hook chain', summary.aim));
  console.log(line('bare node:http, body + content-type', summary.minimal));
  console.log(`AIM / bare (same bytes):  ${(ratio * 100).toFixed(1)}% of throughput  (target >= 50%)`);
  console.log(`AIM / bare (minimal):     ${(minimalRatio * 100).toFixed(1)}% of throughput`);

  await mkdir(join(root, 'bench/results'), { recursive: true });
  await writeFile(
    join(root, 'bench/results/http-baseline.json'),
    `${JSON.stringify({ date: new Date().toISOString(), path: PATH, connections: CONNECTIONS, headers, rounds, summary, ratio, minimalRatio }, null, 2)}\n`,
  );
} finally {
  for (const child of children) child.kill('SIGTERM');
  await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r() : c.once('exit', r)))));
  await rm(dataDir, { recursive: true, force: true });
}
