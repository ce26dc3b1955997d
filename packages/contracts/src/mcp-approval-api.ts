import { z } from 'zod';
import {
  mcpApprovalSchema,
  mcpScanIdSchema,
  mcpScanSchema,
  mcpToolDiffSchema,
  mcpToolPinSchema,
} from './mcp-discovery.js';
import { mcpSettingsSchema } from './mcp-findings.js';
import { mcpServerIdSchema, mcpServerSchema } from './mcp-servers.js';

/**
 * Request bodies and answers of the MCP approval operations (docs/mcp.md, "approval"); shapes shared
 * with other parts are in mcp-discovery.ts.
 */

const timestamp = z.string().describe('RFC 3339 timestamp');
const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, { message: 'must be a lower-case hex SHA-256' });

/** A person approves what they saw: the scan and its tool set fingerprint, both as shown to them. */
export const approveMcpServerSchema = z
  .object({
    scanId: mcpScanIdSchema.describe("The server's latest successful scan, whose tools the person reviewed"),
    toolSetFingerprint: sha256Hex.describe("That scan's toolSetFingerprint; a different one answers 409 mcp_approval_stale"),
    note: z.string().trim().max(2000).optional().describe('Why, for the audit log and the approval history'),
  })
  .strict()
  .meta({
    id: 'ApproveMcpServer',
    examples: [{ scanId: 'msc_01jqz8m5x3k9w2v7t4r6p0n1a0', toolSetFingerprint: 'a'.repeat(64), note: 'Reviewed the GitHub tools' }],
  });

export const mcpApprovalResultSchema = z
  .object({
    mcpServer: mcpServerSchema,
    approval: mcpApprovalSchema,
    toolsWithoutAction: z
      .array(z.string())
      .describe('Tools whose name cannot form a decision action (mcp:<slug>/<tool>): pinned, but no capability exists for them, so decisions cannot cover them'),
  })
  .meta({ id: 'McpApprovalResult' });

export const mcpPinsSchema = z
  .object({
    approval: mcpApprovalSchema.nullable().describe('The approval the pins come from; null when the server was never approved'),
    pins: z.array(mcpToolPinSchema),
  })
  .meta({ id: 'McpPins' });

export const mcpApprovalListSchema = z
  .object({ approvals: z.array(mcpApprovalSchema), nextCursor: z.string().nullable() })
  .meta({ id: 'McpApprovalList' });

export const mcpApprovalListQuerySchema = z.object({
  cursor: z.string().regex(/^mca_[0-9a-z]{26}$/).optional().describe('nextCursor of the previous page'),
  limit: z.coerce.number().int().min(1).max(100).default(25),
});

export const mcpDriftSchema = z
  .object({
    scan: mcpScanSchema.nullable().describe('The latest successful scan; null when there is none'),
    diff: z.array(mcpToolDiffSchema).describe('Pins versus that scan (every tool added, removed or changed); empty when they match or nothing is pinned'),
    pinned: z.boolean().describe('Whether the server has approved pins (false: the diff is empty because there is nothing to compare with)'),
  })
  .meta({ id: 'McpDrift' });

export const mcpScanDiffParamsSchema = z.object({ mcpServerId: mcpServerIdSchema, scanId: mcpScanIdSchema });
export const mcpScanDiffQuerySchema = z.object({
  against: z
    .union([z.enum(['previous', 'pins']), mcpScanIdSchema])
    .default('previous')
    .describe("previous: the server's successful scan before it; pins: the approved pins; or another scan id of the same server"),
});
export const mcpScanDiffSchema = z
  .object({
    diff: z.array(mcpToolDiffSchema).describe('From the `against` side to the scan: added tools are in the scan only, removed ones only in `against`'),
    against: z
      .object({ kind: z.enum(['scan', 'pins', 'none']), scanId: mcpScanIdSchema.nullable() })
      .describe('What the scan was compared with; none: there is no previous scan or no pins (everything counts as added)'),
  })
  .meta({ id: 'McpScanDiff' });

export const mcpSettingsEnvelopeSchema = z
  .object({ settings: mcpSettingsSchema, updatedAt: timestamp.nullable().describe('null: the defaults, never changed') })
  .meta({ id: 'McpSettingsEnvelope' });
