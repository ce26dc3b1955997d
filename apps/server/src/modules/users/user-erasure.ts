import type { Tx } from '../../platform/db/database.js';

/**
 * Erase a person's row (system scope): no lookup hash, no email, no name; the id stays, since audit
 * events, agents and requests name it. Returns the lookup hash it had (to find what else was sent to
 * that address), or null when the person was already erased or does not exist.
 */
export async function eraseUserRow(tx: Tx, userId: string): Promise<{ emailHash: Buffer } | null> {
  const { rows } = await tx.query<{ email_hash: Buffer }>(
    `with before as (select id, email_hash from users where id = $1 and status <> 'erased' for update)
     update users u set status = 'erased', erased_at = now(), updated_at = now(),
                        email_hash = null, email_encrypted = null, name_encrypted = null
       from before where u.id = before.id
     returning before.email_hash`,
    [userId],
  );
  return rows[0] ? { emailHash: rows[0].email_hash } : null;
}

/** Whether the person was erased (system scope). */
export async function isErased(tx: Tx, userId: string): Promise<boolean> {
  const { rows } = await tx.query<{ status: string }>('select status from users where id = $1', [userId]);
  return rows[0]?.status === 'erased';
}
