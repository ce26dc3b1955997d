import {
  agentMcpServerListSchema,
  agentParamsSchema,
  createMcpAttestationSchema,
  declareMcpServersSchema,
  errorEnvelopeSchema,
  mcpAttestationEnvelopeSchema,
  mcpAttestationListQuerySchema,
  mcpAttestationListSchema,
  mcpServerParamsSchema,
} from '@aim/contracts';
import type { AgentPrincipal } from '../../../platform/auth/agent-auth.js';
import { defineOperation, type Feature } from '../../../platform/http/operation.js';
import { createMcpAttestationService, type AttestationServiceDeps } from './attestation-service.js';

/**
 * Agents and MCP servers (docs/mcp.md): declarations and signed attestations (agents, for themselves),
 * and what people read of them.
 */
export function mcpAttestationFeature(deps: AttestationServiceDeps): Feature {
  const attestations = createMcpAttestationService(deps);
  return {
    name: 'mcp-attestations',
    operations: [
      defineOperation({
        method: 'PUT',
        path: '/api/v1/agents/:agentId/mcp-servers',
        tag: 'mcp-servers',
        summary: 'Declare the MCP servers this agent uses (replaces its declaration); a server not in the registry raises a shadow MCP server alert',
        description:
          'An agent declares only for itself. Each server is matched to the registry by its normalized endpoint URL (Streamable HTTP) or launch command (stdio), never by name; the answer gives the registered server each one matched, or null.',
        access: { auth: 'agent' },
        params: agentParamsSchema,
        body: declareMcpServersSchema,
        responses: { 200: agentMcpServerListSchema, 403: errorEnvelopeSchema },
        handle: ({ ctx, params, body, request }) =>
          attestations.declare(ctx, params.agentId, body, { by: (request.principal as AgentPrincipal).proof === 'token' ? 'token' : 'signature' }),
      }),

      defineOperation({
        method: 'POST',
        path: '/api/v1/agents/:agentId/mcp-attestations',
        tag: 'mcp-servers',
        summary: 'Send a signed attestation of the tools this agent saw at an MCP server; AIM compares it with its scan and other agents',
        description:
          'The attestation is a compact JWS (EdDSA) signed with one of the agent’s active keys: docs/mcp.md gives the header, the payload, the fingerprints and every refusal. A set that differs from AIM’s last scan or another agent’s recent attestation is a finding (attestation_mismatch).',
        access: { auth: 'agent' },
        params: agentParamsSchema,
        body: createMcpAttestationSchema,
        responses: { 201: mcpAttestationEnvelopeSchema, 400: errorEnvelopeSchema, 403: errorEnvelopeSchema },
        status: 201,
        handle: ({ ctx, params, body, request }) =>
          attestations.attest(ctx, params.agentId, body.attestation, { keyId: (request.principal as AgentPrincipal).agentKeyId }),
      }),

      defineOperation({
        method: 'GET',
        path: '/api/v1/agents/:agentId/mcp-servers',
        tag: 'mcp-servers',
        summary: 'The MCP servers an agent declared or attested, each with the registered server it matched and its latest attestation',
        access: { auth: 'org', permission: 'agent.read' },
        params: agentParamsSchema,
        responses: { 200: agentMcpServerListSchema },
        handle: ({ ctx, params }) => attestations.listDeclared(ctx, params.agentId),
      }),

      defineOperation({
        method: 'GET',
        path: '/api/v1/mcp-servers/:mcpServerId/attestations',
        tag: 'mcp-servers',
        summary: 'Agents’ attestations of an MCP server, newest first (keyset pagination; filter agentId)',
        access: { auth: 'org', permission: 'mcp_server.read' },
        params: mcpServerParamsSchema,
        query: mcpAttestationListQuerySchema,
        responses: { 200: mcpAttestationListSchema },
        handle: ({ ctx, params, query }) => attestations.listOfServer(ctx, params.mcpServerId, query),
      }),
    ],
  };
}
