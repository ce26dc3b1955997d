#!/usr/bin/env node
// `npm test`: unit and integration tests with node's test runner, over the compiled output.
//
// Every run starts its own embedded PostgreSQL (in a temporary folder) and tests against it with
// the in-process store. When TEST_DATABASE_URL and TEST_REDIS_URL are set (CI sets both), the
// integration suites run a second time against those services. Each target gets one migrated
// template database that suites clone. Ends with a line "N passed, N failed".
import { mkdtemp, rm, readdir, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { randomBytes } from 'node:crypto';
import { run } from 'node:test';
import { spec } from 'node:test/reporters';
import pg from 'pg';

const root = new URL('..', import.meta.url).pathname;
const { startEmbeddedPostgres } = await import(join(root, 'apps/server/dist/platform/db/embedded-postgres.js'));
const { migrate } = await import(join(root, 'apps/server/dist/platform/db/migrate.js'));

// Per run, so that concurrent runs against one PostgreSQL never share a role or a database.
const runId = randomBytes(4).toString('hex');
const APP_ROLE = `aim_test_app_${runId}`;
const APP_PASSWORD = `test-${randomBytes(12).toString('hex')}`;
const quiet = { info() {}, warn() {}, error: (...a) => console.error(...a), debug() {} };

async function findTests(dir) {
  const out = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await findTests(path)));
    else if (entry.name.endsWith('.test.js')) out.push(path);
  }
  return out;
}

function databaseUrl(adminUrl, database) {
  const u = new URL(adminUrl);
  u.pathname = `/${database}`;
  return u.toString();
}

async function withAdmin(adminUrl, fn) {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function prepareTarget(name, adminUrl, redisUrl) {
  const templateDatabase = `aim_tpl_${runId}`;
  await withAdmin(adminUrl, (c) => c.query(`create database ${templateDatabase}`));
  await migrate({ ownerUrl: databaseUrl(adminUrl, templateDatabase), appRole: APP_ROLE, appPassword: APP_PASSWORD });
  return { name, adminUrl, templateDatabase, databasePrefix: `aim_t_${runId}_`, appRole: APP_ROLE, appPassword: APP_PASSWORD, redisUrl };
}

async function dropLeftovers(target) {
  await withAdmin(target.adminUrl, async (c) => {
    const { rows } = await c.query('select datname from pg_database where datname = $1 or starts_with(datname, $2)', [
      target.templateDatabase,
      target.databasePrefix,
    ]);
    for (const { datname } of rows) await c.query(`drop database if exists "${datname}" with (force)`).catch(() => undefined);
    await c.query(`drop role if exists ${APP_ROLE}`).catch(() => undefined);
  });
}

const dataDir = await mkdtemp(join(tmpdir(), 'aim-test-'));
await chmod(dataDir, 0o755);
let embedded;
const targets = [];
let passed = 0;
let failed = 0;
let skipped = 0;
try {
  const started = Date.now();
  embedded = await startEmbeddedPostgres({
    clusterDir: join(dataDir, 'postgres'),
    password: randomBytes(16).toString('hex'),
    port: 0,
    logger: quiet,
  });
  targets.push(await prepareTarget('embedded PostgreSQL + in-process store', embedded.url('postgres'), undefined));

  const externalDb = process.env.TEST_DATABASE_URL;
  const externalRedis = process.env.TEST_REDIS_URL;
  if (externalDb || externalRedis) {
    if (!externalDb || !externalRedis) throw new Error('Set both TEST_DATABASE_URL and TEST_REDIS_URL, or neither.');
    targets.push(await prepareTarget('external PostgreSQL + Redis', externalDb, externalRedis));
  }
  console.log(`test targets: ${targets.map((t) => t.name).join('; ')} (ready in ${Date.now() - started} ms)`);

  const filter = process.argv.slice(2);
  // The dashboard's browser tests compile on their own (apps/web/test, a project of the root `tsc -b`).
  const compiled = ['apps/server/dist', 'apps/web/test/dist', 'packages/contracts/dist', 'packages/audit-verify/dist', 'packages/sdk/dist'];
  let files = (await Promise.all(compiled.map((d) => findTests(join(root, d))))).flat().sort();
  if (filter.length > 0) files = files.filter((f) => filter.some((p) => f.includes(p)));
  process.env.AIM_TEST_TARGETS = JSON.stringify(targets);

  const stream = run({ files, concurrency: 2, timeout: 5 * 60_000 });
  stream.on('test:pass', (event) => {
    if (event.details?.type === 'suite') return;
    if (event.skip || event.todo) skipped += 1;
    else passed += 1;
  });
  // What a test file writes to stderr (the server errors the test apps log) reaches the output as is.
  stream.on('test:stderr', (event) => process.stderr.write(event.message));
  stream.on('test:fail', (event) => {
    if (event.details?.type === 'suite' && event.details?.error?.failureType === 'subtestsFailed') return;
    failed += 1;
  });
  await new Promise((resolve, reject) => {
    const out = stream.compose(spec);
    out.on('data', (chunk) => process.stdout.write(chunk));
    out.on('end', resolve);
    out.on('error', reject);
  });
  console.log(`test files: ${files.map((f) => relative(root, f)).length}`);
} catch (error) {
  failed += 1;
  console.error(`test run failed: ${error?.stack ?? error}`);
} finally {
  for (const target of targets) await dropLeftovers(target).catch(() => undefined);
  await embedded?.stop();
  await rm(dataDir, { recursive: true, force: true });
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exitCode = failed > 0 || passed === 0 ? 1 : 0;
