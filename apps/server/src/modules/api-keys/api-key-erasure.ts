import { recordAuditEvent } from '../../platform/audit/audit-log.js';
import { orgOf, type Tx } from '../../platform/db/database.js';
import type { RequestContext } from '../../platform/http/request-context.js';

/**
 * Revoke the organization's API keys a person created (their creator is being erased), each with its
 * `api_key.revoke` audit event; the key hashes, to forget in the access cache.
 */
export async function revokeApiKeysOf(tx: Tx, ctx: RequestContext, userId: string): Promise<string[]> {
  const { rows } = await tx.query<{ id: string; key_hash: Buffer }>(
    'update api_keys set revoked_at = now() where organization_id = $1 and created_by = $2 and revoked_at is null returning id, key_hash',
    [orgOf(tx), userId],
  );
  for (const r of rows) {
    await recordAuditEvent(tx, ctx, { action: 'api_key.revoke', target: { type: 'api_key', id: r.id }, details: { reason: 'creator_erased' } });
  }
  return rows.map((r) => r.key_hash.toString('hex'));
}
