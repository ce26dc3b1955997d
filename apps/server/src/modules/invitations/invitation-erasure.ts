import { recordAuditEvent } from '../../platform/audit/audit-log.js';
import { orgOf, type Tx } from '../../platform/db/database.js';
import type { RequestContext } from '../../platform/http/request-context.js';

/** Delete the organization's invitations sent to a person's address or accepted by them. */
export async function deleteInvitationsOf(tx: Tx, userId: string, emailHash: Buffer): Promise<number> {
  const { rowCount } = await tx.query('delete from invitations where organization_id = $1 and (email_hash = $2 or accepted_by = $3)', [
    orgOf(tx),
    emailHash,
    userId,
  ]);
  return rowCount ?? 0;
}

/**
 * Revoke the pending invitations a person sent (they hold each link too, so an erased person must not
 * come back through one), each with its `invitation.revoke` event, reason `inviter_erased`.
 */
export async function revokeInvitationsSentBy(tx: Tx, ctx: RequestContext, userId: string): Promise<number> {
  const { rows } = await tx.query<{ id: string; role: string }>(
    `update invitations set revoked_at = now()
      where organization_id = $1 and invited_by = $2 and accepted_at is null and revoked_at is null and expires_at > now()
      returning id, role`,
    [orgOf(tx), userId],
  );
  for (const r of rows) {
    await recordAuditEvent(tx, ctx, { action: 'invitation.revoke', target: { type: 'invitation', id: r.id }, details: { role: r.role, reason: 'inviter_erased' } });
  }
  return rows.length;
}
