import { recordAuditEvent } from '../../platform/audit/audit-log.js';
import type { AccessCache } from '../../platform/auth/access-cache.js';
import { orgOf, type Tx } from '../../platform/db/database.js';
import type { RequestContext } from '../../platform/http/request-context.js';

/**
 * What an access review does to an API key (modules/access-reviews), in the review's own transaction:
 * the item's decision, the key's change and both audit events commit together. The caller awaits
 * `invalidate` once the transaction has ended, so the key is refused at once on every instance.
 */
export function createApiKeyReviewActions(deps: { cache: AccessCache }) {
  const forget = (hash: Buffer | undefined) => async () => {
    if (hash) await deps.cache.forgetApiKey(hash.toString('hex'));
  };
  return {
    /** Revoke the key. `already`: it was revoked before, has expired, or is gone. */
    async revokeInTx(tx: Tx, ctx: RequestContext, keyId: string, details: Record<string, string>) {
      const { rows } = await tx.query<{ key_hash: Buffer }>(
        `update api_keys set revoked_at = now()
          where organization_id = $1 and id = $2 and revoked_at is null and (expires_at is null or expires_at > now())
          returning key_hash`,
        [orgOf(tx), keyId],
      );
      if (!rows[0]) return { effect: 'already' as const, invalidate: forget(undefined) };
      await recordAuditEvent(tx, ctx, { action: 'api_key.revoke', target: { type: 'api_key', id: keyId }, details });
      return { effect: 'applied' as const, invalidate: forget(rows[0].key_hash) };
    },

    /** Bring the key's expiry forward to `expiresAt` (future, earlier than now set). `invalid` otherwise. */
    async shortenInTx(tx: Tx, ctx: RequestContext, keyId: string, expiresAt: Date, details: Record<string, string>) {
      const { rows: current } = await tx.query<{ expires_at: Date | null; revoked_at: Date | null; key_hash: Buffer }>(
        'select expires_at, revoked_at, key_hash from api_keys where organization_id = $1 and id = $2 for update',
        [orgOf(tx), keyId],
      );
      const key = current[0];
      const now = Date.now();
      if (!key || key.revoked_at || expiresAt.getTime() <= now) return { effect: 'invalid' as const, invalidate: forget(undefined) };
      if (key.expires_at && (key.expires_at.getTime() <= now || key.expires_at <= expiresAt)) return { effect: 'invalid' as const, invalidate: forget(undefined) };
      await tx.query('update api_keys set expires_at = $3 where organization_id = $1 and id = $2', [orgOf(tx), keyId, expiresAt]);
      await recordAuditEvent(tx, ctx, {
        action: 'api_key.update',
        target: { type: 'api_key', id: keyId },
        details: { expiresAt: { from: key.expires_at?.toISOString() ?? null, to: expiresAt.toISOString() }, ...details },
      });
      return { effect: 'applied' as const, invalidate: forget(key.key_hash) };
    },
  };
}

export type ApiKeyReviewActions = ReturnType<typeof createApiKeyReviewActions>;
