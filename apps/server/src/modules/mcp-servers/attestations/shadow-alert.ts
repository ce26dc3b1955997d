import { createHash } from 'node:crypto';
import type { Tx } from '../../../platform/db/database.js';
import type { DomainEvents } from '../../../platform/events/domain-events.js';
import type { RequestContext } from '../../../platform/http/request-context.js';
import { loadMonitoringSettings, writeFindings, type Finding } from '../../monitoring/index.js';
import type { Descriptor, RegisteredServer } from './descriptor-match.js';

/**
 * The "shadow MCP server" alert (detector mcp_shadow_server, docs/mcp.md): an agent uses a server
 * the registry does not know. About the agent; one active alert per agent and server (naming it again
 * updates its last-seen time); raised only when the organization's monitoring settings enable the
 * detector, at the severity they give it.
 */

export interface ShadowServer {
  descriptor: Descriptor;
  descriptorKey: string;
  /** A registered server with the same name but another endpoint, shown as a hint. */
  sameName: RegisteredServer | null;
  /** Where the agent named it: its declaration, or an attestation (its id). */
  source: { type: 'declaration' } | { type: 'attestation'; id: string };
}

/** Alert dedup keys are bounded; a descriptor key (up to 2,200 characters) is hashed into it. */
export const shadowDedupKey = (agentId: string, descriptorKey: string) =>
  `mcp_shadow_server:${agentId}:${createHash('sha256').update(descriptorKey).digest('hex').slice(0, 32)}`;

function shadowFinding(agentId: string, shadow: ShadowServer, severity: Finding['severity'], at: Date): Finding {
  const d = shadow.descriptor;
  const where = d.transport === 'streamable_http' ? d.url : `launched with "${d.command}"`;
  const hint = shadow.sameName ? ` A registered server is also named "${shadow.sameName.name}" (${shadow.sameName.id}) but at another endpoint: register this endpoint, or correct the agent’s configuration.` : '';
  return {
    detector: 'mcp_shadow_server',
    severity,
    subject: { type: 'agent', id: agentId },
    dedupKey: shadowDedupKey(agentId, shadow.descriptorKey),
    title: `Agent uses an unregistered MCP server "${d.name}"`,
    summary: `Agent ${agentId} uses the MCP server "${d.name}" (${d.transport}, ${where}), which is not in the registry: nobody has reviewed what its tools do.${hint}`,
    at,
    evidence: {
      observed: 1,
      baseline: null,
      threshold: 1,
      unit: 'servers',
      window: { from: at.toISOString(), to: at.toISOString() },
      method: `The agent named a server no registered MCP server matches (docs/mcp.md, matching); see GET /api/v1/agents/${agentId}/mcp-servers`,
      baselineSnapshot: null,
      series: [],
      decisionIds: [],
      auditEventIds: [],
      details: {
        agentId,
        serverName: d.name,
        transport: d.transport,
        url: d.transport === 'streamable_http' ? d.url : null,
        command: d.transport === 'stdio' ? d.command.slice(0, 500) : null,
        descriptorKey: shadow.descriptorKey.slice(0, 500),
        sameNameServerId: shadow.sameName?.id ?? null,
        source: shadow.source.type,
        attestationId: shadow.source.type === 'attestation' ? shadow.source.id : null,
      },
    },
  };
}

/** Raise (or count on) the shadow server alert of each server; answers the ids of alerts newly raised. */
export async function raiseShadowAlerts(
  tx: Tx,
  deps: { events: Pick<DomainEvents, 'record'> },
  ctx: RequestContext,
  input: { agentId: string; servers: readonly ShadowServer[]; at: Date },
): Promise<string[]> {
  if (input.servers.length === 0) return [];
  const { settings } = await loadMonitoringSettings(tx);
  const setting = settings.detectors.mcp_shadow_server;
  if (!setting.enabled) return [];
  const findings = input.servers.map((s) => shadowFinding(input.agentId, s, setting.severity, input.at));
  const written = await writeFindings(tx, deps, { ctx, findings, agents: new Map(), settings, repeat: 'ongoing' });
  return written.raised;
}
