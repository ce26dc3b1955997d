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
   * A scan whose hooks are running, with the server card status the identity hook concluded: the
   * scanner writes the hooks' outcomes on the row after the last hook, so the row does not hold it yet.
   */
  pendingScan?: { id: string; succeeded: boolean; serverCard: McpConfidenceEvidence['identity']['serverCard'] } | undefined;
}

interface EvidenceRow {
  active_keys: number;
  card: McpConfidenceEvidence['identity']['serverCard'];
  scanned: boolean;
  scans_succeeded: number;
  scans_failed: number;
  tls_certificates: string[];
  attestations: string[];
  first_approved_at: Date | null;
  findings: { kind: string; severity: AlertSeverity; status: string; first_seen_at: string; resolved_at: string | null }[];
}

/** Every part of the evidence in one statement (one round trip after each scan). */
const EVIDENCE_SQL = `
  select
    (select count(*)::int from mcp_server_keys where organization_id = $1 and mcp_server_id = $2 and revoked_at is null) as active_keys,
    (select server_card_status from mcp_scans
      where organization_id = $1 and mcp_server_id = $2 and status = 'succeeded' and finished_at <= $4 and ($6::text is null or id <> $6)
      order by id desc limit 1) as card,
    exists (select 1 from mcp_scans where organization_id = $1 and mcp_server_id = $2 and status = 'succeeded' and finished_at <= $4) as scanned,
    w.scans_succeeded, w.scans_failed, w.tls_certificates,
    (select coalesce(array_agg(a.comparison), '{}')
       from (select distinct on (agent_id) comparison from mcp_attestations
              where organization_id = $1 and mcp_server_id = $2 and received_at > $3 and received_at <= $4
              order by agent_id, received_at desc, id desc) a) as attestations,
    (select min(created_at) from mcp_approvals where organization_id = $1 and mcp_server_id = $2 and created_at <= $4) as first_approved_at,
    (select coalesce(json_agg(json_build_object('kind', kind, 'severity', severity, 'status', status, 'first_seen_at', first_seen_at, 'resolved_at', resolved_at)), '[]')
       from mcp_findings
      where organization_id = $1 and mcp_server_id = $2 and first_seen_at <= $4
        and (status = 'open' or (kind = 'drift' and status = 'resolved' and resolved_at > $5))) as findings
  from (select count(*) filter (where status = 'succeeded')::int as scans_succeeded,
               count(*) filter (where status = 'failed')::int as scans_failed,
               coalesce(array_agg(tls_certificate_sha256 order by finished_at, id) filter (where status = 'succeeded' and tls_certificate_sha256 is not null), '{}') as tls_certificates
          from mcp_scans
         where organization_id = $1 and mcp_server_id = $2 and status <> 'running' and finished_at > $3 and finished_at <= $4) w`;

export async function loadMcpConfidenceEvidence(tx: Tx, mcpServerId: string, asOf: Date, options: EvidenceOptions = {}): Promise<McpConfidenceEvidence> {
  const windowStart = new Date(asOf.getTime() - C.windowDays * DAY_MS);
  const driftStart = new Date(asOf.getTime() - C.driftWindowDays * DAY_MS);
  const pending = options.pendingScan;
  const {
    rows: [row],
  } = await tx.query<EvidenceRow>(EVIDENCE_SQL, [orgOf(tx), mcpServerId, windowStart, asOf, driftStart, pending?.id ?? null], { name: 'aim.mcp.confidence-evidence' });
  const e = row!;
  const findings = e.findings.map((f) => ({ ...f, resolved_at: f.resolved_at === null ? null : new Date(f.resolved_at) }));
  const open = Object.fromEntries(ALERT_SEVERITIES.map((s) => [s, 0])) as Record<AlertSeverity, number>;
  for (const f of findings) if (f.status === 'open' && f.kind !== 'drift') open[f.severity]++;
  const openOf = (kind: string) => findings.filter((f) => f.status === 'open' && f.kind === kind).length;
  return {
    asOf: asOf.toISOString(),
    identity: {
      activeKeys: e.active_keys,
      // A scan whose hooks are running is the latest: a successful one speaks for the card itself.
      serverCard: pending?.succeeded ? pending.serverCard : e.card,
      // High: the card does not verify. (Medium ones, a key holder serving no signed card, leave the card part at keyWithoutCard.)
      openCardInvalid: findings.filter((f) => f.status === 'open' && f.kind === 'server_card_invalid' && (f.severity === 'high' || f.severity === 'critical')).length,
      tlsCertificates: e.tls_certificates,
      openTlsChanged: openOf('tls_certificate_changed'),
    },
    scans: { succeeded: e.scans_succeeded, failed: e.scans_failed },
    attestations: {
      agents: e.attestations.length,
      matching: e.attestations.filter((c) => c === 'match').length,
      mismatching: e.attestations.filter((c) => c === 'mismatch').length,
    },
    drift: {
      firstApprovedAt: e.first_approved_at?.toISOString() ?? null,
      findings: findings
        .filter((f) => f.kind === 'drift' && (f.resolved_at === null || f.resolved_at > driftStart))
        .map((f) => ({ firstSeenAt: new Date(f.first_seen_at).toISOString(), resolvedAt: f.resolved_at?.toISOString() ?? null })),
    },
    findings: { scanned: e.scanned, open },
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
 * (findings, status) and the scan's server card status from what the identity hook concluded.
 */
export function createConfidenceScanHook(): McpScanHook {
  return {
    name: 'confidence',
    afterScan: async (tx, { server, scan, concluded }) => {
      // The card status of this scan as the identity hook concluded it (the row's default when it did not).
      const serverCard = concluded.serverCard?.status ?? 'absent';
      const confidence = await computeMcpConfidenceNow(tx, server.id, scan.finishedAt, { pendingScan: { id: scan.id, succeeded: scan.status === 'succeeded', serverCard } });
      // Stored on the server by the scanner, with the scan's end (the statement that points it at the scan).
      return { confidence: { score: confidence.score, document: confidence } };
    },
  };
}
