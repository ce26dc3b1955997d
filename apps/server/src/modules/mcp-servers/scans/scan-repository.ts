import type { McpScanFailureReason, McpScanJson } from '@aim/contracts';
import { orgOf, type Tx } from '../../../platform/db/database.js';
import { AppError } from '../../../platform/http/app-error.js';
import type { Actor } from '../../../platform/http/request-context.js';
import type { McpServerRow } from '../mcp-server-repository.js';
import type { ScanHookOutcome } from '../shared/scan-hooks.js';

/**
 * The scan rows (mcp_scans, migration 0021) as the scan service writes and the API reads them. Finished
 * scans are stored through shared/scan-store.ts (`storeFinishedScan`); this file holds the rest: the
 * running row that keeps one scan per server, the hooks' outcomes, pruning, and the API's reads.
 */
export interface ScanRow {
  id: string;
  mcp_server_id: string;
  trigger: 'manual' | 'scheduled';
  status: 'running' | 'succeeded' | 'failed';
  started_at: Date;
  finished_at: Date | null;
  failure_reason: McpScanFailureReason | null;
  failure_message: string | null;
  protocol_version: string | null;
  server_info: { name: string; version: string; title?: string } | null;
  capabilities: Record<string, unknown> | null;
  instructions: string | null;
  tools: { name: string; fingerprint: string }[];
  resources: unknown[];
  prompts: unknown[];
  tool_count: number;
  resource_count: number;
  prompt_count: number;
  tool_set_fingerprint: string | null;
  tls_certificate_sha256: string | null;
  server_card_status: 'absent' | 'unsigned' | 'valid' | 'invalid';
  server_card_key_id: string | null;
  server_card_message: string | null;
  drift: { added: number; removed: number; changed: number } | null;
}

/** Scans kept per server; older ones are pruned unless an approval or a finding refers to them. */
export const SCANS_KEPT_PER_SERVER = 200;

export const scanJson = (row: ScanRow): McpScanJson => ({
  id: row.id,
  mcpServerId: row.mcp_server_id,
  trigger: row.trigger,
  status: row.status,
  startedAt: row.started_at.toISOString(),
  finishedAt: row.finished_at?.toISOString() ?? null,
  durationMs: row.finished_at ? row.finished_at.getTime() - row.started_at.getTime() : null,
  failure: row.failure_reason ? { reason: row.failure_reason, message: row.failure_message ?? '' } : null,
  protocolVersion: row.protocol_version,
  serverInfo: row.server_info,
  capabilities: row.capabilities,
  instructions: row.instructions,
  counts: { tools: row.tool_count, resources: row.resource_count, prompts: row.prompt_count },
  toolSetFingerprint: row.tool_set_fingerprint,
  tlsCertificateSha256: row.tls_certificate_sha256,
  serverCard: { status: row.server_card_status, keyId: row.server_card_key_id, message: row.server_card_message },
  drift: row.drift,
});

const COLUMNS = `id, mcp_server_id, trigger, status, started_at, finished_at, failure_reason, failure_message, protocol_version, server_info,
                 capabilities, instructions, tool_count, resource_count, prompt_count, tool_set_fingerprint, tls_certificate_sha256,
                 server_card_status, server_card_key_id, server_card_message, drift`;

/** One scan of the organization as the API shows it (McpScan), or null. */
export async function loadScanJson(tx: Tx, scanId: string): Promise<McpScanJson | null> {
  const { rows } = await tx.query<ScanRow>(`select ${COLUMNS} from mcp_scans where organization_id = $1 and id = $2`, [orgOf(tx), scanId]);
  return rows[0] ? scanJson(rows[0]) : null;
}

export const scanRepository = {
  /**
   * The running row of a new scan. A running row older than `staleAfterMs` was left by an instance that
   * stopped mid-scan: it is closed as a timeout first, so it cannot block the server's scans forever.
   */
  /**
   * The server locked (for update) and, when it is a Streamable HTTP server that is neither suspended nor
   * revoked and has no running scan, the running row of a new scan inserted: one statement. `inserted`
   * false with a server found: not scannable (the caller says why), or a running row exists (see
   * `insertRunning`).
   */
  async lockAndStart(tx: Tx, scan: { id: string; mcpServerId: string; trigger: 'manual' | 'scheduled'; requestedBy: Actor; startedAt: Date }) {
    const { rows } = await tx.query<McpServerRow & { __inserted: boolean }>(
      `with server as (select * from mcp_servers where organization_id = $2 and id = $3 for update),
       running as (
         insert into mcp_scans (id, organization_id, mcp_server_id, trigger, status, requested_by_type, requested_by_id, started_at)
         select $1, $2, $3, $4, 'running', $5, $6, $7 from server
          where server.transport = 'streamable_http' and server.status not in ('suspended', 'revoked')
         on conflict (mcp_server_id) where status = 'running' do nothing
         returning id)
       select server.*, exists (select 1 from running) as __inserted from server`,
      [scan.id, orgOf(tx), scan.mcpServerId, scan.trigger, scan.requestedBy.type, scan.requestedBy.id, scan.startedAt],
      { name: 'aim.mcp.scan-start' },
    );
    const row = rows[0];
    if (!row) return { server: null, inserted: false };
    const { __inserted: inserted, ...server } = row;
    return { server: server as McpServerRow, inserted };
  },

  async insertRunning(tx: Tx, scan: { id: string; mcpServerId: string; trigger: 'manual' | 'scheduled'; requestedBy: Actor; startedAt: Date }, staleAfterMs: number) {
    const insert = async () =>
      (
        await tx.query(
          `insert into mcp_scans (id, organization_id, mcp_server_id, trigger, status, requested_by_type, requested_by_id, started_at)
           values ($1, $2, $3, $4, 'running', $5, $6, $7)
           on conflict (mcp_server_id) where status = 'running' do nothing`,
          [scan.id, orgOf(tx), scan.mcpServerId, scan.trigger, scan.requestedBy.type, scan.requestedBy.id, scan.startedAt],
          { name: 'aim.mcp.scan-running' },
        )
      ).rowCount === 1;
    if (await insert()) return;
    // Another running row: a live scan, or one left by an instance that stopped mid-scan, which is closed
    // as a timeout so that it cannot block the server's scans forever.
    const { rowCount } = await tx.query(
      `update mcp_scans set status = 'failed', finished_at = now(), failure_reason = 'timeout',
              failure_message = 'The scan was interrupted (the AIM instance running it stopped); a later scan replaces it.'
        where organization_id = $1 and mcp_server_id = $2 and status = 'running' and started_at < now() - make_interval(secs => $3::double precision / 1000)`,
      [orgOf(tx), scan.mcpServerId, staleAfterMs],
    );
    if (rowCount === 0 || !(await insert())) {
      throw new AppError('mcp_scan_in_progress', 'A scan of this MCP server is already running; its result will appear in the server’s scans when it ends.');
    }
  },

  async deleteRunning(tx: Tx, scanId: string): Promise<void> {
    await tx.query(`delete from mcp_scans where organization_id = $1 and id = $2 and status = 'running'`, [orgOf(tx), scanId]);
  },

  /**
   * The end of a scan, in one statement: what the hooks concluded on the scan row, the server's last scan,
   * its confidence (when the confidence hook ran), its tool names (`toolNames`: those of a successful
   * scan) and when the scheduler scans it next, and the server's scans past the newest SCANS_KEPT_PER_SERVER
   * deleted (except those an approval or a finding refers to; none while the organization is on legal
   * hold). Answers the scan row.
   */
  /**
   * The scan's end in one statement: the hooks' outcomes on the scan, the server's last and next scan,
   * confidence and tool names, the pruning of old scans, and the scan's audit event (auditEventRow).
   */
  async finish(
    tx: Tx,
    scan: { id: string; mcpServerId: string; toolNames?: readonly string[] | null },
    outcome: ScanHookOutcome,
    intervalMinutes: number,
    audit?: { columns: string; values: unknown[] },
  ): Promise<ScanRow> {
    const audited = audit ? `audited as (insert into audit_events (${audit.columns}) values (${audit.values.map((_, i) => `$${14 + i}`).join(', ')})),` : '';
    const { rows } = await tx.query<ScanRow>(
      `with ${audited} hold as (select aim_legal_hold_held($1) as held), scanned as (
         update mcp_servers set last_scan_id = $3, next_scan_at = now() + make_interval(mins => $8),
                confidence_score = case when $10::boolean then $11::numeric else confidence_score end,
                confidence = case when $10::boolean then $12::jsonb else confidence end,
                tool_names = coalesce($13::text[], tool_names)
          where organization_id = $1 and id = $2
       ), pruned as (
         delete from mcp_scans s
          where s.organization_id = $1 and s.mcp_server_id = $2 and s.status <> 'running'
            and s.id < (select id from mcp_scans where organization_id = $1 and mcp_server_id = $2 order by id desc offset $9 limit 1)
            and not exists (select 1 from mcp_approvals a where a.organization_id = $1 and a.scan_id = s.id)
            and not exists (select 1 from mcp_findings f where f.organization_id = $1 and f.scan_id = s.id)
            and not (select held from hold)
       )
       update mcp_scans set server_card_status = coalesce($4, server_card_status), server_card_key_id = $5, server_card_message = $6,
              drift = $7::jsonb
        where organization_id = $1 and id = $3 returning ${COLUMNS}`,
      [
        orgOf(tx),
        scan.mcpServerId,
        scan.id,
        outcome.serverCard?.status ?? null,
        outcome.serverCard?.keyId ?? null,
        outcome.serverCard?.message?.slice(0, 1000) ?? null,
        outcome.drift ? JSON.stringify(outcome.drift) : null,
        intervalMinutes,
        SCANS_KEPT_PER_SERVER - 1,
        outcome.confidence !== undefined,
        outcome.confidence?.score ?? null,
        outcome.confidence ? JSON.stringify(outcome.confidence.document) : null,
        scan.toolNames ?? null,
        ...(audit?.values ?? []),
      ],
      { name: audit ? 'aim.mcp.scan-finish-audited' : 'aim.mcp.scan-finish' },
    );
    return rows[0]!;
  },

  /** When the scheduler scans the server next (a scheduled scan claims its server with this). */
  async setNextScan(tx: Tx, mcpServerId: string, intervalMinutes: number): Promise<void> {
    await tx.query('update mcp_servers set next_scan_at = now() + make_interval(mins => $3) where organization_id = $1 and id = $2', [orgOf(tx), mcpServerId, intervalMinutes]);
  },

  async find(tx: Tx, mcpServerId: string, scanId: string): Promise<(ScanRow & { resources: unknown[]; prompts: unknown[] }) | null> {
    const { rows } = await tx.query<ScanRow>(
      `select ${COLUMNS}, tools, resources, prompts from mcp_scans where organization_id = $1 and mcp_server_id = $2 and id = $3`,
      [orgOf(tx), mcpServerId, scanId],
    );
    return rows[0] ?? null;
  },

  async list(tx: Tx, mcpServerId: string, page: { cursor?: string | undefined; limit: number }): Promise<{ rows: ScanRow[]; nextCursor: string | null }> {
    const { rows } = await tx.query<ScanRow>(
      `select ${COLUMNS} from mcp_scans where organization_id = $1 and mcp_server_id = $2 and ($3::text is null or id < $3) order by id desc limit $4`,
      [orgOf(tx), mcpServerId, page.cursor ?? null, page.limit + 1],
    );
    const more = rows.length > page.limit;
    const kept = more ? rows.slice(0, page.limit) : rows;
    return { rows: kept, nextCursor: more ? kept[kept.length - 1]!.id : null };
  },
};
