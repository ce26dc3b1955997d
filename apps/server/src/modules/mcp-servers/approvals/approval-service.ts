import { mcpToolAction, type approveMcpServerSchema, type mcpApprovalListQuerySchema, type mcpScanDiffQuerySchema, type McpServerStatus } from '@aim/contracts';
import type { z } from 'zod';
import { recordAuditEvent } from '../../../platform/audit/audit-log.js';
import type { Database, Tx } from '../../../platform/db/database.js';
import { AppError, notFound } from '../../../platform/http/app-error.js';
import type { OrgContext } from '../../../platform/http/operation.js';
import { mcpServerJson, mcpServerRepository } from '../mcp-server-repository.js';
import { resolveMcpFindings } from '../shared/findings-store.js';
import type { RecordedScan } from '../shared/scan-hooks.js';
import { latestScan, loadScan } from '../shared/scan-store.js';
import { pinnedSide, scanSide } from './approval-hook.js';
import { approvalJson, pinJson } from './approval-json.js';
import { loadScanJson } from '../scans/scan-repository.js';
import { approvalRepository, toolRiskLevel, type ToolCapability } from './approval-repository.js';
import { diffToolSets, driftCounts } from './tool-diff.js';

/**
 * Approval of an MCP server's tools (docs/mcp.md, "approval"): a manager approves the tool set of
 * the latest successful scan, as they saw it; the tools become the server's pins and, each, a
 * capability `mcp:<slug>/<tool>` that grants and policies cover. And the views a person approves
 * from: the pins, the approval history, the drift (pins versus the latest scan) and scan diffs.
 */

export type ApproveInput = z.output<typeof approveMcpServerSchema>;
export type ApprovalListQuery = z.output<typeof mcpApprovalListQuerySchema>;
export type ScanDiffQuery = z.output<typeof mcpScanDiffQuerySchema>;

/** Statuses a server can be approved from: seen by a successful scan, and neither suspended nor revoked. */
const APPROVABLE: McpServerStatus[] = ['verified', 'approved', 'drifted'];
const DESCRIPTION_MAX = 1000;

const clip = (text: string | undefined) => (text ? (text.length <= DESCRIPTION_MAX ? text : `${text.slice(0, DESCRIPTION_MAX - 1)}…`) : null);

export function createMcpApprovalService(deps: { db: Database; clock?: () => Date }) {
  const { db } = deps;
  const now = deps.clock ?? (() => new Date());
  const inOrg = <T>(ctx: OrgContext, work: (tx: Tx) => Promise<T>) => db.transaction({ organizationId: ctx.organizationId }, work);

  async function server(tx: Tx, id: string, forUpdate = false) {
    const row = await mcpServerRepository.find(tx, id, { forUpdate });
    if (!row) throw notFound('The MCP server');
    return row;
  }

  /** The scan the person reviewed, checked to be the latest successful one, with the fingerprint they saw. */
  async function reviewedScan(tx: Tx, mcpServerId: string, input: ApproveInput): Promise<RecordedScan> {
    const latest = await latestScan(tx, mcpServerId, { succeededOnly: true });
    if (!latest) throw new AppError('conflict', 'The MCP server has no successful scan yet; scan it (POST /api/v1/mcp-servers/{id}/scans) and review its tools first.');
    if (latest.id !== input.scanId) {
      const named = await loadScan(tx, input.scanId);
      if (!named || named.mcpServerId !== mcpServerId) throw notFound('The scan');
      throw new AppError('mcp_approval_stale', `Scan ${input.scanId} is not the server's latest successful scan (${latest.id} is); review that one and approve it.`, {
        details: { latestScanId: latest.id, latestToolSetFingerprint: latest.toolSetFingerprint ?? '' },
      });
    }
    if (latest.toolSetFingerprint !== input.toolSetFingerprint) {
      throw new AppError('mcp_approval_stale', `The tool set fingerprint is not scan ${latest.id}'s; the tools shown to you are not the ones it found. Reload them and approve again.`, {
        details: { latestScanId: latest.id, latestToolSetFingerprint: latest.toolSetFingerprint ?? '' },
      });
    }
    return latest;
  }

  return {
    async approve(ctx: OrgContext, mcpServerId: string, input: ApproveInput) {
      return inOrg(ctx, async (tx) => {
        const before = await server(tx, mcpServerId, true);
        if (!APPROVABLE.includes(before.status)) {
          throw new AppError('conflict', `The MCP server is ${before.status}; only a verified, approved or drifted server can be approved.`);
        }
        const scan = await reviewedScan(tx, mcpServerId, input);
        const previous = await approvalRepository.pins(tx, mcpServerId);
        const current = scanSide(scan);
        const counts = driftCounts(diffToolSets(await pinnedSide(tx, previous, current), current));
        if (before.status === 'approved' && counts.added + counts.removed + counts.changed === 0) {
          throw new AppError('conflict', 'These tools are already approved and match the pins; there is nothing new to approve.');
        }

        const at = now();
        const tools = [...scan.tools.values()].map((t) => ({ name: t.name, fingerprint: t.fingerprint, action: mcpToolAction(before.slug, t.name) }));
        const capabilities: ToolCapability[] = [];
        for (const t of tools) {
          const definition = scan.tools.get(t.name)!.definition;
          if (t.action) capabilities.push({ name: t.name, action: t.action, description: clip(definition.description ?? definition.title), riskLevel: toolRiskLevel(definition) });
        }
        const approval = await approvalRepository.insertApproval(tx, {
          mcpServerId,
          scanId: scan.id,
          toolSetFingerprint: scan.toolSetFingerprint!,
          tools,
          note: input.note || null,
          by: ctx.actor,
          at,
        });
        const capabilityIds = await approvalRepository.upsertCapabilities(tx, mcpServerId, capabilities);
        await approvalRepository.replacePins(tx, mcpServerId, approval.id, tools.map((t) => ({ ...t, capabilityId: t.action ? capabilityIds.get(t.action) ?? null : null })), at);
        const updated = before.status === 'approved' ? before : await mcpServerRepository.setStatus(tx, mcpServerId, 'approved', null);
        const resolved = await resolveMcpFindings(tx, { mcpServerId, kind: 'drift', stillTrue: [], at });
        const toolsWithoutAction = tools.filter((t) => t.action === null).map((t) => t.name);
        await recordAuditEvent(tx, ctx, {
          action: 'mcp_server.approve',
          target: { type: 'mcp_server', id: mcpServerId },
          details: {
            approvalId: approval.id,
            scanId: scan.id,
            toolSetFingerprint: scan.toolSetFingerprint,
            tools: tools.length,
            ...counts,
            from: before.status,
            to: 'approved',
            resolvedFindings: resolved.length,
            toolsWithoutAction: toolsWithoutAction.slice(0, 100),
            note: input.note || null,
          },
        });
        return { mcpServer: mcpServerJson(updated), approval: approvalJson(approval), toolsWithoutAction };
      });
    },

    async pins(ctx: OrgContext, mcpServerId: string) {
      return inOrg(ctx, async (tx) => {
        await server(tx, mcpServerId);
        const [approval, pins] = [await approvalRepository.latestApproval(tx, mcpServerId), await approvalRepository.pins(tx, mcpServerId)];
        return { approval: approval ? approvalJson(approval) : null, pins: pins.map(pinJson) };
      });
    },

    async approvals(ctx: OrgContext, mcpServerId: string, query: ApprovalListQuery) {
      return inOrg(ctx, async (tx) => {
        await server(tx, mcpServerId);
        const page = await approvalRepository.approvals(tx, mcpServerId, query);
        return { approvals: page.rows.map(approvalJson), nextCursor: page.nextCursor };
      });
    },

    /** Pins versus the latest successful scan: what a re-approval would approve. */
    async drift(ctx: OrgContext, mcpServerId: string) {
      return inOrg(ctx, async (tx) => {
        await server(tx, mcpServerId);
        const latest = await latestScan(tx, mcpServerId, { succeededOnly: true });
        const pins = await approvalRepository.pins(tx, mcpServerId);
        const pinned = pins.length > 0 || (await approvalRepository.latestApproval(tx, mcpServerId)) !== null;
        if (!latest) return { scan: null, diff: [], pinned };
        const current = scanSide(latest);
        const diff = pinned ? diffToolSets(await pinnedSide(tx, pins, current), current) : [];
        return { scan: await loadScanJson(tx, latest.id), diff, pinned };
      });
    },

    /** A scan against the previous successful one, the pins, or another scan of the same server. */
    async scanDiff(ctx: OrgContext, mcpServerId: string, scanId: string, query: ScanDiffQuery) {
      return inOrg(ctx, async (tx) => {
        await server(tx, mcpServerId);
        const scan = await loadScan(tx, scanId);
        if (!scan || scan.mcpServerId !== mcpServerId) throw notFound('The scan');
        const current = scanSide(scan);
        if (query.against === 'pins') {
          const pins = await approvalRepository.pins(tx, mcpServerId);
          const kind = pins.length > 0 ? ('pins' as const) : ('none' as const);
          return { diff: diffToolSets(await pinnedSide(tx, pins, current), current), against: { kind, scanId: null } };
        }
        const other = query.against === 'previous' ? await latestScan(tx, mcpServerId, { succeededOnly: true, beforeId: scanId }) : await loadScan(tx, query.against);
        if (query.against !== 'previous' && (!other || other.mcpServerId !== mcpServerId)) throw notFound('The scan to compare with');
        if (!other) return { diff: diffToolSets(new Map(), current), against: { kind: 'none' as const, scanId: null } };
        return { diff: diffToolSets(scanSide(other), current), against: { kind: 'scan' as const, scanId: other.id } };
      });
    },
  };
}

export type McpApprovalService = ReturnType<typeof createMcpApprovalService>;
