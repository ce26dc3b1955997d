import type { Role } from '@aim/contracts';
import type { Database } from '../db/database.js';
import type { SharedStore } from '../store/shared-store.js';

/**
 * What authentication needs on every request, read through the shared store so that every
 * instance sees a revocation, a removed membership or a changed role at once; the database is the
 * source of truth when the store has no entry. Writers call the `forget*` / `revoke*` functions in
 * the same breath as their database change.
 */
export interface SessionState {
  userId: string;
  organizationId: string | null;
  revoked: boolean;
  expiresAt: number;
}

export interface ApiKeyState {
  id: string;
  organizationId: string;
  role: Role;
  createdBy: string;
  keyHash: string;
  revoked: boolean;
  expiresAt: number | null;
}

const SESSION_TTL_MS = 5 * 60_000;
const MEMBERSHIP_TTL_MS = 5 * 60_000;
const API_KEY_TTL_MS = 5 * 60_000;

export function createAccessCache(db: Database, store: SharedStore) {
  const sessionKey = (id: string) => `session:${id}`;
  const memberKey = (org: string, user: string) => `member:${org}:${user}`;
  const apiKeyKey = (hashHex: string) => `apikey:${hashHex}`;

  return {
    async session(id: string): Promise<SessionState | null> {
      const cached = await store.get(sessionKey(id));
      if (cached) return cached === 'none' ? null : (JSON.parse(cached) as SessionState);
      const { rows } = await db.transaction({ organizationId: null }, (tx) =>
        tx.query<{ user_id: string; active_organization_id: string | null; revoked_at: Date | null; expires_at: Date }>(
          'select user_id, active_organization_id, revoked_at, expires_at from sessions where id = $1',
          [id],
        ),
      );
      const row = rows[0];
      const state: SessionState | null = row
        ? { userId: row.user_id, organizationId: row.active_organization_id, revoked: row.revoked_at !== null, expiresAt: row.expires_at.getTime() }
        : null;
      await store.set(sessionKey(id), state ? JSON.stringify(state) : 'none', SESSION_TTL_MS);
      return state;
    },
    /** After a session row changed (organization switched, revoked): drop the cached copy. */
    async forgetSession(id: string): Promise<void> {
      await store.delete(sessionKey(id));
    },

    async membershipRole(organizationId: string, userId: string): Promise<Role | null> {
      const cached = await store.get(memberKey(organizationId, userId));
      if (cached) return cached === 'none' ? null : (cached as Role);
      const { rows } = await db.transaction({ organizationId }, (tx) =>
        tx.query<{ role: Role }>('select role from memberships where user_id = $1', [userId]),
      );
      const role = rows[0]?.role ?? null;
      await store.set(memberKey(organizationId, userId), role ?? 'none', MEMBERSHIP_TTL_MS);
      return role;
    },
    async forgetMembership(organizationId: string, userId: string): Promise<void> {
      await store.delete(memberKey(organizationId, userId));
    },

    async apiKey(hash: Buffer): Promise<ApiKeyState | null> {
      const hex = hash.toString('hex');
      const cached = await store.get(apiKeyKey(hex));
      if (cached) return cached === 'none' ? null : (JSON.parse(cached) as ApiKeyState);
      const { rows } = await db.query<{
        id: string;
        organization_id: string;
        role: Role;
        created_by: string;
        expires_at: Date | null;
        revoked_at: Date | null;
        key_hash: Buffer;
      }>('select * from aim_api_key_by_hash($1)', [hash]);
      const row = rows[0];
      const state: ApiKeyState | null = row
        ? {
            id: row.id,
            organizationId: row.organization_id,
            role: row.role,
            createdBy: row.created_by,
            keyHash: row.key_hash.toString('hex'),
            revoked: row.revoked_at !== null,
            expiresAt: row.expires_at?.getTime() ?? null,
          }
        : null;
      await store.set(apiKeyKey(hex), state ? JSON.stringify(state) : 'none', API_KEY_TTL_MS);
      return state;
    },
    async forgetApiKey(hashHex: string): Promise<void> {
      await store.delete(apiKeyKey(hashHex));
    },
  };
}

export type AccessCache = ReturnType<typeof createAccessCache>;
