import {
  createMcpServerSchema,
  errorEnvelopeSchema,
  mcpServerEnvelopeSchema,
  mcpServerLifecycleSchema,
  mcpServerListQuerySchema,
  mcpServerListSchema,
  mcpServerParamsSchema,
  updateMcpServerSchema,
} from '@aim/contracts';
import { defineOperation, type Feature } from '../../platform/http/operation.js';
import type { McpServerService } from './mcp-server-service.js';

export interface McpServerFeatureDeps {
  mcpServers: McpServerService;
}

const LIFECYCLE = [
  ['suspend', 'Suspend an MCP server (reversible)'],
  ['reactivate', 'Reactivate a suspended MCP server; it starts over as pending'],
  ['revoke', 'Revoke an MCP server (final)'],
] as const;

/** The MCP server registry (docs/mcp.md): registration, reading, changes and the lifecycle. */
export function mcpServerFeature({ mcpServers }: McpServerFeatureDeps): Feature {
  return {
    name: 'mcp-servers',
    operations: [
      defineOperation({
        method: 'POST',
        path: '/api/v1/mcp-servers',
        tag: 'mcp-servers',
        summary: 'Register an MCP server (pending until verified)',
        description:
          'Streamable HTTP endpoints pass the outbound guard: https, no credentials, no private or loopback address (unless the deployment allows private networks). A stdio launch command is a description only: AIM never runs it.',
        access: { auth: 'org', permission: 'mcp_server.create' },
        body: createMcpServerSchema,
        responses: { 201: mcpServerEnvelopeSchema, 409: errorEnvelopeSchema },
        status: 201,
        handle: async ({ ctx, body }) => ({ mcpServer: await mcpServers.create(ctx, body) }),
      }),

      defineOperation({
        method: 'GET',
        path: '/api/v1/mcp-servers',
        tag: 'mcp-servers',
        summary: 'MCP servers, newest first, with filters and search (keyset pagination)',
        access: { auth: 'org', permission: 'mcp_server.read' },
        query: mcpServerListQuerySchema,
        responses: { 200: mcpServerListSchema },
        handle: ({ ctx, query }) => mcpServers.list(ctx, query),
      }),

      defineOperation({
        method: 'GET',
        path: '/api/v1/mcp-servers/:mcpServerId',
        tag: 'mcp-servers',
        summary: 'An MCP server',
        access: { auth: 'org', permission: 'mcp_server.read' },
        params: mcpServerParamsSchema,
        responses: { 200: mcpServerEnvelopeSchema },
        handle: async ({ ctx, params }) => ({ mcpServer: await mcpServers.get(ctx, params.mcpServerId) }),
      }),

      defineOperation({
        method: 'PATCH',
        path: '/api/v1/mcp-servers/:mcpServerId',
        tag: 'mcp-servers',
        summary: "Change an MCP server's profile or transport (its owner, managers and admins)",
        access: { auth: 'org', permission: 'mcp_server.update' },
        params: mcpServerParamsSchema,
        body: updateMcpServerSchema,
        responses: { 200: mcpServerEnvelopeSchema, 409: errorEnvelopeSchema },
        handle: async ({ ctx, params, body }) => ({ mcpServer: await mcpServers.update(ctx, params.mcpServerId, body) }),
      }),

      ...LIFECYCLE.map(([transition, summary]) =>
        defineOperation({
          method: 'POST',
          path: `/api/v1/mcp-servers/:mcpServerId/${transition}`,
          tag: 'mcp-servers',
          summary: `${summary} (its owner, managers and admins)`,
          access: { auth: 'org', permission: 'mcp_server.update' },
          params: mcpServerParamsSchema,
          body: mcpServerLifecycleSchema.nullish(),
          responses: { 200: mcpServerEnvelopeSchema, 409: errorEnvelopeSchema },
          handle: async ({ ctx, params, body }) => ({
            mcpServer: await mcpServers.transition(ctx, params.mcpServerId, transition, body?.reason ?? null),
          }),
        }),
      ),
    ],
  };
}
