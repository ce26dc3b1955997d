import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalJsonText, jcs } from '@aim/audit-verify';
import pg from 'pg';
import { forEachTarget } from '../../testing/targets.js';
import { createTestDatabase, type TestDatabase } from '../../testing/test-database.js';
import { createDatabase, type Database } from '../db/database.js';
import { newId } from '../ids.js';
import { createAuditSequencer } from './audit-sequencer.js';
import { chainTime, joinSpans, walkChain, withChainSnapshot, type Span } from './chain-walk.js';

/**
 * The chain walked in spans on worker threads gives the same verdict as one walk: intact with every
 * event counted, and the same first broken event wherever the break falls (inside a span, on the
 * boundary between two).
 */
forEachTarget('audit chain walk in spans', (target) => {
  let database: TestDatabase;
  let db: Database;
  let owner: pg.Client;
  const EVENTS = 30;

  before(async () => {
    database = await createTestDatabase(target);
    db = createDatabase({ connectionString: database.appUrl, max: 2 });
    owner = new pg.Client({ connectionString: database.ownerUrl });
    await owner.connect();
  });
  after(async () => {
    await owner?.end();
    await db?.close();
    await database?.drop();
  });

  // Details the walk canonicalizes from jsonb's text in place (flat) and through JSON.parse (escapes, nesting, emoji).
  const DETAILS = [
    { n: 1, text: 'é ☃ "quoted"' },
    { risk: 'low', action: 'files:read', ok: true, none: null, ratio: 1.5, big: 1e21, negative: -7, zero: -0 },
    { nested: { b: 1, a: [2, 'x'] } },
    {},
    { emoji: '🙂', é: 'ü', Z: '' },
  ];

  /** An organization with EVENTS chained events (seq 1..EVENTS). */
  async function chain(): Promise<string> {
    const org = newId('org');
    await owner.query(`insert into organizations (id, name) values ($1, 'Walk')`, [org]);
    for (let i = 0; i < EVENTS; i++) {
      // Times on a whole second, with trailing zeros, and with all six digits of microseconds.
      await owner.query(
        `insert into audit_events (id, organization_id, actor_type, actor_id, action, outcome, details, occurred_at)
         values ($1, $2, 'system', null, 'test.event', 'success', $3, date_trunc('second', now()) + $4 * interval '1 microsecond')`,
        [newId('evt'), org, DETAILS[i % DETAILS.length], [0, 120_000, 123_456, 5][i % 4]],
      );
    }
    const sequencer = createAuditSequencer(db, { warn() {} }, { intervalMs: 3_600_000 });
    await sequencer.drain(org);
    await sequencer.stop();
    return org;
  }

  const walk = (org: string, threads: number) =>
    withChainSnapshot(db.connectionString, org, (snapshot) =>
      walkChain({ connectionString: db.connectionString, organizationId: org, fromSeq: 1, toSeq: EVENTS, startHash: '00'.repeat(32), snapshot: snapshot.id, threads, minEventsPerThread: 1 }),
    );

  /** Triggers off, as someone with the database owner's access would. */
  async function asIntruder(sql: string, params: unknown[]) {
    await owner.query('begin');
    await owner.query("set local session_replication_role = 'replica'");
    await owner.query(sql, params);
    await owner.query('commit');
  }

  it('walks an intact chain in three spans on worker threads, counting every event once', async () => {
    const org = await chain();
    const one = await walk(org, 1);
    const three = await walk(org, 3);
    assert.equal(one.status, 'intact');
    assert.deepEqual(three, one);
    assert.equal(three.checked, EVENTS);
  });

  it('names the same first broken event as one walk, inside a span and on a boundary', async () => {
    const inside = await chain();
    await asIntruder(`update audit_events set details = '{"n": 999}' where organization_id = $1 and seq = 15`, [inside]);
    const one = await walk(inside, 1);
    assert.deepEqual(await walk(inside, 3), one);
    assert.equal(one.status === 'broken' && one.brokenAt, 15);
    assert.equal(one.checked, 14);

    // Seq 20 ends the second span and gives the third its start: deleting it breaks at 20, once.
    const boundary = await chain();
    await asIntruder(`delete from audit_events where organization_id = $1 and seq = 20`, [boundary]);
    const spans = await walk(boundary, 3);
    assert.deepEqual(spans, { status: 'broken', checked: 19, brokenAt: 20, reason: 'events 20–20 are missing' });
    assert.deepEqual(spans, await walk(boundary, 1));

    // A later break does not hide an earlier one.
    const two = await chain();
    await asIntruder(`update audit_events set details = '{}' where organization_id = $1 and seq in (5, 25)`, [two]);
    const first = await walk(two, 3);
    assert.equal(first.status === 'broken' && first.brokenAt, 5);
  });

  it('reads times into the chain’s form exactly as the writer’s to_char does', async () => {
    await owner.query(`set timezone to 'UTC'`);
    const { rows } = await owner.query<{ text: string; expected: string }>(
      `select t::text as text, to_char(t at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as expected
         from unnest(array['2026-01-02 03:04:05+00', '2026-01-02 03:04:05.1+00', '2026-12-31 23:59:59.999999+00', '2026-06-30 12:00:00.00001+00']::timestamptz[]) t`,
    );
    for (const r of rows) assert.equal(chainTime(r.text), r.expected);
    assert.throws(() => chainTime('2026-01-02 03:04:05+01'), /unexpected time/);
  });

  it('canonicalizes details from jsonb’s text exactly as the writer canonicalizes the object', async () => {
    const values = [
      ...DETAILS,
      { a: 0.1, b: 100, c: 1e-7, d: 123456789012345678901234567890, e: 9007199254740993, f: -1.25e30, g: 10.0 },
      { key: 'a, b: {c}', 'with space': 'x', '': 'empty key' },
      { control: 'tab\there\u0001', slash: 'a\\b', quote: '"' },
      { list: [], object: {}, deep: { deeper: { deepest: [null, true] } } },
    ];
    const { rows } = await owner.query<{ text: string }>('select d::jsonb::text as text from unnest($1::text[]) with ordinality as u(d, i) order by i', [values.map((v) => JSON.stringify(v))]);
    for (const [i, r] of rows.entries()) assert.equal(canonicalJsonText(r.text), jcs(values[i]), r.text);
  });

  it('joins spans only where each starts from the hash the one before ended on', () => {
    const spans: Span[] = [
      { organizationId: 'org', fromSeq: 1, toSeq: 10, startHash: '00'.repeat(32), snapshot: null, last: false },
      { organizationId: 'org', fromSeq: 11, toSeq: 20, startHash: null, snapshot: null, last: true },
    ];
    const intact = (lastSeq: number, checked: number) => ({ status: 'intact' as const, checked, lastSeq, lastHash: 'bb'.repeat(32) });
    const joined = joinSpans(spans, [
      { verdict: intact(10, 10), startHash: '00'.repeat(32), lastHash: 'aa'.repeat(32) },
      { verdict: intact(20, 10), startHash: 'aa'.repeat(32), lastHash: 'bb'.repeat(32) },
    ]);
    assert.deepEqual(joined, { status: 'intact', checked: 20, lastSeq: 20, lastHash: 'bb'.repeat(32) });
    const changed = joinSpans(spans, [
      { verdict: intact(10, 10), startHash: '00'.repeat(32), lastHash: 'aa'.repeat(32) },
      { verdict: intact(20, 10), startHash: 'cc'.repeat(32), lastHash: 'bb'.repeat(32) },
    ]);
    assert.equal(changed.status === 'broken' && changed.brokenAt, 10);
    assert.equal(changed.checked, 10);
  });
});
