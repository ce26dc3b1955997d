import type { AgentStatus, TrustEvidenceKind, enrollAgentSchema, registerAgentSchema, rotateAgentKeySchema, updateAgentSchema } from '@aim/contracts';
import type { z } from 'zod';
import type { AccessCache } from '../../platform/auth/access-cache.js';
import type { AgentChallenges } from '../../platform/auth/agent-challenges.js';
import { recordAuditEvent } from '../../platform/audit/audit-log.js';
import { parsePublicKey } from '../../platform/crypto/ed25519.js';
import { orgOf, type Database, type Tx } from '../../platform/db/database.js';
import { AppError, notFound } from '../../platform/http/app-error.js';
import type { AgentRequestContext, RequestContext } from '../../platform/http/request-context.js';
import type { OrgContext } from '../../platform/http/operation.js';
import { newId } from '../../platform/ids.js';
import { managesAll, resolveOwner } from './agent-owner.js';
import { agentJson, agentRepository, agentSummaryJson, type AgentRow } from './agent-repository.js';

/**
 * Agents: registration with proof of possession (by a person or API key, or by the agent itself
 * with an enrollment token), reading, profile changes, the lifecycle (suspend, reactivate,
 * revoke), key rotation and key revocation. Every change commits with its audit event; the shared
 * store's copies of the agent and its keys are invalidated after the commit, on every instance.
 */
export type RegisterInput = z.output<typeof registerAgentSchema>;
export type EnrollInput = z.output<typeof enrollAgentSchema>;
export type UpdateInput = z.output<typeof updateAgentSchema>;
export type RotateKeyInput = z.output<typeof rotateAgentKeySchema>;

type Transition = 'suspend' | 'reactivate' | 'revoke';
const TRANSITIONS: Record<Transition, { from: AgentStatus[]; to: AgentStatus }> = {
  suspend: { from: ['active'], to: 'suspended' },
  reactivate: { from: ['suspended'], to: 'active' },
  revoke: { from: ['active', 'suspended'], to: 'revoked' },
};

export function createAgentService(deps: {
  db: Database;
  cache: AccessCache;
  challenges: AgentChallenges;
  defaultOverlapSeconds: number;
  /** Capabilities declared at self-registration become requests (or grants): capability-service.ts. */
  declareCapabilities: (tx: Tx, ctx: RequestContext, agent: AgentRow, names: readonly string[]) => Promise<{ requested: string[]; granted: string[]; unknown: string[] }>;
  consumeEnrollmentToken: (tx: Tx, tokenId: string) => Promise<{ id: string; name: string | null; capabilities: string[]; ownerId: string; createdBy: { type: 'user' | 'api_key'; id: string } }>;
  findEnrollmentToken: (token: string) => Promise<{ id: string; organizationId: string }>;
  /**
   * Trust scoring (trust-service.ts): score the agent inside this transaction, so the answer carries the
   * score (a notable change is recorded as a domain event in it too).
   */
  rescore: (tx: Tx, ctx: RequestContext, agentId: string, trigger: 'registration' | 'event') => Promise<void>;
  /** Trust scoring: record new evidence in this transaction (recalculated shortly, debounced). */
  evidenceAdded: (tx: Tx, agentId: string, kind: TrustEvidenceKind) => Promise<void>;
}) {
  const { db, cache, challenges } = deps;

  /** Load an agent the caller may change: its owner, or a manager or admin. Others: 403 (they can read it). */
  async function loadForChange(tx: Tx, ctx: Parameters<typeof managesAll>[0], agentId: string): Promise<AgentRow> {
    const agent = await agentRepository.find(tx, agentId, { forUpdate: true });
    if (!agent) throw notFound('The agent');
    if (!managesAll(ctx) && agent.owner_id !== ctx.personId) {
      throw new AppError('forbidden', 'Only the owner of this agent, a manager or an admin may change it.');
    }
    return agent;
  }

  const detailOf = async (tx: Tx, agent: AgentRow) => agentJson(agent, await agentRepository.keys(tx, agent.id));
  /** Score the agent now and answer it with its score (registration, status changes). */
  const rescored = async (tx: Tx, ctx: RequestContext, agentId: string, trigger: 'registration' | 'event') => {
    await deps.rescore(tx, ctx, agentId, trigger);
    return detailOf(tx, (await agentRepository.find(tx, agentId))!);
  };

  return {
    /** A person or API key registers an agent whose key proves possession. */
    async register(ctx: OrgContext, input: RegisterInput, origin: string) {
      const key = parsePublicKey(input.publicKey);
      const created = await db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const ownerId = await resolveOwner(tx, ctx, input.ownerId);
        const proven = await challenges.verify(input.challenge, 'register', key, input.proof, origin);
        const { agent } = await agentRepository.insert(
          tx,
          { id: newId('agt'), name: input.name, description: input.description, purpose: input.purpose, dataClassification: input.dataClassification, ownerId, tags: input.tags, metadata: input.metadata, createdBy: ctx.actor },
          { id: key.thumbprint, raw: key.raw },
        );
        await recordAuditEvent(tx, ctx, {
          action: 'agent.register',
          target: { type: 'agent', id: agent.id },
          details: { name: agent.name, ownerId, keyId: key.thumbprint },
        });
        const detail = await rescored(tx, ctx, agent.id, 'registration');
        // Spent last, once everything else passed: a refused registration leaves the challenge usable.
        await proven.spend();
        return detail;
      });
      await cache.forgetAgentKey(key.thumbprint);
      await cache.forgetAgent(created.id);
      return created;
    },

    /** An agent registers itself with a one-time enrollment token. */
    async enroll(ctx: RequestContext, input: EnrollInput, origin: string) {
      const key = parsePublicKey(input.publicKey);
      const token = await deps.findEnrollmentToken(input.enrollmentToken);
      const proven = await challenges.verify(input.challenge, 'register', key, input.proof, origin);
      const agentId = newId('agt');
      const agentCtx: RequestContext = { ...ctx, organizationId: token.organizationId, actor: { type: 'agent', id: agentId } };
      const created = await db.transaction({ organizationId: token.organizationId }, async (tx) => {
        const consumed = await deps.consumeEnrollmentToken(tx, token.id);
        const name = input.name ?? consumed.name;
        if (!name) throw new AppError('validation_failed', 'name: required (the enrollment token names no agent).');
        const { agent } = await agentRepository.insert(
          tx,
          {
            id: agentId,
            name,
            description: input.description,
            purpose: input.purpose,
            dataClassification: input.dataClassification,
            ownerId: consumed.ownerId,
            tags: input.tags,
            metadata: input.metadata,
            requestedCapabilities: consumed.capabilities,
            enrollmentTokenId: consumed.id,
            createdBy: consumed.createdBy,
          },
          { id: key.thumbprint, raw: key.raw },
        );
        await tx.query('update enrollment_tokens set agent_id = $2 where organization_id = $1 and id = $3', [orgOf(tx), agent.id, consumed.id]);
        await recordAuditEvent(tx, agentCtx, {
          action: 'agent.register',
          target: { type: 'agent', id: agent.id },
          details: { name: agent.name, ownerId: consumed.ownerId, keyId: key.thumbprint, enrollment: consumed.id, requestedCapabilities: consumed.capabilities },
        });
        const declared = await deps.declareCapabilities(tx, agentCtx, agent, consumed.capabilities);
        if (declared.unknown.length > 0) {
          await recordAuditEvent(tx, agentCtx, {
            action: 'agent.capabilities_skipped',
            target: { type: 'agent', id: agent.id },
            details: { unknownCapabilities: declared.unknown },
          });
        }
        const detail = await rescored(tx, agentCtx, agent.id, 'registration');
        // Spent last (the token too is spent only if this commits): a refused enrollment spends neither.
        await proven.spend();
        return detail;
      });
      await cache.forgetAgentKey(key.thumbprint);
      await cache.forgetAgent(created.id);
      return created;
    },

    async list(ctx: OrgContext, filter: Parameters<typeof agentRepository.list>[1]) {
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const page = await agentRepository.list(tx, filter);
        return { agents: page.rows.map(agentSummaryJson), nextCursor: page.nextCursor };
      });
    },

    async get(ctx: OrgContext, agentId: string) {
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const agent = await agentRepository.find(tx, agentId);
        if (!agent) throw notFound('The agent');
        return {
          agent: await detailOf(tx, agent),
          statusHistory: await agentRepository.statusHistory(tx, agentId),
          recentActivity: await agentRepository.recentActivity(tx, agentId),
        };
      });
    },

    /** The calling agent itself. */
    async self(ctx: AgentRequestContext) {
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const agent = await agentRepository.find(tx, ctx.actor.id);
        if (!agent) throw notFound('The agent');
        return detailOf(tx, agent);
      });
    },

    async update(ctx: OrgContext, agentId: string, input: UpdateInput) {
      const result = await db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const agent = await loadForChange(tx, ctx, agentId);
        if (agent.status === 'revoked') throw new AppError('conflict', 'The agent is revoked; a revoked agent cannot be changed.');
        const changes: Record<string, unknown> = {};
        if (input.name !== undefined && input.name.trim() !== agent.name) changes.name = input.name.trim();
        if (input.description !== undefined && input.description !== agent.description) changes.description = input.description;
        if (input.purpose !== undefined && input.purpose !== agent.purpose) changes.purpose = input.purpose;
        if (input.dataClassification !== undefined && input.dataClassification !== agent.data_classification) {
          changes.data_classification = input.dataClassification;
        }
        if (input.tags !== undefined) changes.tags = [...new Set(input.tags)];
        if (input.metadata !== undefined) changes.metadata = input.metadata;
        if (input.ownerId !== undefined && input.ownerId !== agent.owner_id) {
          if (!managesAll(ctx)) throw new AppError('forbidden', 'Only managers and admins may change the owner of an agent.');
          changes.owner_id = await resolveOwner(tx, ctx, input.ownerId);
        }
        if (Object.keys(changes).length === 0) return detailOf(tx, agent);
        const updated = await agentRepository.update(tx, agentId, changes);
        await recordAuditEvent(tx, ctx, {
          action: 'agent.update',
          target: { type: 'agent', id: agentId },
          details: {
            changed: Object.keys(changes),
            ...(changes.name ? { name: { from: agent.name, to: changes.name } } : {}),
            ...(changes.owner_id ? { ownerId: { from: agent.owner_id, to: changes.owner_id } } : {}),
          },
        });
        // Owner, purpose and data classification are trust evidence (security posture, compliance).
        await deps.evidenceAdded(tx, agentId, 'profile');
        return detailOf(tx, updated);
      });
      return result;
    },

    async transition(ctx: OrgContext, agentId: string, transition: Transition, reason: string | null) {
      const rule = TRANSITIONS[transition];
      // Invalidated however the change ends: after a commit whose invalidation failed, the retry (a 409) repairs the cache.
      try {
        const changed = await db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
          const agent = await loadForChange(tx, ctx, agentId);
          if (!rule.from.includes(agent.status)) {
            throw new AppError(
              'conflict',
              agent.status === 'revoked' ? 'The agent is revoked, which is final.' : `The agent is ${agent.status}; it cannot be ${transition === 'reactivate' ? 'reactivated' : `${transition}ed`} from there.`,
            );
          }
          const updated = await agentRepository.setStatus(tx, agent, rule.to, reason, ctx.actor);
          await recordAuditEvent(tx, ctx, {
            action: `agent.${transition}`,
            target: { type: 'agent', id: agentId },
            details: { from: agent.status, to: rule.to, reason },
          });
          return rescored(tx, ctx, updated.id, 'event');
        });
          return changed;
      } finally {
        await cache.forgetAgent(agentId);
      }
    },

    /**
     * The system suspends an active agent (automatic suspension on a critical alert, docs/monitoring.md),
     * as a person's suspension is: the status change, its audit event (`agent.suspend`, actor system,
     * `details` added), the rescoring in the same transaction, and the cache invalidated after it, so
     * the agent's next request is refused on every instance. `alongside` writes in that transaction too.
     * An agent that is not active (already suspended, revoked, or gone) is left as it is: false.
     */
    async suspendAsSystem(
      ctx: RequestContext & { actor: { type: 'system' } },
      organizationId: string,
      agentId: string,
      input: { reason: string; details: Record<string, string>; alongside?: (tx: Tx) => Promise<void> },
    ): Promise<boolean> {
      try {
        return await db.transaction({ organizationId }, async (tx) => {
          const agent = await agentRepository.find(tx, agentId, { forUpdate: true });
          if (!agent || agent.status !== 'active') return false;
          await agentRepository.setStatus(tx, agent, 'suspended', input.reason, ctx.actor);
          await recordAuditEvent(tx, ctx, {
            action: 'agent.suspend',
            target: { type: 'agent', id: agentId },
            details: { from: agent.status, to: 'suspended', reason: input.reason, ...input.details },
          });
          await deps.rescore(tx, ctx, agentId, 'event');
          await input.alongside?.(tx);
          return true;
        });
      } finally {
        await cache.forgetAgent(agentId);
      }
    },

    /** The agent rotates to a new key; the request is signed with the current one (its body names the new key). */
    async rotateKey(
      ctx: AgentRequestContext,
      currentKeyId: string,
      input: RotateKeyInput,
      origin: string,
    ) {
      const agentId = ctx.actor.id;
      const key = parsePublicKey(input.publicKey);
      const proven = await challenges.verify(input.challenge, 'rotate', key, input.proof, origin);
      const overlapSeconds = input.overlapSeconds ?? deps.defaultOverlapSeconds;
      let retired: string[] = [];
      try {
        const rotated = await db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
          const current = await agentRepository.find(tx, agentId, { forUpdate: true });
          if (!current) throw notFound('The agent');
          if (current.status !== 'active') throw new AppError(current.status === 'revoked' ? 'agent_revoked' : 'agent_suspended', `The agent is ${current.status}.`);
          // Only the current key may name its successor: a key already replaced (still inside its overlap,
          // perhaps because it leaked) must not be able to cut off the key that replaced it.
          const { rows: signing } = await tx.query<{ expires_at: Date | null; revoked_at: Date | null }>(
            'select expires_at, revoked_at from agent_keys where organization_id = $1 and agent_id = $2 and id = $3',
            [orgOf(tx), agentId, currentKeyId],
          );
          if (!signing[0] || signing[0].revoked_at || signing[0].expires_at) {
            throw new AppError('forbidden', "Only the agent's current key may rotate; the key that signed this request has been replaced or revoked.");
          }
          await agentRepository.insertKey(tx, agentId, { id: key.thumbprint, raw: key.raw });
          // The current key, and any earlier one still in its overlap, end at the new overlap at the latest.
          const { rows } = await tx.query<{ id: string }>(
            `update agent_keys set expires_at = least(coalesce(expires_at, 'infinity'), now() + make_interval(secs => $3::double precision)),
                                   replaced_by = coalesce(replaced_by, $4)
              where organization_id = $1 and agent_id = $2 and id <> $4 and revoked_at is null and (expires_at is null or expires_at > now())
              returning id`,
            [orgOf(tx), agentId, overlapSeconds, key.thumbprint],
          );
          await recordAuditEvent(tx, ctx, {
            action: 'agent.rotate_key',
            target: { type: 'agent', id: agentId },
            details: { previousKeyIds: rows.map((r) => r.id), keyId: key.thumbprint, overlapSeconds },
          });
          await deps.evidenceAdded(tx, agentId, 'key');
          const detail = await detailOf(tx, current);
          // Spent last, once every other check passed: a refused rotation (a replaced key, a suspended
          // agent, a key already registered) leaves the challenge usable for the next one.
          await proven.spend();
          retired = rows.map((r) => r.id);
          return detail;
        });
        return rotated;
      } finally {
        for (const id of new Set([currentKeyId, ...retired, key.thumbprint])) await cache.forgetAgentKey(id);
      }
    },

    /** An owner, manager or admin revokes one key (lost or compromised); it is refused at once. */
    async revokeKey(ctx: OrgContext, agentId: string, keyId: string, reason: string | null) {
      try {
        const revoked = await db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
          const agent = await loadForChange(tx, ctx, agentId);
          if (agent.status === 'revoked') throw new AppError('conflict', 'The agent is revoked, which is final; its keys no longer matter.');
          const { rows } = await tx.query<{ id: string; revoked_at: Date | null }>(
            'select id, revoked_at from agent_keys where organization_id = $1 and agent_id = $2 and id = $3 for update',
            [orgOf(tx), agentId, keyId],
          );
          if (!rows[0]) throw notFound('The key');
          if (rows[0].revoked_at) throw new AppError('conflict', 'The key is already revoked.');
          await tx.query('update agent_keys set revoked_at = now(), revoked_reason = $3 where organization_id = $1 and id = $2', [orgOf(tx), keyId, reason]);
          await recordAuditEvent(tx, ctx, { action: 'agent.revoke_key', target: { type: 'agent', id: agentId }, details: { keyId, reason } });
          await deps.evidenceAdded(tx, agentId, 'key');
          return detailOf(tx, agent);
        });
        return revoked;
      } finally {
        await cache.forgetAgentKey(keyId);
      }
    },
  };
}

export type AgentService = ReturnType<typeof createAgentService>;
