import type { dismissMcpFindingSchema, mcpFindingListQuerySchema, reopenMcpFindingSchema } from '@aim/contracts';
import type { z } from 'zod';
import { recordAuditEvent } from '../../../platform/audit/audit-log.js';
import type { Database, Tx } from '../../../platform/db/database.js';
import { AppError, notFound } from '../../../platform/http/app-error.js';
import type { OrgContext } from '../../../platform/http/operation.js';
import { mcpServerRepository } from '../mcp-server-repository.js';
import { computeMcpConfidenceNow, recomputeMcpConfidence } from './confidence-evidence.js';
import { mcpFindingJson, mcpFindingRepository, type McpFindingRow } from './findings-repository.js';

/**
 * Reading MCP findings, dismissing them with a note and reopening them (docs/mcp.md, "findings"),
 * and a server's confidence. A dismissal commits with its audit event and the server's recomputed
 * confidence; it leaves the finding's alert alone (the alert has its own lifecycle in the alerts
 * inbox, and a person may want it kept open while the publisher is asked).
 */
export type FindingListQuery = z.output<typeof mcpFindingListQuerySchema>;
export type DismissInput = z.output<typeof dismissMcpFindingSchema>;
export type ReopenInput = z.output<typeof reopenMcpFindingSchema>;

export function createMcpFindingsService(deps: { db: Database; clock?: () => Date }) {
  const { db } = deps;
  const now = () => deps.clock?.() ?? new Date();

  const inOrg = <T>(ctx: OrgContext, work: (tx: Tx) => Promise<T>) => db.transaction({ organizationId: ctx.organizationId }, work);

  async function serverMustExist(tx: Tx, mcpServerId: string): Promise<void> {
    if (!(await mcpServerRepository.find(tx, mcpServerId))) throw notFound('The MCP server');
  }

  async function findingForChange(tx: Tx, id: string): Promise<McpFindingRow> {
    const row = await mcpFindingRepository.find(tx, id, { forUpdate: true });
    if (!row) throw notFound('The MCP finding');
    return row;
  }

  const notAllowed = (row: McpFindingRow, wanted: string) =>
    new AppError('mcp_finding_transition_not_allowed', `The finding is ${row.status}; only ${wanted}.`, { details: { status: row.status } });

  return {
    async list(ctx: OrgContext, query: FindingListQuery) {
      return inOrg(ctx, async (tx) => {
        const page = await mcpFindingRepository.list(tx, query);
        return { findings: page.rows.map(mcpFindingJson), nextCursor: page.nextCursor };
      });
    },

    async listForServer(ctx: OrgContext, mcpServerId: string, query: Omit<FindingListQuery, 'mcpServerId'>) {
      return inOrg(ctx, async (tx) => {
        await serverMustExist(tx, mcpServerId);
        const page = await mcpFindingRepository.list(tx, { ...query, mcpServerId });
        return { findings: page.rows.map(mcpFindingJson), nextCursor: page.nextCursor };
      });
    },

    async get(ctx: OrgContext, id: string) {
      return inOrg(ctx, async (tx) => {
        const row = await mcpFindingRepository.find(tx, id);
        if (!row) throw notFound('The MCP finding');
        return mcpFindingJson(row);
      });
    },

    async dismiss(ctx: OrgContext, id: string, input: DismissInput) {
      return inOrg(ctx, async (tx) => {
        const row = await findingForChange(tx, id);
        if (row.status !== 'open') throw notAllowed(row, 'an open finding can be dismissed');
        const dismissed = await mcpFindingRepository.dismiss(tx, id, ctx.actor, input.note, now());
        await recordAuditEvent(tx, ctx, {
          action: 'mcp_finding.dismiss',
          target: { type: 'mcp_finding', id },
          details: { mcpServerId: row.mcp_server_id, kind: row.kind, severity: row.severity, note: input.note },
        });
        await recomputeMcpConfidence(tx, row.mcp_server_id, now());
        return mcpFindingJson(dismissed);
      });
    },

    async reopen(ctx: OrgContext, id: string, input: ReopenInput) {
      return inOrg(ctx, async (tx) => {
        const row = await findingForChange(tx, id);
        if (row.status !== 'dismissed') throw notAllowed(row, 'a dismissed finding can be reopened');
        const other = await mcpFindingRepository.openWithKey(tx, row.dedup_key);
        if (other) {
          throw new AppError('mcp_finding_transition_not_allowed', `Another open finding (${other}) has the same key and counts this condition now; work with that one.`, {
            details: { status: row.status, openFindingId: other },
          });
        }
        const reopened = await mcpFindingRepository.reopen(tx, id);
        await recordAuditEvent(tx, ctx, {
          action: 'mcp_finding.reopen',
          target: { type: 'mcp_finding', id },
          details: { mcpServerId: row.mcp_server_id, kind: row.kind, severity: row.severity, ...(input.note ? { note: input.note } : {}) },
        });
        await recomputeMcpConfidence(tx, row.mcp_server_id, now());
        return mcpFindingJson(reopened);
      });
    },

    async confidence(ctx: OrgContext, mcpServerId: string) {
      return inOrg(ctx, async (tx) => {
        await serverMustExist(tx, mcpServerId);
        return computeMcpConfidenceNow(tx, mcpServerId, now());
      });
    },
  };
}

export type McpFindingsService = ReturnType<typeof createMcpFindingsService>;
