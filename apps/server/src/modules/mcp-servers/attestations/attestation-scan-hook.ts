import { MCP_ATTESTATION_REFERENCE_HOURS } from '@aim/contracts';
import type { DomainEvents } from '../../../platform/events/domain-events.js';
import type { McpScanHook } from '../shared/scan-hooks.js';
import { recordMcpFinding, resolveMcpFindings } from '../shared/findings-store.js';
import { compareAttestation, currentPairKeys, mismatchFinding, type ToolSet } from './attestation-compare.js';
import { attestationRepository as repo } from './attestation-repository.js';

/**
 * The `attestations` scan hook: the other direction of the comparison an attestation makes when it
 * arrives (docs/mcp.md, "Comparisons"). After a successful scan, AIM's new tool set is compared with
 * the agents' latest attestations of the server from the reference window; a set that differs is an
 * `attestation_mismatch` finding, whichever came first, the agents' view or AIM's. Mismatches no current
 * pair keeps true are resolved. Runs after approval (the server is locked by the scanner).
 */
export function createAttestationScanHook(deps: { events: Pick<DomainEvents, 'record'> }): McpScanHook {
  return {
    name: 'attestations',
    async afterScan(tx, { ctx, server, scan, known }) {
      if (scan.status !== 'succeeded' || scan.toolSetFingerprint === null) return;
      const since = new Date(scan.finishedAt.getTime() - MCP_ATTESTATION_REFERENCE_HOURS * 3_600_000);
      // No attestation arrived since then (the scanner read the latest): nothing to compare or resolve.
      if (known && (known.latestAttestationAt === null || known.latestAttestationAt < since)) return;
      const attestations = await repo.latestOfServer(tx, server.id, since);
      if (attestations.length === 0) return;
      const scanned: ToolSet = {
        source: { type: 'scan', scanId: scan.id },
        toolSetFingerprint: scan.toolSetFingerprint,
        tools: [...scan.tools.values()].map((t) => ({ name: t.name, fingerprint: t.fingerprint })),
      };
      const references: ToolSet[] = attestations.map((a) => ({
        source: { type: 'agent', agentId: a.agent_id, attestationId: a.id },
        toolSetFingerprint: a.tool_set_fingerprint,
        tools: a.tools,
      }));
      for (const d of compareAttestation(server.id, scanned, references).disagreements) {
        const f = mismatchFinding(server.name, d);
        const attestationId = d.reference.sources.find((s) => s.type === 'agent');
        await recordMcpFinding(tx, deps, ctx, {
          mcpServerId: server.id,
          kind: 'attestation_mismatch',
          severity: 'high',
          dedupKey: d.dedupKey,
          title: f.title,
          summary: f.summary,
          evidence: f.evidence,
          scanId: scan.id,
          attestationId: attestationId?.type === 'agent' ? attestationId.attestationId : null,
          at: scan.finishedAt,
        });
      }
      const everyone = await repo.latestOfServer(tx, server.id, new Date(0));
      const fingerprints = [scan.toolSetFingerprint, ...everyone.map((a) => a.tool_set_fingerprint)];
      await resolveMcpFindings(tx, { mcpServerId: server.id, kind: 'attestation_mismatch', stillTrue: currentPairKeys(server.id, fingerprints), at: scan.finishedAt });
    },
  };
}
