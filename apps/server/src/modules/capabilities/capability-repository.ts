import type { RiskLevel } from '@aim/contracts';
import { orgOf, type Tx } from '../../platform/db/database.js';
import { AppError } from '../../platform/http/app-error.js';

/** The capability catalog, grants and requests, in the transaction's organization. */

export interface CapabilityRow {
  id: string;
  name: string;
  description: string | null;
  risk_level: RiskLevel;
  mcp_server_id: string | null;
  mcp_tool: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface GrantRow {
  id: string;
  agent_id: string;
  capability_id: string;
  capability_name: string;
  risk_level: RiskLevel;
  resource_pattern: string | null;
  expires_at: Date | null;
  granted_by_type: 'user' | 'api_key' | 'system';
  granted_by_id: string | null;
  request_id: string | null;
  created_at: Date;
  revoked_at: Date | null;
}

export interface RequestRow {
  id: string;
  agent_id: string;
  capability_id: string;
  capability_name: string;
  risk_level: RiskLevel;
  resource_pattern: string | null;
  reason: string | null;
  status: 'pending' | 'approved' | 'rejected' | 'expired' | 'cancelled';
  requested_by_type: 'user' | 'api_key' | 'agent' | 'system';
  requested_by_id: string | null;
  created_at: Date;
  expires_at: Date;
  decided_at: Date | null;
  decided_by_type: 'user' | 'api_key' | 'system' | null;
  decided_by_id: string | null;
  note: string | null;
  grant_id: string | null;
}

const iso = (d: Date | null) => d?.toISOString() ?? null;

export const capabilityJson = (r: CapabilityRow) => ({
  id: r.id,
  name: r.name,
  description: r.description,
  riskLevel: r.risk_level,
  mcp: r.mcp_server_id && r.mcp_tool ? { mcpServerId: r.mcp_server_id, tool: r.mcp_tool } : null,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

export function grantStatus(r: GrantRow, now = Date.now()): 'active' | 'expired' | 'revoked' {
  if (r.revoked_at) return 'revoked';
  return r.expires_at && r.expires_at.getTime() <= now ? 'expired' : 'active';
}

export const grantJson = (r: GrantRow) => ({
  id: r.id,
  agentId: r.agent_id,
  capability: r.capability_name,
  capabilityId: r.capability_id,
  riskLevel: r.risk_level,
  resourcePattern: r.resource_pattern,
  status: grantStatus(r),
  expiresAt: iso(r.expires_at),
  grantedBy: { type: r.granted_by_type, id: r.granted_by_id },
  requestId: r.request_id,
  createdAt: r.created_at.toISOString(),
  revokedAt: iso(r.revoked_at),
});

export const requestJson = (r: RequestRow) => ({
  id: r.id,
  agentId: r.agent_id,
  capability: r.capability_name,
  capabilityId: r.capability_id,
  riskLevel: r.risk_level,
  resourcePattern: r.resource_pattern,
  reason: r.reason,
  // A request past its expiry that the job has not reached yet is reported as what it is.
  status: r.status === 'pending' && r.expires_at.getTime() <= Date.now() ? ('expired' as const) : r.status,
  requestedBy: { type: r.requested_by_type, id: r.requested_by_id },
  createdAt: r.created_at.toISOString(),
  expiresAt: r.expires_at.toISOString(),
  decidedAt: iso(r.decided_at),
  decidedBy: r.decided_by_type ? { type: r.decided_by_type, id: r.decided_by_id } : null,
  note: r.note,
  grantId: r.grant_id,
});

/** The capability left the catalog while this statement ran (a foreign key no longer holds). */
export function capabilityGone(error: unknown): never {
  const e = error as { code?: string; constraint?: string };
  if (e.code === '23503' && /capability_id/.test(e.constraint ?? '')) {
    throw new AppError('unknown_capability', "The capability was just removed from the organization's catalog.");
  }
  throw error;
}

const GRANT_SELECT = `select g.*, c.name as capability_name, c.risk_level from capability_grants g join capabilities c on c.id = g.capability_id`;
const REQUEST_SELECT = `select r.*, c.name as capability_name, c.risk_level from capability_requests r join capabilities c on c.id = r.capability_id`;

export const capabilityRepository = {
  async list(tx: Tx): Promise<CapabilityRow[]> {
    const { rows } = await tx.query<CapabilityRow>('select * from capabilities where organization_id = $1 order by name', [orgOf(tx)]);
    return rows;
  },

  async find(tx: Tx, id: string, options: { forUpdate?: boolean } = {}): Promise<CapabilityRow | null> {
    const { rows } = await tx.query<CapabilityRow>(
      `select * from capabilities where organization_id = $1 and id = $2${options.forUpdate ? ' for update' : ''}`,
      [orgOf(tx), id],
    );
    return rows[0] ?? null;
  },

  async byNames(tx: Tx, names: readonly string[]): Promise<CapabilityRow[]> {
    const { rows } = await tx.query<CapabilityRow>('select * from capabilities where organization_id = $1 and name = any($2::text[])', [orgOf(tx), names]);
    return rows;
  },

  async grant(tx: Tx, id: string): Promise<GrantRow | null> {
    const { rows } = await tx.query<GrantRow>(`${GRANT_SELECT} where g.organization_id = $1 and g.id = $2`, [orgOf(tx), id]);
    return rows[0] ?? null;
  },

  async grantsOf(tx: Tx, agentId: string, status?: 'active' | 'expired' | 'revoked'): Promise<GrantRow[]> {
    const { rows } = await tx.query<GrantRow>(
      `${GRANT_SELECT} where g.organization_id = $1 and g.agent_id = $2
          and ($3::text is null
               or ($3 = 'revoked' and g.revoked_at is not null)
               or ($3 = 'expired' and g.revoked_at is null and g.expires_at <= now())
               or ($3 = 'active' and g.revoked_at is null and (g.expires_at is null or g.expires_at > now())))
        order by g.id desc limit 1000`,
      [orgOf(tx), agentId, status ?? null],
    );
    return rows;
  },

  async insertGrant(
    tx: Tx,
    grant: { id: string; agentId: string; capabilityId: string; resourcePattern: string | null; expiresInSeconds: number | null; grantedBy: { type: string; id: string | null }; requestId: string | null },
  ): Promise<GrantRow> {
    await tx
      .query(
      `insert into capability_grants (id, organization_id, agent_id, capability_id, resource_pattern, expires_at, granted_by_type, granted_by_id, request_id)
       values ($1, $2, $3, $4, $5, case when $6::integer is null then null else now() + make_interval(secs => $6::integer) end, $7, $8, $9)`,
      [grant.id, orgOf(tx), grant.agentId, grant.capabilityId, grant.resourcePattern, grant.expiresInSeconds, grant.grantedBy.type, grant.grantedBy.id, grant.requestId],
      )
      .catch(capabilityGone);
    return (await this.grant(tx, grant.id))!;
  },

  async request(tx: Tx, id: string, options: { forUpdate?: boolean } = {}): Promise<RequestRow | null> {
    const { rows } = await tx.query<RequestRow>(
      `${REQUEST_SELECT} where r.organization_id = $1 and r.id = $2${options.forUpdate ? ' for update of r' : ''}`,
      [orgOf(tx), id],
    );
    return rows[0] ?? null;
  },

  async requests(
    tx: Tx,
    filter: { status?: RequestRow['status'] | undefined; agentId?: string | undefined; cursor?: string | undefined; limit: number },
  ): Promise<{ rows: RequestRow[]; nextCursor: string | null }> {
    const { rows } = await tx.query<RequestRow>(
      `${REQUEST_SELECT} where r.organization_id = $1
          and ($2::text is null
               or ($2 = 'pending' and r.status = 'pending' and r.expires_at > now())
               or ($2 = 'expired' and (r.status = 'expired' or (r.status = 'pending' and r.expires_at <= now())))
               or ($2 not in ('pending', 'expired') and r.status = $2))
          and ($3::text is null or r.agent_id = $3)
          and ($4::text is null or r.id < $4)
        order by r.id desc limit $5`,
      [orgOf(tx), filter.status ?? null, filter.agentId ?? null, filter.cursor ?? null, filter.limit + 1],
    );
    const more = rows.length > filter.limit;
    const page = more ? rows.slice(0, filter.limit) : rows;
    return { rows: page, nextCursor: more ? page[page.length - 1]!.id : null };
  },
};
