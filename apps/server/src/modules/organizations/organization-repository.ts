import { orgOf, type Tx } from '../../platform/db/database.js';

export interface Organization {
  id: string;
  name: string;
  createdAt: Date;
}

/** Organizations: a row is visible only in its own scope. */
export const organizationRepository = {
  async insert(tx: Tx, name: string): Promise<Organization> {
    const { rows } = await tx.query<{ id: string; name: string; created_at: Date }>(
      'insert into organizations (id, name) values ($1, $2) returning id, name, created_at',
      [orgOf(tx), name.trim()],
    );
    return toOrganization(rows[0]!);
  },
  async current(tx: Tx): Promise<Organization | null> {
    const { rows } = await tx.query<{ id: string; name: string; created_at: Date }>(
      'select id, name, created_at from organizations where id = $1',
      [orgOf(tx)],
    );
    return rows[0] ? toOrganization(rows[0]) : null;
  },
  async rename(tx: Tx, name: string): Promise<Organization | null> {
    const { rows } = await tx.query<{ id: string; name: string; created_at: Date }>(
      'update organizations set name = $2, updated_at = now() where id = $1 returning id, name, created_at',
      [orgOf(tx), name.trim()],
    );
    return rows[0] ? toOrganization(rows[0]) : null;
  },
  async exists(tx: Tx): Promise<boolean> {
    const { rows } = await tx.query<{ exists: boolean }>('select aim_organization_exists() as exists');
    return rows[0]?.exists === true;
  },
};

function toOrganization(row: { id: string; name: string; created_at: Date }): Organization {
  return { id: row.id, name: row.name, createdAt: row.created_at };
}

export const organizationJson = (o: Organization) => ({ id: o.id, name: o.name, createdAt: o.createdAt.toISOString() });
