import { AimError } from './errors.js';
import type { WireAnswer } from './wire.js';

/**
 * An agent as AIM answers it: the `Agent` schema of the contract (`GET /api/v1/agents/me`, enrollment and
 * key rotation all answer `{ agent: Agent }`).
 *
 * @example
 * ```ts
 * const record: AgentRecord = await agent.me();
 * if (record.status !== 'active') process.exit(1);
 * ```
 */
export type AgentRecord = WireAnswer<'/api/v1/agents/me', 'get'>['agent'];

/**
 * One of an agent's keys as AIM describes it; `status` is `active`, `rotating_out` (replaced, accepted
 * until `expiresAt`), `expired` or `revoked`.
 *
 * @example
 * ```ts
 * const active = (await agent.me()).keys.filter((key: AgentKeyRecord) => key.status === 'active');
 * ```
 */
export type AgentKeyRecord = AgentRecord['keys'][number];

/** The agent in an answer `{ "agent": Agent }` (or an answer that is the Agent itself). */
export function unwrapAgent(body: unknown): AgentRecord {
  const candidate = (body as { agent?: unknown } | null)?.agent ?? body;
  const agent = candidate as Partial<AgentRecord> | null;
  if (typeof agent !== 'object' || agent === null || typeof agent.id !== 'string' || typeof agent.organizationId !== 'string') {
    throw new AimError('invalid_response', 'AIM answered without the agent it should describe.');
  }
  return agent as AgentRecord;
}

/**
 * Who AIM takes the caller to be (`GET /api/v1/agents/me/identity`): `keyId` is the key that signed the
 * request, or that obtained the token.
 *
 * @example
 * ```ts
 * const { agentId, keyId, authenticatedBy }: AgentIdentity = await agent.identity();
 * ```
 */
export type AgentIdentity = WireAnswer<'/api/v1/agents/me/identity', 'get'>;
