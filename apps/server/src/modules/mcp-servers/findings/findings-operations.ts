import {
  dismissMcpFindingSchema,
  errorEnvelopeSchema,
  mcpConfidenceEnvelopeSchema,
  mcpFindingEnvelopeSchema,
  mcpFindingListQuerySchema,
  mcpFindingListSchema,
  mcpFindingParamsSchema,
  mcpServerFindingListQuerySchema,
  mcpServerParamsSchema,
  reopenMcpFindingSchema,
} from '@aim/contracts';
import { defineOperation, type Feature } from '../../../platform/http/operation.js';
import type { McpFindingsService } from './findings-service.js';

export interface McpFindingsFeatureDeps {
  mcpFindings: McpFindingsService;
}

const FILTERS = 'Filters combine with AND; status, kind and severity take one or more values (repeat the parameter).';

/** MCP findings (poisoning heuristics, drift, identity, attestation mismatches) and confidence (docs/mcp.md). */
export function mcpFindingsFeature({ mcpFindings }: McpFindingsFeatureDeps): Feature {
  return {
    name: 'mcp-findings',
    operations: [
      defineOperation({
        method: 'GET',
        path: '/api/v1/mcp-findings',
        tag: 'mcp-servers',
        summary: "The organization's MCP findings, newest first (keyset pagination)",
        description: FILTERS,
        access: { auth: 'org', permission: 'mcp_server.read' },
        query: mcpFindingListQuerySchema,
        responses: { 200: mcpFindingListSchema },
        handle: ({ ctx, query }) => mcpFindings.list(ctx, query),
      }),

      defineOperation({
        method: 'GET',
        path: '/api/v1/mcp-servers/:mcpServerId/findings',
        tag: 'mcp-servers',
        summary: "An MCP server's findings, newest first (keyset pagination)",
        description: FILTERS,
        access: { auth: 'org', permission: 'mcp_server.read' },
        params: mcpServerParamsSchema,
        query: mcpServerFindingListQuerySchema,
        responses: { 200: mcpFindingListSchema },
        handle: ({ ctx, params, query }) => mcpFindings.listForServer(ctx, params.mcpServerId, query),
      }),

      defineOperation({
        method: 'GET',
        path: '/api/v1/mcp-findings/:findingId',
        tag: 'mcp-servers',
        summary: 'An MCP finding, with the exact text or change it is about',
        access: { auth: 'org', permission: 'mcp_server.read' },
        params: mcpFindingParamsSchema,
        responses: { 200: mcpFindingEnvelopeSchema },
        handle: async ({ ctx, params }) => ({ finding: await mcpFindings.get(ctx, params.findingId) }),
      }),

      defineOperation({
        method: 'POST',
        path: '/api/v1/mcp-findings/:findingId/dismiss',
        tag: 'mcp-servers',
        summary: 'Dismiss an open MCP finding with a note (managers and admins)',
        description:
          'The finding stays dismissed: a later scan that finds the same thing in the same tool definition neither reopens nor raises it again (a changed definition is a new finding). The alert raised with it is left as it is; resolve it in the alerts inbox. 409 mcp_finding_transition_not_allowed when the finding is not open.',
        access: { auth: 'org', permission: 'mcp_server.manage' },
        params: mcpFindingParamsSchema,
        body: dismissMcpFindingSchema,
        responses: { 200: mcpFindingEnvelopeSchema, 409: errorEnvelopeSchema },
        handle: async ({ ctx, params, body }) => ({ finding: await mcpFindings.dismiss(ctx, params.findingId, body) }),
      }),

      defineOperation({
        method: 'POST',
        path: '/api/v1/mcp-findings/:findingId/reopen',
        tag: 'mcp-servers',
        summary: 'Reopen a dismissed MCP finding (managers and admins)',
        description: '409 mcp_finding_transition_not_allowed when the finding is not dismissed, or another open finding has its key.',
        access: { auth: 'org', permission: 'mcp_server.manage' },
        params: mcpFindingParamsSchema,
        body: reopenMcpFindingSchema.nullish(),
        responses: { 200: mcpFindingEnvelopeSchema, 409: errorEnvelopeSchema },
        handle: async ({ ctx, params, body }) => ({ finding: await mcpFindings.reopen(ctx, params.findingId, body ?? {}) }),
      }),

      defineOperation({
        method: 'GET',
        path: '/api/v1/mcp-servers/:mcpServerId/confidence',
        tag: 'mcp-servers',
        summary: "An MCP server's confidence score, computed now, with each factor explained",
        description: 'Identity, scans, attestations, drift history and open findings (docs/mcp.md, "confidence"). score is null when no factor has evidence.',
        access: { auth: 'org', permission: 'mcp_server.read' },
        params: mcpServerParamsSchema,
        responses: { 200: mcpConfidenceEnvelopeSchema },
        handle: async ({ ctx, params }) => ({ confidence: await mcpFindings.confidence(ctx, params.mcpServerId) }),
      }),
    ],
  };
}
