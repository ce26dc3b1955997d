import {
  approveMcpServerSchema,
  errorEnvelopeSchema,
  mcpApprovalListQuerySchema,
  mcpApprovalListSchema,
  mcpApprovalResultSchema,
  mcpDriftSchema,
  mcpPinsSchema,
  mcpScanDiffParamsSchema,
  mcpScanDiffQuerySchema,
  mcpScanDiffSchema,
  mcpServerParamsSchema,
  mcpSettingsEnvelopeSchema,
  updateMcpSettingsSchema,
} from '@aim/contracts';
import { defineOperation, type Feature } from '../../../platform/http/operation.js';
import type { McpApprovalService } from './approval-service.js';
import type { McpSettingsService } from './mcp-settings-service.js';

export interface McpApprovalFeatureDeps {
  approvals: McpApprovalService;
  settings: McpSettingsService;
}

const server = '/api/v1/mcp-servers/:mcpServerId';

/** Approval of MCP servers' tools, pins, drift, scan diffs and the MCP settings (docs/mcp.md, "approval"). */
export function mcpApprovalFeature({ approvals, settings }: McpApprovalFeatureDeps): Feature {
  return {
    name: 'mcp-approvals',
    operations: [
      defineOperation({
        method: 'POST',
        path: `${server}/approve`,
        tag: 'mcp-servers',
        summary: "Approve the tools of the server's latest successful scan: they become its pins and decision actions mcp:<slug>/<tool> (managers and admins)",
        description:
          "Name the scan and its toolSetFingerprint as you reviewed them: another scan, or another fingerprint, answers 409 mcp_approval_stale (the tools changed since). Allowed from verified, drifted (re-approval) and approved (when the scan's tools differ from the pins; otherwise 409 conflict). Replaces the pins, creates or updates one capability per tool, sets the status approved and resolves open drift findings, in one transaction, audited as mcp_server.approve.",
        access: { auth: 'org', permission: 'mcp_server.manage' },
        params: mcpServerParamsSchema,
        body: approveMcpServerSchema,
        responses: { 200: mcpApprovalResultSchema, 409: errorEnvelopeSchema },
        handle: ({ ctx, params, body }) => approvals.approve(ctx, params.mcpServerId, body),
      }),
      defineOperation({
        method: 'GET',
        path: `${server}/pins`,
        tag: 'mcp-servers',
        summary: 'The approved tools of a server (its pins), how the last successful scan compares with each, and whether it is blocked',
        access: { auth: 'org', permission: 'mcp_server.read' },
        params: mcpServerParamsSchema,
        responses: { 200: mcpPinsSchema },
        handle: ({ ctx, params }) => approvals.pins(ctx, params.mcpServerId),
      }),
      defineOperation({
        method: 'GET',
        path: `${server}/approvals`,
        tag: 'mcp-servers',
        summary: "A server's approvals, newest first (keyset pagination)",
        access: { auth: 'org', permission: 'mcp_server.read' },
        params: mcpServerParamsSchema,
        query: mcpApprovalListQuerySchema,
        responses: { 200: mcpApprovalListSchema },
        handle: ({ ctx, params, query }) => approvals.approvals(ctx, params.mcpServerId, query),
      }),
      defineOperation({
        method: 'GET',
        path: `${server}/drift`,
        tag: 'mcp-servers',
        summary: 'The re-approval view: the pins versus the latest successful scan, tool by tool and field by field',
        access: { auth: 'org', permission: 'mcp_server.read' },
        params: mcpServerParamsSchema,
        responses: { 200: mcpDriftSchema },
        handle: ({ ctx, params }) => approvals.drift(ctx, params.mcpServerId),
      }),
      defineOperation({
        method: 'GET',
        path: `${server}/scans/:scanId/diff`,
        tag: 'mcp-servers',
        summary: 'A scan compared with the previous successful scan, the pins, or another scan of the server (?against=previous|pins|<scanId>)',
        access: { auth: 'org', permission: 'mcp_server.read' },
        params: mcpScanDiffParamsSchema,
        query: mcpScanDiffQuerySchema,
        responses: { 200: mcpScanDiffSchema },
        handle: ({ ctx, params, query }) => approvals.scanDiff(ctx, params.mcpServerId, params.scanId, query),
      }),
      defineOperation({
        method: 'GET',
        path: '/api/v1/mcp-settings',
        tag: 'mcp-servers',
        summary: "The organization's MCP settings: blocking of drifted tools and the scan interval",
        description: 'Whole: what the organization never changed has its default; updatedAt is null then.',
        access: { auth: 'org', permission: 'mcp_server.read' },
        responses: { 200: mcpSettingsEnvelopeSchema },
        handle: ({ ctx }) => settings.get(ctx),
      }),
      defineOperation({
        method: 'PUT',
        path: '/api/v1/mcp-settings',
        tag: 'mcp-servers',
        summary: 'Change the MCP settings (admins): what the body names replaces the current value',
        description:
          'Turning blockDriftedTools on blocks every drifted pin at once; turning it off unblocks them, in the same transaction. Audited as mcp_settings.update with the changed fields before and after; a body that changes nothing changes and audits nothing.',
        access: { auth: 'org', permission: 'monitoring.manage' },
        body: updateMcpSettingsSchema,
        responses: { 200: mcpSettingsEnvelopeSchema },
        handle: ({ ctx, body }) => settings.update(ctx, body),
      }),
    ],
  };
}
