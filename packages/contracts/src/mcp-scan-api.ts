import { z } from 'zod';
import { mcpPromptSchema, mcpResourceSchema, mcpScanIdSchema, mcpScanSchema, mcpToolSchema } from './mcp-discovery.js';
import { mcpServerIdSchema } from './mcp-servers.js';

/**
 * Request bodies and answers of the MCP scan operations (docs/mcp.md, "Scans"); shapes shared with other
 * parts are in mcp-discovery.ts.
 */

export const mcpScanParamsSchema = z.object({ mcpServerId: mcpServerIdSchema, scanId: mcpScanIdSchema });

export const mcpScanListQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: mcpScanIdSchema.optional().describe('nextCursor of the previous page'),
});

export const mcpScanEnvelopeSchema = z.object({ scan: mcpScanSchema }).meta({ id: 'McpScanEnvelope' });

export const mcpScanListSchema = z
  .object({
    scans: z.array(mcpScanSchema).describe('Newest first'),
    nextCursor: mcpScanIdSchema.nullable().describe('Pass as `cursor` for the next (older) page; null at the end'),
  })
  .meta({ id: 'McpScanList' });

export const mcpScanDetailSchema = z
  .object({
    scan: mcpScanSchema,
    tools: z.array(mcpToolSchema).describe('By name; empty for a failed scan'),
    resources: z.array(mcpResourceSchema),
    prompts: z.array(mcpPromptSchema),
  })
  .meta({ id: 'McpScanDetail' });
