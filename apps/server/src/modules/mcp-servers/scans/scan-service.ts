import { can, type mcpScanListQuerySchema } from '@aim/contracts';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { auditEventRow } from '../../../platform/audit/audit-log.js';
import type { Database, Tx } from '../../../platform/db/database.js';
import { AppError, notFound } from '../../../platform/http/app-error.js';
import type { OrgContext } from '../../../platform/http/operation.js';
import type { RequestContext } from '../../../platform/http/request-context.js';
import { newId } from '../../../platform/ids.js';
import { mcpServerRepository, type McpServerRow } from '../mcp-server-repository.js';
import { otherServersToolNamesOf, type McpScanHooks, type ScanHookOutcome } from '../shared/scan-hooks.js';
import { loadMcpSettings } from '../shared/mcp-settings-store.js';
import { storeScanAndLoadContext } from '../shared/scan-end.js';
import { loadDefinitions } from '../shared/scan-store.js';
import type { McpScanner } from './mcp-scanner.js';
import type { ScanMetrics } from './scan-metrics.js';
import { scanJson, scanRepository } from './scan-repository.js';

/**
 * Scans of registered servers (docs/mcp.md, "Scans"), on demand and by schedule. A scan takes three
 * steps: a short transaction inserts its `running` row (one running scan per server); the scanner talks
 * to the server outside any transaction; then one transaction locks the server and stores the finished
 * scan (one statement, shared/scan-end.ts), runs every hook in order, writes their outcomes on the scan row (pointing the server at it and
 * pruning old scans in the same statement) and audits `mcp_server.scan`. A failed scan is a recorded scan; a hook that throws rolls the
 * whole scan back (the running row is removed and the error reaches the caller).
 */
export type ScanListQuery = z.output<typeof mcpScanListQuerySchema>;

export interface ScanServiceDeps {
  db: Database;
  scanner: McpScanner;
  hooks: McpScanHooks;
  logger: Pick<Logger, 'error' | 'warn'>;
  metrics?: ScanMetrics | undefined;
}

/** Why AIM does not scan a server, or null when it does. */
function notScannable(server: McpServerRow): string | null {
  if (server.transport !== 'streamable_http') {
    return 'This MCP server is a stdio server: AIM never runs commands, so it cannot scan it (agents that launch it attest what they see).';
  }
  if (server.status === 'suspended' || server.status === 'revoked') {
    return `This MCP server is ${server.status}; ${server.status === 'suspended' ? 'reactivate it before scanning it' : 'a revoked server is not scanned'}.`;
  }
  return null;
}

export function createScanService(deps: ScanServiceDeps) {
  const { db, scanner, hooks } = deps;
  // A running row older than this was abandoned (its instance stopped): twice the deadline, plus a minute.
  const staleAfterMs = scanner.limits.deadlineMs * 2 + 60_000;

  async function startScan(ctx: RequestContext, organizationId: string, mcpServerId: string, trigger: 'manual' | 'scheduled', check?: (tx: Tx, server: McpServerRow) => void) {
    return db.transaction({ organizationId }, async (tx) => {
      const scan = { id: newId('msc'), mcpServerId, trigger, requestedBy: ctx.actor, startedAt: new Date() };
      // The server locked and the running row inserted in one statement; a refusal below rolls the row back.
      const { server, inserted } = await scanRepository.lockAndStart(tx, scan);
      if (!server) throw notFound('The MCP server');
      check?.(tx, server);
      const refusal = notScannable(server);
      if (refusal) throw new AppError('mcp_server_not_scannable', refusal);
      if (!inserted) await scanRepository.insertRunning(tx, scan, staleAfterMs);
      if (trigger === 'scheduled') {
        // Claimed: the next pass does not pick the server again while this scan runs.
        await scanRepository.setNextScan(tx, mcpServerId, (await loadMcpSettings(tx)).settings.scanIntervalMinutes);
      }
      return { scan, url: server.endpoint_url! };
    });
  }

  async function finishScan(ctx: RequestContext, organizationId: string, started: Awaited<ReturnType<typeof startScan>>) {
    const { scan } = started;
    const outcome = await scanner.scan(started.url);
    // What the hooks will look up among other servers' tools, read with the context.
    const otherServersToolNames = outcome.failure === null ? otherServersToolNamesOf(hooks, outcome.tools) : [];
    try {
      return await db.transaction({ organizationId }, async (tx) => {
        // The scan stored in the statement that locks the server and reads what the hooks read before they run.
        const finished = { ...outcome, id: scan.id, mcpServerId: scan.mcpServerId, trigger: scan.trigger, requestedBy: scan.requestedBy };
        const context = await storeScanAndLoadContext(tx, finished, { otherServersToolNames });
        if (!context) throw notFound('The MCP server');
        const { server, previous, live, settings, known, recorded } = context;
        // Each hook sees what the ones before it concluded (confidence reads the card status); the row gets
        // them all at the end, with the server's last scan and the pruning of old scans, in one statement.
        const concluded: ScanHookOutcome = {};
        for (const hook of hooks) {
          const outcome = await hook.afterScan(tx, { ctx, server, scan: recorded, previous, concluded, live, known });
          if (outcome) Object.assign(concluded, outcome);
        }
        const toolNames = recorded.status === 'succeeded' ? [...recorded.tools.keys()].sort() : null;
        const audit = await auditEventRow(tx, ctx, {
          action: 'mcp_server.scan',
          target: { type: 'mcp_server', id: scan.mcpServerId },
          details: {
            scanId: scan.id,
            trigger: scan.trigger,
            status: recorded.status,
            failureReason: recorded.failure?.reason ?? null,
            toolCount: recorded.tools.size,
            toolSetFingerprint: recorded.toolSetFingerprint,
          },
        });
        const row = await scanRepository.finish(tx, { ...scan, toolNames }, concluded, settings.scanIntervalMinutes, audit);
        deps.metrics?.observeScan(recorded.failure?.reason ?? null, (outcome.finishedAt.getTime() - outcome.startedAt.getTime()) / 1000);
        return scanJson(row);
      });
    } catch (error) {
      // The scan and everything the hooks wrote rolled back; free the server for the next scan.
      deps.logger.error({ err: error, scanId: scan.id, mcpServerId: scan.mcpServerId }, 'storing an MCP scan or running its hooks failed; the scan was rolled back');
      await db
        .transaction({ organizationId }, (tx) => scanRepository.deleteRunning(tx, scan.id))
        .catch((cleanup: unknown) => deps.logger.error({ err: cleanup, scanId: scan.id }, 'removing the running row of a failed MCP scan failed'));
      throw error;
    }
  }

  return {
    /** Close the scanner's connection pool (the app's shutdown). */
    close: () => scanner.close(),

    /** POST /mcp-servers/{id}/scans: the owner, managers and admins; synchronous (at most the scan's deadline). */
    async scan(ctx: OrgContext, mcpServerId: string) {
      const started = await startScan(ctx, ctx.organizationId, mcpServerId, 'manual', (_tx, server) => {
        if (!can(ctx.role, 'mcp_server.manage') && server.owner_id !== ctx.personId) {
          throw new AppError('forbidden', 'Only the owner of this MCP server, a manager or an admin may scan it.');
        }
      });
      return finishScan(ctx, ctx.organizationId, started);
    },

    /** A scheduled scan in the system's name; null when the server is no longer due or scannable, or already being scanned. */
    async scanScheduled(ctx: RequestContext, organizationId: string, mcpServerId: string) {
      const systemCtx: RequestContext = { ...ctx, organizationId };
      let started: Awaited<ReturnType<typeof startScan>>;
      try {
        started = await startScan(systemCtx, organizationId, mcpServerId, 'scheduled');
      } catch (error) {
        if (error instanceof AppError && ['not_found', 'mcp_server_not_scannable', 'mcp_scan_in_progress'].includes(error.code)) return null;
        throw error;
      }
      return finishScan(systemCtx, organizationId, started);
    },

    async list(ctx: OrgContext, mcpServerId: string, query: ScanListQuery) {
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        if (!(await mcpServerRepository.find(tx, mcpServerId))) throw notFound('The MCP server');
        const page = await scanRepository.list(tx, mcpServerId, query);
        return { scans: page.rows.map(scanJson), nextCursor: page.nextCursor };
      });
    },

    async get(ctx: OrgContext, mcpServerId: string, scanId: string) {
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const row = await scanRepository.find(tx, mcpServerId, scanId);
        if (!row) throw notFound('The scan');
        const definitions = await loadDefinitions(tx, row.tools.map((t) => t.fingerprint));
        return {
          scan: scanJson(row),
          tools: row.tools.map((t) => ({ name: t.name, fingerprint: t.fingerprint, definition: definitions.get(t.fingerprint)! })),
          resources: row.resources as never[],
          prompts: row.prompts as never[],
        };
      });
    },
  };
}

export type ScanService = ReturnType<typeof createScanService>;
