// The real AIM app in its own process, for bench/agents.mjs: configured from the environment as
// `npm start` configures it (loadConfig), with the platform and app built as main.js builds them,
// against a database the parent started. Two differences from main.js, both for the bench: the
// Redis keys get a prefix of the parent's choosing (BENCH_REDIS_PREFIX, so a shared Redis is never
// touched outside it) and the background job queue is not started (it is not on the request path).
//
// Environment: the usual AIM variables (DATABASE_URL, DATABASE_APP_URL, AIM_ENCRYPTION_KEYS,
// AIM_LOOKUP_KEY, REDIS_URL, RATE_LIMIT_*, LOG_LEVEL…), plus BENCH_REDIS_PREFIX. Once listening it
// seeds an organization, an admin and an admin API key, and sends { port, baseUrl, apiKey, store,
// organizationId } to the parent over IPC. Then it answers commands { id, command } with { id, result }:
//   stats-reset, stats: event-loop delay and garbage-collection pauses since the last reset, and
//     the heap in use (what a latency tail is made of);
//   profile-start, profile-stop: sample this process's CPU (V8's profiler, through the inspector)
//     over exactly the window the parent chooses; profile-stop answers with the profile.
// SIGTERM closes the app and the platform, then exits.
import { Session } from 'node:inspector/promises';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { dist } from './database.mjs';

const { loadConfig } = await dist('platform/config/env.js');
const { createLoggers } = await dist('platform/observability/logger.js');
const { createPlatform } = await dist('platform/platform.js');
const { buildApp } = await dist('app.js');
const { newId } = await dist('platform/ids.js');
const { insertApiKey } = await dist('modules/api-keys/api-key-service.js');
const { membershipRepository } = await dist('modules/members/membership-repository.js');
const { organizationRepository } = await dist('modules/organizations/organization-repository.js');

const config = loadConfig(process.env);
const platform = await createPlatform(config, createLoggers(config.logLevel), {
  appUrl: config.database.appUrl,
  secrets: { encryptionKeys: config.secrets.encryptionKeys, lookupKey: config.secrets.lookupKey },
  redisPrefix: process.env.BENCH_REDIS_PREFIX,
});
const app = await buildApp(platform);
await app.listen({ host: '127.0.0.1', port: 0 });

// An organization with one admin and an admin API key, written as the test fixtures write them.
const organizationId = newId('org');
const userId = newId('usr');
const tag = organizationId.slice(-8);
await platform.db.transaction({ organizationId: null }, (tx) =>
  app.services.users.insert(tx, { id: userId, email: `bench.${tag}@example.com`, name: `Bench ${tag}` }),
);
const apiKey = await platform.db.transaction({ organizationId }, async (tx) => {
  await organizationRepository.insert(tx, `Bench ${tag}`);
  await membershipRepository.add(tx, userId, 'admin');
  const created = await insertApiKey(tx, { name: 'bench', role: 'admin', createdBy: userId, expiresAt: null });
  return created.key;
});

// Ctrl-C in a terminal reaches the whole process group: the bench process decides when to stop
// (it sends SIGTERM), so that it can still stop PostgreSQL and clean Redis after its servers.
process.on('SIGINT', () => undefined);
let stopping = false;
process.on('SIGTERM', async () => {
  if (stopping) return;
  stopping = true;
  try {
    await app.close();
    await platform.close();
  } finally {
    process.exit(0);
  }
});
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();
let gc = { count: 0, totalMs: 0, maxMs: 0 };
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    gc.count += 1;
    gc.totalMs += entry.duration;
    gc.maxMs = Math.max(gc.maxMs, entry.duration);
  }
}).observe({ entryTypes: ['gc'] });

let inspector;
const commands = {
  'stats-reset'() {
    loopDelay.reset();
    gc = { count: 0, totalMs: 0, maxMs: 0 };
  },
  stats() {
    return {
      loopDelayP99Ms: loopDelay.percentile(99) / 1e6,
      loopDelayMaxMs: loopDelay.max / 1e6,
      gcCount: gc.count,
      gcTotalMs: gc.totalMs,
      gcMaxMs: gc.maxMs,
      heapUsedMb: process.memoryUsage().heapUsed / 1e6,
    };
  },
  async 'profile-start'() {
    inspector = new Session();
    inspector.connect();
    await inspector.post('Profiler.enable');
    await inspector.post('Profiler.setSamplingInterval', { interval: Number(process.env.BENCH_PROFILE_INTERVAL_US ?? 250) });
    await inspector.post('Profiler.start');
  },
  async 'profile-stop'() {
    const { profile } = await inspector.post('Profiler.stop');
    await inspector.post('Profiler.disable');
    inspector.disconnect();
    return profile;
  },
};
process.on('message', async ({ id, command }) => {
  const result = await commands[command]();
  process.send({ id, result: result ?? null });
});
// baseUrl: AIM's public address (http://localhost:<port> here), the one agents sign (docs/agent-identity.md §4b).
process.send({ port: app.server.address().port, baseUrl: platform.publicOrigin.baseUrl, apiKey, store: platform.store.kind, organizationId });
