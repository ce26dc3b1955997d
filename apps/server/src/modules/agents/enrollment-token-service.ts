import { recordAuditEvent } from '../../platform/audit/audit-log.js';
import { randomToken, sha256 } from '../../platform/crypto/tokens.js';
import { orgOf, type Database, type Tx } from '../../platform/db/database.js';
import { AppError, notFound } from '../../platform/http/app-error.js';
import { newId } from '../../platform/ids.js';
import type { OrgContext } from '../../platform/http/operation.js';
import type { createEnrollmentTokenSchema } from '@aim/contracts';
import type { z } from 'zod';
import { managesAll, resolveOwner } from './agent-owner.js';

/**
 * Enrollment tokens: one-time credentials with which an agent process registers itself
 * (docs/agent-identity.md §3b). `aim_enr_<32 random bytes>`, shown once, stored as SHA-256, bound
 * to one organization and owner, with an expiry. Members see and revoke the tokens they created;
 * managers and admins all of them.
 */
const TOKEN = /^aim_enr_[A-Za-z0-9_-]{43}$/;
const DEFAULT_TTL_SECONDS = 86_400;

interface Row {
  id: string;
  name: string | null;
  capabilities: string[];
  owner_id: string;
  created_by_type: 'user' | 'api_key';
  created_by_id: string;
  created_at: Date;
  expires_at: Date;
  used_at: Date | null;
  agent_id: string | null;
  revoked_at: Date | null;
}

const json = (r: Row) => ({
  id: r.id,
  name: r.name,
  capabilities: r.capabilities,
  ownerId: r.owner_id,
  createdBy: r.created_by_id,
  createdAt: r.created_at.toISOString(),
  expiresAt: r.expires_at.toISOString(),
  usedAt: r.used_at?.toISOString() ?? null,
  agentId: r.agent_id,
  revokedAt: r.revoked_at?.toISOString() ?? null,
});

const invalid = (why: string) => new AppError('invalid_enrollment_token', `The enrollment token ${why}; ask its owner for a new one.`);

export function createEnrollmentTokenService(deps: { db: Database }) {
  const { db } = deps;
  const mineOnly = (ctx: Parameters<typeof managesAll>[0]) => !managesAll(ctx);

  return {
    async create(ctx: OrgContext, input: z.output<typeof createEnrollmentTokenSchema>) {
      const token = `aim_enr_${randomToken(32)}`;
      const row = await db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const ownerId = await resolveOwner(tx, ctx, input.ownerId);
        const { rows } = await tx.query<Row>(
          `insert into enrollment_tokens (id, organization_id, token_hash, name, capabilities, owner_id, created_by_type, created_by_id, expires_at)
           values ($1, $2, $3, $4, $5, $6, $7, $8, now() + make_interval(secs => $9::double precision)) returning *`,
          [
            newId('enr'),
            orgOf(tx),
            sha256(token),
            input.name?.trim() ?? null,
            [...new Set(input.capabilities ?? [])],
            ownerId,
            ctx.actor.type === 'api_key' ? 'api_key' : 'user',
            ctx.actor.id,
            input.expiresInSeconds ?? DEFAULT_TTL_SECONDS,
          ],
        );
        const created = rows[0]!;
        await recordAuditEvent(tx, ctx, {
          action: 'enrollment_token.create',
          target: { type: 'enrollment_token', id: created.id },
          details: { name: created.name, capabilities: created.capabilities, ownerId, expiresAt: created.expires_at.toISOString() },
        });
        return created;
      });
      return { enrollmentToken: json(row), token };
    },

    async list(ctx: OrgContext) {
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const { rows } = await tx.query<Row>(
          `select * from enrollment_tokens where organization_id = $1 and ($2::boolean is false or created_by_id = $3)
            order by created_at desc, id desc limit 500`,
          [orgOf(tx), mineOnly(ctx), ctx.actor.type === 'api_key' ? ctx.actor.id : ctx.userId],
        );
        return { enrollmentTokens: rows.map(json) };
      });
    },

    async revoke(ctx: OrgContext, id: string) {
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const { rows } = await tx.query<Row>('select * from enrollment_tokens where organization_id = $1 and id = $2 for update', [orgOf(tx), id]);
        const row = rows[0];
        const mine = row && row.created_by_id === (ctx.actor.type === 'api_key' ? ctx.actor.id : ctx.userId);
        if (!row || (mineOnly(ctx) && !mine)) throw notFound('The enrollment token');
        if (row.revoked_at || row.used_at) return json(row);
        const updated = await tx.query<Row>('update enrollment_tokens set revoked_at = now() where organization_id = $1 and id = $2 returning *', [orgOf(tx), id]);
        await recordAuditEvent(tx, ctx, { action: 'enrollment_token.revoke', target: { type: 'enrollment_token', id } });
        return json(updated.rows[0]!);
      });
    },

    /** The token's id and organization, from the secret; throws invalid_enrollment_token. */
    async find(token: string): Promise<{ id: string; organizationId: string }> {
      if (!TOKEN.test(token)) throw invalid('is malformed (it looks like aim_enr_…)');
      const { rows } = await db.query<{ id: string; organization_id: string }>('select * from aim_enrollment_token_by_hash($1)', [sha256(token)]);
      if (!rows[0]) throw invalid('is unknown');
      return { id: rows[0].id, organizationId: rows[0].organization_id };
    },

    /** Spend the token in the registering transaction: exactly one registration can use it. */
    async consume(tx: Tx, id: string) {
      const { rows } = await tx.query<Row>(
        `update enrollment_tokens set used_at = now()
          where organization_id = $1 and id = $2 and used_at is null and revoked_at is null and expires_at > now() returning *`,
        [orgOf(tx), id],
      );
      const row = rows[0];
      if (!row) {
        const { rows: current } = await tx.query<Row>('select * from enrollment_tokens where organization_id = $1 and id = $2', [orgOf(tx), id]);
        const c = current[0];
        throw invalid(!c ? 'is unknown' : c.used_at ? 'was already used' : c.revoked_at ? 'was revoked' : 'has expired');
      }
      // A token is worth no more than the people behind it today: its owner must still be a member,
      // and so must its creator (for an API key: the key unrevoked and its creator still a member).
      const { rows: standing } = await tx.query<{ owner_member: boolean; creator_valid: boolean }>(
        `select exists (select 1 from memberships where organization_id = $1 and user_id = $2) as owner_member,
                case when $3 = 'user' then exists (select 1 from memberships where organization_id = $1 and user_id = $4)
                     else exists (select 1 from api_keys k join memberships m on m.organization_id = k.organization_id and m.user_id = k.created_by
                                   where k.organization_id = $1 and k.id = $4 and k.revoked_at is null and (k.expires_at is null or k.expires_at > now()))
                end as creator_valid`,
        [orgOf(tx), row.owner_id, row.created_by_type, row.created_by_id],
      );
      if (!standing[0]!.owner_member || !standing[0]!.creator_valid) {
        throw invalid('can no longer be used: its owner or creator has left the organization, or the API key that created it was revoked');
      }
      return { id: row.id, name: row.name, capabilities: row.capabilities, ownerId: row.owner_id, createdBy: { type: row.created_by_type, id: row.created_by_id } };
    },
  };
}

export type EnrollmentTokenService = ReturnType<typeof createEnrollmentTokenService>;
