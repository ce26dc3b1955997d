import { mcpToolFingerprint, mcpToolSetFingerprint, type McpToolDefinition } from '@aim/contracts';
import { CompactSign } from 'jose';
import type { KeyObject } from 'node:crypto';
import type { TestAgentKey } from './agent-fixtures.js';

/**
 * Agents' MCP attestations for tests, signed with jose as docs/mcp.md ("The attestation") describes:
 * a compact JWS, header { alg: EdDSA, kid, typ: aim-mcp-attestation+jwt }, the payload as given.
 * Every part can be broken on purpose (header, payload, the signing key).
 */

export type TestDescriptor = { transport: 'streamable_http'; name: string; url: string } | { transport: 'stdio'; name: string; command: string };

/** The payload an agent signs for these tool definitions (fingerprints computed like the SDK does). */
export async function attestationPayload(agentId: string, server: TestDescriptor, definitions: readonly McpToolDefinition[], at = new Date()) {
  const tools = await Promise.all(definitions.map(async (d) => ({ name: d.name, fingerprint: await mcpToolFingerprint(d) })));
  return {
    agentId,
    server,
    tools,
    toolSetFingerprint: await mcpToolSetFingerprint(tools),
    observedAt: at.toISOString(),
    iat: Math.floor(at.getTime() / 1000),
  };
}

/** Sign a payload; `header` overrides or adds header members, `signWith` signs with another private key than the kid's. */
export async function signAttestation(
  key: TestAgentKey,
  payload: unknown,
  options: { header?: Record<string, unknown>; signWith?: KeyObject; kid?: string } = {},
): Promise<string> {
  const header = { alg: 'EdDSA', kid: options.kid ?? key.keyId, typ: 'aim-mcp-attestation+jwt', ...options.header };
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader(header as { alg: string })
    .sign(options.signWith ?? key.privateKey);
}
