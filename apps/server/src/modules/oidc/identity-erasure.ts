import type { Tx } from '../../platform/db/database.js';

/** Delete a person's links to identity-provider accounts (issuer and subject identify them there). */
export async function deleteIdentitiesOf(tx: Tx, userId: string): Promise<number> {
  return (await tx.query('delete from user_identities where user_id = $1', [userId])).rowCount ?? 0;
}
