import { z } from 'zod';
import { agentIdSchema } from './agents.js';
import { dateTimeSchema } from './instants.js';
import { mcpAttestationIdSchema } from './mcp-discovery.js';
import { mcpAttestationSchema, mcpServerDescriptorSchema } from './mcp-findings.js';
import { mcpServerIdSchema } from './mcp-servers.js';

/**
 * Request bodies and answers of the MCP attestation operations (docs/mcp.md, "Agents and MCP
 * servers"); shapes shared with other parts are in mcp-findings.ts. The limits and the wire format of
 * an attestation are here so that AIM, the SDK and any other client read the same numbers.
 */

/** The JWS `typ` of an attestation. */
export const MCP_ATTESTATION_TYPE = 'aim-mcp-attestation+jwt';
/** The only JWS algorithm AIM accepts (Ed25519). */
export const MCP_ATTESTATION_ALGORITHM = 'EdDSA';
/** `iat` may be at most this far from AIM's clock, either way. */
export const MCP_ATTESTATION_MAX_SKEW_SECONDS = 600;
/** The most tools one attestation may list (a compact JWS of that many fits the body limit). */
export const MCP_ATTESTATION_MAX_TOOLS = 5_000;
/** The longest compact JWS AIM accepts, in characters. */
export const MCP_ATTESTATION_MAX_LENGTH = 1_000_000;
/** Other agents' attestations count as a reference for this long after AIM received them. */
export const MCP_ATTESTATION_REFERENCE_HOURS = 24;
/** The most servers one declaration may name. */
export const MCP_DECLARATION_MAX_SERVERS = 100;

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, { message: 'must be a lower-case hex SHA-256' });

/** What the agent signs: the JWS payload (docs/mcp.md, "The attestation"). */
export const mcpAttestationPayloadSchema = z
  .object({
    agentId: agentIdSchema,
    server: mcpServerDescriptorSchema,
    tools: z
      .array(z.object({ name: z.string().min(1).max(200), fingerprint: sha256Hex }))
      .max(MCP_ATTESTATION_MAX_TOOLS)
      .refine((tools) => new Set(tools.map((t) => t.name)).size === tools.length, { message: 'names each tool once' }),
    toolSetFingerprint: sha256Hex,
    observedAt: dateTimeSchema().describe('When the agent listed the tools (RFC 3339)'),
    iat: z.number().int().positive().describe('Seconds since the epoch when the agent signed'),
  })
  .meta({ id: 'McpAttestationPayload' });
export type McpAttestationPayload = z.infer<typeof mcpAttestationPayloadSchema>;

export const createMcpAttestationSchema = z
  .object({
    attestation: z
      .string()
      .min(1)
      .max(MCP_ATTESTATION_MAX_LENGTH)
      .describe('A compact JWS: header {alg EdDSA, kid <agent key id>, typ aim-mcp-attestation+jwt}, payload McpAttestationPayload'),
  })
  .meta({ id: 'CreateMcpAttestation' });

export const mcpAttestationEnvelopeSchema = z.object({ attestation: mcpAttestationSchema }).meta({ id: 'McpAttestationEnvelope' });

export const declareMcpServersSchema = z
  .object({
    servers: z.array(mcpServerDescriptorSchema).max(MCP_DECLARATION_MAX_SERVERS).describe('Every MCP server the agent uses; replaces its previous declaration'),
  })
  .meta({
    id: 'DeclareMcpServers',
    examples: [
      {
        servers: [
          { transport: 'streamable_http', name: 'github', url: 'https://api.githubcopilot.com/mcp/' },
          { transport: 'stdio', name: 'filesystem', command: 'npx -y @modelcontextprotocol/server-filesystem /srv/reports' },
        ],
      },
    ],
  });

export const agentMcpServerSchema = z
  .object({
    server: mcpServerDescriptorSchema.describe('As declared, with credentials removed (docs/mcp.md, matching)'),
    descriptorKey: z.string().describe('The normalized transport and endpoint or command the registry is matched on'),
    mcpServerId: mcpServerIdSchema.nullable().describe('The registered server it matched; null for a server not in the registry (a shadow MCP server)'),
    declaredAt: z.string().describe('RFC 3339 timestamp: when the agent first named it'),
    latestAttestation: mcpAttestationSchema.nullable().describe('Its latest attestation of this server, if any'),
  })
  .meta({ id: 'AgentMcpServer' });

export const agentMcpServerListSchema = z.object({ servers: z.array(agentMcpServerSchema) }).meta({ id: 'AgentMcpServerList' });

export const mcpAttestationListQuerySchema = z.object({
  agentId: agentIdSchema.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: mcpAttestationIdSchema.optional().describe('nextCursor of the previous page'),
});

export const mcpAttestationListSchema = z
  .object({
    attestations: z.array(mcpAttestationSchema),
    nextCursor: mcpAttestationIdSchema.nullable().describe('Pass as `cursor` for the next (older) page; null at the end'),
  })
  .meta({ id: 'McpAttestationList' });
