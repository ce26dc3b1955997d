import type { McpToolDefinition } from './fingerprints.generated.js';

/**
 * The shapes the MCP part of the SDK sends to AIM and answers. They restate the contract
 * (packages/contracts/src/mcp-findings.ts) because the SDK has no runtime dependency on it;
 * src/mcp/types.test.ts checks each one against the contract's zod schema when compiling.
 */

/**
 * How an agent names an MCP server it uses, enough for AIM to match its registry: the name it has in the
 * client's configuration and, for stdio, the launch command (command and arguments joined by spaces), or,
 * for HTTP, the URL. Never the environment, headers or credentials in the URL.
 *
 * @example
 * ```ts
 * const github: McpServerDescriptor = { transport: 'stdio', name: 'github', command: 'npx -y @modelcontextprotocol/server-github' };
 * const docs: McpServerDescriptor = { transport: 'streamable_http', name: 'docs', url: 'https://docs.example.com/mcp' };
 * ```
 */
export type McpServerDescriptor =
  | { transport: 'streamable_http'; name: string; url: string }
  | { transport: 'stdio'; name: string; command: string };

/**
 * A tool as the agent saw it: its name, its fingerprint (`mcpToolFingerprint`) and its definition.
 *
 * @example
 * ```ts
 * for (const tool of scanned.tools) console.log(tool.name, tool.fingerprint);
 * ```
 */
export interface McpToolSeen {
  name: string;
  fingerprint: string;
  definition: McpToolDefinition;
}

/**
 * The payload of a signed MCP attestation (docs/mcp.md, "attestation"): what the agent saw, when.
 *
 * @example
 * ```ts
 * const payload: McpAttestationPayload = {
 *   agentId: agent.id, server: descriptor, tools: [{ name: 'echo', fingerprint }], toolSetFingerprint,
 *   observedAt: new Date().toISOString(), iat: Math.floor(Date.now() / 1000),
 * };
 * ```
 */
export interface McpAttestationPayload {
  agentId: string;
  server: McpServerDescriptor;
  tools: { name: string; fingerprint: string }[];
  toolSetFingerprint: string;
  /** When the agent listed the tools (RFC 3339). */
  observedAt: string;
  /** Unix seconds when it was signed. */
  iat: number;
}

/** The protected header of an MCP attestation JWS. */
export const MCP_ATTESTATION_TYPE = 'aim-mcp-attestation+jwt';

/**
 * An attestation as AIM stored it (`POST /api/v1/agents/{agentId}/mcp-attestations` answers it), with
 * how it compared: `match`/`mismatch` against AIM's own scan or other agents' attestations,
 * `unregistered` for a server not in the registry, `no_reference` when there is nothing to compare with.
 *
 * @example
 * ```ts
 * if (result.attestation?.comparison === 'mismatch') console.warn(`${result.descriptor.name} shows this agent other tools`);
 * ```
 */
export interface McpAttestationRecord {
  id: string;
  agentId: string;
  mcpServerId: string | null;
  server: McpServerDescriptor;
  tools: { name: string; fingerprint: string }[];
  toolSetFingerprint: string;
  observedAt: string;
  receivedAt: string;
  keyId: string;
  comparison: 'match' | 'mismatch' | 'unregistered' | 'no_reference';
}
