import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { forEachTarget } from '../../testing/targets.js';
import { createTestDatabase, type TestDatabase } from '../../testing/test-database.js';
import { createDatabase, type Database } from '../db/database.js';
import type { RequestContext } from '../http/request-context.js';
import { newId } from '../ids.js';
import { AuditWriteError, recordAuditEvent } from './audit-log.js';
import { createAuditSequencer } from './audit-sequencer.js';

forEachTarget('audit write path', (target) => {
  let database: TestDatabase;
  let db: Database;
  let owner: pg.Client;
  const org = newId('org');
  const ctx: RequestContext = {
    requestId: 'req-audit-1',
    clientIp: '203.0.113.9',
    userAgent: 'aim-tests',
    actor: { type: 'user', id: 'usr_0000000000000000000000000a' },
    organizationId: org,
    role: 'admin',
    userId: 'usr_0000000000000000000000000a',
    personId: null,
    sessionId: null,
  };

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

  const countEvents = async (action: string) =>
    Number((await owner.query('select count(*) from audit_events where action = $1', [action])).rows[0].count);

  it('commits a change and its event together, with every field recorded', async () => {
    const event = await db.transaction({ organizationId: org }, async (tx) => {
      await tx.query(`insert into organizations (id, name) values ($1, 'Acme')`, [org]);
      return recordAuditEvent(tx, ctx, {
        action: 'organization.create',
        target: { type: 'organization', id: org },
        details: { name: 'Acme' },
      });
    });
    const { rows } = await owner.query('select * from audit_events where id = $1', [event.id]);
    const row = rows[0];
    assert.equal(row.organization_id, org);
    assert.equal(row.actor_type, 'user');
    assert.equal(row.actor_id, ctx.actor.id);
    assert.equal(row.action, 'organization.create');
    assert.equal(row.target_type, 'organization');
    assert.equal(row.target_id, org);
    assert.equal(row.outcome, 'success');
    assert.equal(row.request_id, 'req-audit-1');
    assert.equal(row.client_ip, '203.0.113.9');
    assert.equal(row.user_agent, 'aim-tests');
    assert.deepEqual(row.details, { name: 'Acme' });
    assert.match(row.id, /^evt_[0-9a-z]{26}$/);
  });

  it('rolls the event back when the change fails', async () => {
    await assert.rejects(
      db.transaction({ organizationId: org }, async (tx) => {
        await recordAuditEvent(tx, ctx, { action: 'organization.rename', target: { type: 'organization', id: org } });
        await tx.query(`update organizations set name = '' where id = $1`, [org]); // violates the name check
      }),
      /check constraint/,
    );
    assert.equal(await countEvents('organization.rename'), 0);
  });

  it('rolls the change back when the event cannot be written', async () => {
    await assert.rejects(
      db.transaction({ organizationId: org }, async (tx) => {
        await tx.query(`update organizations set name = 'Renamed' where id = $1`, [org]);
        await recordAuditEvent(tx, { ...ctx, requestId: 'x'.repeat(200) }, { action: 'organization.rename' });
      }),
      /check constraint/,
    );
    const { rows } = await owner.query('select name from organizations where id = $1', [org]);
    assert.equal(rows[0].name, 'Acme');
  });

  it('refuses details that carry a secret, and malformed actions, before writing', async () => {
    await assert.rejects(
      db.transaction({ organizationId: org }, (tx) =>
        recordAuditEvent(tx, ctx, { action: 'api_key.create', details: { nested: { apiKey: 'aim_live_x' } } }),
      ),
      (e: unknown) => e instanceof AuditWriteError && /details\.nested\.apiKey/.test(e.message),
    );
    await assert.rejects(
      db.transaction({ organizationId: org }, (tx) => recordAuditEvent(tx, ctx, { action: 'CreateThing' })),
      AuditWriteError,
    );
    await assert.rejects(
      db.transaction({ organizationId: null }, (tx) => recordAuditEvent(tx, ctx, { action: 'organization.create' })),
      /scoped to an organization/,
    );
    await assert.rejects(
      db.transaction({ organizationId: org }, (tx) =>
        recordAuditEvent(tx, ctx, { action: 'session.create', organizationId: 'org_00000000000000000000000000' }),
      ),
      /another organization/,
    );
  });

  it('lets system-scope flows append to a named organization, which still cannot read it back', async () => {
    const event = await db.transaction({ organizationId: null }, (tx) =>
      recordAuditEvent(tx, ctx, { action: 'session.create', organizationId: org }),
    );
    const unscoped = await db.transaction({ organizationId: null }, (tx) => tx.query('select id from audit_events where id = $1', [event.id]));
    assert.equal(unscoped.rowCount, 0);
    const scoped = await db.transaction({ organizationId: org }, (tx) => tx.query('select id from audit_events where id = $1', [event.id]));
    assert.equal(scoped.rowCount, 1);
  });

  it('refuses UPDATE, DELETE and TRUNCATE through the app role', async () => {
    for (const sql of ['update audit_events set outcome = $1', 'delete from audit_events where outcome = $1']) {
      await assert.rejects(
        db.transaction({ organizationId: org }, (tx) => tx.query(sql, ['failure'])),
        /permission denied/,
      );
    }
    await assert.rejects(db.transaction({ organizationId: org }, (tx) => tx.query('truncate audit_events')), /permission denied/);
    assert.ok((await countEvents('organization.create')) >= 1);
  });

  it('refuses UPDATE, DELETE and TRUNCATE even for the owner, on the table and its partitions', async () => {
    await assert.rejects(owner.query(`update audit_events set outcome = 'failure'`), /append-only: UPDATE/);
    await assert.rejects(owner.query('delete from audit_events'), /append-only: DELETE/);
    await assert.rejects(owner.query('truncate audit_events'), /append-only: TRUNCATE/);
    const { rows } = await owner.query<{ name: string }>(
      `select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid where i.inhparent = 'audit_events'::regclass`,
    );
    for (const { name } of rows) {
      await assert.rejects(owner.query(`truncate ${name}`), /append-only: TRUNCATE/, `partition ${name}`);
    }
  });

  it('has monthly partitions from this month to three months ahead, and creates more idempotently', async () => {
    const names = async () =>
      (
        await owner.query<{ name: string }>(
          `select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
            where i.inhparent = 'audit_events'::regclass order by 1`,
        )
      ).rows.map((r) => r.name);
    const { rows: months } = await owner.query<{ name: string }>(
      `select format('audit_events_y%sm%s', to_char(m, 'YYYY'), to_char(m, 'MM')) as name
         from generate_series(date_trunc('month', now() at time zone 'UTC'), date_trunc('month', now() at time zone 'UTC') + interval '3 months', interval '1 month') as m`,
    );
    const expected = months.map((r) => r.name);
    assert.deepEqual(await names(), expected);
    const created = await db.query<{ n: number }>('select aim_ensure_partitions(3) as n');
    assert.equal(created.rows[0]?.n, 0);
    await db.query('select aim_ensure_partitions(5)');
    assert.equal((await names()).length, 6);
  });

  it('takes the time from the database clock: the app role cannot backdate an event', async () => {
    await assert.rejects(
      db.transaction({ organizationId: org }, (tx) =>
        tx.query(
          `insert into audit_events (id, organization_id, occurred_at, actor_type, action, outcome)
           values ($1, $2, now() - interval '1 day', 'system', 'x.y', 'success')`,
          [newId('evt'), org],
        ),
      ),
      /permission denied/,
    );
  });

  it('lets events arrive only unchained, be chained once, and never change content or the head', async () => {
    await assert.rejects(
      owner.query(`insert into audit_events (id, organization_id, seq, hash, actor_type, action, outcome) values ($1, $2, 1, $3, 'system', 'x.y', 'success')`, [
        newId('evt'),
        org,
        Buffer.alloc(32),
      ]),
      /chained by the sequencer/,
    );
    const { rows } = await owner.query('select id from audit_events where organization_id = $1 and seq is null limit 1', [org]);
    const id = rows[0].id;
    await assert.rejects(
      db.transaction({ organizationId: org }, (tx) => tx.query(`update audit_events set outcome = 'failure' where id = $1`, [id])),
      /permission denied/,
    );
    // The app role cannot give an event a position itself: only the chaining function can.
    await assert.rejects(
      db.transaction({ organizationId: org }, (tx) => tx.query('update audit_events set seq = 1000000, hash = $2 where id = $1', [id, Buffer.alloc(32)])),
      /permission denied/,
    );
    // The chaining function only takes unchained events of the scope's own organization.
    const other = newId('org');
    await owner.query(`insert into organizations (id, name) values ($1, 'Other')`, [other]);
    await assert.rejects(
      db.transaction({ organizationId: other }, (tx) => tx.query('select aim_chain_audit_batch($1::text[], $2::bytea[])', [[id], [Buffer.alloc(32)]])),
      /not unchained events of/,
    );
    await assert.rejects(
      db.transaction({ organizationId: org }, (tx) => tx.query('update audit_chain_heads set seq = 0 where organization_id = $1', [org])),
      /permission denied/,
    );
  });

  it('chains committed events in order of arrival, and a chained event cannot be re-chained', async () => {
    const sequencer = createAuditSequencer(db, { warn() {} }, { intervalMs: 3_600_000 });
    try {
      const chained = await sequencer.drain(org);
      assert.ok(chained >= 1);
      const { rows } = await owner.query('select seq, ingest_id from audit_events where organization_id = $1 order by seq', [org]);
      assert.ok(rows.every((r, i) => Number(r.seq) === i + 1), 'seq 1..n with no gap');
      assert.ok(rows.every((r, i) => i === 0 || Number(r.ingest_id) > Number(rows[i - 1].ingest_id)), 'in order of arrival');
      await assert.rejects(
        db.transaction({ organizationId: org }, (tx) => tx.query('update audit_events set seq = 500, hash = $2 where organization_id = $1 and seq = 1', [org, Buffer.alloc(32)])),
        /permission denied/,
      );
      // Not even the owner may move a chained event.
      await assert.rejects(owner.query('update audit_events set seq = 500 where organization_id = $1 and seq = 1', [org]), /append-only: UPDATE/);
    } finally {
      await sequencer.stop();
    }
  });

  it('does not cascade: no foreign key points into the audit log', async () => {
    const { rows } = await owner.query(
      `select conname from pg_constraint where contype = 'f' and (conrelid = 'audit_events'::regclass or confrelid = 'audit_events'::regclass)`,
    );
    assert.deepEqual(rows, []);
  });
});
