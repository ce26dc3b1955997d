import { orgOf, type Tx } from '../../platform/db/database.js';

/** Delete the notifications addressed to a person in the transaction's organization. */
export async function deleteNotificationsOf(tx: Tx, userId: string): Promise<number> {
  return (await tx.query('delete from notifications where organization_id = $1 and user_id = $2', [orgOf(tx), userId])).rowCount ?? 0;
}
