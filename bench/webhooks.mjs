#!/usr/bin/env node
// `npm run bench:webhooks`: webhook delivery throughput (docs/webhooks.md), on the external PostgreSQL.
//
// The code under test is the server's delivery worker, built (apps/server/dist) and assembled as the
// app assembles it (delivery-feature.ts): the delivery store over the app-role pool (10 connections),
// the sender through the outbound guard's keep-alive agent, the keyring decrypting each endpoint's
// secret, signatures per Standard Webhooks, results recorded in batches. The receivers run in a
// process of their own (bench/lib/webhook-receiver.mjs): 200 at once, or after 5 s under /slow/.
//
// Each round (BENCH_ROUNDS, 3; medians reported):
//   - baseline: a bare `fetch` POST loop (BENCH_FAST_ENDPOINTS × the per-endpoint concurrency, 4 × 8
//     = 32 loops) sending BENCH_DELIVERIES (10,000) bodies of the same size, with the same header
//     names, to the fast receiver: requests per second;
//   - AIM: BENCH_DELIVERIES due deliveries spread over BENCH_FAST_ENDPOINTS endpoints (all on the fast
//     receiver), seeded with set-based SQL, then the worker started: deliveries per second from its
//     start until every one is recorded as succeeded. Target: ≥ 50 % of the baseline;
//   - the same with a slow endpoint present (answering after 5 s) that has BENCH_SLOW_DELIVERIES
//     (2,000) deliveries due before the fast ones: the fast endpoints' rate. Target: at most 10 % lower.
//     The two AIM runs alternate which goes first from round to round.
//
// Environment: BENCH_ROUNDS (3), BENCH_DELIVERIES (10000), BENCH_FAST_ENDPOINTS (4),
// BENCH_SLOW_DELIVERIES (2000), BENCH_DATABASE_URL (postgres://postgres@127.0.0.1:5432/postgres: the
// admin connection that creates and drops the bench's database and role).
import { randomBytes } from 'node:crypto';
import { fork } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { dist } from './lib/database.mjs';
import { createExternalBenchDatabase } from './lib/external-database.mjs';

const root = new URL('..', import.meta.url).pathname;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const N = Number(process.env.BENCH_DELIVERIES ?? 10_000);
const FAST_ENDPOINTS = Number(process.env.BENCH_FAST_ENDPOINTS ?? 4);
const SLOW_N = Number(process.env.BENCH_SLOW_DELIVERIES ?? 2_000);
const PER_ENDPOINT = 8;

const { createDatabase } = await dist('platform/db/database.js');
const { createKeyring } = await dist('platform/crypto/keyring.js');
const { createOutboundGuard } = await dist('platform/net/outbound-guard.js');
const { newId } = await dist('platform/ids.js');
const { createDeliveryStore } = await dist('modules/webhooks/delivery/delivery-store.js');
const { createDeliveryWorker } = await dist('modules/webhooks/delivery/delivery-worker.js');
const { createWebhookSender } = await dist('modules/webhooks/delivery/webhook-sender.js');
const { default: pino } = await import(join(root, 'node_modules/pino/pino.js'));

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const receiver = fork(join(root, 'bench/lib/webhook-receiver.mjs'));
const { port } = await new Promise((resolve) => receiver.once('message', resolve));
const base = `http://127.0.0.1:${port}`;
const bench = await createExternalBenchDatabase('webhooks');
const owner = new pg.Client({ connectionString: bench.ownerUrl });
await owner.connect();
const db = createDatabase({ connectionString: bench.appUrl, max: 10 });
const keyring = createKeyring({ keys: [{ id: 'b1', key: randomBytes(32) }], lookupKey: randomBytes(32) });
const guard = createOutboundGuard({ allowPrivateNetworks: true });

const organizationId = newId('org');
await owner.query(`insert into organizations (id, name) values ($1, 'Bench')`, [organizationId]);
async function endpoint(url) {
  const id = newId('whk');
  const secret = `whsec_${randomBytes(32).toString('base64')}`;
  await owner.query(
    `insert into webhook_endpoints (id, organization_id, url, event_types, secret_ciphertext, created_by_type, created_by_id)
     values ($1, $2, $3, '{*}', $4, 'user', 'usr_bench')`,
    [id, organizationId, url, keyring.encrypt(secret, `webhook_endpoints.secret:${id}`)],
  );
  return id;
}
const fast = [];
for (let i = 0; i < FAST_ENDPOINTS; i++) fast.push(await endpoint(`${base}/fast/${i}`));
const slow = await endpoint(`${base}/slow/0`);

/** `count` events (a millisecond apart), each delivered to one of `endpoints` in turn, due `dueSecondsAgo` ago. */
async function seed(count, endpoints, dueSecondsAgo) {
  const events = Array.from({ length: count }, () => newId('dev'));
  const deliveries = Array.from({ length: count }, () => newId('whd'));
  await owner.query(
    `insert into webhook_events (id, organization_id, type, version, occurred_at, data)
     select e.id, $2, 'decision.created', 1, now() - make_interval(secs => e.n / 1000.0), jsonb_build_object('decisionId', 'dec_bench', 'agentId', 'agt_bench', 'action', 'reports:read', 'resource', 'reports/2026-11', 'decision', 'allow')
       from unnest($1::text[]) with ordinality as e(id, n)`,
    [events, organizationId],
  );
  await owner.query(
    `insert into webhook_deliveries (id, organization_id, endpoint_id, event_id, event_type, event_occurred_at, next_attempt_at)
     select d.id, $3, ($4::text[])[1 + (d.n - 1) % cardinality($4::text[])], d.event, 'decision.created', w.occurred_at, now() - make_interval(secs => $5)
       from unnest($1::text[], $2::text[]) with ordinality as d(id, event, n)
       join webhook_events w on w.id = d.event`,
    [deliveries, events, organizationId, endpoints, dueSecondsAgo],
  );
}

// Deliveries not final yet (the partial index on endpoint and due time answers it: cheap to poll).
const unfinished = async (endpoints) =>
  Number((await owner.query(`select count(*) from webhook_deliveries where next_attempt_at is not null and endpoint_id = any($1)`, [endpoints])).rows[0].count);
const succeeded = async (endpoints) =>
  Number((await owner.query(`select count(*) from webhook_deliveries where status = 'succeeded' and endpoint_id = any($1)`, [endpoints])).rows[0].count);

/** Start a worker on what is due; the fast endpoints' deliveries per second until all are recorded. */
async function deliver(count = N) {
  const sender = createWebhookSender({ guard, timeoutMs: 15_000, userAgent: 'AIM-Webhooks/bench' });
  const worker = createDeliveryWorker({
    store: createDeliveryStore({ db, domainEvents: { record: async () => undefined } }),
    sender,
    keyring,
    logger: pino({ level: process.env.BENCH_LOG_LEVEL ?? 'silent' }),
    timeoutMs: 15_000,
    concurrency: 64,
    endpointConcurrency: PER_ENDPOINT,
    disableAfterHours: 72,
  });
  const started = performance.now();
  worker.start();
  while ((await unfinished(fast)) > 0) await sleep(50);
  const seconds = (performance.now() - started) / 1000;
  const ok = await succeeded(fast);
  if (ok !== count) throw new Error(`${ok} of ${count} deliveries succeeded`);
  await worker.stop();
  await sender.close();
  return count / seconds;
}

/** The baseline: bare fetch POSTs of the same size, as many loops as the worker has in flight. */
async function bareFetch() {
  const body = JSON.stringify({
    id: newId('dev'),
    type: 'decision.created',
    version: 1,
    organizationId,
    occurredAt: new Date().toISOString(),
    data: { decisionId: 'dec_bench', agentId: 'agt_bench', action: 'reports:read', resource: 'reports/2026-11', decision: 'allow' },
  });
  const headers = { 'content-type': 'application/json', 'webhook-id': 'dev_x', 'webhook-timestamp': '1', 'webhook-signature': `v1,${randomBytes(32).toString('base64')}` };
  let sent = 0;
  const started = performance.now();
  const loop = async (i) => {
    while (sent < N) {
      sent++;
      const res = await fetch(`${base}/fast/${i % FAST_ENDPOINTS}`, { method: 'POST', headers, body });
      await res.text();
      if (!res.ok) throw new Error(`baseline answered ${res.status}`);
    }
  };
  await Promise.all(Array.from({ length: FAST_ENDPOINTS * PER_ENDPOINT }, (_, i) => loop(i)));
  return N / ((performance.now() - started) / 1000);
}

const reset = () => owner.query('delete from webhook_deliveries').then(() => owner.query('delete from webhook_attempts'));
const settle = () => owner.query('vacuum analyze webhook_deliveries, webhook_attempts, webhook_endpoints, webhook_events');
const rounds = { baseline: [], aim: [], aimWithSlow: [] };
try {
  // Warm-up: connections, prepared statements, JIT.
  await bareFetch();
  await seed(1_000, fast, 1);
  await deliver(1_000);
  await reset();
  for (let round = 1; round <= ROUNDS; round++) {
    rounds.baseline.push(await bareFetch());
    // The two AIM runs alternate which goes first (the machine is noisy; neither always follows the other).
    const runs = [
      async () => {
        await seed(N, fast, 1);
        await settle();
        rounds.aim.push(await deliver());
        await reset();
      },
      async () => {
        await seed(SLOW_N, [slow], 60);
        await seed(N, fast, 1);
        await settle();
        rounds.aimWithSlow.push(await deliver());
        await reset();
      },
    ];
    if (round % 2 === 0) runs.reverse();
    for (const run of runs) await run();
    console.log(
      `round ${round}: bare fetch ${rounds.baseline.at(-1).toFixed(0)}/s, AIM ${rounds.aim.at(-1).toFixed(0)}/s, AIM beside a slow endpoint ${rounds.aimWithSlow.at(-1).toFixed(0)}/s`,
    );
  }
  const figures = {
    deliveries: N,
    fastEndpoints: FAST_ENDPOINTS,
    perEndpointConcurrency: PER_ENDPOINT,
    slowDeliveries: SLOW_N,
    bareFetchPerSecond: median(rounds.baseline),
    aimPerSecond: median(rounds.aim),
    aimWithSlowEndpointPerSecond: median(rounds.aimWithSlow),
    rounds,
  };
  figures.ratioToBareFetch = figures.aimPerSecond / figures.bareFetchPerSecond;
  figures.slowdownBesideSlowEndpoint = 1 - figures.aimWithSlowEndpointPerSecond / figures.aimPerSecond;
  console.log(`\nmedians over ${ROUNDS} rounds, ${N} deliveries each:`);
  console.log(`  bare fetch POST loop        ${figures.bareFetchPerSecond.toFixed(0)} requests/s`);
  console.log(`  AIM delivery worker         ${figures.aimPerSecond.toFixed(0)} deliveries/s  (${(100 * figures.ratioToBareFetch).toFixed(0)} % of bare fetch; target ≥ 50 %)`);
  console.log(
    `  … beside a slow endpoint    ${figures.aimWithSlowEndpointPerSecond.toFixed(0)} deliveries/s  (${(100 * figures.slowdownBesideSlowEndpoint).toFixed(1)} % lower; target ≤ 10 %)`,
  );
  await mkdir(join(root, 'bench/results'), { recursive: true });
  await writeFile(join(root, 'bench/results/webhooks.json'), JSON.stringify(figures, null, 2));
  console.log('figures written to bench/results/webhooks.json');
} finally {
  receiver.kill('SIGTERM');
  await guard.close();
  await db.close();
  await owner.end();
  await bench.drop();
}
