import type { AlertSeverity, McpFindingJson, McpFindingKind } from '@aim/contracts';
import { orgOf, type Tx } from '../../../platform/db/database.js';
import type { Actor } from '../../../platform/http/request-context.js';

/** MCP findings of the transaction's organization (migration 0021), as the API answers them. */

export interface McpFindingRow {
  id: string;
  mcp_server_id: string;
  kind: McpFindingKind;
  severity: AlertSeverity;
  status: 'open' | 'dismissed' | 'resolved';
  dedup_key: string;
  title: string;
  summary: string;
  evidence: McpFindingJson['evidence'];
  scan_id: string | null;
  attestation_id: string | null;
  alert_id: string | null;
  occurrences: number;
  first_seen_at: Date;
  last_seen_at: Date;
  dismissed_by_type: 'user' | 'api_key' | null;
  dismissed_by_id: string | null;
  dismissed_at: Date | null;
  dismiss_note: string | null;
  resolved_at: Date | null;
}

export const mcpFindingJson = (row: McpFindingRow): McpFindingJson => ({
  id: row.id,
  mcpServerId: row.mcp_server_id,
  kind: row.kind,
  severity: row.severity,
  status: row.status,
  title: row.title,
  summary: row.summary,
  evidence: row.evidence,
  scanId: row.scan_id,
  attestationId: row.attestation_id,
  alertId: row.alert_id,
  occurrences: row.occurrences,
  firstSeenAt: row.first_seen_at.toISOString(),
  lastSeenAt: row.last_seen_at.toISOString(),
  dismissed:
    row.dismissed_at && row.dismissed_by_type
      ? { by: { type: row.dismissed_by_type, id: row.dismissed_by_id }, at: row.dismissed_at.toISOString(), note: row.dismiss_note ?? '' }
      : null,
  resolvedAt: row.resolved_at?.toISOString() ?? null,
});

export interface McpFindingFilter {
  status?: readonly string[] | undefined;
  kind?: readonly string[] | undefined;
  severity?: readonly string[] | undefined;
  mcpServerId?: string | undefined;
  cursor?: string | undefined;
  limit: number;
}

export const mcpFindingRepository = {
  async find(tx: Tx, id: string, options: { forUpdate?: boolean } = {}): Promise<McpFindingRow | null> {
    const { rows } = await tx.query<McpFindingRow>(
      `select * from mcp_findings where organization_id = $1 and id = $2${options.forUpdate ? ' for update' : ''}`,
      [orgOf(tx), id],
    );
    return rows[0] ?? null;
  },

  /** Newest first (ids are time-ordered), keyset on the id. */
  async list(tx: Tx, filter: McpFindingFilter): Promise<{ rows: McpFindingRow[]; nextCursor: string | null }> {
    const { rows } = await tx.query<McpFindingRow>(
      `select * from mcp_findings
        where organization_id = $1
          and ($2::text[] is null or status = any($2))
          and ($3::text[] is null or kind = any($3))
          and ($4::text[] is null or severity = any($4))
          and ($5::text is null or mcp_server_id = $5)
          and ($6::text is null or id < $6)
        order by id desc limit $7`,
      [orgOf(tx), filter.status ?? null, filter.kind ?? null, filter.severity ?? null, filter.mcpServerId ?? null, filter.cursor ?? null, filter.limit + 1],
      { name: 'aim.mcp.findings-list' },
    );
    const more = rows.length > filter.limit;
    const page = more ? rows.slice(0, filter.limit) : rows;
    return { rows: page, nextCursor: more ? page[page.length - 1]!.id : null };
  },

  async dismiss(tx: Tx, id: string, by: Actor, note: string, at: Date): Promise<McpFindingRow> {
    const { rows } = await tx.query<McpFindingRow>(
      `update mcp_findings set status = 'dismissed', dismissed_by_type = $3, dismissed_by_id = $4, dismissed_at = $5, dismiss_note = $6
        where organization_id = $1 and id = $2 returning *`,
      [orgOf(tx), id, by.type, by.id, at, note],
    );
    return rows[0]!;
  },

  async reopen(tx: Tx, id: string): Promise<McpFindingRow> {
    const { rows } = await tx.query<McpFindingRow>(
      `update mcp_findings set status = 'open', dismissed_by_type = null, dismissed_by_id = null, dismissed_at = null, dismiss_note = null
        where organization_id = $1 and id = $2 returning *`,
      [orgOf(tx), id],
    );
    return rows[0]!;
  },

  /** The open finding with this key, if any (only one can exist). */
  async openWithKey(tx: Tx, dedupKey: string): Promise<string | null> {
    const { rows } = await tx.query<{ id: string }>(`select id from mcp_findings where organization_id = $1 and dedup_key = $2 and status = 'open'`, [orgOf(tx), dedupKey]);
    return rows[0]?.id ?? null;
  },
};
