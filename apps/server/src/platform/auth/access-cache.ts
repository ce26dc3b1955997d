import type { AgentStatus, Role, TrustTier } from '@aim/contracts';
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

/**
 * Invalidation writes a short-lived tombstone instead of deleting the entry, and entries are filled
 * only where the key holds nothing: an instance that read the old row just before a change cannot
 * write it back after the change's invalidation. While the tombstone lives, reads go to the database.
 */
const TOMBSTONE = '~';
const TOMBSTONE_TTL_MS = 15_000;
/** Well under the tombstone's life: a fill this late could carry state from before an invalidation. */
const MAX_FILL_DELAY_MS = 5_000;
const SESSION_TTL_MS = 5 * 60_000;
const MEMBERSHIP_TTL_MS = 5 * 60_000;
const API_KEY_TTL_MS = 5 * 60_000;
const AGENT_TTL_MS = 5 * 60_000;
const NEGATIVE_TTL_MS = 30_000;

/** An agent key as the request path needs it. */
export interface AgentKeyState {
  keyId: string;
  organizationId: string;
  agentId: string;
  /** The raw public key, base64url. */
  publicKey: string;
  /** A rotated-out key is accepted until then. */
  expiresAt: number | null;
  revoked: boolean;
}

export interface AgentState {
  organizationId: string;
  status: AgentStatus;
  trustTier: TrustTier;
}

export function createAccessCache(db: Database, store: SharedStore) {
  /** Read through the store: the cached value, or the database's (cached unless invalidated just now). */
  async function through<T>(key: string, ttlMs: number, load: () => Promise<T | null>): Promise<T | null> {
    const cached = await store.get(key);
    if (cached !== null && cached !== TOMBSTONE) return cached === 'none' ? null : (JSON.parse(cached) as T);
    const started = Date.now();
    const value = await load();
    // A read that took long may predate a change whose tombstone has lapsed meanwhile: it is served, not cached.
    if (cached === null && Date.now() - started < MAX_FILL_DELAY_MS) {
      // Absence is remembered briefly: ids that do not exist cost little to make up, and should not fill the store.
      await store.setIfAbsent(key, value === null ? 'none' : JSON.stringify(value), value === null ? NEGATIVE_TTL_MS : ttlMs);
    }
    return value;
  }
  const forget = (key: string) => store.set(key, TOMBSTONE, TOMBSTONE_TTL_MS);

  const sessionKey = (id: string) => `session:${id}`;
  const memberKey = (org: string, user: string) => `member:${org}:${user}`;
  const apiKeyKey = (hashHex: string) => `apikey:${hashHex}`;
  const agentKeyKey = (keyId: string) => `agentkey:${keyId}`;
  const agentKey = (agentId: string) => `agent:${agentId}`;

  return {
    async session(id: string): Promise<SessionState | null> {
      return through(sessionKey(id), SESSION_TTL_MS, async () => {
        const { rows } = await db.transaction({ organizationId: null }, (tx) =>
          tx.query<{ user_id: string; active_organization_id: string | null; revoked_at: Date | null; expires_at: Date }>(
            'select user_id, active_organization_id, revoked_at, expires_at from sessions where id = $1',
            [id],
          ),
        );
        const row = rows[0];
        return row
          ? { userId: row.user_id, organizationId: row.active_organization_id, revoked: row.revoked_at !== null, expiresAt: row.expires_at.getTime() }
          : null;
      });
    },
    /** After a session row changed (organization switched, revoked): drop the cached copy. */
    async forgetSession(id: string): Promise<void> {
      await forget(sessionKey(id));
    },

    async membershipRole(organizationId: string, userId: string): Promise<Role | null> {
      return through(memberKey(organizationId, userId), MEMBERSHIP_TTL_MS, async () => {
        const { rows } = await db.transaction({ organizationId }, (tx) =>
          tx.query<{ role: Role }>('select role from memberships where organization_id = $1 and user_id = $2', [organizationId, userId]),
        );
        return rows[0]?.role ?? null;
      });
    },
    async forgetMembership(organizationId: string, userId: string): Promise<void> {
      await forget(memberKey(organizationId, userId));
    },

    async apiKey(hash: Buffer): Promise<ApiKeyState | null> {
      return through(apiKeyKey(hash.toString('hex')), API_KEY_TTL_MS, async () => {
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
        return row
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
      });
    },
    async forgetApiKey(hashHex: string): Promise<void> {
      await forget(apiKeyKey(hashHex));
    },

    async agentKey(keyId: string): Promise<AgentKeyState | null> {
      return through(agentKeyKey(keyId), AGENT_TTL_MS, async () => {
        const { rows } = await db.query<{
          key_id: string;
          organization_id: string;
          agent_id: string;
          public_key: Buffer;
          expires_at: Date | null;
          revoked_at: Date | null;
        }>('select * from aim_agent_key($1)', [keyId]);
        const row = rows[0];
        return row
          ? {
              keyId: row.key_id,
              organizationId: row.organization_id,
              agentId: row.agent_id,
              publicKey: row.public_key.toString('base64url'),
              expiresAt: row.expires_at?.getTime() ?? null,
              revoked: row.revoked_at !== null,
            }
          : null;
      });
    },
    /** After a key was added, rotated out or revoked. */
    async forgetAgentKey(keyId: string): Promise<void> {
      await forget(agentKeyKey(keyId));
    },

    async agent(agentId: string): Promise<AgentState | null> {
      return through(agentKey(agentId), AGENT_TTL_MS, async () => {
        const { rows } = await db.query<{ organization_id: string; status: AgentStatus; trust_tier: TrustTier }>(
          'select * from aim_agent_state($1)',
          [agentId],
        );
        const row = rows[0];
        return row ? { organizationId: row.organization_id, status: row.status, trustTier: row.trust_tier } : null;
      });
    },
    /** After an agent's status or trust tier changed. */
    async forgetAgent(agentId: string): Promise<void> {
      await forget(agentKey(agentId));
    },
  };
}

export type AccessCache = ReturnType<typeof createAccessCache>;
