import { recordAuditEvent } from '../../platform/audit/audit-log.js';
import type { AccessCache } from '../../platform/auth/access-cache.js';
import type { Tx } from '../../platform/db/database.js';
import type { RequestContext } from '../../platform/http/request-context.js';
import { agentRepository } from './agent-repository.js';

/**
 * What an access review does to an agent (modules/access-reviews), in the review's own transaction so
 * the item's decision, the agent's change and both audit events commit together. The reviewer's right
 * comes from the review (the item is assigned to them, or they hold access_review.manage), not from the
 * agent's owner rules. The caller awaits `invalidate` once the transaction has ended, so the agent's
 * next request is refused on every instance.
 */
export function createAgentReviewActions(deps: {
  cache: AccessCache;
  rescore: (tx: Tx, ctx: RequestContext, agentId: string, trigger: 'event') => Promise<void>;
}) {
  return {
    /** Revoke the agent (final). `already`: it was revoked before (or is gone). */
    async revokeInTx(tx: Tx, ctx: RequestContext, agentId: string, input: { reason: string; details: Record<string, string> }) {
      const invalidate = () => deps.cache.forgetAgent(agentId);
      const agent = await agentRepository.find(tx, agentId, { forUpdate: true });
      if (!agent || agent.status === 'revoked') return { effect: 'already' as const, invalidate };
      await agentRepository.setStatus(tx, agent, 'revoked', input.reason, ctx.actor);
      await recordAuditEvent(tx, ctx, {
        action: 'agent.revoke',
        target: { type: 'agent', id: agentId },
        details: { from: agent.status, to: 'revoked', reason: input.reason, ...input.details },
      });
      await deps.rescore(tx, ctx, agentId, 'event');
      return { effect: 'applied' as const, invalidate };
    },
  };
}

export type AgentReviewActions = ReturnType<typeof createAgentReviewActions>;
