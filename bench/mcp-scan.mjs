#!/usr/bin/env node
// `npm run bench:mcp-scan`: MCP scan throughput (docs/mcp.md, "Scans"), on the external PostgreSQL.
//
// The code under test is the scan service as the app builds it (modules/mcp-servers/scans): the scanner
// (the MCP SDK's Client and Streamable HTTP transport, through the outbound guard with its own
// connection pool per scan, limits and deadlines, the server card looked for at its two locations),
// then one transaction per scan that stores it with its tool definitions, runs the hooks as services.ts
// wires them (identity, approval, attestations, poisoning, confidence; BENCH_MCP_HOOKS=0 for none),
// audits it and prunes old scans. The servers run in a process of their own (bench/lib/mcp-bench-servers.mjs):
// BENCH_MCP_SERVERS (20) servers with BENCH_MCP_TOOLS (50) tools, made with the MCP SDK.
//
// Each round (BENCH_ROUNDS, 3; medians reported), BENCH_CONCURRENCY (10) loops scan the servers (loop i
// owns servers i, i + concurrency, …, so no server is scanned twice at once) BENCH_SCANS_PER_SERVER (10)
// times each:
//   - baseline: a bare MCP SDK client (Client + StreamableHTTPClientTransport, the default fetch) doing
//     initialize and tools/list, then closing: scans per second;
//   - AIM: the scan service's scan of the same servers: scans per second. Target: ≥ 50 % of the baseline.
// The two alternate which goes first from round to round.
//
// Environment: BENCH_MCP_HOOKS (0: no hooks), BENCH_MCP_HOOK_NAMES (only these hooks), BENCH_ROUNDS, BENCH_MCP_SERVERS, BENCH_MCP_TOOLS, BENCH_CONCURRENCY, BENCH_SCANS_PER_SERVER,
// BENCH_DATABASE_URL (postgres://postgres@127.0.0.1:5432/postgres: the admin connection that creates and
// drops the bench's database and role).
import { fork } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { dist } from './lib/database.mjs';
import { createExternalBenchDatabase } from './lib/external-database.mjs';

const root = new URL('..', import.meta.url).pathname;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SERVERS = Number(process.env.BENCH_MCP_SERVERS ?? 20);
const TOOLS = Number(process.env.BENCH_MCP_TOOLS ?? 50);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 10);
const PER_SERVER = Number(process.env.BENCH_SCANS_PER_SERVER ?? 10);

const { createDatabase } = await dist('platform/db/database.js');
const { createOutboundGuard } = await dist('platform/net/outbound-guard.js');
const { newId } = await dist('platform/ids.js');
const { createMcpScanner } = await dist('modules/mcp-servers/scans/mcp-scanner.js');
const { createScanService } = await dist('modules/mcp-servers/scans/scan-service.js');
const { createDomainEvents } = await dist('platform/events/domain-events.js');
const { createMemoryStore } = await dist('platform/store/memory-store.js');
const { createIdentityScanHook } = await dist('modules/mcp-servers/identity/identity-hook.js');
const { createApprovalScanHook } = await dist('modules/mcp-servers/approvals/index.js');
const { createAttestationScanHook } = await dist('modules/mcp-servers/attestations/attestation-scan-hook.js');
const { createPoisoningScanHook, createConfidenceScanHook } = await dist('modules/mcp-servers/findings/index.js');
const HOOKS = process.env.BENCH_MCP_HOOKS !== '0';
const requireFromServer = (p) => import(join(root, 'node_modules/@modelcontextprotocol/sdk/dist/esm', p));
const { Client } = await requireFromServer('client/index.js');
const { StreamableHTTPClientTransport } = await requireFromServer('client/streamableHttp.js');

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const child = fork(join(root, 'bench/lib/mcp-bench-servers.mjs'), { env: { ...process.env, BENCH_MCP_SERVERS: String(SERVERS), BENCH_MCP_TOOLS: String(TOOLS) } });
const { urls } = await new Promise((resolve) => child.once('message', resolve));
const bench = await createExternalBenchDatabase('mcpscan');
const owner = new pg.Client({ connectionString: bench.ownerUrl });
await owner.connect();
const db = createDatabase({ connectionString: bench.appUrl, max: 10 });
const guard = createOutboundGuard({ allowPrivateNetworks: true });
const quiet = { error: (o, m) => console.error(m, o), warn() {}, info() {}, debug() {}, child() { return quiet; } };
const events = createDomainEvents({ db, store: createMemoryStore(), logger: quiet });
const hooks = HOOKS
  ? [createIdentityScanHook({ events }), createApprovalScanHook({ events }), createAttestationScanHook({ events }), createPoisoningScanHook({ events }), createConfidenceScanHook()]
  : [];
// BENCH_MCP_HOOK_NAMES=identity,approval,… keeps only those (to see what each costs).
if (process.env.BENCH_MCP_HOOK_NAMES) hooks.splice(0, hooks.length, ...hooks.filter((h) => process.env.BENCH_MCP_HOOK_NAMES.split(',').includes(h.name)));
const service = createScanService({
  db,
  scanner: createMcpScanner({ guard, clientInfo: { name: 'aim', version: 'bench' } }),
  hooks,
  logger: { error: (o, m) => console.error(m, o), warn() {} },
});

const organizationId = newId('org');
const userId = newId('usr');
await owner.query(`insert into organizations (id, name) values ($1, 'Bench')`, [organizationId]);
const serverIds = [];
for (const [i, url] of urls.entries()) {
  const id = newId('mcp');
  await owner.query(
    `insert into mcp_servers (id, organization_id, name, slug, owner_id, transport, endpoint_url, created_by_type, created_by_id)
     values ($1, $2, $3, $3, null, 'streamable_http', $4, 'user', $5)`,
    [id, organizationId, `bench-${i}`, url, userId],
  );
  serverIds.push(id);
}
const ctx = {
  requestId: 'bench', clientIp: null, userAgent: null, actor: { type: 'user', id: userId }, organizationId, role: 'admin', userId, personId: userId, sessionId: null,
};

async function bare(url) {
  const client = new Client({ name: 'bare', version: '1' });
  const transport = new StreamableHTTPClientTransport(new URL(url));
  await client.connect(transport);
  const { tools } = await client.listTools();
  if (tools.length !== TOOLS) throw new Error(`bare client saw ${tools.length} tools`);
  await transport.terminateSession().catch(() => undefined);
  await client.close();
}
async function aim(index) {
  const scan = await service.scan(ctx, serverIds[index]);
  if (scan.status !== 'succeeded' || scan.counts.tools !== TOOLS) throw new Error(`scan failed: ${JSON.stringify(scan.failure)}`);
}

/** CONCURRENCY loops, loop i scanning servers i, i + CONCURRENCY, … PER_SERVER times: scans per second. */
async function run(scanOne) {
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, loop) => {
      const mine = urls.map((_, i) => i).filter((i) => i % CONCURRENCY === loop);
      for (let n = 0; n < PER_SERVER; n++) for (const i of mine) await scanOne(i);
    }),
  );
  return (SERVERS * PER_SERVER) / ((performance.now() - started) / 1000);
}

await run((i) => bare(urls[i])); // warm-up of both paths (connections, JIT, prepared statements)
await run(aim);
const rates = { bare: [], aim: [] };
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 ? ['aim', 'bare'] : ['bare', 'aim'];
  for (const which of order) rates[which].push(await run(which === 'bare' ? (i) => bare(urls[i]) : aim));
  console.log(`round ${round + 1}: bare SDK client ${rates.bare.at(-1).toFixed(1)} scans/s, AIM ${rates.aim.at(-1).toFixed(1)} scans/s`);
}
const result = {
  servers: SERVERS,
  toolsPerServer: TOOLS,
  concurrency: CONCURRENCY,
  scansPerRound: SERVERS * PER_SERVER,
  rounds: ROUNDS,
  hooks: hooks.map((h) => h.name),
  bareScansPerSecond: median(rates.bare),
  aimScansPerSecond: median(rates.aim),
  ratio: median(rates.aim) / median(rates.bare),
  // Each round's own ratio (the two ran back to back), then their median: steadier on a shared machine.
  medianRoundRatio: median(rates.aim.map((r, i) => r / rates.bare[i])),
};
console.log(`\nmedians over ${ROUNDS} rounds of ${SERVERS * PER_SERVER} scans (${SERVERS} servers × ${TOOLS} tools, ${CONCURRENCY} at once):`);
console.log(`  bare MCP SDK client (initialize + tools/list): ${result.bareScansPerSecond.toFixed(1)} scans/s`);
console.log(`  AIM scan (through the guard, stored, judged by ${hooks.length} hooks, audited): ${result.aimScansPerSecond.toFixed(1)} scans/s`);
console.log(`  ratio of the medians: ${(result.ratio * 100).toFixed(1)} %; median of the rounds' ratios: ${(result.medianRoundRatio * 100).toFixed(1)} % (target ≥ 50 %)`);
await mkdir(join(root, 'bench/results'), { recursive: true });
await writeFile(join(root, 'bench/results', `mcp-scan-${new Date().toISOString().replace(/[:.]/g, '-')}.json`), JSON.stringify(result, null, 2));

await db.close();
await owner.end();
await bench.drop();
child.disconnect();
