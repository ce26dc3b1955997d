#!/usr/bin/env node
// `npm run bench:audit`: the audit log's sustained append rate with 8 concurrent writers (all in one
// organization, then one per organization, on the embedded PostgreSQL), against plain inserts of the
// same rows into an unchained table measured in the same run; and the offline verifier's speed
// against only parsing the same export.
//
// BENCH_DURATION seconds per measurement (default 10).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import pg from 'pg';

import { dist, startBenchDatabase } from './lib/database.mjs';

const root = new URL('..', import.meta.url).pathname;
const { createDatabase } = await dist('platform/db/database.js');
const { recordAuditEvent } = await dist('platform/audit/audit-log.js');
const { newId } = await dist('platform/ids.js');
const { createAuditService } = await dist('modules/audit/audit-service.js');
const { createAuditSequencer } = await dist('platform/audit/audit-sequencer.js');
const { verifyExportFile } = await import(join(root, 'packages/audit-verify/dist/index.js'));

const DURATION = Number(process.env.BENCH_DURATION ?? 10) * 1000;
const WRITERS = 8;
const quiet = { info() {}, warn() {}, error: console.error, debug() {} };

const bench = await startBenchDatabase('audit');
const { ownerUrl, appUrl, dir } = bench;
try {
  const owner = new pg.Client({ connectionString: ownerUrl });
  await owner.connect();
  await owner.query('create table bench_plain (id text primary key, organization_id text, occurred_at timestamptz default clock_timestamp(), action text, details jsonb)');
  await owner.query('grant select, insert on bench_plain to aim_bench_app');
  const orgs = Array.from({ length: WRITERS }, () => newId('org'));
  for (const org of orgs) await owner.query(`insert into organizations (id, name) values ($1, 'Bench')`, [org]);

  const db = createDatabase({ connectionString: appUrl, max: WRITERS + 4 });
  // The sequencer runs beside the writers, as on a server; what it has not chained when the writers
  // stop is drained and timed, so the chaining rate covers every event.
  const sequencer = createAuditSequencer(db, quiet);
  const ctx = (org) => ({
    requestId: 'bench',
    clientIp: '203.0.113.10',
    userAgent: 'aim-bench',
    actor: { type: 'api_key', id: 'key_00000000000000000000000000' },
    organizationId: org,
    role: 'admin',
    userId: null,
    sessionId: null,
  });
  const details = { name: { from: 'Before', to: 'After' }, note: 'a typical small change' };

  async function run(label, orgOf, write, chained = false) {
    let count = 0;
    const deadline = Date.now() + DURATION;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: WRITERS }, async (_, w) => {
        while (Date.now() < deadline) {
          await write(orgOf(w));
          count += 1;
        }
      }),
    );
    const writing = (performance.now() - started) / 1000;
    const rate = count / writing;
    let line = `${label.padEnd(58)} ${rate.toFixed(0).padStart(7)} /s`;
    if (chained) {
      const drainStarted = performance.now();
      for (const org of new Set(Array.from({ length: WRITERS }, (_, w) => orgOf(w)))) await sequencer.drain(org);
      const total = writing + (performance.now() - drainStarted) / 1000;
      line += `   chained ${(count / total).toFixed(0)} /s (backlog drained in ${((performance.now() - drainStarted) / 1000).toFixed(2)} s)`;
    }
    console.log(line);
    return rate;
  }
  const chained = (org) => db.transaction({ organizationId: org }, (tx) => recordAuditEvent(tx, ctx(org), { action: 'organization.update', target: { type: 'organization', id: org }, details }));
  const plain = (org) =>
    db.transaction({ organizationId: org }, (tx) =>
      tx.query('insert into bench_plain (id, organization_id, action, details) values ($1, $2, $3, $4)', [newId('evt'), org, 'organization.update', details]),
    );

  console.log(`audit appends, ${WRITERS} concurrent writers, ${DURATION / 1000}s each, embedded PostgreSQL`);
  await run('warm-up', (w) => orgs[w], chained, true);
  const plainOne = await run('baseline: plain insert, one organization', () => orgs[0], plain);
  const chainOne = await run('audit event, one organization', () => orgs[0], chained, true);
  const plainEight = await run('baseline: plain insert, eight organizations', (w) => orgs[w], plain);
  const chainEight = await run('audit event, eight organizations (total)', (w) => orgs[w], chained, true);
  console.log(`one organization:    ${chainOne.toFixed(0)} appends/s (target >= 2000), ${((chainOne / plainOne) * 100).toFixed(1)}% of plain inserts`);
  console.log(`eight organizations: ${chainEight.toFixed(0)} appends/s in all, ${(chainEight / WRITERS).toFixed(0)} per organization, ${((chainEight / plainEight) * 100).toFixed(1)}% of plain inserts`);

  // The offline verifier, on an export of the busiest organization.
  const audit = createAuditService({ db, sequencer });
  const exportCtx = { ...ctx(orgs[0]), role: 'admin' };
  const file = join(dir, 'export.ndjson');
  let text = '';
  for await (const chunk of await audit.export(exportCtx, { format: 'ndjson' })) text += chunk;
  await writeFile(file, text);
  const parseOnly = async () => {
    let n = 0;
    for await (const line of createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity })) {
      if (line) JSON.parse(line);
      n += 1;
    }
    return n - 1;
  };
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const rates = { parse: [], verify: [] };
  let events = 0;
  for (let i = 0; i < 3; i++) {
    let t0 = performance.now();
    events = await parseOnly();
    rates.parse.push(events / ((performance.now() - t0) / 1000));
    t0 = performance.now();
    const result = await verifyExportFile(file);
    if (result.verdict.status !== 'intact') throw new Error(`the export does not verify: ${JSON.stringify(result.verdict)}`);
    rates.verify.push(result.events / ((performance.now() - t0) / 1000));
  }
  console.log(`offline verifier on ${events} events: ${median(rates.verify).toFixed(0)} records/s (target >= 100000), parsing alone ${median(rates.parse).toFixed(0)} records/s (${((median(rates.verify) / median(rates.parse)) * 100).toFixed(1)}%)`);
  await sequencer.stop();
  await db.close();
  await owner.end();
} finally {
  await bench.stop();
}
