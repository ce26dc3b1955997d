import { z } from 'zod';
import { alertSeveritySchema } from './monitoring.js';
import { mcpServerIdSchema } from './mcp-servers.js';
import { mcpFindingIdSchema } from './mcp-discovery.js';
import { MCP_FINDING_KINDS, MCP_FINDING_STATUSES, mcpConfidenceSchema, mcpFindingSchema } from './mcp-findings.js';

/**
 * Request bodies and answers of the MCP findings operations (docs/mcp.md, "findings" and
 * "confidence"); shapes shared with other parts are in mcp-findings.ts.
 */

const list = <T extends z.ZodType>(item: T) => z.union([item, z.array(item)]).transform((v) => (Array.isArray(v) ? v : [v]));

export const mcpFindingParamsSchema = z.object({ findingId: mcpFindingIdSchema });

export const mcpFindingListQuerySchema = z.object({
  status: list(z.enum(MCP_FINDING_STATUSES)).optional().describe('One or more (repeat the parameter); default every status'),
  kind: list(z.enum(MCP_FINDING_KINDS)).optional(),
  severity: list(alertSeveritySchema).optional(),
  mcpServerId: mcpServerIdSchema.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: mcpFindingIdSchema.optional().describe('nextCursor of the previous page'),
});

/** The same filters for one server's findings (the server is in the path). */
export const mcpServerFindingListQuerySchema = mcpFindingListQuerySchema.omit({ mcpServerId: true });

export const mcpFindingListSchema = z
  .object({
    findings: z.array(mcpFindingSchema).describe('Newest first (by id: when the finding was first raised)'),
    nextCursor: mcpFindingIdSchema.nullable().describe('Pass as `cursor` for the next (older) page; null at the end'),
  })
  .meta({ id: 'McpFindingList' });

export const mcpFindingEnvelopeSchema = z.object({ finding: mcpFindingSchema }).meta({ id: 'McpFindingEnvelope' });

export const dismissMcpFindingSchema = z
  .object({
    note: z
      .string()
      .trim()
      .min(1, { message: 'must not be empty: say why the finding is not a problem' })
      .max(2000)
      .describe('Why the finding is not a problem (kept with the finding and in the audit log)'),
  })
  .meta({ id: 'DismissMcpFinding', examples: [{ note: 'The <IMPORTANT> marker is part of the vendor’s documented output format; reviewed with the publisher.' }] });

export const reopenMcpFindingSchema = z
  .object({ note: z.string().trim().min(1).max(2000).optional().describe('Why it is reopened (audit log only)') })
  .meta({ id: 'ReopenMcpFinding', examples: [{ note: 'Dismissed by mistake' }] });

export const mcpConfidenceEnvelopeSchema = z.object({ confidence: mcpConfidenceSchema }).meta({ id: 'McpConfidenceEnvelope' });
