import { z } from 'zod';
import { mcpServerIdSchema } from './mcp-servers.js';

export * from './mcp-fingerprints.js';

/**
 * What AIM learns about an MCP server and what people and agents say about it (docs/mcp.md): scans
 * through the real protocol, tool definitions and their fingerprints, the approved pins and the drift
 * from them, findings (poisoning heuristics, drift, identity, attestation mismatches), agents'
 * attestations, and the confidence score. Request bodies live beside the operations that take them
 * (mcp-scan-api.ts, mcp-approval-api.ts, mcp-findings-api.ts, mcp-identity-api.ts, mcp-attestation-api.ts).
 */

const timestamp = z.string().describe('RFC 3339 timestamp');
const id = (prefix: string) => z.string().regex(new RegExp(`^${prefix}_[0-9a-z]{26}$`), { message: `must be a ${prefix}_… id` });
export const mcpScanIdSchema = id('msc');
export const mcpApprovalIdSchema = id('mca');
export const mcpFindingIdSchema = id('mcf');
export const mcpAttestationIdSchema = id('mat');
const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, { message: 'must be a lower-case hex SHA-256' });

// ————————————————————————————————————————————— tools and fingerprints

/**
 * A tool as the server described it in `tools/list` (the fields that define it; anything else the
 * server sent is ignored). The fingerprint covers exactly these fields.
 */
export const mcpToolDefinitionSchema = z
  .object({
    name: z.string(),
    title: z.string().optional(),
    description: z.string().optional(),
    inputSchema: z.record(z.string(), z.unknown()),
    outputSchema: z.record(z.string(), z.unknown()).optional(),
    annotations: z.record(z.string(), z.unknown()).optional(),
  })
  .meta({ id: 'McpToolDefinition' });
export type McpToolDefinition = z.infer<typeof mcpToolDefinitionSchema>;

export const mcpToolSchema = z
  .object({
    name: z.string(),
    fingerprint: sha256Hex,
    definition: mcpToolDefinitionSchema,
  })
  .meta({ id: 'McpTool' });

// ————————————————————————————————————————————— scans

export const MCP_SCAN_TRIGGERS = ['manual', 'scheduled'] as const;
export const MCP_SCAN_STATUSES = ['running', 'succeeded', 'failed'] as const;

/** Why a scan failed: each is a recorded state, never a crash (docs/mcp.md, "scan failures"). */
export const MCP_SCAN_FAILURE_REASONS = [
  'not_scannable', // a stdio server: AIM never runs commands (agents attest those)
  'address_refused', // the outbound guard refused the URL or an address it resolved to
  'dns_failed',
  'unreachable', // connection refused or reset
  'tls_failed', // certificate invalid, expired, wrong host, handshake failure
  'redirect_refused', // the server answered with a redirect (never followed)
  'timeout', // the scan's deadline passed (connect, initialize or a list call)
  'http_error', // a non-2xx answer other than a redirect
  'protocol_error', // malformed JSON-RPC, an error answer, an invalid result
  'too_large', // a response, a definition or a schema above the limits
  'too_many_items', // more tools, resources or prompts (or pages) than the limits
] as const;
export type McpScanFailureReason = (typeof MCP_SCAN_FAILURE_REASONS)[number];

export const MCP_SERVER_CARD_STATUSES = ['absent', 'unsigned', 'valid', 'invalid'] as const;

export const mcpScanSchema = z
  .object({
    id: mcpScanIdSchema,
    mcpServerId: mcpServerIdSchema,
    trigger: z.enum(MCP_SCAN_TRIGGERS),
    status: z.enum(MCP_SCAN_STATUSES),
    startedAt: timestamp,
    finishedAt: timestamp.nullable(),
    durationMs: z.number().int().nullable(),
    failure: z
      .object({ reason: z.enum(MCP_SCAN_FAILURE_REASONS), message: z.string() })
      .nullable()
      .describe('Why the scan failed; null unless status is failed'),
    protocolVersion: z.string().nullable().describe('The protocol version the server agreed in initialize'),
    serverInfo: z.object({ name: z.string(), version: z.string(), title: z.string().optional() }).nullable(),
    capabilities: z.record(z.string(), z.unknown()).nullable().describe('The capabilities the server declared in initialize'),
    instructions: z.string().nullable().describe('The instructions the server sent in initialize'),
    counts: z.object({ tools: z.number().int(), resources: z.number().int(), prompts: z.number().int() }),
    toolSetFingerprint: sha256Hex.nullable(),
    tlsCertificateSha256: sha256Hex.nullable().describe('SHA-256 of the DER certificate the server presented (https only)'),
    serverCard: z
      .object({ status: z.enum(MCP_SERVER_CARD_STATUSES), keyId: z.string().nullable(), message: z.string().nullable() })
      .describe('The server card at its .well-known location and whether its signature verified with a registered key'),
    drift: z
      .object({ added: z.number().int(), removed: z.number().int(), changed: z.number().int() })
      .nullable()
      .describe('Against the approved pins; null when the server has no approved tool set or the scan failed'),
  })
  .meta({ id: 'McpScan' });
export type McpScanJson = z.infer<typeof mcpScanSchema>;

export const mcpResourceSchema = z
  .object({ uri: z.string(), name: z.string(), mimeType: z.string().optional(), description: z.string().optional() })
  .meta({ id: 'McpResource' });
export const mcpPromptSchema = z
  .object({
    name: z.string(),
    description: z.string().optional(),
    arguments: z.array(z.object({ name: z.string(), description: z.string().optional(), required: z.boolean().optional() })).optional(),
  })
  .meta({ id: 'McpPrompt' });

// ————————————————————————————————————————————— diffs, approvals, pins

/** One field that differs between the pinned definition and the current one (a JSON Pointer into the definition). */
export const mcpFieldChangeSchema = z
  .object({
    path: z.string().describe('JSON Pointer into the tool definition, e.g. /description or /inputSchema/properties/path/description'),
    from: z.unknown().optional().describe('The pinned value; absent when the field was added'),
    to: z.unknown().optional().describe('The current value; absent when the field was removed'),
  })
  .meta({ id: 'McpFieldChange' });

export const mcpToolDiffSchema = z
  .object({
    name: z.string(),
    change: z.enum(['added', 'removed', 'changed']),
    pinnedFingerprint: sha256Hex.nullable(),
    currentFingerprint: sha256Hex.nullable(),
    fields: z.array(mcpFieldChangeSchema).describe('For changed tools: every field that differs'),
  })
  .meta({ id: 'McpToolDiff' });
export type McpToolDiff = z.infer<typeof mcpToolDiffSchema>;

const actor = z.object({ type: z.enum(['user', 'api_key', 'system']), id: z.string().nullable() }).meta({ id: 'McpActor' });

export const mcpApprovalSchema = z
  .object({
    id: mcpApprovalIdSchema,
    mcpServerId: mcpServerIdSchema,
    scanId: mcpScanIdSchema.describe('The scan whose tool set was approved'),
    toolSetFingerprint: sha256Hex,
    tools: z.array(z.object({ name: z.string(), fingerprint: sha256Hex, action: z.string().nullable() })),
    note: z.string().nullable(),
    approvedBy: actor,
    approvedAt: timestamp,
  })
  .meta({ id: 'McpApproval' });

export const MCP_PIN_STATES = ['pinned', 'changed', 'removed'] as const;
export const mcpToolPinSchema = z
  .object({
    toolName: z.string(),
    fingerprint: sha256Hex.describe('The approved fingerprint'),
    currentFingerprint: sha256Hex.nullable().describe('What the last successful scan saw; null when the tool is gone'),
    state: z.enum(MCP_PIN_STATES),
    blocked: z.boolean().describe('Decisions for this tool are denied until a person re-approves (the blockDriftedTools setting)'),
    action: z.string().nullable().describe('The decision action, mcp:<server slug>/<tool>; null when the tool name cannot form one'),
    approvalId: mcpApprovalIdSchema,
    pinnedAt: timestamp,
    driftedAt: timestamp.nullable(),
  })
  .meta({ id: 'McpToolPin' });

