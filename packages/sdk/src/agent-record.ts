import { AimError } from './errors.js';
import type { Ed25519PublicJwk } from './keys.js';

/**
 * One of an agent's keys as AIM describes it.
 *
 * @example
 * ```ts
 * const active = (await agent.me()).keys.filter((key: AgentKeyRecord) => key.status === 'active');
 * ```
 */
export interface AgentKeyRecord {
  /** The key id (RFC 7638 thumbprint). */
  id: string;
  publicKey: Ed25519PublicJwk;
  /** `active`, `rotating_out` (replaced, accepted until `expiresAt`), `expired` or `revoked`. */
  status: string;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  [field: string]: unknown;
}

/**
 * An agent as AIM answers it (the `Agent` schema of the OpenAPI document); more fields may be present.
 *
 * @example
 * ```ts
 * const record: AgentRecord = await agent.me();
 * if (record.status !== 'active') process.exit(1);
 * ```
 */
export interface AgentRecord {
  id: string;
  organizationId: string;
  name: string;
  /** `active`, `suspended` or `revoked`. */
  status: string;
  /** `unscored` until trust scoring has scored the agent. */
  trustTier: string;
  keys: AgentKeyRecord[];
  [field: string]: unknown;
}

/** The agent in an answer `{ "agent": Agent }` (or an answer that is the Agent itself). */
export function unwrapAgent(body: unknown): AgentRecord {
  const candidate = (body as { agent?: unknown } | null)?.agent ?? body;
  const agent = candidate as Partial<AgentRecord> | null;
  if (typeof agent !== 'object' || agent === null || typeof agent.id !== 'string' || typeof agent.organizationId !== 'string') {
    throw new AimError('invalid_response', 'AIM answered without the agent it should describe.');
  }
  return agent as AgentRecord;
}

/** Who AIM takes the caller to be (`GET /api/v1/agents/me/identity`). */
export interface AgentIdentity {
  agentId: string;
  organizationId: string;
  /** The key that signed the request, or that obtained the token. */
  keyId: string;
  status: 'active' | 'suspended' | 'revoked';
  trustTier: string;
  authenticatedBy: 'signature' | 'token';
}
