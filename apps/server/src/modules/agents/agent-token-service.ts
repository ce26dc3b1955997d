import type { AgentStatus, TrustTier } from '@aim/contracts';
import type { AgentTokens } from '../../platform/auth/agent-tokens.js';
import { recordAuditEvent } from '../../platform/audit/audit-log.js';
import type { Database } from '../../platform/db/database.js';
import { AppError } from '../../platform/http/app-error.js';
import type { RequestContext } from '../../platform/http/request-context.js';
import { organizationRepository } from '../organizations/index.js';

/**
 * Issuing agent tokens (docs/agent-identity.md §5a), for an agent that authenticated at the token
 * endpoint. One transaction: the audience check (another audience must be on the organization's list),
 * the token, and its audit event (`agent.token_issued`: its jti, audience, expiry and the keys involved,
 * never the token). A token whose event could not be written is never handed out.
 */
export interface TokenRequester {
  agentId: string;
  organizationId: string;
  /** The agent key that authenticated (the token's `cnf.jkt`). */
  keyId: string;
  status: AgentStatus;
  trustTier: TrustTier;
  /** When the key stops (a rotated-out key's end), ms since the epoch; the token never outlives it. */
  keyExpiresAt: number | null;
  authenticatedBy: 'signature' | 'client_assertion';
}

export function createAgentTokenService(deps: { db: Database; agentTokens: AgentTokens }) {
  const { db, agentTokens } = deps;
  return {
    async issue(ctx: RequestContext, agent: TokenRequester, audience: string | undefined) {
      const agentCtx: RequestContext = { ...ctx, organizationId: agent.organizationId, actor: { type: 'agent', id: agent.agentId } };
      return db.transaction({ organizationId: agent.organizationId }, async (tx) => {
        if (audience !== undefined && audience !== agentTokens.issuer) {
          const organization = await organizationRepository.current(tx);
          if (!organization?.agentTokenAudiences.includes(audience)) {
            throw new AppError('audience_not_allowed', `Agents of this organization may not ask tokens for "${audience}"; an admin can allow it (agentTokenAudiences, PATCH /api/v1/organization).`);
          }
        }
        const issued = await agentTokens.issue({
          agentId: agent.agentId,
          organizationId: agent.organizationId,
          keyId: agent.keyId,
          status: agent.status,
          trustTier: agent.trustTier,
          audience,
          notAfterMs: agent.keyExpiresAt,
        });
        await recordAuditEvent(tx, agentCtx, {
          action: 'agent.token_issued',
          target: { type: 'agent', id: agent.agentId },
          details: {
            jti: issued.jti,
            audience: audience ?? agentTokens.issuer,
            expiresAt: new Date(issued.expiresAt * 1000).toISOString(),
            keyId: agent.keyId,
            signingKeyId: issued.kid,
            authenticatedBy: agent.authenticatedBy,
          },
        });
        return issued;
      });
    },
  };
}

export type AgentTokenService = ReturnType<typeof createAgentTokenService>;
