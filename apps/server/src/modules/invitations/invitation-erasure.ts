import { orgOf, type Tx } from '../../platform/db/database.js';

/** Delete the organization's invitations sent to a person's address or accepted by them. */
export async function deleteInvitationsOf(tx: Tx, userId: string, emailHash: Buffer): Promise<number> {
  const { rowCount } = await tx.query('delete from invitations where organization_id = $1 and (email_hash = $2 or accepted_by = $3)', [
    orgOf(tx),
    emailHash,
    userId,
  ]);
  return rowCount ?? 0;
}
