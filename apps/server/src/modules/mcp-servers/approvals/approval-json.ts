import type { McpScanJson, mcpApprovalSchema, mcpToolPinSchema } from '@aim/contracts';
import type { z } from 'zod';
import { orgOf, type Tx } from '../../../platform/db/database.js';
import type { ApprovalRow, PinRow } from './approval-repository.js';

/** Approvals, pins and scans as the API answers them. */

export const approvalJson = (row: ApprovalRow): z.input<typeof mcpApprovalSchema> => ({
  id: row.id,
  mcpServerId: row.mcp_server_id,
  scanId: row.scan_id,
  toolSetFingerprint: row.tool_set_fingerprint,
  tools: row.tools,
  note: row.note,
  approvedBy: { type: row.approved_by_type, id: row.approved_by_id },
  approvedAt: row.created_at.toISOString(),
});

export const pinJson = (row: PinRow): z.input<typeof mcpToolPinSchema> => ({
  toolName: row.tool_name,
  fingerprint: row.fingerprint,
  currentFingerprint: row.current_fingerprint,
  state: row.state,
  blocked: row.blocked,
  action: row.action,
  approvalId: row.approval_id,
  pinnedAt: row.pinned_at.toISOString(),
  driftedAt: row.drifted_at?.toISOString() ?? null,
});

interface ScanSummaryRow {
  id: string;
  mcp_server_id: string;
  trigger: McpScanJson['trigger'];
  status: McpScanJson['status'];
  started_at: Date;
  finished_at: Date | null;
  failure_reason: NonNullable<McpScanJson['failure']>['reason'] | null;
  failure_message: string | null;
  protocol_version: string | null;
  server_info: McpScanJson['serverInfo'];
  capabilities: McpScanJson['capabilities'];
  instructions: string | null;
  tool_count: number;
  resource_count: number;
  prompt_count: number;
  tool_set_fingerprint: string | null;
  tls_certificate_sha256: string | null;
  server_card_status: McpScanJson['serverCard']['status'];
  server_card_key_id: string | null;
  server_card_message: string | null;
  drift: McpScanJson['drift'];
}

/** One scan of the organization as the API shows it (McpScan), or null. */
export async function scanJson(tx: Tx, scanId: string): Promise<McpScanJson | null> {
  const { rows } = await tx.query<ScanSummaryRow>(
    `select id, mcp_server_id, trigger, status, started_at, finished_at, failure_reason, failure_message, protocol_version, server_info, capabilities,
            instructions, tool_count, resource_count, prompt_count, tool_set_fingerprint, tls_certificate_sha256, server_card_status, server_card_key_id,
            server_card_message, drift
       from mcp_scans where organization_id = $1 and id = $2`,
    [orgOf(tx), scanId],
  );
  const row = rows[0];
  if (!row) return null;
  return {
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
  };
}
