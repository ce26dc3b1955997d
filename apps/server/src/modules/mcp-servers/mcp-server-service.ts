import { can, mcpServerSlug, type createMcpServerSchema, type mcpServerListQuerySchema, type McpServerStatus, type McpTransport, type updateMcpServerSchema } from '@aim/contracts';
import type { z } from 'zod';
import { recordAuditEvent } from '../../platform/audit/audit-log.js';
import type { Database, Tx } from '../../platform/db/database.js';
import { AppError, notFound } from '../../platform/http/app-error.js';
import type { OrgContext } from '../../platform/http/operation.js';
import { newId } from '../../platform/ids.js';
import type { OutboundGuard } from '../../platform/net/outbound-guard.js';
import { membershipRepository } from '../members/index.js';
import { mcpServerJson, mcpServerRepository, transportColumns, transportOf, type McpServerRow } from './mcp-server-repository.js';

/**
 * The MCP server registry: registration, reading, profile changes and the person-driven lifecycle
 * (suspend, reactivate, revoke). Every change commits with its audit event. AIM does not connect to a
 * server here: an endpoint URL is checked for what can be known without connecting (the outbound
 * guard's check of scheme, credentials and literal addresses); the guard checks every resolved address
 * again on each connection that discovery will make.
 */
export type CreateInput = z.output<typeof createMcpServerSchema>;
export type UpdateInput = z.output<typeof updateMcpServerSchema>;
export type ListQuery = z.output<typeof mcpServerListQuerySchema>;

export type Transition = 'suspend' | 'reactivate' | 'revoke';
const TRANSITIONS: Record<Transition, { from: McpServerStatus[]; to: McpServerStatus }> = {
  suspend: { from: ['pending', 'verified', 'approved', 'drifted'], to: 'suspended' },
  // A suspension withdrew trust: a reactivated server starts over as pending, to be verified and approved again.
  reactivate: { from: ['suspended'], to: 'pending' },
  revoke: { from: ['pending', 'verified', 'approved', 'drifted', 'suspended'], to: 'revoked' },
};
const PAST: Record<Transition, string> = { suspend: 'suspended', reactivate: 'reactivated', revoke: 'revoked' };

/** Statuses that vouch for what was seen at the endpoint: a new endpoint is a new server to verify. */
const VOUCHED: McpServerStatus[] = ['verified', 'approved', 'drifted'];

/** Query parameter names that carry credentials; such a URL would be shown to every member and kept in the audit log. */
const SECRET_PARAM = /key|token|secret|passw|auth|credential|signature|^sig$|session|^code$/i;
/** A launch command that sets a secret-looking variable (`GITHUB_TOKEN=ghp_…`). */
const SECRET_ASSIGNMENT = /(^|\s)[A-Za-z0-9_]*(token|secret|passw|api_?key|credential)[A-Za-z0-9_]*=\S/i;

export function createMcpServerService(deps: {
  db: Database;
  /** The outbound guard (platform/net/outbound-guard.ts): scheme, credentials, literal addresses. */
  outbound: Pick<OutboundGuard, 'check'>;
  /** OUTBOUND_ALLOW_PRIVATE_NETWORKS: http and internal addresses for deployments whose MCP servers live inside. */
  allowPrivateNetworks: boolean;
}) {
  const { db } = deps;
  const managesAll = (ctx: OrgContext) => can(ctx.role, 'mcp_server.manage');

  /** A transport as stored: the endpoint through the guard and normalized; a command free of secret assignments. */
  function checkedTransport(transport: McpTransport): McpTransport {
    if (transport.type === 'stdio') {
      if (SECRET_ASSIGNMENT.test(transport.command)) {
        throw new AppError('validation_failed', 'transport.command: sets a secret; describe the command without credentials (they belong on the agent’s machine, not in AIM).');
      }
      return transport;
    }
    let url: URL;
    try {
      url = deps.outbound.check(transport.url);
    } catch (error) {
      throw new AppError('validation_failed', `transport.url cannot be used: ${(error as Error).message}`);
    }
    const host = url.hostname.toLowerCase();
    if (!deps.allowPrivateNetworks && (host === 'localhost' || host.endsWith('.localhost'))) {
      throw new AppError('validation_failed', `transport.url cannot be used: ${host} is a loopback name.`);
    }
    if (url.hash) throw new AppError('validation_failed', 'transport.url: must have no fragment (#…).');
    const secret = [...url.searchParams.keys()].find((name) => SECRET_PARAM.test(name));
    if (secret) {
      throw new AppError('validation_failed', `transport.url: the query parameter "${secret}" looks like a credential; AIM shows this URL to every member, so register it without.`);
    }
    return { type: 'streamable_http', url: url.href };
  }

  /** The owner asked for, or the caller's person; only managers and admins may name someone else, and the owner must be a member. */
  async function resolveOwner(tx: Tx, ctx: OrgContext, requested: string | undefined): Promise<string> {
    const ownerId = requested ?? ctx.personId;
    if (!ownerId) throw new AppError('validation_failed', 'ownerId: required.');
    if (ownerId !== ctx.personId && !managesAll(ctx)) {
      throw new AppError('forbidden', 'Only managers and admins may make someone else the owner of an MCP server.');
    }
    if (!(await membershipRepository.role(tx, ownerId))) {
      throw new AppError('validation_failed', 'ownerId: must be a member of the organization.');
    }
    return ownerId;
  }

  /** Load a server the caller may change: its owner, or a manager or admin. Others: 403 (they can read it). */
  async function loadForChange(tx: Tx, ctx: OrgContext, id: string): Promise<McpServerRow> {
    const server = await mcpServerRepository.find(tx, id, { forUpdate: true });
    if (!server) throw notFound('The MCP server');
    if (!managesAll(ctx) && server.owner_id !== ctx.personId) {
      throw new AppError('forbidden', 'Only the owner of this MCP server, a manager or an admin may change it.');
    }
    return server;
  }

  /** What the audit log says about a transport: the endpoint, never the launch command (which may name paths or settings). */
  const auditTransport = (transport: McpTransport) =>
    transport.type === 'streamable_http' ? { transport: transport.type, endpointUrl: transport.url } : { transport: transport.type };

  return {
    async create(ctx: OrgContext, input: CreateInput) {
      const transport = checkedTransport(input.transport);
      const slug = input.slug ?? mcpServerSlug(input.name);
      if (!slug) throw new AppError('validation_failed', 'slug: the name has no letters or digits to make a slug from; pass a `slug` (a-z, 0-9, _ and -).');
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const ownerId = await resolveOwner(tx, ctx, input.ownerId);
        const server = await mcpServerRepository.insert(tx, {
          id: newId('mcp'),
          name: input.name,
          slug,
          description: input.description || null,
          publisher: input.publisher ?? null,
          ownerId,
          transport,
          tags: [...new Set(input.tags ?? [])],
          createdBy: ctx.actor,
        });
        await recordAuditEvent(tx, ctx, {
          action: 'mcp_server.create',
          target: { type: 'mcp_server', id: server.id },
          details: { name: server.name, slug, ownerId, ...auditTransport(transport) },
        });
        return mcpServerJson(server);
      });
    },

    async list(ctx: OrgContext, query: ListQuery) {
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const page = await mcpServerRepository.list(tx, query);
        return { mcpServers: page.rows.map(mcpServerJson), nextCursor: page.nextCursor };
      });
    },

    async get(ctx: OrgContext, id: string) {
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const server = await mcpServerRepository.find(tx, id);
        if (!server) throw notFound('The MCP server');
        return mcpServerJson(server);
      });
    },

    async update(ctx: OrgContext, id: string, input: UpdateInput) {
      const transport = input.transport ? checkedTransport(input.transport) : undefined;
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const server = await loadForChange(tx, ctx, id);
        if (server.status === 'revoked') throw new AppError('conflict', 'The MCP server is revoked; a revoked server cannot be changed.');
        const changes: Record<string, unknown> = {};
        if (input.name !== undefined && input.name !== server.name) changes.name = input.name;
        if (input.description !== undefined && (input.description || null) !== server.description) changes.description = input.description || null;
        if (input.publisher !== undefined && input.publisher !== server.publisher) changes.publisher = input.publisher;
        if (input.tags !== undefined) changes.tags = [...new Set(input.tags)];
        if (input.ownerId !== undefined && input.ownerId !== server.owner_id) {
          if (!managesAll(ctx)) throw new AppError('forbidden', 'Only managers and admins may change the owner of an MCP server.');
          changes.owner_id = await resolveOwner(tx, ctx, input.ownerId);
        }
        const before = transportOf(server);
        const transportChanged = transport !== undefined && JSON.stringify(transport) !== JSON.stringify(before);
        if (transportChanged) Object.assign(changes, transportColumns(transport));
        const reset = transportChanged && VOUCHED.includes(server.status);
        if (Object.keys(changes).length === 0) return mcpServerJson(server);
        let updated = await mcpServerRepository.update(tx, id, changes);
        if (reset) updated = await mcpServerRepository.setStatus(tx, id, 'pending', 'The transport changed; verify and approve the server again.');
        await recordAuditEvent(tx, ctx, {
          action: 'mcp_server.update',
          target: { type: 'mcp_server', id },
          details: {
            changed: Object.keys(changes).filter((c) => c !== 'endpoint_url' && c !== 'launch_command'),
            ...(changes.name ? { name: { from: server.name, to: changes.name } } : {}),
            ...(changes.owner_id ? { ownerId: { from: server.owner_id, to: changes.owner_id } } : {}),
            ...(transportChanged ? { transport: { from: auditTransport(before), to: auditTransport(transport) } } : {}),
            ...(reset ? { status: { from: server.status, to: 'pending' } } : {}),
          },
        });
        return mcpServerJson(updated);
      });
    },

    async transition(ctx: OrgContext, id: string, transition: Transition, reason: string | null) {
      const rule = TRANSITIONS[transition];
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const server = await loadForChange(tx, ctx, id);
        if (!rule.from.includes(server.status)) {
          throw new AppError(
            'conflict',
            server.status === 'revoked' ? 'The MCP server is revoked, which is final.' : `The MCP server is ${server.status}; it cannot be ${PAST[transition]} from there.`,
          );
        }
        const updated = await mcpServerRepository.setStatus(tx, id, rule.to, reason);
        await recordAuditEvent(tx, ctx, {
          action: `mcp_server.${transition}`,
          target: { type: 'mcp_server', id },
          details: { from: server.status, to: rule.to, reason },
        });
        return mcpServerJson(updated);
      });
    },
  };
}

export type McpServerService = ReturnType<typeof createMcpServerService>;
