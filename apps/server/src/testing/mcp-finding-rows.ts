import type { McpToolDefinition } from '@aim/contracts';
import { SYSTEM_CONTEXT } from '../platform/http/request-context.js';
import { recordMcpFinding, type NewMcpFinding } from '../modules/mcp-servers/shared/findings-store.js';
import { otherServersToolNamesOf, type McpScanHook, type RecordedScan, type ScanHookOutcome } from '../modules/mcp-servers/shared/scan-hooks.js';
import { loadScanEndContext } from '../modules/mcp-servers/shared/scan-end.js';
import { scanRepository } from '../modules/mcp-servers/scans/scan-repository.js';
import { insertScan } from './mcp-rows.js';
import type { TestApp } from './test-app.js';

/**
 * MCP findings for tests: a scan stored and judged by the given hooks in one transaction, as the
 * scanner does (testing/mcp-rows.ts stores scans), and a finding written through the one writer.
 */

/** Store a scan of these tools, then run the hooks over it and end it as the scan service does, in one transaction. */
export async function scanAndJudge(
  t: TestApp,
  organizationId: string,
  mcpServerId: string,
  tools: readonly McpToolDefinition[],
  hooks: readonly McpScanHook[],
  options: Parameters<typeof insertScan>[4] = {},
): Promise<RecordedScan> {
  const scan = await insertScan(t, organizationId, mcpServerId, tools, options);
  await t.platform.db.transaction({ organizationId }, async (tx) => {
    const otherServersToolNames = scan.status === 'succeeded' ? otherServersToolNamesOf(hooks, [...scan.tools.values()]) : [];
    const { server, previous, live, settings, known } = (await loadScanEndContext(tx, mcpServerId, scan.id, { otherServersToolNames }))!;
    const concluded: ScanHookOutcome = {};
    for (const hook of hooks) Object.assign(concluded, await hook.afterScan(tx, { ctx: { ...SYSTEM_CONTEXT, organizationId }, server, scan, previous, concluded, live, known }));
    const toolNames = scan.status === 'succeeded' ? [...scan.tools.keys()].sort() : null;
    await scanRepository.finish(tx, { ...scan, toolNames }, concluded, settings.scanIntervalMinutes);
  });
  return scan;
}

/** A finding as a part of discovery records it (open; alert per the monitoring settings). Answers its id. */
export async function insertMcpFinding(t: TestApp, organizationId: string, mcpServerId: string, f: Partial<NewMcpFinding> = {}): Promise<string> {
  const at = f.at ?? new Date();
  const recorded = await t.platform.db.transaction({ organizationId }, (tx) =>
    recordMcpFinding(tx, { events: t.platform.domainEvents }, { ...SYSTEM_CONTEXT, organizationId }, {
      mcpServerId,
      kind: 'poisoning',
      severity: 'high',
      dedupKey: `test:${mcpServerId}:${at.getTime()}:${Math.random()}`,
      title: 'Tool "t" has a hidden instruction marker',
      summary: 'instruction_tag at /description: <IMPORTANT>',
      evidence: { heuristic: 'hidden_instruction', toolName: 't', path: '/description', text: '<IMPORTANT>' },
      at,
      ...f,
    }),
  );
  return recorded.id;
}
