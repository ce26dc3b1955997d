import type {
  approveCapabilityRequestSchema,
  createCapabilityRequestSchema,
  createCapabilitySchema,
  createGrantSchema,
  grantListQuerySchema,
  ownCapabilityRequestListQuerySchema,
  rejectCapabilityRequestSchema,
  updateCapabilitySchema,
} from '@aim/contracts';
import type { z } from 'zod';
import { recordAuditEvent } from '../../platform/audit/audit-log.js';
import { orgOf, type Database, type Tx } from '../../platform/db/database.js';
import { AppError, notFound } from '../../platform/http/app-error.js';
import type { Actor, AgentRequestContext, RequestContext } from '../../platform/http/request-context.js';
import type { OrgContext } from '../../platform/http/operation.js';
import { newId } from '../../platform/ids.js';
import type { DomainEvents } from '../../platform/events/domain-events.js';
import { agentRepository, managesAll, type AgentRow } from '../agents/index.js';
import { capabilityGone, capabilityJson, capabilityRepository, grantJson, requestJson, type CapabilityRow, type RequestRow } from './capability-repository.js';

/**
 * The capability catalog, grants and requests (docs/authorization.md §1–2). Managers and admins
 * keep the catalog, grant and answer requests; an agent's owner (or the agent itself, signed) asks.
 * Agents never grant anything: no agent-authenticated route reaches grant, approve or reject.
 */

/** Requests nobody answered expire after this long. */
export const REQUEST_TTL_SECONDS = 7 * 86_400;

/** Actions of MCP tools (mcp:<server>/<tool>) belong to their server: approving its tools creates them and keeps them. */
const isMcpAction = (name: string) => name.startsWith('mcp:');
const mcpReserved = (name: string, verb: 'created' | 'deleted') =>
  new AppError(
    'mcp_capability_reserved',
    `${name} is an MCP tool's action: it is ${verb === 'created' ? 'created' : 'kept'} by approving the MCP server's tools (POST /api/v1/mcp-servers/{id}/approve) and cannot be ${verb} in the catalog. Its description and risk level can be changed.`,
  );

const unknownCapability = (name: string) =>
  new AppError('unknown_capability', `The capability ${name} is not in the organization's catalog; a manager adds it with POST /api/v1/capabilities.`);

/** Who did it, as stored: people and API keys; an agent or AIM itself for requests. */
const actorOf = (ctx: RequestContext): { type: 'user' | 'api_key' | 'system'; id: string | null } =>
  ctx.actor.type === 'user' || ctx.actor.type === 'api_key' ? { type: ctx.actor.type, id: ctx.actor.id } : { type: 'system', id: null };

function rethrowUnique(error: unknown, code: string, message: string): never {
  const e = error as { code?: string; constraint?: string };
  if (e.code === '23505' && e.constraint === code) throw new AppError('conflict', message);
  throw error;
}

export function createCapabilityService(deps: { db: Database; events: DomainEvents; onGrantsChanged?: (agentId: string) => Promise<void> }) {
  const { db, events } = deps;
  const grantsChanged = async (agentId: string) => deps.onGrantsChanged?.(agentId);

  async function capabilityByName(tx: Tx, name: string): Promise<CapabilityRow> {
    const [row] = await capabilityRepository.byNames(tx, [name]);
    if (!row) throw unknownCapability(name);
    return row;
  }

  async function activeAgent(tx: Tx, agentId: string): Promise<AgentRow> {
    const agent = await agentRepository.find(tx, agentId);
    if (!agent) throw notFound('The agent');
    if (agent.status === 'revoked') throw new AppError('agent_revoked', 'The agent is revoked, which is final; it can be granted nothing.');
    return agent;
  }

  /** Insert a pending request, or answer the one already open for the same agent and capability. */
  async function openRequest(
    tx: Tx,
    ctx: RequestContext,
    agent: AgentRow,
    capability: CapabilityRow,
    input: { resourcePattern?: string | undefined; reason: string | null },
    requestedBy: Actor,
  ): Promise<RequestRow> {
    const id = newId('crq');
    const inserted = await tx.query(
      `insert into capability_requests (id, organization_id, agent_id, capability_id, resource_pattern, reason, requested_by_type, requested_by_id, expires_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8, now() + make_interval(secs => $9::integer))
       on conflict (organization_id, agent_id, capability_id) where status = 'pending' do nothing`,
      [id, orgOf(tx), agent.id, capability.id, input.resourcePattern ?? null, input.reason, requestedBy.type, requestedBy.id, REQUEST_TTL_SECONDS],
    ).catch(capabilityGone);
    if (inserted.rowCount === 0) {
      // An open request holds the place. Locked, so a concurrent answer cannot slip in between.
      const { rows } = await tx.query<{ id: string }>(
        `select id from capability_requests where organization_id = $1 and agent_id = $2 and capability_id = $3 and status = 'pending' for update`,
        [orgOf(tx), agent.id, capability.id],
      );
      // Answered in the meantime: try again, the place is free now.
      if (!rows[0]) return openRequest(tx, ctx, agent, capability, input, requestedBy);
      const existing = (await capabilityRepository.request(tx, rows[0].id))!;
      if (existing.expires_at.getTime() > Date.now()) return existing;
      // The open one has expired unanswered: close it (as the job would), then open the new one.
      await tx.query(`update capability_requests set status = 'expired', decided_at = now(), decided_by_type = 'system' where organization_id = $1 and id = $2`, [
        orgOf(tx),
        existing.id,
      ]);
      await recordAuditEvent(tx, { ...ctx, actor: { type: 'system', id: null } }, {
        action: 'capability_request.expire',
        target: { type: 'capability_request', id: existing.id },
        details: { agentId: existing.agent_id },
      });
      return openRequest(tx, ctx, agent, capability, input, requestedBy);
    }
    await recordAuditEvent(tx, ctx, {
      action: 'capability_request.create',
      target: { type: 'capability_request', id },
      details: { agentId: agent.id, capability: capability.name, resourcePattern: input.resourcePattern ?? null, reason: input.reason },
    });
    await events.record(tx, 'capability.requested', {
      requestId: id,
      agentId: agent.id,
      capabilityId: capability.id,
      capabilityName: capability.name,
      resourcePattern: input.resourcePattern ?? null,
      reason: input.reason ?? '',
      requestedBy: { type: requestedBy.type, id: requestedBy.id },
    });
    return (await capabilityRepository.request(tx, id))!;
  }

  async function grantInTx(
    tx: Tx,
    ctx: RequestContext,
    agentId: string,
    capability: CapabilityRow,
    input: { resourcePattern: string | null; expiresInSeconds: number | null; requestId: string | null },
  ) {
    const grant = await capabilityRepository.insertGrant(tx, {
      id: newId('grt'),
      agentId,
      capabilityId: capability.id,
      resourcePattern: input.resourcePattern,
      expiresInSeconds: input.expiresInSeconds,
      grantedBy: actorOf(ctx),
      requestId: input.requestId,
    });
    await recordAuditEvent(tx, ctx, {
      action: 'capability_grant.create',
      target: { type: 'capability_grant', id: grant.id },
      details: {
        agentId,
        capability: capability.name,
        riskLevel: capability.risk_level,
        resourcePattern: grant.resource_pattern,
        expiresAt: grant.expires_at?.toISOString() ?? null,
        requestId: input.requestId,
      },
    });
    return grant;
  }

  /** Members ask for (and withdraw requests of) the agents they own; managers and admins for any. */
  async function agentForRequest(tx: Tx, ctx: OrgContext, agentId: string, options: { revokedToo?: boolean } = {}) {
    const agent = await agentRepository.find(tx, agentId);
    if (!agent) throw notFound('The agent');
    if (!managesAll(ctx) && agent.owner_id !== ctx.personId) {
      throw new AppError('forbidden', 'Only the owner of this agent, a manager or an admin may request capabilities for it.');
    }
    if (agent.status === 'revoked' && !options.revokedToo) {
      throw new AppError('agent_revoked', 'The agent is revoked, which is final; it can be granted nothing.');
    }
    return agent;
  }

  return {
    async list(ctx: OrgContext) {
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => ({ capabilities: (await capabilityRepository.list(tx)).map(capabilityJson) }));
    },

    async get(ctx: OrgContext, id: string) {
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const row = await capabilityRepository.find(tx, id);
        if (!row) throw notFound('The capability');
        return capabilityJson(row);
      });
    },

    async create(ctx: OrgContext, input: z.output<typeof createCapabilitySchema>) {
      if (isMcpAction(input.name)) throw mcpReserved(input.name, 'created');
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const id = newId('cap');
        try {
          await tx.query('insert into capabilities (id, organization_id, name, description, risk_level) values ($1, $2, $3, $4, $5)', [
            id,
            orgOf(tx),
            input.name,
            input.description || null,
            input.riskLevel,
          ]);
        } catch (error) {
          rethrowUnique(error, 'capabilities_organization_id_name_key', `The catalog already has ${input.name}.`);
        }
        await recordAuditEvent(tx, ctx, {
          action: 'capability.create',
          target: { type: 'capability', id },
          details: { name: input.name, riskLevel: input.riskLevel, description: input.description ?? null },
        });
        return capabilityJson((await capabilityRepository.find(tx, id))!);
      });
    },

    async update(ctx: OrgContext, id: string, input: z.output<typeof updateCapabilitySchema>) {
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const before = await capabilityRepository.find(tx, id, { forUpdate: true });
        if (!before) throw notFound('The capability');
        const { rows } = await tx.query<CapabilityRow>(
          `update capabilities set description = case when $3 then $4 else description end,
                  risk_level = coalesce($5, risk_level), updated_at = now()
            where organization_id = $1 and id = $2 returning *`,
          [orgOf(tx), id, input.description !== undefined, input.description || null, input.riskLevel ?? null],
        );
        const after = rows[0]!;
        await recordAuditEvent(tx, ctx, {
          action: 'capability.update',
          target: { type: 'capability', id },
          details: {
            name: after.name,
            before: { description: before.description, riskLevel: before.risk_level },
            after: { description: after.description, riskLevel: after.risk_level },
          },
        });
        return capabilityJson(after);
      });
    },

    /** Only a capability that was never granted can leave the catalog (revoked grants are history). */
    async remove(ctx: OrgContext, id: string) {
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const row = await capabilityRepository.find(tx, id, { forUpdate: true });
        if (!row) throw notFound('The capability');
        if (isMcpAction(row.name)) throw mcpReserved(row.name, 'deleted');
        const { rows } = await tx.query<{ grants: number; requests: number }>(
          `select (select count(*)::int from capability_grants where organization_id = $1 and capability_id = $2) as grants,
                  (select count(*)::int from capability_requests where organization_id = $1 and capability_id = $2) as requests`,
          [orgOf(tx), id],
        );
        const { grants, requests } = rows[0]!;
        if (grants > 0 || requests > 0) {
          throw new AppError(
            'capability_in_use',
            `${row.name} has ${grants} grant(s) and ${requests} request(s); they are kept as history, so it stays in the catalog. Revoke its grants instead.`,
          );
        }
        await tx.query('delete from capabilities where organization_id = $1 and id = $2', [orgOf(tx), id]);
        await recordAuditEvent(tx, ctx, { action: 'capability.delete', target: { type: 'capability', id }, details: { name: row.name } });
        return capabilityJson(row);
      });
    },

    async grants(ctx: OrgContext, agentId: string, status?: z.output<typeof grantListQuerySchema>['status']) {
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        if (!(await agentRepository.find(tx, agentId))) throw notFound('The agent');
        return { grants: (await capabilityRepository.grantsOf(tx, agentId, status)).map(grantJson) };
      });
    },

    async grant(ctx: OrgContext, agentId: string, input: z.output<typeof createGrantSchema>) {
      const grant = await db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        await activeAgent(tx, agentId);
        const capability = await capabilityByName(tx, input.capability);
        return grantInTx(tx, ctx, agentId, capability, {
          resourcePattern: input.resourcePattern ?? null,
          expiresInSeconds: input.expiresInSeconds ?? null,
          requestId: null,
        });
      });
      await grantsChanged(agentId);
      return grantJson(grant);
    },

    async revokeGrant(ctx: OrgContext, agentId: string, grantId: string) {
      const grant = await db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const current = await capabilityRepository.grant(tx, grantId);
        if (!current || current.agent_id !== agentId) throw notFound('The grant');
        if (current.revoked_at) return current;
        const actor = actorOf(ctx);
        const revoked = await tx.query(
          'update capability_grants set revoked_at = now(), revoked_by_type = $3, revoked_by_id = $4 where organization_id = $1 and id = $2 and revoked_at is null',
          [orgOf(tx), grantId, actor.type, actor.id],
        );
        // A concurrent revocation got there first: it is recorded once, by that one.
        if (revoked.rowCount === 0) return (await capabilityRepository.grant(tx, grantId))!;
        await recordAuditEvent(tx, ctx, {
          action: 'capability_grant.revoke',
          target: { type: 'capability_grant', id: grantId },
          details: { agentId, capability: current.capability_name, resourcePattern: current.resource_pattern },
        });
        return (await capabilityRepository.grant(tx, grantId))!;
      });
      await grantsChanged(agentId);
      return grantJson(grant);
    },

    /** The owner (or a manager or admin) asks for a capability for an agent. */
    async request(ctx: OrgContext, agentId: string, input: z.output<typeof createCapabilityRequestSchema>) {
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const agent = await agentForRequest(tx, ctx, agentId);
        const capability = await capabilityByName(tx, input.capability);
        return requestJson(await openRequest(tx, ctx, agent, capability, { resourcePattern: input.resourcePattern, reason: input.reason }, ctx.actor));
      });
    },

    /** The agent asks for itself (a signed request or its token). */
    async requestAsAgent(ctx: AgentRequestContext, input: z.output<typeof createCapabilityRequestSchema>) {
      const agentId = ctx.actor.id;
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const agent = await activeAgent(tx, agentId);
        const capability = await capabilityByName(tx, input.capability);
        return requestJson(await openRequest(tx, ctx, agent, capability, { resourcePattern: input.resourcePattern, reason: input.reason }, ctx.actor));
      });
    },

    async requestsOfAgent(ctx: AgentRequestContext, page_: z.output<typeof ownCapabilityRequestListQuerySchema>) {
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const page = await capabilityRepository.requests(tx, { agentId: ctx.actor.id, limit: page_.limit, cursor: page_.cursor });
        return { requests: page.rows.map(requestJson), nextCursor: page.nextCursor };
      });
    },

    async grantsOfAgent(ctx: AgentRequestContext) {
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => ({
        grants: (await capabilityRepository.grantsOf(tx, ctx.actor.id, 'active')).map(grantJson),
      }));
    },

    /**
     * Capabilities declared at self-registration (the enrollment token's list), in the registering
     * transaction: each becomes a request, or a grant when it is low risk and the organization
     * auto-approves those. Names the catalog lacks are left out and reported.
     */
    async declareAtRegistration(tx: Tx, ctx: RequestContext, agent: AgentRow, names: readonly string[]) {
      if (names.length === 0) return { requested: [] as string[], granted: [] as string[], unknown: [] as string[] };
      const catalog = await capabilityRepository.byNames(tx, names);
      const { rows } = await tx.query<{ auto: boolean }>('select auto_approve_low_risk_capabilities as auto from organizations where id = $1', [orgOf(tx)]);
      const auto = rows[0]?.auto ?? false;
      const requested: string[] = [];
      const granted: string[] = [];
      for (const capability of catalog.sort((a, b) => a.name.localeCompare(b.name))) {
        if (auto && capability.risk_level === 'low') {
          await grantInTx(tx, { ...ctx, actor: { type: 'system', id: null } }, agent.id, capability, { resourcePattern: null, expiresInSeconds: null, requestId: null });
          granted.push(capability.name);
        } else {
          await openRequest(tx, ctx, agent, capability, { reason: 'Declared at self-registration' }, { type: 'agent', id: agent.id });
          requested.push(capability.name);
        }
      }
      const known = new Set(catalog.map((c) => c.name));
      return { requested, granted, unknown: names.filter((n) => !known.has(n)) };
    },

    async requests(ctx: OrgContext, filter: Parameters<typeof capabilityRepository.requests>[1]) {
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const page = await capabilityRepository.requests(tx, filter);
        return { requests: page.rows.map(requestJson), nextCursor: page.nextCursor };
      });
    },

    async getRequest(ctx: OrgContext, id: string) {
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const row = await capabilityRepository.request(tx, id);
        if (!row) throw notFound('The capability request');
        return requestJson(row);
      });
    },

    /** Approve, optionally narrowing the pattern or setting an expiry: the grant and the answer commit together. */
    async approve(ctx: OrgContext, id: string, input: z.output<typeof approveCapabilityRequestSchema>) {
      const result = await db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const row = await pendingRequest(tx, id);
        await activeAgent(tx, row.agent_id);
        const capability = (await capabilityRepository.find(tx, row.capability_id))!;
        const pattern = input.resourcePattern !== undefined ? input.resourcePattern : row.resource_pattern;
        const grant = await grantInTx(tx, ctx, row.agent_id, capability, {
          resourcePattern: pattern,
          expiresInSeconds: input.expiresInSeconds ?? null,
          requestId: row.id,
        });
        const actor = actorOf(ctx);
        await tx.query(
          `update capability_requests set status = 'approved', decided_at = now(), decided_by_type = $3, decided_by_id = $4, note = $5, grant_id = $6
            where organization_id = $1 and id = $2`,
          [orgOf(tx), id, actor.type, actor.id, input.note ?? null, grant.id],
        );
        await recordAuditEvent(tx, ctx, {
          action: 'capability_request.approve',
          target: { type: 'capability_request', id },
          details: { agentId: row.agent_id, capability: capability.name, requestedPattern: row.resource_pattern, grantedPattern: pattern, grantId: grant.id, note: input.note ?? null },
        });
        return (await capabilityRepository.request(tx, id))!;
      });
      await grantsChanged(result.agent_id);
      return requestJson(result);
    },

    async reject(ctx: OrgContext, id: string, input: z.output<typeof rejectCapabilityRequestSchema>) {
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const row = await pendingRequest(tx, id);
        const actor = actorOf(ctx);
        await tx.query(
          `update capability_requests set status = 'rejected', decided_at = now(), decided_by_type = $3, decided_by_id = $4, note = $5
            where organization_id = $1 and id = $2`,
          [orgOf(tx), id, actor.type, actor.id, input.note],
        );
        await recordAuditEvent(tx, ctx, {
          action: 'capability_request.reject',
          target: { type: 'capability_request', id },
          details: { agentId: row.agent_id, capability: row.capability_name, note: input.note },
        });
        return requestJson((await capabilityRepository.request(tx, id))!);
      });
    },

    /** Whoever may ask may withdraw the question while it is open. */
    async cancel(ctx: OrgContext, id: string) {
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const row = await pendingRequest(tx, id);
        await agentForRequest(tx, ctx, row.agent_id, { revokedToo: true });
        const actor = actorOf(ctx);
        await tx.query(
          `update capability_requests set status = 'cancelled', decided_at = now(), decided_by_type = $3, decided_by_id = $4 where organization_id = $1 and id = $2`,
          [orgOf(tx), id, actor.type, actor.id],
        );
        await recordAuditEvent(tx, ctx, {
          action: 'capability_request.cancel',
          target: { type: 'capability_request', id },
          details: { agentId: row.agent_id, capability: row.capability_name },
        });
        return requestJson((await capabilityRepository.request(tx, id))!);
      });
    },

    /** The job's pass: requests nobody answered in time expire, each with its audit event. */
    async expireRequests(ctx: RequestContext, organizationId: string): Promise<number> {
      return db.transaction({ organizationId }, async (tx) => {
        const { rows } = await tx.query<{ id: string; agent_id: string }>(
          `update capability_requests set status = 'expired', decided_at = now(), decided_by_type = 'system'
            where id in (select id from capability_requests where organization_id = $1 and status = 'pending' and expires_at <= now()
                          order by id limit 1000 for update skip locked)
            returning id, agent_id`,
          [organizationId],
        );
        for (const row of rows) {
          await recordAuditEvent(tx, { ...ctx, organizationId }, {
            action: 'capability_request.expire',
            target: { type: 'capability_request', id: row.id },
            details: { agentId: row.agent_id },
          });
        }
        return rows.length;
      });
    },
  };

  async function pendingRequest(tx: Tx, id: string): Promise<RequestRow> {
    const row = await capabilityRepository.request(tx, id, { forUpdate: true });
    if (!row) throw notFound('The capability request');
    if (row.status !== 'pending' || row.expires_at.getTime() <= Date.now()) {
      const state = row.status === 'pending' ? 'expired' : row.status;
      throw new AppError('request_not_pending', `The request is ${state}; only a pending request can be answered. The agent's owner can ask again.`);
    }
    return row;
  }
}

export type CapabilityService = ReturnType<typeof createCapabilityService>;
