import {
  MCP_ATTESTATION_ALGORITHM,
  MCP_ATTESTATION_MAX_SKEW_SECONDS,
  MCP_ATTESTATION_TYPE,
  mcpAttestationPayloadSchema,
  mcpToolSetFingerprint,
  type McpAttestationPayload,
} from '@aim/contracts';
import { compactVerify, decodeProtectedHeader } from 'jose';
import { keyObjectFromRaw } from '../../../platform/crypto/ed25519.js';
import { orgOf, type Tx } from '../../../platform/db/database.js';
import { AppError } from '../../../platform/http/app-error.js';
import { hasUnstorableText } from '../../../platform/http/unstorable-text.js';
import { credentialsIn, descriptorKey, DescriptorError } from './descriptor-match.js';

/**
 * Verification of an agent's MCP attestation (docs/mcp.md, "The attestation"), in the documented
 * order: the header's form, the key it names (an active key of the caller), the signature, then the
 * signed payload's form, its agent, its age and its set fingerprint. Nothing of the payload is looked
 * at before the signature verifies.
 */

export interface VerifiedAttestation {
  keyId: string;
  payload: McpAttestationPayload;
}

interface KeyRow {
  agent_id: string;
  public_key: Buffer;
  revoked_at: Date | null;
  expires_at: Date | null;
}

const invalid = (message: string) => new AppError('invalid_attestation', message);

/** The protected header, checked for alg, typ and kid. */
export function checkHeader(jws: string): { kid: string } {
  if (jws.split('.').length !== 3) throw invalid('The attestation must be a compact JWS: three base64url parts joined by dots.');
  let header: Record<string, unknown>;
  try {
    header = decodeProtectedHeader(jws) as Record<string, unknown>;
  } catch {
    throw invalid('The attestation’s protected header is not base64url-encoded JSON.');
  }
  if (header.alg !== MCP_ATTESTATION_ALGORITHM) throw invalid(`The attestation’s header must say alg "${MCP_ATTESTATION_ALGORITHM}" (Ed25519); it says ${JSON.stringify(header.alg)}.`);
  if (header.typ !== MCP_ATTESTATION_TYPE) throw invalid(`The attestation’s header must say typ "${MCP_ATTESTATION_TYPE}"; it says ${JSON.stringify(header.typ)}.`);
  if (typeof header.kid !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(header.kid)) {
    throw invalid('The attestation’s header must name the signing key in kid: the agent key id (its RFC 7638 thumbprint, 43 base64url characters).');
  }
  if (header.crit !== undefined) throw invalid('The attestation’s header must not have crit: AIM understands no extension.');
  return { kid: header.kid };
}

/** The key the kid names, if it is an active key of the agent; otherwise attestation_key_refused. */
async function activeKeyOf(tx: Tx, agentId: string, kid: string, now: Date): Promise<Buffer> {
  const { rows } = await tx.query<KeyRow>('select agent_id, public_key, revoked_at, expires_at from agent_keys where organization_id = $1 and id = $2', [orgOf(tx), kid], {
    name: 'aim.mcp.attestation-key',
  });
  const key = rows[0];
  // Unknown and another agent's key answer alike: the answer does not tell which keys exist.
  if (!key || key.agent_id !== agentId) throw new AppError('attestation_key_refused', `The attestation’s kid is not a key of agent ${agentId}; sign with one of your own keys.`, { details: { reason: 'not_own_key' } });
  if (key.revoked_at) throw new AppError('attestation_key_refused', 'The attestation was signed with a revoked key; sign with your active key.', { details: { reason: 'revoked' } });
  if (key.expires_at && key.expires_at <= now) {
    throw new AppError('attestation_key_refused', 'The attestation was signed with a key a rotation replaced (its overlap has ended); sign with your new key.', { details: { reason: 'expired' } });
  }
  return key.public_key;
}

/** The signed payload, parsed and checked; the signature must have verified. */
async function checkPayload(bytes: Uint8Array, agentId: string, now: Date): Promise<McpAttestationPayload> {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw invalid('The attestation’s payload is not UTF-8 JSON.');
  }
  if (hasUnstorableText(json)) throw invalid('The attestation’s payload holds a NUL character or an unpaired UTF-16 surrogate, which AIM cannot store.');
  const parsed = mcpAttestationPayloadSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || 'payload'}: ${i.message}`);
    throw invalid(`The attestation’s payload is not valid: ${problems.join('; ')}.`);
  }
  const payload = parsed.data;
  try {
    descriptorKey(payload.server);
  } catch (error) {
    if (error instanceof DescriptorError) throw invalid(`The attestation’s server descriptor cannot be used: ${error.message}.`);
    throw error;
  }
  const credentials = credentialsIn(payload.server);
  if (credentials) throw invalid(`The attestation’s server descriptor carries credentials (${credentials}); AIM keeps attestations as received, so remove them before signing.`);
  if (payload.agentId !== agentId) {
    throw new AppError('attestation_agent_mismatch', `The attestation is by ${payload.agentId}, but you are ${agentId}: an agent attests only what it saw itself.`);
  }
  const skew = Math.abs(now.getTime() / 1000 - payload.iat);
  if (skew > MCP_ATTESTATION_MAX_SKEW_SECONDS) {
    throw new AppError('attestation_stale', `The attestation’s iat is ${Math.round(skew)} s from AIM’s clock (at most ${MCP_ATTESTATION_MAX_SKEW_SECONDS} s); sign it again now, with a correct clock.`, {
      details: { skewSeconds: Math.round(skew) },
    });
  }
  const expected = await mcpToolSetFingerprint(payload.tools);
  if (expected !== payload.toolSetFingerprint) {
    throw new AppError('attestation_fingerprint_mismatch', `The toolSetFingerprint is not the fingerprint of the tools listed (they give ${expected}); compute it with mcpToolSetFingerprint.`);
  }
  return payload;
}

/** Verify the compact JWS as the calling agent's attestation. */
export async function verifyAttestation(tx: Tx, input: { jws: string; agentId: string; now: Date }): Promise<VerifiedAttestation> {
  const { kid } = checkHeader(input.jws);
  const publicKey = await activeKeyOf(tx, input.agentId, kid, input.now);
  let verified: Uint8Array;
  try {
    ({ payload: verified } = await compactVerify(input.jws, keyObjectFromRaw(publicKey), { algorithms: [MCP_ATTESTATION_ALGORITHM] }));
  } catch {
    throw new AppError('attestation_signature_invalid', `The attestation’s signature does not verify with key ${kid}: sign the exact header and payload sent, with that key.`);
  }
  return { keyId: kid, payload: await checkPayload(verified, input.agentId, input.now) };
}
