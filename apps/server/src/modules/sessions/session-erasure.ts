import type { Tx } from '../../platform/db/database.js';

/** Delete every session of a person (their refresh tokens go with them); the ids, to forget in the access cache. */
export async function deleteSessionsOf(tx: Tx, userId: string): Promise<string[]> {
  const { rows } = await tx.query<{ id: string }>('delete from sessions where user_id = $1 returning id', [userId]);
  return rows.map((r) => r.id);
}
