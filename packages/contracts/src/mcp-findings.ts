import { z } from 'zod';
import { agentIdSchema } from './agents.js';
import { alertIdSchema, alertSeveritySchema } from './monitoring.js';
import { mcpServerIdSchema } from './mcp-servers.js';
import { mcpAttestationIdSchema, mcpFindingIdSchema, mcpScanIdSchema, mcpToolDiffSchema } from './mcp-discovery.js';

/**
 * Findings about MCP servers, agents' attestations, the confidence score, the MCP settings and the
 * decision actions of tools (docs/mcp.md).
 */

const timestamp = z.string().describe('RFC 3339 timestamp');
const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, { message: 'must be a lower-case hex SHA-256' });
const actor = z.object({ type: z.enum(['user', 'api_key', 'system']), id: z.string().nullable() });

// ————————————————————————————————————————————— findings

export const MCP_FINDING_KINDS = [
  'drift', // tools added, removed or changed against the approved pins
  'poisoning', // a heuristic matched a description or schema (evidence.heuristic)
  'attestation_mismatch', // agents, or an agent and AIM, saw different tools from the same server
  'tls_certificate_changed',
  'server_card_invalid',
] as const;
export type McpFindingKind = (typeof MCP_FINDING_KINDS)[number];

export const MCP_POISONING_HEURISTICS = [
  'hidden_instruction', // <IMPORTANT>, <system>, "[INST]" and similar markers
  'override_phrase', // "ignore previous instructions", "do not tell the user"…
  'invisible_unicode', // zero-width, bidi controls, Unicode tag characters
  'tool_shadowing', // the tool's name is also a tool of another registered server, or it names another server's tool
  'secret_reference', // ~/.ssh, .env, id_rsa, credentials files, API keys
  'exfiltration_url', // instructions to send or post data to a URL
] as const;
export type McpPoisoningHeuristic = (typeof MCP_POISONING_HEURISTICS)[number];

export const MCP_FINDING_STATUSES = ['open', 'dismissed', 'resolved'] as const;

export const mcpFindingSchema = z
  .object({
    id: mcpFindingIdSchema,
    mcpServerId: mcpServerIdSchema,
    kind: z.enum(MCP_FINDING_KINDS),
    severity: alertSeveritySchema,
    status: z.enum(MCP_FINDING_STATUSES),
    title: z.string(),
    summary: z.string(),
    evidence: z
      .object({
        heuristic: z.enum(MCP_POISONING_HEURISTICS).optional(),
        toolName: z.string().optional(),
        path: z.string().optional().describe('JSON Pointer into the tool definition where the text is'),
        text: z.string().optional().describe('The exact text that matched (invisible characters shown as \\u{…})'),
        diff: z.array(mcpToolDiffSchema).optional(),
        agentIds: z.array(agentIdSchema).optional(),
        fingerprints: z.record(z.string(), z.string()).optional(),
      })
      .catchall(z.unknown()),
    scanId: mcpScanIdSchema.nullable(),
    attestationId: mcpAttestationIdSchema.nullable(),
    alertId: alertIdSchema.nullable().describe('The alert raised with it, if any'),
    occurrences: z.number().int(),
    firstSeenAt: timestamp,
    lastSeenAt: timestamp,
    dismissed: z.object({ by: actor, at: timestamp, note: z.string() }).nullable(),
    resolvedAt: timestamp.nullable(),
  })
  .meta({ id: 'McpFinding' });
export type McpFindingJson = z.infer<typeof mcpFindingSchema>;

// ————————————————————————————————————————————— attestations

/** How an agent describes a server it uses (from its client configuration): enough to match the registry. */
export const mcpServerDescriptorSchema = z
  .discriminatedUnion('transport', [
    z.object({ transport: z.literal('streamable_http'), name: z.string().min(1).max(100), url: z.string().max(2048) }),
    z.object({ transport: z.literal('stdio'), name: z.string().min(1).max(100), command: z.string().min(1).max(2000) }),
  ])
  .meta({ id: 'McpServerDescriptor' });

export const MCP_ATTESTATION_COMPARISONS = ['match', 'mismatch', 'unregistered', 'no_reference'] as const;

export const mcpAttestationSchema = z
  .object({
    id: mcpAttestationIdSchema,
    agentId: agentIdSchema,
    mcpServerId: mcpServerIdSchema.nullable().describe('The registered server it matched; null for a server not in the registry'),
    server: mcpServerDescriptorSchema,
    tools: z.array(z.object({ name: z.string(), fingerprint: sha256Hex })),
    toolSetFingerprint: sha256Hex,
    observedAt: timestamp.describe('When the agent listed the tools (its clock)'),
    receivedAt: timestamp,
    keyId: z.string().describe('The agent key that signed it'),
    comparison: z.enum(MCP_ATTESTATION_COMPARISONS).describe('match/mismatch against AIM’s last scan or other agents’ attestations; unregistered; no_reference when there is nothing to compare with'),
  })
  .meta({ id: 'McpAttestation' });

// ————————————————————————————————————————————— confidence

export const MCP_CONFIDENCE_FACTORS = ['identity', 'scans', 'attestations', 'driftHistory', 'findings'] as const;
export const mcpConfidenceSchema = z
  .object({
    mcpServerId: mcpServerIdSchema,
    score: z.number().min(0).max(100).nullable().describe('0–100; null when no factor has evidence'),
    confidence: z.number().min(0).max(1).describe('The share of the total factor weight the score rests on'),
    factors: z.array(
      z.object({
        key: z.enum(MCP_CONFIDENCE_FACTORS),
        label: z.string(),
        weight: z.number(),
        value: z.number().min(0).max(1).nullable().describe('0–1; null when there is no evidence (unknown)'),
        contribution: z.number(),
        explanation: z.string(),
        evidence: z.record(z.string(), z.union([z.number(), z.string(), z.boolean(), z.null()])),
      }),
    ),
    algorithmVersion: z.string(),
    computedAt: timestamp,
  })
  .meta({ id: 'McpConfidence' });

// ————————————————————————————————————————————— settings

export const mcpSettingsSchema = z
  .object({
    blockDriftedTools: z.boolean().describe('Deny decisions for a drifted tool (changed or removed) until a person re-approves it'),
    scanIntervalMinutes: z.number().int().min(5).max(10_080).describe('How often AIM scans each Streamable HTTP server'),
  })
  .meta({ id: 'McpSettings' });
export type McpSettings = z.infer<typeof mcpSettingsSchema>;
export const DEFAULT_MCP_SETTINGS: McpSettings = { blockDriftedTools: true, scanIntervalMinutes: 60 };
export const updateMcpSettingsSchema = mcpSettingsSchema.partial().strict()
  .refine((v) => Object.keys(v).length > 0, { message: 'change at least one setting' })
  .meta({ id: 'UpdateMcpSettings', examples: [{ blockDriftedTools: false }] });

// ————————————————————————————————————————————— actions

/**
 * The decision action of an approved tool: `mcp:<server slug>/<tool name>`, the tool name exactly as
 * the server names it. Null when it cannot form an action (a name with other characters, or too long).
 */
export const MCP_ACTION_PATTERN = /^mcp:[a-z0-9][a-z0-9_-]{0,39}\/[A-Za-z0-9_.-]{1,64}$/;
export function mcpToolAction(serverSlug: string, toolName: string): string | null {
  const action = `mcp:${serverSlug}/${toolName}`;
  return action.length <= 100 && MCP_ACTION_PATTERN.test(action) ? action : null;
}

/** A server's slug from its name: lower case, runs of other characters as `-`, at most 40. */
export function mcpServerSlug(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^[-_]+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/g, '');
}
