import {
  policyConfigSchemas,
  type createPolicySchema,
  type policyListQuerySchema,
  type PolicyConfig,
  type PolicyMode,
  type PolicyScope,
  type PolicyType,
  type updatePolicySchema,
} from '@aim/contracts';
import type { z } from 'zod';
import { recordAuditEvent } from '../../platform/audit/audit-log.js';
import { orgOf, type Database, type Tx } from '../../platform/db/database.js';
import { AppError, notFound } from '../../platform/http/app-error.js';
import type { RequestContext } from '../../platform/http/request-context.js';
import type { OrgContext } from '../../platform/http/operation.js';
import { newId } from '../../platform/ids.js';
import type { CompiledPolicy } from './compiled-policy.js';

/**
 * Organization policies, versioned (docs/authorization.md §3). Every change writes the next version
 * to policy_versions and bumps the organization's policy revision in the same transaction, so a
 * decision names exactly the versions it used, and the cached policy set of every instance is
 * replaced on its next decision.
 */

interface PolicyRow {
  id: string;
  version: number;
  name: string;
  description: string | null;
  type: PolicyType;
  mode: PolicyMode;
  enabled: boolean;
  scope: PolicyScope;
  config: Record<string, unknown>;
  created_at: Date;
  updated_at: Date;
  deleted_at: Date | null;
}

interface VersionRow extends Omit<PolicyRow, 'id' | 'updated_at' | 'deleted_at'> {
  policy_id: string;
  deleted: boolean;
  changed_by_type: string;
  changed_by_id: string | null;
}

const policyJson = (r: PolicyRow) => ({
  id: r.id,
  name: r.name,
  description: r.description,
  type: r.type,
  mode: r.mode,
  enabled: r.enabled,
  version: r.version,
  scope: r.scope,
  config: r.config,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
  deletedAt: r.deleted_at?.toISOString() ?? null,
});

/** The configuration, checked against its type's schema, with defaults filled in; invalid_policy otherwise. */
export function parsePolicyConfig(type: PolicyType, config: unknown): PolicyConfig {
  const parsed = policyConfigSchemas[type].safeParse(config ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `config${i.path.length ? '.' + i.path.join('.') : ''}: ${i.message}`);
    throw new AppError('invalid_policy', `The ${type} policy is not valid. ${problems.join('; ')}.`);
  }
  return parsed.data as PolicyConfig;
}

function rethrowName(error: unknown, name: string): never {
  const e = error as { code?: string; constraint?: string };
  if (e.code === '23505' && e.constraint === 'policies_org_name') throw new AppError('conflict', `A policy named "${name}" already exists.`);
  throw error;
}

/**
 * The organization's policy revision and its enabled policies, read in one statement (one snapshot),
 * as the decision engine takes them. A stored policy that no longer parses fails the decision (a 500,
 * logged): skipping it would quietly drop an enforced rule.
 */
export async function loadPolicySet(tx: Tx): Promise<{ revision: string; policies: CompiledPolicy[] }> {
  const { rows } = await tx.query<PolicyRow & { revision: string }>(
    `select o.policy_revision as revision, p.*
       from organizations o left join policies p on p.organization_id = o.id and p.enabled and p.deleted_at is null
      where o.id = $1 order by p.id`,
    [orgOf(tx)],
  );
  const policies = rows
    .filter((r) => r.id !== null)
    .map((r) => {
      let config: PolicyConfig;
      try {
        config = parsePolicyConfig(r.type, r.config);
      } catch (error) {
        throw new Error(`stored policy ${r.id} (version ${r.version}) no longer parses: ${(error as Error).message}`, { cause: error });
      }
      return { id: r.id, version: r.version, name: r.name, type: r.type, mode: r.mode, scope: r.scope, config };
    });
  return { revision: rows[0]?.revision ?? '0', policies };
}

export function createPolicyService(deps: { db: Database }) {
  const { db } = deps;

  async function writeVersion(tx: Tx, ctx: RequestContext, row: PolicyRow, deleted = false) {
    const by = ctx.actor.type === 'user' || ctx.actor.type === 'api_key' ? ctx.actor : { type: 'system' as const, id: null };
    await tx.query(
      `insert into policy_versions (organization_id, policy_id, version, name, description, type, mode, enabled, scope, config, deleted, changed_by_type, changed_by_id)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
      [orgOf(tx), row.id, row.version, row.name, row.description, row.type, row.mode, row.enabled, row.scope, row.config, deleted, by.type, by.id],
    );
    await tx.query('update organizations set policy_revision = policy_revision + 1 where id = $1', [orgOf(tx)]);
  }

  async function load(tx: Tx, id: string, forUpdate = false): Promise<PolicyRow> {
    const { rows } = await tx.query<PolicyRow>(`select * from policies where organization_id = $1 and id = $2${forUpdate ? ' for update' : ''}`, [orgOf(tx), id]);
    if (!rows[0]) throw notFound('The policy');
    return rows[0];
  }

  return {
    async list(ctx: OrgContext, options: z.output<typeof policyListQuerySchema> = {}) {
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const { rows } = await tx.query<PolicyRow>(
          'select * from policies where organization_id = $1 and ($2 or deleted_at is null) order by lower(name), id',
          [orgOf(tx), options.includeDeleted === true],
        );
        return { policies: rows.map(policyJson) };
      });
    },

    async get(ctx: OrgContext, id: string) {
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => policyJson(await load(tx, id)));
    },

    async versions(ctx: OrgContext, id: string) {
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const current = await load(tx, id);
        const { rows } = await tx.query<VersionRow>('select * from policy_versions where organization_id = $1 and policy_id = $2 order by version desc', [orgOf(tx), id]);
        return {
          versions: rows.map((v) => ({
            ...policyJson({ ...v, id: v.policy_id, updated_at: v.created_at, deleted_at: v.deleted ? v.created_at : null }),
            createdAt: current.created_at.toISOString(),
            changedBy: { type: v.changed_by_type, id: v.changed_by_id },
          })),
        };
      });
    },

    async create(ctx: OrgContext, input: z.output<typeof createPolicySchema>) {
      const config = parsePolicyConfig(input.type, input.config);
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const id = newId('pol');
        let row: PolicyRow;
        try {
          const { rows } = await tx.query<PolicyRow>(
            `insert into policies (id, organization_id, version, name, description, type, mode, enabled, scope, config)
             values ($1, $2, 1, $3, $4, $5, $6, $7, $8, $9) returning *`,
            [id, orgOf(tx), input.name.trim(), input.description || null, input.type, input.mode, input.enabled, input.scope, config],
          );
          row = rows[0]!;
        } catch (error) {
          rethrowName(error, input.name);
        }
        await writeVersion(tx, ctx, row);
        await recordAuditEvent(tx, ctx, {
          action: 'policy.create',
          target: { type: 'policy', id },
          details: { name: row.name, type: row.type, mode: row.mode, enabled: row.enabled, version: 1, scope: row.scope, config: row.config },
        });
        return policyJson(row);
      });
    },

    async update(ctx: OrgContext, id: string, input: z.output<typeof updatePolicySchema>) {
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const before = await load(tx, id, true);
        if (before.deleted_at) throw new AppError('conflict', 'The policy was deleted; create a new one.');
        const next = {
          name: input.name?.trim() ?? before.name,
          description: input.description !== undefined ? input.description || null : before.description,
          mode: input.mode ?? before.mode,
          enabled: input.enabled ?? before.enabled,
          scope: input.scope ?? before.scope,
          config: input.config !== undefined ? parsePolicyConfig(before.type, input.config) : before.config,
        };
        const changed = (Object.keys(next) as (keyof typeof next)[]).filter((k) => JSON.stringify(next[k]) !== JSON.stringify(before[k]));
        if (changed.length === 0) return policyJson(before);
        let row: PolicyRow;
        try {
          const { rows } = await tx.query<PolicyRow>(
            `update policies set version = version + 1, name = $3, description = $4, mode = $5, enabled = $6, scope = $7, config = $8, updated_at = now()
              where organization_id = $1 and id = $2 returning *`,
            [orgOf(tx), id, next.name, next.description, next.mode, next.enabled, next.scope, next.config],
          );
          row = rows[0]!;
        } catch (error) {
          rethrowName(error, next.name);
        }
        await writeVersion(tx, ctx, row);
        await recordAuditEvent(tx, ctx, {
          action: 'policy.update',
          target: { type: 'policy', id },
          details: {
            name: row.name,
            version: row.version,
            changes: Object.fromEntries(changed.map((k) => [k, { from: before[k], to: next[k] }])),
          },
        });
        return policyJson(row);
      });
    },

    /** Deleting makes a last version that says so; the policy stops applying on the next decision. */
    async remove(ctx: OrgContext, id: string) {
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const before = await load(tx, id, true);
        if (before.deleted_at) return policyJson(before);
        const { rows } = await tx.query<PolicyRow>(
          'update policies set version = version + 1, deleted_at = now(), updated_at = now() where organization_id = $1 and id = $2 returning *',
          [orgOf(tx), id],
        );
        const row = rows[0]!;
        await writeVersion(tx, ctx, row, true);
        await recordAuditEvent(tx, ctx, { action: 'policy.delete', target: { type: 'policy', id }, details: { name: row.name, version: row.version } });
        return policyJson(row);
      });
    },
  };
}

export type PolicyService = ReturnType<typeof createPolicyService>;
