import type { PersonalData } from '../../platform/crypto/personal-data.js';
import type { Tx } from '../../platform/db/database.js';

/**
 * Seal the address and user agent of sessions written in clear before migration 0023 under their
 * person's key, a batch at a time (system scope). How many sessions changed.
 */
export async function resealSessions(tx: Tx, personalData: PersonalData, limit: number): Promise<number> {
  const { rows } = await tx.query<{ id: string; user_id: string; client_ip: string | null; user_agent: string | null }>(
    `select id, user_id, client_ip, user_agent from sessions
      where (client_ip is not null and client_ip not like 'pd1.%') or (user_agent is not null and user_agent not like 'pd1.%')
      order by id limit $1 for update skip locked`,
    [limit],
  );
  for (const r of rows) {
    const plain = (v: string | null) => (v !== null && !v.startsWith('pd1.') ? v : null);
    const [ip, ua] = await personalData.seal(tx, r.user_id, [
      { value: plain(r.client_ip), aad: `sessions.client_ip:${r.id}` },
      { value: plain(r.user_agent), aad: `sessions.user_agent:${r.id}` },
    ]);
    // A value already sealed stays; a plain one is sealed (or dropped when the person's key is gone).
    await tx.query('update sessions set client_ip = $2, user_agent = $3 where id = $1', [
      r.id,
      plain(r.client_ip) === null ? r.client_ip : ip,
      plain(r.user_agent) === null ? r.user_agent : ua,
    ]);
  }
  return rows.length;
}
