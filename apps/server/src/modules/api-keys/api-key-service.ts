import { roleAtLeast, type Role, type createApiKeySchema } from '@aim/contracts';
import type { z } from 'zod';
import type { AccessCache } from '../../platform/auth/access-cache.js';
import { generateApiKey } from '../../platform/auth/api-key-format.js';
import { recordAuditEvent } from '../../platform/audit/audit-log.js';
import { orgOf, type Database, type Tx } from '../../platform/db/database.js';
import { AppError, notFound } from '../../platform/http/app-error.js';
import type { OrgContext } from '../../platform/http/operation.js';
import { newId } from '../../platform/ids.js';
import { can } from '../access/index.js';

/**
 * API keys: created for the caller's organization with a role no higher than the caller's,
 * shown once, stored as SHA-256. Admins see and revoke every key of the organization; everyone
 * else the keys they created.
 */
export interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  role: Role;
  createdBy: string;
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  useCount: number;
  revokedAt: Date | null;
}

interface Row {
  id: string;
  name: string;
  prefix: string;
  role: Role;
  created_by: string;
  created_at: Date;
  expires_at: Date | null;
  last_used_at: Date | null;
  use_count: string;
  revoked_at: Date | null;
  key_hash: Buffer;
}

const toKey = (r: Row): ApiKey => ({
  id: r.id,
  name: r.name,
  prefix: r.prefix,
  role: r.role,
  createdBy: r.created_by,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  lastUsedAt: r.last_used_at,
  useCount: Number(r.use_count),
  revokedAt: r.revoked_at,
});

export const apiKeyJson = (k: ApiKey) => ({
  id: k.id,
  name: k.name,
  prefix: k.prefix,
  role: k.role,
  createdBy: k.createdBy,
  createdAt: k.createdAt.toISOString(),
  expiresAt: k.expiresAt?.toISOString() ?? null,
  lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
  useCount: k.useCount,
  revokedAt: k.revokedAt?.toISOString() ?? null,
});

/** Insert a key in the transaction's organization; returns it with the secret (shown once). */
export async function insertApiKey(
  tx: Tx,
  input: { name: string; role: Role; createdBy: string; expiresAt: Date | null },
): Promise<{ apiKey: ApiKey; key: string }> {
  const generated = generateApiKey();
  const { rows } = await tx.query<Row>(
    `insert into api_keys (id, organization_id, name, prefix, key_hash, role, created_by, expires_at)
     values ($1, $2, $3, $4, $5, $6, $7, $8) returning *`,
    [newId('key'), orgOf(tx), input.name.trim(), generated.prefix, generated.hash, input.role, input.createdBy, input.expiresAt],
  );
  return { apiKey: toKey(rows[0]!), key: generated.key };
}

export function createApiKeyService(deps: { db: Database; cache: AccessCache }) {
  const { db, cache } = deps;

  const mineOnly = (ctx: OrgContext) => !can(ctx.role, 'api_key.manage_all');
  /** Keys belong to the person who created them; a key acting alone sees only itself. */
  const owns = (ctx: OrgContext, row: Row) =>
    ctx.actor.type === 'api_key' ? row.id === ctx.actor.id : row.created_by === ctx.userId;

  return {
    async create(ctx: OrgContext, input: z.output<typeof createApiKeySchema>) {
      if (!ctx.userId) throw new AppError('forbidden', 'API keys are created by people: sign in to create one.');
      const role = input.role ?? ctx.role;
      if (!roleAtLeast(ctx.role, role)) {
        throw new AppError('forbidden', `An API key cannot have a stronger role (${role}) than yours (${ctx.role}).`);
      }
      const expiresAt = input.expiresAt ? new Date(input.expiresAt) : null;
      if (expiresAt && expiresAt <= new Date()) throw new AppError('validation_failed', 'expiresAt must be in the future.');
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const created = await insertApiKey(tx, { name: input.name, role, createdBy: ctx.userId!, expiresAt });
        await recordAuditEvent(tx, ctx, {
          action: 'api_key.create',
          target: { type: 'api_key', id: created.apiKey.id },
          details: { name: created.apiKey.name, role, expiresAt: expiresAt?.toISOString() ?? null },
        });
        return created;
      });
    },

    async list(ctx: OrgContext): Promise<ApiKey[]> {
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const { rows } = await tx.query<Row>(
          `select * from api_keys
            where organization_id = $1
              and ($2::boolean is false or created_by = $3::text or id = $4::text)
            order by created_at desc, id desc`,
          [orgOf(tx), mineOnly(ctx), ctx.actor.type === 'api_key' ? null : ctx.userId, ctx.actor.type === 'api_key' ? ctx.actor.id : null],
        );
        return rows.map(toKey);
      });
    },

    async revoke(ctx: OrgContext, apiKeyId: string): Promise<ApiKey> {
      const { key, hash } = await db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const { rows } = await tx.query<Row>('select * from api_keys where organization_id = $1 and id = $2 for update', [orgOf(tx), apiKeyId]);
        const row = rows[0];
        if (!row || (mineOnly(ctx) && !owns(ctx, row))) throw notFound('The API key');
        if (row.revoked_at) return { key: toKey(row), hash: row.key_hash };
        const updated = await tx.query<Row>('update api_keys set revoked_at = now() where id = $1 returning *', [apiKeyId]);
        await recordAuditEvent(tx, ctx, { action: 'api_key.revoke', target: { type: 'api_key', id: apiKeyId } });
        return { key: toKey(updated.rows[0]!), hash: row.key_hash };
      });
      await cache.forgetApiKey(hash.toString('hex'));
      return key;
    },
  };
}

export type ApiKeyService = ReturnType<typeof createApiKeyService>;
