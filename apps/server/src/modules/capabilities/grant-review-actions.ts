import { recordAuditEvent } from '../../platform/audit/audit-log.js';
import { orgOf, type Tx } from '../../platform/db/database.js';
import type { RequestContext } from '../../platform/http/request-context.js';
import { capabilityRepository } from './capability-repository.js';

/**
 * What an access review does to a grant (modules/access-reviews), in the review's own transaction: the
 * item's decision, the grant's change and both audit events commit together. Grants are read by the
 * decision path from the database on every decision, so the change applies to the next one.
 */
const actorOf = (ctx: RequestContext): { type: 'user' | 'api_key' | 'system'; id: string | null } =>
  ctx.actor.type === 'user' || ctx.actor.type === 'api_key' ? { type: ctx.actor.type, id: ctx.actor.id } : { type: 'system', id: null };

export const grantReviewActions = {
  /** Revoke the grant. `already`: it was revoked before, has expired, or is gone. */
  async revokeInTx(tx: Tx, ctx: RequestContext, grantId: string, details: Record<string, string>): Promise<'applied' | 'already'> {
    const actor = actorOf(ctx);
    const { rows } = await tx.query<{ agent_id: string }>(
      `update capability_grants set revoked_at = now(), revoked_by_type = $3, revoked_by_id = $4
        where organization_id = $1 and id = $2 and revoked_at is null and (expires_at is null or expires_at > now())
        returning agent_id`,
      [orgOf(tx), grantId, actor.type, actor.id],
    );
    if (!rows[0]) return 'already';
    const grant = (await capabilityRepository.grant(tx, grantId))!;
    await recordAuditEvent(tx, ctx, {
      action: 'capability_grant.revoke',
      target: { type: 'capability_grant', id: grantId },
      details: { agentId: rows[0].agent_id, capability: grant.capability_name, resourcePattern: grant.resource_pattern, ...details },
    });
    return 'applied';
  },

  /**
   * Bring the grant's expiry forward to `expiresAt` (in the future, earlier than its current expiry).
   * `invalid`: the grant has no later expiry to shorten (revoked, expired, gone, or already earlier).
   */
  async shortenInTx(tx: Tx, ctx: RequestContext, grantId: string, expiresAt: Date, details: Record<string, string>): Promise<'applied' | 'invalid'> {
    const { rows: current } = await tx.query<{ agent_id: string; expires_at: Date | null; created_at: Date; revoked_at: Date | null }>(
      'select agent_id, expires_at, created_at, revoked_at from capability_grants where organization_id = $1 and id = $2 for update',
      [orgOf(tx), grantId],
    );
    const grant = current[0];
    const now = Date.now();
    if (!grant || grant.revoked_at || expiresAt.getTime() <= now || expiresAt <= grant.created_at) return 'invalid';
    if (grant.expires_at && (grant.expires_at.getTime() <= now || grant.expires_at <= expiresAt)) return 'invalid';
    await tx.query('update capability_grants set expires_at = $3 where organization_id = $1 and id = $2', [orgOf(tx), grantId, expiresAt]);
    const rows = [{ agent_id: grant.agent_id, previous: grant.expires_at }];
    if (!rows[0]) return 'invalid';
    await recordAuditEvent(tx, ctx, {
      action: 'capability_grant.update',
      target: { type: 'capability_grant', id: grantId },
      details: { agentId: rows[0].agent_id, expiresAt: { from: rows[0].previous?.toISOString() ?? null, to: expiresAt.toISOString() }, ...details },
    });
    return 'applied';
  },
};

export type GrantReviewActions = typeof grantReviewActions;
