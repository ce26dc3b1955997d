import { MCP_ATTESTATION_REFERENCE_HOURS, type declareMcpServersSchema, type mcpAttestationListQuerySchema } from '@aim/contracts';
import type { z } from 'zod';
import { recordAuditEvent } from '../../../platform/audit/audit-log.js';
import type { Database, Tx } from '../../../platform/db/database.js';
import type { DomainEvents } from '../../../platform/events/domain-events.js';
import { AppError, notFound } from '../../../platform/http/app-error.js';
import type { OrgContext } from '../../../platform/http/operation.js';
import type { AgentRequestContext, RequestContext } from '../../../platform/http/request-context.js';
import { newId } from '../../../platform/ids.js';
import { recordMcpFinding, resolveMcpFindings } from '../shared/findings-store.js';
import { compareAttestation, currentPairKeys, mismatchFinding, type Outcome, type ToolSet } from './attestation-compare.js';
import { attestationJson, attestationRepository as repo, type AttestationRow, type Comparison, type NewDeclaration } from './attestation-repository.js';
import { verifyAttestation } from './attestation-verify.js';
import { descriptorKey, DescriptorError, normalizeDescriptor, registryIndex, type Descriptor, type RegisteredServer } from './descriptor-match.js';
import { raiseShadowAlerts, type ShadowServer } from './shadow-alert.js';

/**
 * Agents and MCP servers (docs/mcp.md): an agent's declaration of the servers it uses, its signed
 * attestations of the tools it saw, their comparison with AIM's scan and with other agents, and what
 * people read of them. Each change commits with its audit event, its findings and alerts.
 */

export type DeclareInput = z.output<typeof declareMcpServersSchema>;
export type AttestationListQuery = z.output<typeof mcpAttestationListQuerySchema>;

export interface AttestationServiceDeps {
  db: Database;
  events: Pick<DomainEvents, 'record'>;
  /** Runs in the attestation's transaction for a registered server (the merger wires the confidence recomputation here). */
  afterAttestation?: (tx: Tx, mcpServerId: string) => Promise<void>;
  now?: () => Date;
}

type Matched = NewDeclaration & { registered: RegisteredServer | null; sameName: RegisteredServer | null };

export function createMcpAttestationService(deps: AttestationServiceDeps) {
  const { db } = deps;
  const now = deps.now ?? (() => new Date());

  /** An agent speaks only for itself: another agent of its organization is a mismatch, any other id 404 (as verify-action). */
  async function refuseOtherAgent(ctx: AgentRequestContext, agentId: string): Promise<void> {
    if (agentId === ctx.actor.id) return;
    const exists = await db.transaction({ organizationId: ctx.organizationId }, (tx) => repo.agentExists(tx, agentId));
    if (!exists) throw notFound('The agent');
    throw new AppError('agent_mismatch', `An agent may declare and attest only for itself: you are ${ctx.actor.id}, the path names ${agentId}.`);
  }

  /** Each descriptor normalized, keyed and matched against the registry (never by name alone). */
  function match(descriptors: readonly Descriptor[], servers: readonly RegisteredServer[], field: (i: number) => string): Matched[] {
    const { byKey, byName } = registryIndex(servers);
    const seen = new Map<string, Matched>();
    descriptors.forEach((raw, i) => {
      let descriptor: Descriptor;
      let key: string;
      try {
        descriptor = normalizeDescriptor(raw);
        key = descriptorKey(descriptor);
      } catch (error) {
        if (error instanceof DescriptorError) throw new AppError('validation_failed', `${field(i)}: ${error.message}.`);
        throw error;
      }
      const registered = byKey.get(key) ?? null;
      const sameName = registered ? null : (byName.get(descriptor.name.toLowerCase()) ?? null);
      // A server named twice counts once (the last description of it wins).
      seen.set(key, { key, descriptor, server: registered?.id ?? null, registered, sameName });
    });
    return [...seen.values()];
  }

  const shadowsOf = (matched: readonly Matched[], source: ShadowServer['source']): ShadowServer[] =>
    matched.filter((m) => !m.registered).map((m) => ({ descriptor: m.descriptor, descriptorKey: m.key, sameName: m.sameName, source }));

  /** The agent's declared servers with each one's latest attestation. */
  async function declared(tx: Tx, agentId: string) {
    const [rows, latest] = await Promise.all([repo.declarations(tx, agentId), repo.latestOfAgent(tx, agentId)]);
    return rows.map((r) => {
      const attestation = latest.get(r.descriptor_key);
      return {
        server: r.descriptor,
        descriptorKey: r.descriptor_key,
        mcpServerId: r.mcp_server_id,
        declaredAt: r.declared_at.toISOString(),
        latestAttestation: attestation ? attestationJson(attestation) : null,
      };
    });
  }

  /** The references of a registered server: AIM's latest successful scan and other agents' recent attestations. */
  async function references(tx: Tx, mcpServerId: string, agentId: string, at: Date): Promise<ToolSet[]> {
    const since = new Date(at.getTime() - MCP_ATTESTATION_REFERENCE_HOURS * 3_600_000);
    const [scan, others] = await Promise.all([repo.latestScan(tx, mcpServerId), repo.latestOfServer(tx, mcpServerId, since)]);
    const sets: ToolSet[] = scan ? [{ source: { type: 'scan', scanId: scan.id }, toolSetFingerprint: scan.tool_set_fingerprint, tools: scan.tools }] : [];
    for (const a of others) {
      if (a.agent_id !== agentId) sets.push({ source: { type: 'agent', agentId: a.agent_id, attestationId: a.id }, toolSetFingerprint: a.tool_set_fingerprint, tools: a.tools });
    }
    return sets;
  }

  /** Record a finding per pair of differing sets; resolve earlier mismatch findings no current pair keeps true. */
  async function judge(tx: Tx, ctx: RequestContext, row: AttestationRow, server: RegisteredServer, outcome: Outcome): Promise<void> {
    for (const d of outcome.disagreements) {
      const f = mismatchFinding(server.name, d);
      await recordMcpFinding(tx, deps, ctx, {
        mcpServerId: server.id,
        kind: 'attestation_mismatch',
        severity: 'high',
        dedupKey: d.dedupKey,
        title: f.title,
        summary: f.summary,
        evidence: f.evidence,
        scanId: f.scanId,
        attestationId: row.id,
        at: row.received_at,
      });
    }
    // Still true: any two different sets among the scan and every agent's latest attestation (however old).
    const [scan, everyone] = await Promise.all([repo.latestScan(tx, server.id), repo.latestOfServer(tx, server.id, new Date(0))]);
    const fingerprints = [...(scan ? [scan.tool_set_fingerprint] : []), ...everyone.map((a) => a.tool_set_fingerprint)];
    await resolveMcpFindings(tx, { mcpServerId: server.id, kind: 'attestation_mismatch', stillTrue: currentPairKeys(server.id, fingerprints), at: row.received_at });
  }

  return {
    async declare(ctx: AgentRequestContext, agentId: string, input: DeclareInput, auth: { by: 'signature' | 'token' } = { by: 'signature' }) {
      await refuseOtherAgent(ctx, agentId);
      const at = now();
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const matched = match(input.servers, await repo.registeredServers(tx), (i) => `servers.${i}.${input.servers[i]!.transport === 'stdio' ? 'command' : 'url'}`);
        await repo.replaceDeclaration(tx, agentId, matched, at);
        const shadows = shadowsOf(matched, { type: 'declaration' });
        const alerts = await raiseShadowAlerts(tx, deps, ctx, { agentId, servers: shadows, at });
        await recordAuditEvent(tx, ctx, {
          action: 'agent_mcp_servers.declare',
          target: { type: 'agent', id: agentId },
          details: {
            count: matched.length,
            registered: matched.flatMap((m) => (m.server ? [m.server] : [])),
            // Names and endpoints only: launch commands stay out of the audit log, as in the registry.
            unregistered: shadows.map((s) => (s.descriptor.transport === 'streamable_http' ? `${s.descriptor.name} ${s.descriptor.url}` : `${s.descriptor.name} (stdio)`)),
            alertsRaised: alerts,
            authenticatedBy: auth.by,
          },
        });
        return { servers: await declared(tx, agentId) };
      });
    },

    async attest(ctx: AgentRequestContext, agentId: string, jws: string, options: { keyId?: string } = {}) {
      await refuseOtherAgent(ctx, agentId);
      const at = now();
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const { keyId, payload } = await verifyAttestation(tx, { jws, agentId, now: at });
        const [matched] = match([payload.server], await repo.registeredServers(tx), () => 'attestation payload: server (checked in verification)');
        const server = matched!.registered;
        if (server) await repo.lockServer(tx, server.id);
        const id = newId('mat', at.getTime());
        const attested: ToolSet = { source: { type: 'agent', agentId, attestationId: id }, toolSetFingerprint: payload.toolSetFingerprint, tools: payload.tools };
        const outcome = server ? compareAttestation(server.id, attested, await references(tx, server.id, agentId, at)) : null;
        const comparison: Comparison = outcome?.comparison ?? 'unregistered';
        const row = await repo.insert(tx, {
          id,
          agent_id: agentId,
          key_id: keyId,
          mcp_server_id: server?.id ?? null,
          descriptor_key: matched!.key,
          descriptor: matched!.descriptor,
          tools: [...payload.tools].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
          tool_set_fingerprint: payload.toolSetFingerprint,
          observed_at: new Date(payload.observedAt),
          received_at: at,
          signature: jws,
          comparison,
        });
        await repo.addDeclared(tx, agentId, matched!, at);
        const alerts = server ? [] : await raiseShadowAlerts(tx, deps, ctx, { agentId, servers: shadowsOf([matched!], { type: 'attestation', id }), at });
        if (server && outcome) await judge(tx, ctx, row, server, outcome);
        await recordAuditEvent(tx, ctx, {
          action: 'mcp_attestation.create',
          target: { type: 'mcp_attestation', id },
          details: {
            agentId,
            keyId,
            mcpServerId: server?.id ?? null,
            server: matched!.descriptor.transport === 'streamable_http' ? `${matched!.descriptor.name} ${matched!.descriptor.url}` : `${matched!.descriptor.name} (stdio)`,
            toolCount: payload.tools.length,
            toolSetFingerprint: payload.toolSetFingerprint,
            comparison,
            ...(options.keyId && options.keyId !== keyId ? { requestKeyId: options.keyId } : {}),
            ...(alerts.length ? { alertsRaised: alerts } : {}),
          },
        });
        if (server && deps.afterAttestation) await deps.afterAttestation(tx, server.id);
        return { attestation: attestationJson(row) };
      });
    },

    async listDeclared(ctx: OrgContext, agentId: string) {
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        if (!(await repo.agentExists(tx, agentId))) throw notFound('The agent');
        return { servers: await declared(tx, agentId) };
      });
    },

    async listOfServer(ctx: OrgContext, mcpServerId: string, query: AttestationListQuery) {
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        if (!(await repo.serverExists(tx, mcpServerId))) throw notFound('The MCP server');
        const page = await repo.list(tx, { mcpServerId, ...query });
        return { attestations: page.rows.map(attestationJson), nextCursor: page.nextCursor };
      });
    },
  };
}

export type McpAttestationService = ReturnType<typeof createMcpAttestationService>;
