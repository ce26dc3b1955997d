import { z } from 'zod';
import { tagSchema } from './agents.js';
import { organizationIdSchema, userIdSchema } from './people.js';

/**
 * The MCP server registry (docs/mcp.md): an organization's MCP servers, who owns them, how
 * they are reached, and their status. Discovery, keys, tool pins and drift come later.
 */

export const mcpServerIdSchema = z.string().regex(/^mcp_[0-9a-z]{26}$/, { message: 'must be a mcp_… id' });
const timestamp = z.string().describe('RFC 3339 timestamp');

export const MCP_SERVER_STATUSES = ['pending', 'verified', 'approved', 'drifted', 'suspended', 'revoked'] as const;
export type McpServerStatus = (typeof MCP_SERVER_STATUSES)[number];
export const mcpServerStatusSchema = z.enum(MCP_SERVER_STATUSES).meta({
  id: 'McpServerStatus',
  description:
    'pending: registered, not yet verified; verified: a scan succeeded (and its server card verified, when it holds a key); approved: a person approved its tool set; drifted: a scan found the tools changed since approval; suspended is reversible; revoked is final (docs/mcp.md)',
});

export const MCP_TRANSPORTS = ['streamable_http', 'stdio'] as const;
export type McpTransportType = (typeof MCP_TRANSPORTS)[number];

const endpointUrl = z
  .url({ protocol: /^https?$/, message: 'must be an http(s) URL' })
  .max(2048)
  .describe('The Streamable HTTP endpoint. https, no credentials, a public address (unless the deployment allows private networks)');
const launchCommand = z
  .string()
  .trim()
  .min(1, { message: 'must not be empty' })
  .max(2000)
  .describe('How agents launch the server, as a description only: AIM never runs it. Put no secrets here');

export const mcpTransportSchema = z
  .discriminatedUnion('type', [
    z.object({ type: z.literal('streamable_http'), url: endpointUrl }),
    z.object({ type: z.literal('stdio'), command: launchCommand }),
  ])
  .meta({
    id: 'McpServerTransport',
    description: 'How the server is reached: its Streamable HTTP endpoint, or the command agents launch it with (stdio)',
    examples: [{ type: 'streamable_http', url: 'https://mcp.example.com/mcp' }, { type: 'stdio', command: 'npx -y @modelcontextprotocol/server-filesystem /srv/reports' }],
  });
export type McpTransport = z.output<typeof mcpTransportSchema>;

export const mcpServerSchema = z
  .object({
    id: mcpServerIdSchema,
    organizationId: organizationIdSchema,
    name: z.string(),
    slug: z.string().describe('Names the server in decision actions, mcp:<slug>/<tool>; unique among the organization’s servers, revoked ones included (never reused)'),
    description: z.string().nullable(),
    publisher: z.string().nullable().describe('Who publishes the server (a vendor, a team), as the registrant states it'),
    ownerId: userIdSchema.nullable().describe('The member responsible for it; null once the owner left'),
    transport: mcpTransportSchema,
    tags: z.array(z.string()),
    status: mcpServerStatusSchema,
    statusReason: z.string().nullable().describe('The reason given with the last status change'),
    confidenceScore: z
      .number()
      .nullable()
      .describe('The confidence score (0–100) as last computed, after a scan, an attestation or a finding dismissed; null when unknown. GET …/confidence computes it now, with its factors'),
    createdAt: timestamp,
    updatedAt: timestamp,
    statusChangedAt: timestamp,
  })
  .meta({ id: 'McpServer' });
export type McpServerJson = z.infer<typeof mcpServerSchema>;

export const mcpServerEnvelopeSchema = z.object({ mcpServer: mcpServerSchema }).meta({ id: 'McpServerEnvelope' });

const serverName = z.string().trim().min(1, { message: 'must not be empty' }).max(100);
const slug = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,39}$/, { message: 'must be 1–40 characters of a-z, 0-9, _ and -, starting with a letter or digit' })
  .describe('Names the server in decision actions (mcp:<slug>/<tool>); defaults to the name in lower case with other characters as -');
const description = z.string().trim().max(2000);
const publisher = z.string().trim().min(1, { message: 'must not be empty' }).max(200);

export const createMcpServerSchema = z
  .object({
    name: serverName,
    slug: slug.optional(),
    description: description.optional(),
    publisher: publisher.optional(),
    ownerId: userIdSchema.optional().describe('Defaults to you; only managers and admins may name someone else'),
    transport: mcpTransportSchema,
    tags: z.array(tagSchema).max(20).optional(),
  })
  .meta({
    id: 'CreateMcpServer',
    examples: [
      {
        name: 'github',
        description: 'Issues and pull requests of our repositories',
        publisher: 'GitHub',
        transport: { type: 'streamable_http', url: 'https://api.githubcopilot.com/mcp/' },
        tags: ['engineering'],
      },
    ],
  });

export const updateMcpServerSchema = z
  .object({
    name: serverName.optional(),
    description: description.nullable().optional(),
    publisher: publisher.nullable().optional(),
    ownerId: userIdSchema.optional().describe('Managers and admins only'),
    transport: mcpTransportSchema.optional().describe('Replaces the transport; a verified, approved or drifted server goes back to pending'),
    tags: z.array(tagSchema).max(20).optional(),
  })
  .refine((value) => Object.keys(value).length > 0, { message: 'change at least one field' })
  .meta({ id: 'UpdateMcpServer', examples: [{ description: 'Issues, pull requests and code search' }] });

export const mcpServerLifecycleSchema = z
  .object({ reason: z.string().trim().min(1).max(500).optional() })
  .meta({ id: 'McpServerLifecycle', examples: [{ reason: 'Tool descriptions changed without notice' }] });

export const mcpServerParamsSchema = z.object({ mcpServerId: mcpServerIdSchema });

export const mcpServerListQuerySchema = z.object({
  status: mcpServerStatusSchema.optional(),
  ownerId: userIdSchema.optional(),
  transport: z.enum(MCP_TRANSPORTS).optional(),
  tag: tagSchema.optional(),
  q: z.string().trim().min(1).max(100).optional().describe('Matches name, description or publisher (case-insensitive)'),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: mcpServerIdSchema.optional().describe('nextCursor of the previous page'),
});

export const mcpServerListSchema = z
  .object({
    mcpServers: z.array(mcpServerSchema),
    nextCursor: mcpServerIdSchema.nullable().describe('Pass as `cursor` for the next (older) page; null at the end'),
  })
  .meta({ id: 'McpServerList' });
