import {
  errorEnvelopeSchema,
  mcpServerKeyEnvelopeSchema,
  mcpServerKeyListQuerySchema,
  mcpServerKeyListSchema,
  mcpServerKeyParamsSchema,
  mcpServerParamsSchema,
  registerMcpServerKeySchema,
  revokeMcpServerKeySchema,
} from '@aim/contracts';
import type { FastifyRequest } from 'fastify';
import { defineOperation, type Feature } from '../../../platform/http/operation.js';
import type { McpServerKeyService } from './server-key-service.js';

export interface McpIdentityFeatureDeps {
  serverKeys: McpServerKeyService;
  /** The origin a request was sent to, which a proof of possession signs (platform.agentAuth.originFor). */
  originFor: (request: FastifyRequest) => string;
}

/** Keys of MCP servers, registered with proof of possession (docs/mcp.md, "Identity"). */
export function mcpIdentityFeature({ serverKeys, originFor }: McpIdentityFeatureDeps): Feature {
  return {
    name: 'mcp-identity',
    operations: [
      defineOperation({
        method: 'POST',
        path: '/api/v1/mcp-servers/:mcpServerId/keys',
        tag: 'mcp-servers',
        summary: "Register an Ed25519 key of an MCP server with a proof of possession (its owner, managers and admins)",
        description:
          'Get a challenge from POST /api/v1/agent-challenges, then sign "aim-proof-of-possession-v1\\nmcp-server-key:<mcpServerId>\\n<AIM origin>\\n<challenge>\\n<key id>" with the private key. A server holds at most 5 active keys; a key registered anywhere already (to an agent or a server) is refused.',
        access: { auth: 'org', permission: 'mcp_server.update' },
        params: mcpServerParamsSchema,
        body: registerMcpServerKeySchema,
        responses: { 201: mcpServerKeyEnvelopeSchema, 409: errorEnvelopeSchema },
        status: 201,
        handle: async ({ ctx, params, body, request }) => ({ key: await serverKeys.register(ctx, params.mcpServerId, body, originFor(request)) }),
      }),

      defineOperation({
        method: 'GET',
        path: '/api/v1/mcp-servers/:mcpServerId/keys',
        tag: 'mcp-servers',
        summary: "An MCP server's keys, newest first, active and revoked (keyset pagination)",
        access: { auth: 'org', permission: 'mcp_server.read' },
        params: mcpServerParamsSchema,
        query: mcpServerKeyListQuerySchema,
        responses: { 200: mcpServerKeyListSchema },
        handle: ({ ctx, params, query }) => serverKeys.list(ctx, params.mcpServerId, query),
      }),

      defineOperation({
        method: 'POST',
        path: '/api/v1/mcp-servers/:mcpServerId/keys/:keyId/revoke',
        tag: 'mcp-servers',
        summary: 'Revoke a key of an MCP server; a server card signed with it no longer verifies (its owner, managers and admins)',
        access: { auth: 'org', permission: 'mcp_server.update' },
        params: mcpServerKeyParamsSchema,
        body: revokeMcpServerKeySchema.nullish(),
        responses: { 200: mcpServerKeyEnvelopeSchema, 409: errorEnvelopeSchema },
        handle: async ({ ctx, params, body }) => ({ key: await serverKeys.revoke(ctx, params.mcpServerId, params.keyId, body?.reason ?? null) }),
      }),
    ],
  };
}
