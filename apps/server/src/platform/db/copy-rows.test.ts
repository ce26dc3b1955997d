import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { forEachTarget } from '../../testing/targets.js';
import { createTestDatabase, type TestDatabase } from '../../testing/test-database.js';
import { copyField, copyTextRows } from './copy-rows.js';

forEachTarget('rows read with COPY in text format', (target) => {
  let database: TestDatabase;
  let client: pg.Client;

  before(async () => {
    database = await createTestDatabase(target);
    client = new pg.Client({ connectionString: database.ownerUrl });
    await client.connect();
  });
  after(async () => {
    await client?.end();
    await database?.drop();
  });

  it('gives every value back as PostgreSQL holds it: escapes, NULL, the text \\N, and characters split across chunks', async () => {
    const values = ['plain', 'tab\there', 'new\nline\r\n', 'back\\slash \\N \\t', '\\N', '', 'é ☃ 🙂 日本', '\u0001\u0007\b\f\u000b', 'x'.repeat(70_000) + '€'];
    const rows: (string | null)[][] = [];
    const query = `select v, null::text, length(v)::text from unnest(array[${values.map((v) => client.escapeLiteral(v)).join(', ')}]) with ordinality as u(v, i), generate_series(1, 50) order by i`;
    let batches = 0;
    for await (const batch of copyTextRows(client, query)) {
      batches += 1;
      rows.push(...batch);
    }
    assert.equal(rows.length, values.length * 50);
    assert.ok(batches > 1, 'read in more than one batch');
    for (const [i, row] of rows.entries()) {
      const value = values[Math.floor(i / 50)]!;
      assert.deepEqual(row, [value, null, String([...value].length)]);
    }
    // The connection is usable again after a COPY read to its end.
    assert.equal((await client.query('select 1 as one')).rows[0].one, 1);
  });

  it('decodes one field of the text format', () => {
    assert.equal(copyField('\\N'), null);
    assert.equal(copyField('\\\\N'), '\\N');
    assert.equal(copyField('a\\tb\\nc\\\\d\\re\\bf\\fg\\vh'), 'a\tb\nc\\d\re\bf\fg\vh');
    assert.equal(copyField('plain'), 'plain');
  });

  it('stops early when the reader does, leaving a connection that only needs ending', async () => {
    const other = new pg.Client({ connectionString: database.ownerUrl });
    other.on('error', () => undefined);
    await other.connect();
    let seen = 0;
    for await (const batch of copyTextRows(other, `select g::text, repeat('x', 1000) from generate_series(1, 200000) g`)) {
      seen += batch.length;
      break;
    }
    assert.ok(seen > 0 && seen < 200_000);
    await other.end();
  });
});
