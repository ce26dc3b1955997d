import type { Tx } from '../../platform/db/database.js';

/** Sessions and their refresh-token families (system scope). */
export type AuthMethod = 'oidc' | 'passkey' | 'setup';
export type RevokeReason = 'sign_out' | 'revoked_by_user' | 'revoked_by_admin' | 'refresh_token_reuse' | 'membership_removed' | 'user_disabled';

export interface SessionRow {
  id: string;
  user_id: string;
  active_organization_id: string | null;
  auth_method: AuthMethod;
  /** Sealed under the person's key (`pd1.…`, aad `sessions.user_agent:<id>`), or plain from before 0023. */
  user_agent: string | null;
  /** Sealed like user_agent (aad `sessions.client_ip:<id>`). */
  client_ip: string | null;
  created_at: Date;
  last_seen_at: Date;
  expires_at: Date;
  revoked_at: Date | null;
}

export const sessionRepository = {
  async insert(
    tx: Tx,
    s: { id: string; userId: string; organizationId: string | null; method: AuthMethod; userAgent: string | null; clientIp: string | null; expiresAt: Date },
  ): Promise<void> {
    const [userAgent, clientIp] = tx.personalData
      ? await tx.personalData.seal(tx, s.userId, [
          { value: s.userAgent, aad: `sessions.user_agent:${s.id}` },
          { value: s.clientIp, aad: `sessions.client_ip:${s.id}` },
        ])
      : [s.userAgent, s.clientIp];
    await tx.query(
      `insert into sessions (id, user_id, active_organization_id, auth_method, user_agent, client_ip, expires_at)
       values ($1, $2, $3, $4, $5, $6, $7)`,
      [s.id, s.userId, s.organizationId, s.method, userAgent, clientIp, s.expiresAt],
    );
  },
  async addRefreshToken(tx: Tx, sessionId: string, hash: Buffer, expiresAt: Date): Promise<void> {
    await tx.query('insert into session_refresh_tokens (token_hash, session_id, expires_at) values ($1, $2, $3)', [hash, sessionId, expiresAt]);
  },
  /** Consume a refresh token once; null when it is unknown or already consumed. */
  async consumeRefreshToken(tx: Tx, hash: Buffer): Promise<{ session_id: string; expires_at: Date } | null> {
    const { rows } = await tx.query<{ session_id: string; expires_at: Date }>(
      `update session_refresh_tokens set consumed_at = now() where token_hash = $1 and consumed_at is null
       returning session_id, expires_at`,
      [hash],
    );
    return rows[0] ?? null;
  },
  async refreshTokenState(tx: Tx, hash: Buffer): Promise<{ session_id: string; consumed_at: Date | null } | null> {
    const { rows } = await tx.query<{ session_id: string; consumed_at: Date | null }>(
      'select session_id, consumed_at from session_refresh_tokens where token_hash = $1',
      [hash],
    );
    return rows[0] ?? null;
  },
  async getForUpdate(tx: Tx, id: string): Promise<SessionRow | null> {
    const { rows } = await tx.query<SessionRow>('select * from sessions where id = $1 for update', [id]);
    return rows[0] ?? null;
  },
  async touch(tx: Tx, id: string): Promise<void> {
    await tx.query('update sessions set last_seen_at = now() where id = $1', [id]);
  },
  async setOrganization(tx: Tx, id: string, organizationId: string | null): Promise<void> {
    await tx.query('update sessions set active_organization_id = $2 where id = $1', [id, organizationId]);
  },
  /**
   * Revoke sessions of one user: those with the given ids, or all of them (optionally only those
   * acting for one organization). Never touches another user's sessions.
   */
  async revoke(
    tx: Tx,
    userId: string,
    which: { ids?: string[]; organizationId?: string },
    reason: RevokeReason,
  ): Promise<SessionRow[]> {
    const { rows } = await tx.query<SessionRow>(
      `update sessions set revoked_at = now(), revoked_reason = $4
        where revoked_at is null and user_id = $1
          and ($2::text[] is null or id = any($2::text[]))
          and ($3::text is null or active_organization_id = $3)
        returning *`,
      [userId, which.ids ?? null, which.organizationId ?? null, reason],
    );
    await tx.query('delete from session_refresh_tokens where session_id = any($1::text[]) and consumed_at is null', [rows.map((r) => r.id)]);
    return rows;
  },
  async listActive(tx: Tx, userId: string): Promise<SessionRow[]> {
    const { rows } = await tx.query<SessionRow>(
      `select * from sessions where user_id = $1 and revoked_at is null and expires_at > now() order by created_at desc`,
      [userId],
    );
    return rows;
  },
};
