import { orgOf, type Tx } from '../../platform/db/database.js';

export interface Organization {
  id: string;
  name: string;
  auditRetentionDays: number | null;
  agentTokenAudiences: string[];
  autoApproveLowRiskCapabilities: boolean;
  approvalTimeoutSeconds: number;
  createdAt: Date;
}

interface Row {
  id: string;
  name: string;
  audit_retention_days: number | null;
  agent_token_audiences: string[];
  auto_approve_low_risk_capabilities: boolean;
  approval_timeout_seconds: number;
  created_at: Date;
}

/** What an admin may change. */
export type Settings = Pick<Organization, 'name' | 'auditRetentionDays' | 'agentTokenAudiences' | 'autoApproveLowRiskCapabilities' | 'approvalTimeoutSeconds'>;

const COLUMNS = 'id, name, audit_retention_days, agent_token_audiences, auto_approve_low_risk_capabilities, approval_timeout_seconds, created_at';

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
  async update(tx: Tx, changes: Settings): Promise<Organization | null> {
    const { rows } = await tx.query<Row>(
      `update organizations set name = $2, audit_retention_days = $3, agent_token_audiences = $4, auto_approve_low_risk_capabilities = $5,
              approval_timeout_seconds = $6, updated_at = now()
        where id = $1 returning ${COLUMNS}`,
      [orgOf(tx), changes.name.trim(), changes.auditRetentionDays, changes.agentTokenAudiences, changes.autoApproveLowRiskCapabilities, changes.approvalTimeoutSeconds],
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
    autoApproveLowRiskCapabilities: row.auto_approve_low_risk_capabilities,
    approvalTimeoutSeconds: row.approval_timeout_seconds,
    createdAt: row.created_at,
  };
}

export const organizationJson = (o: Organization) => ({
  id: o.id,
  name: o.name,
  auditRetentionDays: o.auditRetentionDays,
  agentTokenAudiences: o.agentTokenAudiences,
  autoApproveLowRiskCapabilities: o.autoApproveLowRiskCapabilities,
  approvalTimeoutSeconds: o.approvalTimeoutSeconds,
  createdAt: o.createdAt.toISOString(),
});
