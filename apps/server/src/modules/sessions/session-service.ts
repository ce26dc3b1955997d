import type { AccessCache } from '../../platform/auth/access-cache.js';
import { csrfTokenFor } from '../../platform/auth/authenticate.js';
import type { SessionCookies } from '../../platform/auth/cookies.js';
import type { SessionTokens } from '../../platform/auth/session-tokens.js';
import { recordAuditEvent } from '../../platform/audit/audit-log.js';
import type { Keyring } from '../../platform/crypto/keyring.js';
import { type PersonalData } from '../../platform/crypto/personal-data.js';
import { randomToken, sha256 } from '../../platform/crypto/tokens.js';
import type { Database, Tx } from '../../platform/db/database.js';
import { AppError, notFound } from '../../platform/http/app-error.js';
import type { RequestContext } from '../../platform/http/request-context.js';
import type { UserContext } from '../../platform/http/operation.js';
import { newId } from '../../platform/ids.js';
import { sessionRepository as sessions, type AuthMethod, type RevokeReason, type SessionRow } from './session-repository.js';

/**
 * Sessions: created at sign-in, kept alive by rotating refresh tokens, ended by sign-out or
 * revocation. A refresh token works once; presenting one that was already used means it was
 * copied, so the whole session (the token family) is revoked.
 */
export interface SessionServiceDeps {
  db: Database;
  tokens: SessionTokens;
  keyring: Keyring;
  cache: AccessCache;
  refreshTtlSeconds: number;
  /** Opens the sealed user agent and address of a person's sessions. */
  personalData?: PersonalData;
}

export type IssuedSession = SessionCookies & { sessionId: string };

/**
 * Two tabs refreshing at the same moment both present the same refresh token. A token used again
 * within this window is answered 409 (the other request's cookies win) instead of being treated
 * as a stolen copy; after it, reuse ends the session.
 */
export const REFRESH_REUSE_GRACE_MS = 10_000;

/** Sessions with their user agent and address opened (null once the person's key is gone). */
export async function openSessions(tx: Tx, personalData: PersonalData | undefined, rows: SessionRow[]): Promise<SessionRow[]> {
  if (!personalData) return rows;
  const opener = await personalData.opener(tx, rows.flatMap((r) => [r.user_agent, r.client_ip]));
  return rows.map((r) => ({
    ...r,
    user_agent: opener.open(r.user_agent, `sessions.user_agent:${r.id}`).value,
    client_ip: opener.open(r.client_ip, `sessions.client_ip:${r.id}`).value,
  }));
}

export function createSessionService(deps: SessionServiceDeps) {
  const { db, tokens, keyring, cache } = deps;

  async function issue(tx: Tx, sessionId: string, userId: string): Promise<IssuedSession> {
    const refreshToken = `rt_${randomToken(32)}`;
    const refreshExpiresAt = new Date(Date.now() + deps.refreshTtlSeconds * 1000);
    await sessions.addRefreshToken(tx, sessionId, sha256(refreshToken), refreshExpiresAt);
    const access = await tokens.issue(userId, sessionId);
    return {
      sessionId,
      accessToken: access.token,
      accessExpiresAt: access.expiresAt,
      refreshToken,
      refreshExpiresAt,
      csrfToken: csrfTokenFor(keyring, sessionId),
    };
  }

  async function forget(rows: SessionRow[]): Promise<void> {
    await Promise.all(rows.map((r) => cache.forgetSession(r.id)));
  }

  return {
    /** Start a session for a person who just proved who they are (inside the caller's system-scope transaction). */
    async start(
      tx: Tx,
      ctx: RequestContext,
      input: { userId: string; organizationId: string | null; method: AuthMethod },
    ): Promise<IssuedSession> {
      const id = newId('ses');
      await sessions.insert(tx, {
        id,
        userId: input.userId,
        organizationId: input.organizationId,
        method: input.method,
        userAgent: ctx.userAgent,
        clientIp: ctx.clientIp,
        expiresAt: new Date(Date.now() + deps.refreshTtlSeconds * 1000),
      });
      if (input.organizationId) {
        await recordAuditEvent(tx, { ...ctx, actor: { type: 'user', id: input.userId } }, {
          organizationId: input.organizationId,
          action: 'session.create',
          target: { type: 'session', id },
          details: { method: input.method },
        });
      }
      return issue(tx, id, input.userId);
    },

    async refresh(ctx: RequestContext, refreshToken: string): Promise<IssuedSession> {
      const hash = sha256(refreshToken);
      const outcome = await db.transaction({ organizationId: null }, async (tx) => {
        const consumed = await sessions.consumeRefreshToken(tx, hash);
        if (!consumed) {
          const previous = await sessions.refreshTokenState(tx, hash);
          if (previous?.consumed_at && Date.now() - previous.consumed_at.getTime() < REFRESH_REUSE_GRACE_MS) {
            throw new AppError('conflict', 'The session was refreshed by another request a moment ago; retry with the cookies it set.');
          }
          return { issued: undefined, reusedSession: previous?.session_id ?? null };
        }
        const session = await sessions.getForUpdate(tx, consumed.session_id);
        if (!session || session.revoked_at || session.expires_at <= new Date()) {
          throw new AppError('invalid_token', 'The session has ended; sign in again.');
        }
        if (consumed.expires_at <= new Date()) throw new AppError('expired_token', 'The refresh token has expired; sign in again.');
        await sessions.touch(tx, session.id);
        if (session.active_organization_id) {
          await recordAuditEvent(tx, { ...ctx, actor: { type: 'user', id: session.user_id } }, {
            organizationId: session.active_organization_id,
            action: 'session.refresh',
            target: { type: 'session', id: session.id },
          });
        }
        return { issued: await issue(tx, session.id, session.user_id), reusedSession: null };
      });
      if (outcome.issued) return outcome.issued;
      if (outcome.reusedSession) {
        // A used token came back: someone holds a copy. End the whole family, then refuse.
        const revoked = await db.transaction({ organizationId: null }, async (tx) => {
          const owner = await sessions.getForUpdate(tx, outcome.reusedSession!);
          if (!owner) return [];
          const rows = await sessions.revoke(tx, owner.user_id, { ids: [owner.id] }, 'refresh_token_reuse');
          for (const row of rows.filter((r) => r.active_organization_id)) {
            await recordAuditEvent(tx, { ...ctx, actor: { type: 'user', id: row.user_id } }, {
              organizationId: row.active_organization_id!,
              action: 'session.revoke',
              target: { type: 'session', id: row.id },
              outcome: 'denied',
              details: { reason: 'refresh_token_reuse' },
            });
          }
          return rows;
        });
        await forget(revoked);
        throw new AppError('invalid_token', 'This refresh token was already used; the session has been ended for safety. Sign in again.');
      }
      throw new AppError('invalid_token', 'The refresh token is not valid; sign in again.');
    },

    /**
     * End sessions of one person: some of them (by id), all of them, or all of those acting for
     * one organization (what that organization's admin may end). Returns those ended.
     */
    async revoke(
      ctx: RequestContext,
      userId: string,
      which: { ids?: string[]; organizationId?: string },
      reason: RevokeReason,
    ): Promise<SessionRow[]> {
      const revoked = await db.transaction({ organizationId: null }, async (tx) => {
        const rows = await sessions.revoke(tx, userId, { ids: which.ids, organizationId: which.organizationId }, reason);
        for (const row of rows.filter((r) => r.active_organization_id)) {
          await recordAuditEvent(tx, ctx, {
            organizationId: row.active_organization_id!,
            action: 'session.revoke',
            target: { type: 'session', id: row.id },
            details: { reason, userId },
          });
        }
        return rows;
      });
      await forget(revoked);
      return revoked;
    },

    async listActive(userId: string): Promise<SessionRow[]> {
      return db.transaction({ organizationId: null }, async (tx) => openSessions(tx, deps.personalData, await sessions.listActive(tx, userId)));
    },

    /** Point a session at another organization the person belongs to. */
    async switchOrganization(ctx: UserContext, organizationId: string): Promise<void> {
      const { userId, sessionId } = ctx;
      if (!sessionId) throw new AppError('unauthenticated', 'Sign in first.');
      await db.transaction({ organizationId: null }, async (tx) => {
        const { rows } = await tx.query<{ organization_id: string }>('select organization_id from aim_user_organizations($1)', [userId]);
        if (!rows.some((r) => r.organization_id === organizationId)) throw notFound('The organization');
        await sessions.setOrganization(tx, sessionId, organizationId);
        await recordAuditEvent(tx, ctx, {
          organizationId,
          action: 'session.switch_organization',
          target: { type: 'session', id: sessionId },
        });
      });
      await cache.forgetSession(sessionId);
    },
  };
}

export type SessionService = ReturnType<typeof createSessionService>;
