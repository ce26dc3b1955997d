import { after, it } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, rm, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { forEachTarget } from '../../testing/targets.js';
import { createTestDatabase, type TestDatabase } from '../../testing/test-database.js';
import { MIGRATIONS_DIR, migrate, readMigrations } from './migrate.js';

forEachTarget('migrations', (target) => {
  const created: TestDatabase[] = [];
  const dirs: string[] = [];
  after(async () => {
    for (const d of created) await d.drop();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  const emptyDatabase = async () => {
    const db = await createTestDatabase(target, { empty: true });
    created.push(db);
    return db;
  };
  const copyOfMigrations = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'aim-migrations-'));
    dirs.push(dir);
    await cp(MIGRATIONS_DIR, dir, { recursive: true });
    return dir;
  };
  const opts = (db: TestDatabase, dir?: string) => ({
    ownerUrl: db.ownerUrl,
    appRole: target.appRole,
    appPassword: target.appPassword,
    ...(dir ? { dir } : {}),
  });

  it('applies every migration to an empty database, then has nothing left to do', async () => {
    const db = await emptyDatabase();
    const all = await readMigrations();
    const first = await migrate(opts(db));
    assert.equal(first.applied.length, all.length);
    assert.ok(all.length >= 1);
    const second = await migrate(opts(db));
    assert.deepEqual(second.applied, []);
    const client = new pg.Client({ connectionString: db.ownerUrl });
    await client.connect();
    try {
      const { rows } = await client.query('select version, checksum from aim_schema_migrations order by version');
      assert.deepEqual(
        rows.map((r) => [r.version, r.checksum]),
        all.map((m) => [m.version, m.checksum]),
      );
    } finally {
      await client.end();
    }
  });

  it('serializes migrators that start at the same time', async () => {
    const db = await emptyDatabase();
    const results = await Promise.all([migrate(opts(db)), migrate(opts(db)), migrate(opts(db))]);
    const total = results.reduce((n, r) => n + r.applied.length, 0);
    assert.equal(total, (await readMigrations()).length);
  });

  it('stops when a migration was edited after it was applied', async () => {
    const db = await emptyDatabase();
    const dir = await copyOfMigrations();
    await migrate(opts(db, dir));
    await appendFile(join(dir, '0001_foundation.sql'), '\n-- an innocent-looking edit\n');
    await assert.rejects(migrate(opts(db, dir)), /0001_foundation\.sql was changed after it was applied/);
  });

  it('applies each migration atomically: a failing one leaves no trace', async () => {
    const db = await emptyDatabase();
    const dir = await copyOfMigrations();
    const next = String((await readMigrations(dir)).length + 1).padStart(4, '0');
    await writeFile(join(dir, `${next}_broken.sql`), 'create table half_done (id int);\nselect * from no_such_table;\n');
    await assert.rejects(migrate(opts(db, dir)), new RegExp(`Migration ${next}_broken failed`));
    const client = new pg.Client({ connectionString: db.ownerUrl });
    await client.connect();
    try {
      assert.equal((await client.query(`select to_regclass('half_done') as t`)).rows[0].t, null);
      assert.equal((await client.query('select max(version) as v from aim_schema_migrations')).rows[0].v, Number(next) - 1);
    } finally {
      await client.end();
    }
  });

  it('rejects file names out of sequence', async () => {
    const dir = await copyOfMigrations();
    // One number past the next free one: a gap, however many migrations there are.
    const gap = String((await readMigrations(dir)).length + 2).padStart(4, '0');
    await writeFile(join(dir, `${gap}_gap.sql`), 'select 1;');
    await assert.rejects(readMigrations(dir), /out of sequence/);
    const other = await copyOfMigrations();
    await writeFile(join(other, '0002-bad-name.sql'), 'select 1;');
    await assert.rejects(readMigrations(other), /does not match NNNN_name\.sql/);
  });
});
