import { mcpServerSlug, mcpToolFingerprint, type McpScanFailureReason, type McpToolDefinition } from '@aim/contracts';
import { newId } from '../platform/ids.js';
import type { RecordedScan } from '../modules/mcp-servers/shared/scan-hooks.js';
import { storeFinishedScan } from '../modules/mcp-servers/shared/scan-store.js';
import type { TestApp } from './test-app.js';

/**
 * MCP servers and scans as AIM stores them, written through the app's own role, for tests of what
 * judges a scan (hooks, diffs, approval, confidence) without driving a real server. Tests of discovery
 * itself use real MCP servers (testing/mcp-test-servers.ts).
 */

/** A registered server (pending), owned by `ownerId`. Answers its id. */
export async function insertMcpServer(
  t: TestApp,
  organizationId: string,
  input: { name: string; ownerId: string; url?: string; command?: string; slug?: string; status?: string },
): Promise<string> {
  const id = newId('mcp');
  await t.platform.db.transaction({ organizationId }, async (tx) => {
    await tx.query(
      `insert into mcp_servers (id, organization_id, name, slug, owner_id, transport, endpoint_url, launch_command, created_by_type, created_by_id, status)
       values ($1, $2, $3, $4, $5, $6, $7, $8, 'user', $5, $9)`,
      [
        id,
        organizationId,
        input.name,
        input.slug ?? mcpServerSlug(input.name),
        input.ownerId,
        input.command ? 'stdio' : 'streamable_http',
        input.command ? null : (input.url ?? `https://${mcpServerSlug(input.name)}.example.com/mcp`),
        input.command ?? null,
        input.status ?? 'pending',
      ],
    );
  });
  return id;
}

/** A tool definition with defaults (an object input schema). */
export const tool = (name: string, description = `The ${name} tool`, extra: Partial<McpToolDefinition> = {}): McpToolDefinition => ({
  name,
  description,
  inputSchema: { type: 'object', properties: {} },
  ...extra,
});

/** Store a finished scan of these tools (or a failure) without running any hook. */
export async function insertScan(
  t: TestApp,
  organizationId: string,
  mcpServerId: string,
  tools: readonly McpToolDefinition[],
  options: { failure?: { reason: McpScanFailureReason; message: string }; at?: Date; tlsCertificateSha256?: string | null } = {},
): Promise<RecordedScan> {
  const at = options.at ?? new Date();
  const scanned = await Promise.all(tools.map(async (definition) => ({ name: definition.name, fingerprint: await mcpToolFingerprint(definition), definition })));
  return t.platform.db.transaction({ organizationId }, (tx) =>
    storeFinishedScan(tx, {
      mcpServerId,
      trigger: 'manual',
      requestedBy: null,
      startedAt: at,
      finishedAt: at,
      failure: options.failure ?? null,
      protocolVersion: options.failure ? null : '2025-06-18',
      serverInfo: options.failure ? null : { name: 'test-server', version: '1.0.0' },
      tools: options.failure ? [] : scanned,
      tlsCertificateSha256: options.tlsCertificateSha256 ?? null,
    }),
  );
}
