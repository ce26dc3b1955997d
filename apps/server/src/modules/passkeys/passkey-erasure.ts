import type { Tx } from '../../platform/db/database.js';

/** Delete every passkey of a person (their names are the person's own words); how many there were. */
export async function deletePasskeysOf(tx: Tx, userId: string): Promise<number> {
  return (await tx.query('delete from passkeys where user_id = $1', [userId])).rowCount ?? 0;
}
