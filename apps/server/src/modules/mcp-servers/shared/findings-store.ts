import type { AlertSeverity, McpFindingJson, McpFindingKind, MonitoringSettings } from '@aim/contracts';
import { recordAuditEvent } from '../../../platform/audit/audit-log.js';
import { orgOf, type Tx } from '../../../platform/db/database.js';
import type { DomainEvents } from '../../../platform/events/domain-events.js';
import type { RequestContext } from '../../../platform/http/request-context.js';
import { newId } from '../../../platform/ids.js';
import { loadMonitoringSettings, writeFindings, type Finding } from '../../monitoring/index.js';

/**
 * The one writer of MCP findings (docs/mcp.md, "findings"), used by every part that finds something:
 * drift, the poisoning heuristics, identity checks, attestation comparisons. A finding with the key
 * of an open finding counts on it; a new one is audited, announced (`mcp_finding.raised`) and raises
 * an alert of its detector (when the organization's monitoring settings enable it), all in the
 * caller's transaction.
 */

const DETECTOR_OF = {
  drift: 'mcp_drift',
  poisoning: 'mcp_poisoning',
  attestation_mismatch: 'mcp_tool_mismatch',
  tls_certificate_changed: 'mcp_identity',
  server_card_invalid: 'mcp_identity',
} as const satisfies Record<McpFindingKind, string>;

export interface NewMcpFinding {
  mcpServerId: string;
  kind: McpFindingKind;
  /** The finding's own severity; the alert takes the detector's severity from the monitoring settings. */
  severity: AlertSeverity;
  /** Same key, same open finding (e.g. `poisoning:<server>:<tool>:<heuristic>:<fingerprint>`). */
  dedupKey: string;
  title: string;
  summary: string;
  evidence: McpFindingJson['evidence'];
  scanId?: string | null;
  attestationId?: string | null;
  at: Date;
}

export interface RecordedFinding {
  id: string;
  inserted: boolean;
  alertId: string | null;
}

const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

/** Alert details are flat primitives: the finding's evidence reduced to those. */
function flatDetails(findingId: string, input: NewMcpFinding): Record<string, string | number | boolean | null> {
  const details: Record<string, string | number | boolean | null> = { findingId, mcpServerId: input.mcpServerId, kind: input.kind };
  for (const [key, value] of Object.entries(input.evidence)) {
    if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) details[key] = typeof value === 'string' ? clip(value, 500) : (value as number | boolean | null);
  }
  return details;
}

export async function recordMcpFinding(
  tx: Tx,
  deps: { events: Pick<DomainEvents, 'record'> },
  ctx: RequestContext,
  input: NewMcpFinding,
  options: { monitoring?: MonitoringSettings } = {},
): Promise<RecordedFinding> {
  const title = clip(input.title, 200);
  const summary = clip(input.summary, 2000);
  const { rows } = await tx.query<{ id: string; inserted: boolean; alert_id: string | null }>(
    `insert into mcp_findings as f (id, organization_id, mcp_server_id, kind, severity, dedup_key, title, summary, evidence, scan_id, attestation_id, first_seen_at, last_seen_at)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)
     on conflict (organization_id, dedup_key) where status = 'open' do update set
       occurrences = f.occurrences + 1,
       last_seen_at = greatest(f.last_seen_at, excluded.last_seen_at),
       evidence = excluded.evidence, scan_id = coalesce(excluded.scan_id, f.scan_id), attestation_id = coalesce(excluded.attestation_id, f.attestation_id)
     returning id, (xmax = 0) as inserted, alert_id`,
    [newId('mcf'), orgOf(tx), input.mcpServerId, input.kind, input.severity, clip(input.dedupKey, 400), title, summary, JSON.stringify(input.evidence), input.scanId ?? null, input.attestationId ?? null, input.at],
    { name: 'aim.mcp.finding-upsert' },
  );
  const row = rows[0]!;
  if (!row.inserted) return { id: row.id, inserted: false, alertId: row.alert_id };

  await recordAuditEvent(tx, ctx, {
    action: 'mcp_finding.raised',
    target: { type: 'mcp_finding', id: row.id },
    details: { mcpServerId: input.mcpServerId, kind: input.kind, severity: input.severity, title, dedupKey: input.dedupKey },
  });
  await deps.events.record(tx, 'mcp_finding.raised', { findingId: row.id, mcpServerId: input.mcpServerId, kind: input.kind, severity: input.severity, title });

  const monitoring = options.monitoring ?? (await loadMonitoringSettings(tx)).settings;
  const detector = DETECTOR_OF[input.kind];
  const setting = monitoring.detectors[detector];
  if (!setting.enabled) return { id: row.id, inserted: true, alertId: null };
  const alert: Finding = {
    detector,
    severity: setting.severity,
    subject: { type: 'mcp_server', id: input.mcpServerId },
    // One active alert per finding key: a new finding of the same kind on the same server is a new alert only when its key differs.
    dedupKey: `${detector}:${input.dedupKey}`,
    title,
    summary,
    at: input.at,
    evidence: {
      observed: 1,
      baseline: null,
      threshold: 1,
      unit: 'findings',
      window: { from: input.at.toISOString(), to: input.at.toISOString() },
      method: `MCP finding (${input.kind}); see GET /api/v1/mcp-servers/${input.mcpServerId}/findings`,
      baselineSnapshot: null,
      series: [],
      decisionIds: [],
      auditEventIds: [],
      details: flatDetails(row.id, input),
    },
  };
  const written = await writeFindings(tx, deps, { ctx, findings: [alert], agents: new Map(), settings: monitoring, repeat: 'count' });
  const alertId = written.raised[0] ?? null;
  if (alertId) await tx.query('update mcp_findings set alert_id = $3 where organization_id = $1 and id = $2', [orgOf(tx), row.id, alertId]);
  return { id: row.id, inserted: true, alertId };
}

/**
 * A server's findings that are open or dismissed, read once before a scan's hooks run (each hook
 * raises and resolves findings of its own kinds only, so what the others do meanwhile does not change
 * its view). `status` of a key: `dismissed` when any finding with it was dismissed, else `open`.
 */
export interface LiveFindings {
  status(dedupKey: string): 'open' | 'dismissed' | undefined;
  /** The keys of a kind's open findings. */
  open(kind: McpFindingKind): ReadonlySet<string>;
}

export async function loadLiveFindings(tx: Tx, mcpServerId: string): Promise<LiveFindings> {
  const { rows } = await tx.query<LiveFindingRow>(
    `select dedup_key, kind, status from mcp_findings where organization_id = $1 and mcp_server_id = $2 and status in ('open', 'dismissed')`,
    [orgOf(tx), mcpServerId],
    { name: 'aim.mcp.findings-live' },
  );
  return liveFindingsOf(rows);
}

export interface LiveFindingRow {
  dedup_key: string;
  kind: McpFindingKind;
  status: 'open' | 'dismissed';
}

/** LiveFindings over the rows of a server's open and dismissed findings. */
export function liveFindingsOf(rows: readonly LiveFindingRow[]): LiveFindings {
  const byKey = new Map<string, 'open' | 'dismissed'>();
  const open = new Map<McpFindingKind, Set<string>>();
  for (const row of rows) {
    if (byKey.get(row.dedup_key) !== 'dismissed') byKey.set(row.dedup_key, row.status);
    if (row.status === 'open') open.set(row.kind, (open.get(row.kind) ?? new Set()).add(row.dedup_key));
  }
  const none: ReadonlySet<string> = new Set();
  return { status: (key) => byKey.get(key), open: (kind) => open.get(kind) ?? none };
}

/**
 * Open findings of a server and kind whose condition is gone (their key is not among `stillTrue`)
 * become `resolved`. Returns their ids. Given the server's `live` findings, nothing is sent when none
 * of that kind would be resolved.
 */
export async function resolveMcpFindings(
  tx: Tx,
  input: { mcpServerId: string; kind: McpFindingKind; stillTrue: readonly string[]; at: Date; live?: LiveFindings | undefined },
): Promise<string[]> {
  if (input.live) {
    const stillTrue = new Set(input.stillTrue);
    if (![...input.live.open(input.kind)].some((key) => !stillTrue.has(key))) return [];
  }
  const { rows } = await tx.query<{ id: string }>(
    `update mcp_findings set status = 'resolved', resolved_at = $5
      where organization_id = $1 and mcp_server_id = $2 and kind = $3 and status = 'open' and not (dedup_key = any($4::text[]))
      returning id`,
    [orgOf(tx), input.mcpServerId, input.kind, input.stillTrue, input.at],
  );
  return rows.map((r) => r.id);
}
