import type { Queryable } from './database.js';

/**
 * Whether the organization is on legal hold (docs/retention.md), asked by every path that deletes an
 * organization's data, inside the transaction that would delete. The look-up shares a lock with the
 * placement of a hold: a deletion that read "no hold" commits before any hold placed meanwhile does.
 */
export async function onLegalHold(tx: Queryable, organizationId: string): Promise<boolean> {
  const { rows } = await tx.query<{ held: boolean }>('select aim_legal_hold_held($1) as held', [organizationId], { name: 'aim.legal-hold-held' });
  return rows[0]?.held === true;
}
