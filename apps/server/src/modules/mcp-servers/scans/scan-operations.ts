import {
  errorEnvelopeSchema,
  mcpScanDetailSchema,
  mcpScanEnvelopeSchema,
  mcpScanListQuerySchema,
  mcpScanListSchema,
  mcpScanParamsSchema,
  mcpServerParamsSchema,
} from '@aim/contracts';
import type { Logger } from 'pino';
import type { Database } from '../../../platform/db/database.js';
import { defineOperation, type Feature } from '../../../platform/http/operation.js';
import type { FeatureJob } from '../../../platform/jobs/feature-jobs.js';
import { JobFailure } from '../../../platform/jobs/job-health.js';
import type { ScanService } from './scan-service.js';

/** The scheduled pass: how many due servers one run takes, and how many it scans at once. */
export interface ScanScheduleOptions {
  batchSize: number;
  concurrency: number;
}
export const DEFAULT_SCAN_SCHEDULE: ScanScheduleOptions = { batchSize: 50, concurrency: 8 };

/**
 * The `aim.mcp-scan` job, every minute: the servers due (`aim_mcp_servers_due_for_scan`, system scope;
 * new servers first), each scanned in its organization in the system's name, a few at a time so one
 * slow server does not hold the others. A recorded failed scan is a scan, not a failure of the job; the
 * job fails (with the count) only when AIM could not record a scan.
 */
export function scanJobs(deps: { db: Pick<Database, 'query'>; scans: Pick<ScanService, 'scanScheduled'>; logger: Pick<Logger, 'error'>; schedule?: Partial<ScanScheduleOptions> }): FeatureJob[] {
  const schedule = { ...DEFAULT_SCAN_SCHEDULE, ...deps.schedule };
  return [
    {
      name: 'aim.mcp-scan',
      cron: '* * * * *',
      async run(ctx) {
        const { rows } = await deps.db.query<{ organization_id: string; mcp_server_id: string }>(
          'select organization_id, mcp_server_id from aim_mcp_servers_due_for_scan($1)',
          [schedule.batchSize],
        );
        let failed = 0;
        const queue = [...rows];
        const worker = async () => {
          for (let due = queue.shift(); due; due = queue.shift()) {
            try {
              await deps.scans.scanScheduled(ctx, due.organization_id, due.mcp_server_id);
            } catch (error) {
              failed++;
              deps.logger.error({ err: error, organizationId: due.organization_id, mcpServerId: due.mcp_server_id }, 'a scheduled MCP scan could not be recorded');
            }
          }
        };
        await Promise.all(Array.from({ length: Math.min(schedule.concurrency, queue.length) }, worker));
        if (failed > 0) throw new JobFailure(`scanning MCP servers failed for ${failed} server(s)`);
      },
    },
  ];
}

const scans = '/api/v1/mcp-servers/:mcpServerId/scans';

/** Scans of MCP servers (docs/mcp.md, "Scans"): on demand, the history, one scan with its tools; and the scheduled job. */
export function mcpScanFeature(deps: { scans: ScanService; jobs: readonly FeatureJob[] }): Feature {
  const { scans: service } = deps;
  return {
    name: 'mcp-scans',
    jobs: deps.jobs,
    // The scanner's kept-alive connections.
    stop: () => service.close(),
    operations: [
      defineOperation({
        method: 'POST',
        path: scans,
        tag: 'mcp-servers',
        summary: 'Scan an MCP server now (its owner, managers and admins)',
        description:
          'AIM connects to the Streamable HTTP endpoint as an MCP client through the outbound guard, runs initialize, tools/list, resources/list and prompts/list with pagination, and records the scan. Synchronous, within the scan deadline (30 s by default). A failure (unreachable, timeout, TLS, redirect, malformed JSON-RPC, too large) is a recorded scan too: 201 either way, `scan.status` and `scan.failure` say which. 409 `mcp_scan_in_progress` while another scan of the server runs; 409 `mcp_server_not_scannable` for stdio, suspended and revoked servers.',
        access: { auth: 'org', permission: 'mcp_server.update' },
        params: mcpServerParamsSchema,
        responses: { 201: mcpScanEnvelopeSchema, 409: errorEnvelopeSchema },
        status: 201,
        handle: async ({ ctx, params }) => ({ scan: await service.scan(ctx, params.mcpServerId) }),
      }),

      defineOperation({
        method: 'GET',
        path: scans,
        tag: 'mcp-servers',
        summary: "An MCP server's scans, newest first (keyset pagination)",
        access: { auth: 'org', permission: 'mcp_server.read' },
        params: mcpServerParamsSchema,
        query: mcpScanListQuerySchema,
        responses: { 200: mcpScanListSchema },
        handle: ({ ctx, params, query }) => service.list(ctx, params.mcpServerId, query),
      }),

      defineOperation({
        method: 'GET',
        path: `${scans}/:scanId`,
        tag: 'mcp-servers',
        summary: 'One scan with the tools (definitions and fingerprints), resources and prompts it saw',
        access: { auth: 'org', permission: 'mcp_server.read' },
        params: mcpScanParamsSchema,
        responses: { 200: mcpScanDetailSchema },
        handle: ({ ctx, params }) => service.get(ctx, params.mcpServerId, params.scanId),
      }),
    ],
  };
}
