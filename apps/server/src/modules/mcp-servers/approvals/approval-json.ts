import type { mcpApprovalSchema, mcpToolPinSchema } from '@aim/contracts';
import type { z } from 'zod';
import type { ApprovalRow, PinRow } from './approval-repository.js';

/** Approvals and pins as the API answers them (scans: scans/scan-repository.ts). */

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
