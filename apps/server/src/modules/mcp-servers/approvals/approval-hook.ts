import { recordAuditEvent } from '../../../platform/audit/audit-log.js';
import { orgOf, type Tx } from '../../../platform/db/database.js';
import type { DomainEvents } from '../../../platform/events/domain-events.js';
import type { RequestContext } from '../../../platform/http/request-context.js';
import { mcpServerRepository, type McpServerRow } from '../mcp-server-repository.js';
import { recordMcpFinding, resolveMcpFindings, type LiveFindings } from '../shared/findings-store.js';
import { loadMcpSettings } from '../shared/mcp-settings-store.js';
import type { McpScanHook, RecordedScan, ScanHookOutcome, ScanKnown } from '../shared/scan-hooks.js';
import { loadDefinitions } from '../shared/scan-store.js';
import { approvalRepository, type PinRow, type PinUpdate } from './approval-repository.js';
import { changedNames, diffToolSets, driftCounts, type DiffSide, type ToolDiff } from './tool-diff.js';

/**
 * The approval hook (docs/mcp.md, "statuses" and "drift"), run after every finished scan in the
 * scan's transaction, after the identity hook:
 * - a failed scan changes nothing;
 * - a successful scan of a `pending` server makes it `verified` — unless the server has an open
 *   `server_card_invalid` finding (the identity hook, which runs first, writes it);
 * - an `approved` or `drifted` server is compared with its pins: each pin records what the scan saw;
 *   any tool added, removed or changed is drift (status `drifted`, one finding per distinct drifted
 *   tool set, its alert, `mcp_server.drifted`, and the drifted pins blocked when the organization
 *   blocks drifted tools); a scan that matches the pins again brings the server back to `approved`,
 *   unblocks the pins and resolves the drift findings.
 * The outcome is the drift counts (null when there are no pins to compare with).
 */

export interface ApprovalHookDeps {
  events: Pick<DomainEvents, 'record'>;
}

/** Pins as one side of a diff (definitions loaded for the tools that differ only). */
export async function pinnedSide(tx: Tx, pins: readonly PinRow[], other: ReadonlyMap<string, { fingerprint: string }>): Promise<Map<string, DiffSide>> {
  const byName = new Map(pins.map((p) => [p.tool_name, { fingerprint: p.fingerprint }]));
  const needed = changedNames(byName, other).map((name) => byName.get(name)!.fingerprint);
  const definitions = await loadDefinitions(tx, needed);
  return new Map(pins.map((p) => [p.tool_name, { fingerprint: p.fingerprint, definition: definitions.get(p.fingerprint) }]));
}

export const scanSide = (scan: RecordedScan): Map<string, DiffSide> =>
  new Map([...scan.tools].map(([name, tool]) => [name, { fingerprint: tool.fingerprint, definition: tool.definition }]));

const first = (diff: readonly ToolDiff[], change: ToolDiff['change']) =>
  diff.filter((d) => d.change === change).slice(0, 100).map((d) => d.name);

export function createApprovalScanHook(deps: ApprovalHookDeps): McpScanHook {
  async function hasInvalidCard(tx: Tx, mcpServerId: string): Promise<boolean> {
    const { rowCount } = await tx.query(
      `select 1 from mcp_findings where organization_id = $1 and mcp_server_id = $2 and kind = 'server_card_invalid' and status = 'open' limit 1`,
      [orgOf(tx), mcpServerId],
    );
    return (rowCount ?? 0) > 0;
  }

  async function changeStatus(tx: Tx, ctx: RequestContext, server: McpServerRow, to: McpServerRow['status'], action: string, reason: string, scanId: string) {
    await mcpServerRepository.setStatus(tx, server.id, to, reason);
    await recordAuditEvent(tx, ctx, { action, target: { type: 'mcp_server', id: server.id }, details: { from: server.status, to, scanId, reason } });
  }

  async function compareWithPins(tx: Tx, ctx: RequestContext, server: McpServerRow, scan: RecordedScan, live: LiveFindings, known: ScanKnown | undefined): Promise<ScanHookOutcome['drift']> {
    const pins = await approvalRepository.pins(tx, server.id);
    const current = scanSide(scan);
    const diff = diffToolSets(await pinnedSide(tx, pins, current), current);
    const counts = driftCounts(diff);
    const settings = known?.settings ?? (await loadMcpSettings(tx)).settings;
    const updates: PinUpdate[] = pins.map((p) => {
      const seen = scan.tools.get(p.tool_name);
      return { name: p.tool_name, current: seen?.fingerprint ?? null, state: !seen ? 'removed' : seen.fingerprint === p.fingerprint ? 'pinned' : 'changed' };
    });
    await approvalRepository.updatePins(tx, server.id, updates, settings.blockDriftedTools, scan.finishedAt);

    if (diff.length === 0) {
      await resolveMcpFindings(tx, { mcpServerId: server.id, kind: 'drift', stillTrue: [], at: scan.finishedAt, live });
      if (server.status === 'drifted') {
        await changeStatus(tx, ctx, server, 'approved', 'mcp_server.drift_clear', 'A scan matches the approved tools again.', scan.id);
      }
      return counts;
    }

    const dedupKey = `drift:${server.id}:${scan.toolSetFingerprint}`;
    // A different drifted tool set supersedes an earlier one: one open drift finding per server.
    await resolveMcpFindings(tx, { mcpServerId: server.id, kind: 'drift', stillTrue: [dedupKey], at: scan.finishedAt, live });
    const summary = `Against the approved tools: ${counts.added} added, ${counts.removed} removed, ${counts.changed} changed (${diff
      .slice(0, 10)
      .map((d) => `${d.name} ${d.change}`)
      .join(', ')}${diff.length > 10 ? ', …' : ''}). ${settings.blockDriftedTools ? 'Changed and removed tools are blocked in decisions until a person re-approves.' : 'Blocking of drifted tools is off.'}`;
    // A person dismissed this very drift (same tool set): it is not raised again; another drift is.
    const finding = live.status(dedupKey) === 'dismissed' ? null : await recordMcpFinding(tx, deps, ctx, {
      mcpServerId: server.id,
      kind: 'drift',
      severity: counts.changed + counts.removed > 0 ? 'high' : 'medium',
      dedupKey,
      title: `MCP server ${server.name}: tools drifted from the approved set`,
      summary,
      evidence: { diff, toolSetFingerprint: scan.toolSetFingerprint, ...counts, blocked: settings.blockDriftedTools },
      scanId: scan.id,
      at: scan.finishedAt,
    });
    if (server.status === 'approved') {
      await changeStatus(tx, ctx, server, 'drifted', 'mcp_server.drift', summary.slice(0, 500), scan.id);
    }
    if (finding?.inserted) {
      await deps.events.record(tx, 'mcp_server.drifted', {
        mcpServerId: server.id,
        scanId: scan.id,
        findingId: finding.id,
        added: first(diff, 'added'),
        removed: first(diff, 'removed'),
        changed: first(diff, 'changed'),
        blocked: settings.blockDriftedTools,
      });
    }
    return counts;
  }

  return {
    name: 'approval',
    async afterScan(tx, { ctx, server, scan, live, known }) {
      if (scan.status !== 'succeeded') return;
      if (server.status === 'pending') {
        if (!(await hasInvalidCard(tx, server.id))) {
          await changeStatus(tx, ctx, server, 'verified', 'mcp_server.verify', 'A scan through the protocol succeeded.', scan.id);
        }
        return { drift: null };
      }
      if (server.status !== 'approved' && server.status !== 'drifted') return { drift: null };
      return { drift: await compareWithPins(tx, ctx, server, scan, live, known) };
    },
  };
}
