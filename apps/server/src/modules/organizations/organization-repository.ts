import { orgOf, type Tx } from '../../platform/db/database.js';

export interface Organization {
  id: string;
  name: string;
  auditRetentionDays: number | null;
  agentTokenAudiences: string[];
  createdAt: Date;
}

interface Row {
  id: string;
  name: string;
  audit_retention_days: number | null;
  agent_token_audiences: string[];
  created_at: Date;
}

const COLUMNS = 'id, name, audit_retention_days, agent_token_audiences, created_at';

/** Organizations: a row is visible only in its own scope. */
export const organizationRepository = {
  async insert(tx: Tx, name: string): Promise<Organization> {
    const { rows } = await tx.query<Row>(`insert into organizations (id, name) values ($1, $2) returning ${COLUMNS}`, [orgOf(tx), name.trim()]);
    return toOrganization(rows[0]!);
  },
  /** The scope's organization; `lock` holds its row until the transaction ends, for a read-modify-write. */
  async current(tx: Tx, options: { lock?: boolean } = {}): Promise<Organization | null> {
    const { rows } = await tx.query<Row>(`select ${COLUMNS} from organizations where id = $1${options.lock ? ' for update' : ''}`, [orgOf(tx)]);
    return rows[0] ? toOrganization(rows[0]) : null;
  },
  async update(tx: Tx, changes: { name: string; auditRetentionDays: number | null; agentTokenAudiences: string[] }): Promise<Organization | null> {
    const { rows } = await tx.query<Row>(
      `update organizations set name = $2, audit_retention_days = $3, agent_token_audiences = $4, updated_at = now() where id = $1 returning ${COLUMNS}`,
      [orgOf(tx), changes.name.trim(), changes.auditRetentionDays, changes.agentTokenAudiences],
    );
    return rows[0] ? toOrganization(rows[0]) : null;
  },
  async exists(tx: Tx): Promise<boolean> {
    const { rows } = await tx.query<{ exists: boolean }>('select aim_organization_exists() as exists');
    return rows[0]?.exists === true;
  },
};

function toOrganization(row: Row): Organization {
  return {
    id: row.id,
    name: row.name,
    auditRetentionDays: row.audit_retention_days,
    agentTokenAudiences: row.agent_token_audiences,
    createdAt: row.created_at,
  };
}

export const organizationJson = (o: Organization) => ({
  id: o.id,
  name: o.name,
  auditRetentionDays: o.auditRetentionDays,
  agentTokenAudiences: o.agentTokenAudiences,
  createdAt: o.createdAt.toISOString(),
});
