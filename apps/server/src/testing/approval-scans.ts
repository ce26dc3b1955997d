import { loadLiveFindings } from '../modules/mcp-servers/shared/findings-store.js';
import type { McpScanFailureReason, McpToolDefinition } from '@aim/contracts';
import { SYSTEM_CONTEXT } from '../platform/http/request-context.js';
import { insertMcpServer, insertScan } from './mcp-rows.js';
import type { TestApp } from './test-app.js';
import { mcpServerRepository } from '../modules/mcp-servers/mcp-server-repository.js';
import type { RecordedScan, ScanHookOutcome } from '../modules/mcp-servers/shared/scan-hooks.js';
import { createApprovalScanHook } from '../modules/mcp-servers/approvals/approval-hook.js';

/**
 * Scans as the scanner will run them for the approval tests: the scan stored, then the approval hook
 * in a transaction with the server locked, its drift outcome written on the scan row. Scan times
 * advance one second per scan so that scan ids (time-ordered) follow the order of the test.
 */
export function approvalKit(t: TestApp, organizationId: string) {
  const hook = createApprovalScanHook({ events: t.platform.domainEvents });
  let clock = Date.now();

  async function runHook(scan: RecordedScan, mcpServerId: string): Promise<ScanHookOutcome | void> {
    return t.platform.db.transaction({ organizationId }, async (tx) => {
      const server = (await mcpServerRepository.find(tx, mcpServerId, { forUpdate: true }))!;
      const outcome = await hook.afterScan(tx, { ctx: { ...SYSTEM_CONTEXT, organizationId }, server, scan, previous: null, concluded: {}, live: await loadLiveFindings(tx, mcpServerId) });
      if (outcome && outcome.drift !== undefined) {
        await tx.query('update mcp_scans set drift = $2 where id = $1', [scan.id, outcome.drift === null ? null : JSON.stringify(outcome.drift)]);
      }
      return outcome;
    });
  }

  return {
    server: (ownerId: string, name: string) => insertMcpServer(t, organizationId, { name, ownerId }),
    /** A finished scan of these tools (or a failure) and the hook's outcome. */
    async scan(mcpServerId: string, tools: readonly McpToolDefinition[], failure?: { reason: McpScanFailureReason; message: string }) {
      clock += 1000;
      const scan = await insertScan(t, organizationId, mcpServerId, tools, { at: new Date(clock), ...(failure ? { failure } : {}) });
      return { scan, outcome: await runHook(scan, mcpServerId) };
    },
  };
}
