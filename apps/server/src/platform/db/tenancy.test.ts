import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { forEachTarget } from '../../testing/targets.js';
import { createTestDatabase, type TestDatabase } from '../../testing/test-database.js';
import { newId } from '../ids.js';
import { createDatabase, InvalidTenantScopeError, type Database } from './database.js';
import { assertRestrictedRole } from './role-check.js';

/**
 * Row-level security is the backstop for tenancy: these tests go around the data layer and
 * use raw SQL through the application's role.
 */
forEachTarget('tenancy enforced by PostgreSQL', (target) => {
  let database: TestDatabase;
  let owner: pg.Client;
  let app: pg.Client;
  let db: Database;
  const orgA = newId('org');
  const orgB = newId('org');

  before(async () => {
    database = await createTestDatabase(target);
    owner = new pg.Client({ connectionString: database.ownerUrl });
    app = new pg.Client({ connectionString: database.appUrl });
    await owner.connect();
    await app.connect();
    db = createDatabase({ connectionString: database.appUrl, max: 2 });
    // Seed as the owner, which RLS does not restrict.
    await owner.query(`insert into organizations (id, name) values ($1, 'Org A'), ($2, 'Org B')`, [orgA, orgB]);
    await owner.query(
      `insert into audit_events (id, organization_id, actor_type, action, outcome)
       values ($1, $2, 'system', 'organization.create', 'success'), ($3, $4, 'system', 'organization.create', 'success')`,
      [newId('evt'), orgA, newId('evt'), orgB],
    );
  });

  after(async () => {
    await app?.end();
    await owner?.end();
    await db?.close();
    await database?.drop();
  });

  const asOrg = async <T extends pg.QueryResultRow>(org: string | null, sql: string): Promise<T[]> => {
    await app.query('begin');
    try {
      if (org !== null) await app.query(`select set_config('app.current_org_id', $1, true)`, [org]);
      return (await app.query<T>(sql)).rows;
    } finally {
      await app.query('rollback');
    }
  };

  it('shows nothing to the app role when no organization is set', async () => {
    assert.equal((await asOrg(null, 'select id from organizations')).length, 0);
    assert.equal((await asOrg(null, 'select id from audit_events')).length, 0);
    const [count] = await asOrg<{ n: string }>(null, 'select count(*)::text as n from audit_events');
    assert.equal(count?.n, '0');
  });

  it("shows only organization A's rows with A's setting, in reads and counts", async () => {
    assert.deepEqual((await asOrg<{ id: string }>(orgA, 'select id from organizations')).map((r) => r.id), [orgA]);
    const events = await asOrg<{ organization_id: string }>(orgA, 'select organization_id from audit_events');
    assert.equal(events.length, 1);
    assert.equal(events[0]?.organization_id, orgA);
    const [count] = await asOrg<{ n: string }>(orgB, 'select count(*)::text as n from organizations');
    assert.equal(count?.n, '1');
  });

  it('clears the setting at the end of each transaction on a reused connection', async () => {
    await asOrg(orgA, 'select 1');
    assert.equal((await app.query('select id from organizations')).rowCount, 0);
  });

  it("refuses to write a row into another organization's scope", async () => {
    await assert.rejects(
      db.transaction({ organizationId: orgA }, (tx) =>
        tx.query(`insert into audit_events (id, organization_id, actor_type, action, outcome) values ($1, $2, 'system', 'x.y', 'success')`, [
          newId('evt'),
          orgB,
        ]),
      ),
      /row-level security/,
    );
    await assert.rejects(
      db.transaction({ organizationId: orgA }, (tx) => tx.query(`update organizations set name = 'taken' where id = $1 returning id`, [orgB]).then((r) => {
        if (r.rowCount !== 0) throw new Error('updated another tenant');
        throw new Error('row-level security hid it');
      })),
      /row-level security hid it/,
    );
  });

  it('scopes data-layer transactions to their organization', async () => {
    const seen = await db.transaction({ organizationId: orgB }, (tx) => tx.query<{ id: string }>('select id from organizations'));
    assert.deepEqual(seen.rows.map((r) => r.id), [orgB]);
    await assert.rejects(db.transaction({ organizationId: "org_x'; select 1; --" }, async () => 1), InvalidTenantScopeError);
  });

  it('switches scope inside one transaction and restores it', async () => {
    const seen = await db.transaction({ organizationId: null }, async (tx) => {
      const inA = await tx.withScope(orgA, (scoped) => scoped.query<{ id: string }>('select id from organizations'));
      const back = await tx.query<{ id: string }>('select id from organizations');
      return { inA: inA.rows.map((r) => r.id), back: back.rowCount };
    });
    assert.deepEqual(seen, { inA: [orgA], back: 0 });
  });

  it('cannot read audit partitions directly, around the parent table', async () => {
    const { rows } = await owner.query<{ name: string }>(
      `select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
        where i.inhparent = 'audit_events'::regclass limit 1`,
    );
    assert.ok(rows[0], 'expected at least one audit partition');
    await assert.rejects(app.query(`select * from ${rows[0].name}`), /permission denied/);
  });

  it('runs requests through a role that owns nothing and cannot bypass RLS', async () => {
    await assertRestrictedRole(db);
    const owned = await owner.query(
      `select 1 from pg_roles where rolname = current_user and (rolsuper or rolbypassrls)`,
    );
    // The owner connection is privileged; the same check must refuse it.
    const ownerDb = createDatabase({ connectionString: database.ownerUrl, max: 1 });
    try {
      if (owned.rowCount === 1) await assert.rejects(assertRestrictedRole(ownerDb), /superuser|BYPASSRLS|owns tables/);
      else await assert.rejects(assertRestrictedRole(ownerDb), /owns tables/);
    } finally {
      await ownerDb.close();
    }
  });

  it('refuses a role that owns the tables through membership in the owner role', async () => {
    const role = `aim_t_owner_member_${Math.random().toString(36).slice(2, 8)}`;
    await owner.query(`create role ${role} login password 'member-of-owner-pw'`);
    try {
      const me = (await owner.query<{ u: string }>('select current_user as u')).rows[0]!.u;
      await owner.query(`grant ${owner.escapeIdentifier(me)} to ${role}`);
      const u = new URL(database.ownerUrl);
      u.username = role;
      u.password = 'member-of-owner-pw';
      const sneaky = createDatabase({ connectionString: u.toString(), max: 1 });
      try {
        await assert.rejects(assertRestrictedRole(sneaky), /owns tables/);
      } finally {
        await sneaky.close();
      }
    } finally {
      await owner.query(`drop role ${role}`);
    }
  });

  it('refuses a role that belongs to the audit maintenance role', async () => {
    const role = `aim_t_maint_member_${Math.random().toString(36).slice(2, 8)}`;
    await owner.query(`create role ${role} login password 'member-of-maint-pw'`);
    try {
      await owner.query(`grant aim_audit_maintenance to ${role}`);
      const u = new URL(database.ownerUrl);
      u.username = role;
      u.password = 'member-of-maint-pw';
      const sneaky = createDatabase({ connectionString: u.toString(), max: 1 });
      try {
        await assert.rejects(assertRestrictedRole(sneaky), /member of aim_audit_maintenance/);
      } finally {
        await sneaky.close();
      }
    } finally {
      await owner.query(`drop role ${role}`);
    }
  });

  it('has row-level security and a tenant policy on every table with organization_id', async () => {
    const { rows } = await owner.query<{ table: string; rls: boolean; policies: string[] }>(
      `select c.relname as table, c.relrowsecurity as rls,
              coalesce(array_agg(p.polname) filter (where p.polname is not null), '{}') as policies
         from pg_class c
         join pg_namespace n on n.oid = c.relnamespace and n.nspname = 'public'
         left join pg_policy p on p.polrelid = c.oid
        where c.relkind in ('r', 'p') and not c.relispartition
          and (exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'organization_id' and not a.attisdropped)
               or c.relname = 'organizations')
        group by c.relname, c.relrowsecurity
        order by 1`,
    );
    assert.ok(rows.length >= 2, 'expected the tenant tables to be found');
    for (const row of rows) {
      assert.equal(row.rls, true, `${row.table} must have row-level security enabled`);
      assert.ok(row.policies.includes('tenant_isolation'), `${row.table} must have the tenant_isolation policy`);
    }
  });

  it('has row-level security on every table the app role can reach', async () => {
    const { rows } = await owner.query<{ table: string }>(
      `select c.relname as table from pg_class c join pg_namespace n on n.oid = c.relnamespace and n.nspname = 'public'
        where c.relkind in ('r', 'p') and not c.relrowsecurity
          and has_table_privilege($1, c.oid, 'SELECT')`,
      [target.appRole],
    );
    assert.deepEqual(rows, [], 'tables readable by the app role without row-level security');
  });

  it('fails closed when a tenant policy is missing', async () => {
    // Dropping the policy leaves RLS on with no policy: the app role must then see nothing at all.
    await owner.query('drop policy tenant_isolation on organizations');
    try {
      assert.equal((await asOrg(orgA, 'select id from organizations')).length, 0);
    } finally {
      await owner.query(`create policy tenant_isolation on organizations
        using (id = aim_current_org_id()) with check (id = aim_current_org_id())`);
    }
  });
});
