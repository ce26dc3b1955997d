import type { Database } from './database.js';

/**
 * Refuse to serve requests through a role that could step around row-level security:
 * a superuser, a role with BYPASSRLS, or the owner of any AIM table — directly or through
 * membership in the owning role (which would make it the owner for RLS purposes).
 */
export async function assertRestrictedRole(db: Database): Promise<void> {
  const { rows } = await db.query<{ role: string; rolsuper: boolean; rolbypassrls: boolean; owned: string; maintenance: boolean }>(
    `select current_user as role, r.rolsuper, r.rolbypassrls,
            exists (select 1 from pg_roles m where m.rolname = 'aim_audit_maintenance' and pg_has_role(current_user, m.oid, 'USAGE')) as maintenance,
            (select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace
              where n.nspname = 'public' and c.relkind in ('r', 'p')
                and pg_has_role(current_user, c.relowner, 'USAGE'))::text as owned
       from pg_roles r where r.rolname = current_user`,
  );
  const row = rows[0];
  if (!row) throw new Error('Cannot read the attributes of the database role the app connects as.');
  if (row.rolsuper || row.rolbypassrls || row.owned !== '0') {
    throw new Error(
      `The application connects as ${row.role}, which ${row.rolsuper ? 'is a superuser' : row.rolbypassrls ? 'has BYPASSRLS' : 'owns tables (directly or through a role it belongs to)'}; ` +
        'AIM needs a restricted role for requests (see DATABASE_APP_URL / DATABASE_APP_ROLE).',
    );
  }
  if (row.maintenance) {
    throw new Error(`The application connects as ${row.role}, which is a member of aim_audit_maintenance and could delete audit events.`);
  }
}
