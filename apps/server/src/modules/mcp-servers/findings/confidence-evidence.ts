import { ALERT_SEVERITIES, type AlertSeverity } from '@aim/contracts';
import { orgOf, type Tx } from '../../../platform/db/database.js';
import type { McpScanHook } from '../shared/scan-hooks.js';
import { computeMcpConfidence, MCP_CONFIDENCE_CONSTANTS as C, type McpConfidence, type McpConfidenceEvidence } from './confidence-method.js';

/**
 * The evidence of a server's confidence score, gathered from the database at one moment, and the
 * writer of the stored score (mcp_servers.confidence_score / confidence, what lists show). Called
 * after each scan (the `confidence` hook), and by the paths that change the evidence between scans:
 * attestations and dismissals (`recomputeMcpConfidence`).
 */

const DAY_MS = 86_400_000;

export interface EvidenceOptions {
  /**
   * A scan whose hooks are running: its server card status is not written yet (the scanner writes
   * the hooks' outcomes after the last hook), so the card is read from the scan before it.
   */
  pendingScanId?: string | undefined;
}

export async function loadMcpConfidenceEvidence(tx: Tx, mcpServerId: string, asOf: Date, options: EvidenceOptions = {}): Promise<McpConfidenceEvidence> {
  const org = orgOf(tx);
  const windowStart = new Date(asOf.getTime() - C.windowDays * DAY_MS);
  const driftStart = new Date(asOf.getTime() - C.driftWindowDays * DAY_MS);
  const q = async <T extends Record<string, unknown>>(name: string, sql: string, values: unknown[]) => (await tx.query<T>(sql, values, { name })).rows;

  const [keys] = await q<{ n: string }>('aim.mcp.conf-keys', 'select count(*) as n from mcp_server_keys where organization_id = $1 and mcp_server_id = $2 and revoked_at is null', [org, mcpServerId]);
  const [card] = await q<{ server_card_status: McpConfidenceEvidence['identity']['serverCard'] }>(
    'aim.mcp.conf-card',
    `select server_card_status from mcp_scans
      where organization_id = $1 and mcp_server_id = $2 and status = 'succeeded' and finished_at <= $3 and ($4::text is null or id <> $4) order by id desc limit 1`,
    [org, mcpServerId, asOf, options.pendingScanId ?? null],
  );
  const [scanned] = await q<{ n: string }>(
    'aim.mcp.conf-scanned',
    `select count(*) as n from (select 1 from mcp_scans where organization_id = $1 and mcp_server_id = $2 and status = 'succeeded' and finished_at <= $3 limit 1) s`,
    [org, mcpServerId, asOf],
  );
  const scans = await q<{ status: 'succeeded' | 'failed'; tls_certificate_sha256: string | null }>(
    'aim.mcp.conf-scans',
    `select status, tls_certificate_sha256 from mcp_scans
      where organization_id = $1 and mcp_server_id = $2 and status <> 'running' and finished_at > $3 and finished_at <= $4 order by finished_at, id`,
    [org, mcpServerId, windowStart, asOf],
  );
  const attestations = await q<{ comparison: string }>(
    'aim.mcp.conf-attestations',
    `select distinct on (agent_id) comparison from mcp_attestations
      where organization_id = $1 and mcp_server_id = $2 and received_at > $3 and received_at <= $4 order by agent_id, received_at desc, id desc`,
    [org, mcpServerId, windowStart, asOf],
  );
  const [approval] = await q<{ first: Date | null }>(
    'aim.mcp.conf-approval',
    'select min(created_at) as first from mcp_approvals where organization_id = $1 and mcp_server_id = $2 and created_at <= $3',
    [org, mcpServerId, asOf],
  );
  const findings = await q<{ kind: string; severity: AlertSeverity; status: string; first_seen_at: Date; resolved_at: Date | null }>(
    'aim.mcp.conf-findings',
    `select kind, severity, status, first_seen_at, resolved_at from mcp_findings
      where organization_id = $1 and mcp_server_id = $2 and first_seen_at <= $4
        and (status = 'open' or (kind = 'drift' and status = 'resolved' and resolved_at > $3))`,
    [org, mcpServerId, driftStart, asOf],
  );

  const open = Object.fromEntries(ALERT_SEVERITIES.map((s) => [s, 0])) as Record<AlertSeverity, number>;
  for (const f of findings) if (f.status === 'open' && f.kind !== 'drift') open[f.severity]++;
  const openOf = (kind: string) => findings.filter((f) => f.status === 'open' && f.kind === kind).length;
  return {
    asOf: asOf.toISOString(),
    identity: {
      activeKeys: Number(keys?.n ?? 0),
      serverCard: card?.server_card_status ?? null,
      // High: the card does not verify. (Medium ones, a key holder serving no signed card, leave the card part at keyWithoutCard.)
      openCardInvalid: findings.filter((f) => f.status === 'open' && f.kind === 'server_card_invalid' && (f.severity === 'high' || f.severity === 'critical')).length,
      tlsCertificates: scans.filter((s) => s.status === 'succeeded' && s.tls_certificate_sha256).map((s) => s.tls_certificate_sha256!),
      openTlsChanged: openOf('tls_certificate_changed'),
    },
    scans: { succeeded: scans.filter((s) => s.status === 'succeeded').length, failed: scans.filter((s) => s.status === 'failed').length },
    attestations: {
      agents: attestations.length,
      matching: attestations.filter((a) => a.comparison === 'match').length,
      mismatching: attestations.filter((a) => a.comparison === 'mismatch').length,
    },
    drift: {
      firstApprovedAt: approval?.first?.toISOString() ?? null,
      findings: findings
        .filter((f) => f.kind === 'drift' && (f.resolved_at === null || f.resolved_at > driftStart))
        .map((f) => ({ firstSeenAt: f.first_seen_at.toISOString(), resolvedAt: f.resolved_at?.toISOString() ?? null })),
    },
    findings: { scanned: Number(scanned?.n ?? 0) > 0, open },
  };
}

/** The server's confidence now (nothing stored). */
export async function computeMcpConfidenceNow(tx: Tx, mcpServerId: string, asOf = new Date(), options: EvidenceOptions = {}): Promise<McpConfidence> {
  return computeMcpConfidence(mcpServerId, await loadMcpConfidenceEvidence(tx, mcpServerId, asOf, options));
}

/**
 * Compute and store a server's confidence (mcp_servers.confidence_score and confidence) in the
 * caller's transaction. For the scan hook, and for the attestation and dismissal paths, which change
 * its evidence between scans.
 */
export async function recomputeMcpConfidence(tx: Tx, mcpServerId: string, asOf = new Date(), options: EvidenceOptions = {}): Promise<McpConfidence> {
  const confidence = await computeMcpConfidenceNow(tx, mcpServerId, asOf, options);
  await tx.query('update mcp_servers set confidence_score = $3, confidence = $4 where organization_id = $1 and id = $2', [orgOf(tx), mcpServerId, confidence.score, JSON.stringify(confidence)], {
    name: 'aim.mcp.confidence-store',
  });
  return confidence;
}

/**
 * The `confidence` hook: the last hook, it reads what the others wrote in the same transaction
 * (findings, status, and the scan's server card status, which the scanner writes after each hook).
 */
export function createConfidenceScanHook(): McpScanHook {
  return {
    name: 'confidence',
    afterScan: async (tx, { server, scan }) => {
      await recomputeMcpConfidence(tx, server.id, scan.finishedAt);
    },
  };
}
