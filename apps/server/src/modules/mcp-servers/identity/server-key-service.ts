import {
  can,
  MAX_ACTIVE_MCP_SERVER_KEYS,
  mcpServerKeyProofPurpose,
  type mcpServerKeyListQuerySchema,
  type registerMcpServerKeySchema,
} from '@aim/contracts';
import type { z } from 'zod';
import type { AgentChallenges } from '../../../platform/auth/agent-challenges.js';
import { recordAuditEvent } from '../../../platform/audit/audit-log.js';
import { parsePublicKey } from '../../../platform/crypto/ed25519.js';
import type { Database, Tx } from '../../../platform/db/database.js';
import { AppError, notFound } from '../../../platform/http/app-error.js';
import type { OrgContext } from '../../../platform/http/operation.js';
import { mcpServerRepository, type McpServerRow } from '../mcp-server-repository.js';
import { serverKeyJson, serverKeyRepository } from './server-key-repository.js';

/**
 * Keys of MCP servers (docs/mcp.md, "Identity"): registration with proof of possession — the agents'
 * protocol (platform/auth/agent-challenges.ts) with the purpose `mcp-server-key:<mcpServerId>` — listing
 * and revocation. Each change commits with its audit event on the server.
 */
export type RegisterKeyInput = z.output<typeof registerMcpServerKeySchema>;
export type KeyListQuery = z.output<typeof mcpServerKeyListQuerySchema>;

export function createMcpServerKeyService(deps: { db: Database; challenges: AgentChallenges }) {
  const { db, challenges } = deps;

  /** A server the caller may change: its owner, or a manager or admin. Others: 403 (they can read it); another org's: 404. */
  async function loadForChange(tx: Tx, ctx: OrgContext, mcpServerId: string): Promise<McpServerRow> {
    const server = await mcpServerRepository.find(tx, mcpServerId, { forUpdate: true });
    if (!server) throw notFound('The MCP server');
    if (!can(ctx.role, 'mcp_server.manage') && server.owner_id !== ctx.personId) {
      throw new AppError('forbidden', 'Only the owner of this MCP server, a manager or an admin may change its keys.');
    }
    return server;
  }

  return {
    /** Register a key the caller proves the server's operator holds (the proof signs this server's id). */
    async register(ctx: OrgContext, mcpServerId: string, input: RegisterKeyInput, origin: string) {
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const server = await loadForChange(tx, ctx, mcpServerId);
        if (server.status === 'revoked') throw new AppError('conflict', 'The MCP server is revoked, which is final; it takes no new keys.');
        if (server.transport !== 'streamable_http') {
          throw new AppError('conflict', 'A stdio server is never reached by AIM, so nothing could be verified with its key; keys are for Streamable HTTP servers.');
        }
        const key = parsePublicKey(input.publicKeyJwk);
        const proven = await challenges.verify(input.challenge, mcpServerKeyProofPurpose(mcpServerId), key, input.proof, origin);
        if ((await serverKeyRepository.countActive(tx, mcpServerId)) >= MAX_ACTIVE_MCP_SERVER_KEYS) {
          throw new AppError('conflict', `The MCP server holds ${MAX_ACTIVE_MCP_SERVER_KEYS} active keys, the most allowed; revoke one before adding another.`);
        }
        await serverKeyRepository.assertNotAnAgentKey(tx, key.thumbprint);
        const row = await serverKeyRepository.insert(tx, { id: key.thumbprint, mcpServerId, raw: key.raw, createdBy: ctx.actor });
        await recordAuditEvent(tx, ctx, {
          action: 'mcp_server.register_key',
          target: { type: 'mcp_server', id: mcpServerId },
          details: { keyId: key.thumbprint },
        });
        // Spent last, once everything else passed: a refused registration leaves the challenge usable.
        await proven.spend();
        return serverKeyJson(row);
      });
    },

    async list(ctx: OrgContext, mcpServerId: string, query: KeyListQuery) {
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        if (!(await mcpServerRepository.find(tx, mcpServerId))) throw notFound('The MCP server');
        return serverKeyRepository.list(tx, mcpServerId, query);
      });
    },

    /** Revoke a key (lost, compromised, retired): a card signed with it no longer verifies from the next scan on. */
    async revoke(ctx: OrgContext, mcpServerId: string, keyId: string, reason: string | null) {
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        await loadForChange(tx, ctx, mcpServerId);
        const key = await serverKeyRepository.find(tx, mcpServerId, keyId, { forUpdate: true });
        if (!key) throw notFound('The key');
        if (key.revoked_at) throw new AppError('conflict', 'The key is already revoked.');
        const revoked = await serverKeyRepository.revoke(tx, keyId, reason);
        await recordAuditEvent(tx, ctx, {
          action: 'mcp_server.revoke_key',
          target: { type: 'mcp_server', id: mcpServerId },
          details: { keyId, reason },
        });
        return serverKeyJson(revoked);
      });
    },
  };
}

export type McpServerKeyService = ReturnType<typeof createMcpServerKeyService>;
