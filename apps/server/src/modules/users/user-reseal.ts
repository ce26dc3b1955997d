import type { Keyring } from '../../platform/crypto/keyring.js';
import { sealWith, type PersonalData } from '../../platform/crypto/personal-data.js';
import type { Tx } from '../../platform/db/database.js';

/**
 * Move people written before per-person keys (migration 0023: email and name under the deployment
 * keyring, `v1.…`) under their own key (`pd1.…`), a batch at a time (system scope). How many moved.
 */
export async function resealUsers(tx: Tx, keyring: Keyring, personalData: PersonalData, limit: number): Promise<number> {
  const { rows } = await tx.query<{ id: string; email_encrypted: string; name_encrypted: string }>(
    `select id, email_encrypted, name_encrypted from users
      where status <> 'erased' and (email_encrypted like 'v1.%' or name_encrypted like 'v1.%')
      order by id limit $1 for update skip locked`,
    [limit],
  );
  for (const r of rows) {
    const key = await personalData.keyFor(tx, r.id);
    if (!key) continue;
    const reseal = (value: string, aad: string) => (value.startsWith('v1.') ? sealWith(key.id, key.key, keyring.decrypt(value, aad), aad) : value);
    await tx.query('update users set email_encrypted = $2, name_encrypted = $3 where id = $1', [
      r.id,
      reseal(r.email_encrypted, `users.email:${r.id}`),
      reseal(r.name_encrypted, `users.name:${r.id}`),
    ]);
  }
  return rows.length;
}
