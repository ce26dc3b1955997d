import { AimError } from '../errors.js';
import { readJson, type AimRequestInit } from '../transport.js';
import { MCP_ATTESTATION_TYPE, type McpAttestationPayload, type McpAttestationRecord, type McpServerDescriptor, type McpToolSeen } from './types.js';

/**
 * The two requests of an agent about its MCP servers (docs/mcp.md, "attestation"), both signed like
 * every request of the agent: the declaration of the servers it uses
 * (`PUT /api/v1/agents/{agentId}/mcp-servers`), and a signed attestation of the tools one server
 * showed it (`POST /api/v1/agents/{agentId}/mcp-attestations`, a compact JWS).
 */

/** Signs a compact JWS with the agent's current key; the header is `{ alg: 'EdDSA', kid, typ }`. */
export type SignJws = (typ: string, payload: Record<string, unknown>) => string;

/** What the attestation calls need from an agent. */
export interface McpAgentPort {
  agentId: string;
  signJws: SignJws;
  send: (input: string, init: AimRequestInit) => Promise<Response>;
}

const REQUEST_TIMEOUT_MS = 10_000;

/**
 * The payload of an attestation of what a server showed.
 *
 * @example
 * ```ts
 * const payload = attestationPayload(agent.id, descriptor, listed.tools, listed.toolSetFingerprint, listed.observedAt);
 * ```
 */
export function attestationPayload(
  agentId: string,
  server: McpServerDescriptor,
  tools: readonly Pick<McpToolSeen, 'name' | 'fingerprint'>[],
  toolSetFingerprint: string,
  observedAt: string,
  now = Date.now(),
): McpAttestationPayload {
  return {
    agentId,
    server,
    tools: tools.map(({ name, fingerprint }) => ({ name, fingerprint })),
    toolSetFingerprint,
    observedAt,
    iat: Math.floor(now / 1000),
  };
}

/** Sign an attestation payload: the compact JWS AIM takes, `typ` {@link MCP_ATTESTATION_TYPE}. */
export function signAttestation(port: Pick<McpAgentPort, 'signJws'>, payload: McpAttestationPayload): string {
  return port.signJws(MCP_ATTESTATION_TYPE, payload as unknown as Record<string, unknown>);
}

/** `POST /api/v1/agents/{agentId}/mcp-attestations` `{ attestation }` → 201 `{ attestation }`. */
export async function sendAttestation(port: McpAgentPort, jws: string, signal?: AbortSignal): Promise<McpAttestationRecord> {
  const answer = await call<{ attestation?: unknown } | undefined>(port, 'POST', 'mcp-attestations', { attestation: jws }, signal);
  const attestation = answer?.attestation as Partial<McpAttestationRecord> | undefined;
  if (typeof attestation !== 'object' || attestation === null || typeof attestation.id !== 'string' || typeof attestation.comparison !== 'string') {
    throw new AimError('invalid_response', 'AIM answered an MCP attestation without the attestation it stored.');
  }
  return attestation as McpAttestationRecord;
}

/** `PUT /api/v1/agents/{agentId}/mcp-servers` `{ servers }`: the servers this agent uses. Answers AIM's answer as it is. */
export async function declareServers(port: McpAgentPort, servers: readonly McpServerDescriptor[], signal?: AbortSignal): Promise<unknown> {
  return call(port, 'PUT', 'mcp-servers', { servers: [...servers] }, signal);
}

async function call<T>(port: McpAgentPort, method: string, path: string, body: Record<string, unknown>, signal: AbortSignal | undefined): Promise<T> {
  const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
  const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
  try {
    return await readJson<T>(await port.send(`/api/v1/agents/${encodeURIComponent(port.agentId)}/${path}`, { method, body, signal: combined }));
  } catch (error) {
    if (signal?.aborted) throw new AimError('aborted', 'The MCP attestation call was aborted.', { cause: error });
    if (timeout.aborted) throw new AimError('network_error', `AIM did not answer within ${REQUEST_TIMEOUT_MS} ms.`, { cause: error });
    throw error;
  }
}
