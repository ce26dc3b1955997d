import { canonicalJson, type McpScanFailureReason, type McpToolDefinition } from '@aim/contracts';
import { sha256Hex } from '../../../platform/crypto/tokens.js';
import { orgOf, type Tx } from '../../../platform/db/database.js';
import type { Actor } from '../../../platform/http/request-context.js';
import { newId } from '../../../platform/ids.js';
import type { RecordedScan, ScannedTool, ScanSummary } from './scan-hooks.js';

/**
 * Scans as stored (migration 0021): a finished scan's row with its tool set as `[{name, fingerprint}]`,
 * each definition stored once per organization and fingerprint in mcp_tool_definitions. The scanner
 * writes through `storeFinishedScan`; every part that reads scans (hooks, diffs, attestations, the
 * API) reads through `loadScan` / `latestScan`.
 */

export interface FinishedScan {
  /** An id taken when the scan started (newId('msc')); a new one when omitted. */
  id?: string;
  mcpServerId: string;
  trigger: 'manual' | 'scheduled';
  requestedBy: Actor | null;
  startedAt: Date;
  finishedAt: Date;
  failure: { reason: McpScanFailureReason; message: string } | null;
  protocolVersion?: string | null;
  serverInfo?: { name: string; version: string; title?: string } | null;
  capabilities?: Record<string, unknown> | null;
  instructions?: string | null;
  tools?: readonly ScannedTool[];
  resources?: readonly unknown[];
  prompts?: readonly unknown[];
  tlsCertificateSha256?: string | null;
  serverCard?: { document: unknown; raw: string } | null;
}

export interface ScanRow {
  id: string;
  mcp_server_id: string;
  trigger: 'manual' | 'scheduled';
  status: 'running' | 'succeeded' | 'failed';
  started_at: Date;
  finished_at: Date | null;
  failure_reason: McpScanFailureReason | null;
  failure_message: string | null;
  protocol_version: string | null;
  tool_set_fingerprint: string | null;
  tls_certificate_sha256: string | null;
  server_card: { document: unknown; raw: string } | null;
  tools: { name: string; fingerprint: string }[];
}

/** A finished scan ready to store: its row's values in column order, its tools sorted by name. */
export interface PreparedScan {
  id: string;
  tools: ScannedTool[];
  succeeded: boolean;
  setFingerprint: string | null;
  values: unknown[];
}

export function prepareScan(organizationId: string, scan: FinishedScan): PreparedScan {
  const id = scan.id ?? newId('msc', scan.startedAt.getTime());
  const tools = [...(scan.tools ?? [])].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const succeeded = scan.failure === null;
  // The contract's mcpToolSetFingerprint over the sorted [name, fingerprint] pairs, hashed with node:crypto.
  const setFingerprint = succeeded ? sha256Hex(canonicalJson(tools.map((t) => [t.name, t.fingerprint]))) : null;
  const values = [
    id,
    organizationId,
    scan.mcpServerId,
    scan.trigger,
    succeeded ? 'succeeded' : 'failed',
    scan.requestedBy?.type ?? null,
    scan.requestedBy?.id ?? null,
    scan.startedAt,
    scan.finishedAt,
    scan.failure?.reason ?? null,
    scan.failure ? scan.failure.message.slice(0, 1000) : null,
    scan.protocolVersion ?? null,
    scan.serverInfo ? JSON.stringify(scan.serverInfo) : null,
    scan.capabilities ? JSON.stringify(scan.capabilities) : null,
    scan.instructions ?? null,
    JSON.stringify(tools.map((t) => ({ name: t.name, fingerprint: t.fingerprint }))),
    JSON.stringify(scan.resources ?? []),
    JSON.stringify(scan.prompts ?? []),
    tools.length,
    scan.resources?.length ?? 0,
    scan.prompts?.length ?? 0,
    setFingerprint,
    scan.tlsCertificateSha256 ?? null,
    scan.serverCard ? JSON.stringify(scan.serverCard) : null,
  ];
  return { id, tools, succeeded, setFingerprint, values };
}

/** The statement that stores a prepared scan (insert, or finish the running row of the same id), its values at `params` (24, in order). */
export const scanUpsertSql = (params: readonly string[]) =>
  `insert into mcp_scans as s (id, organization_id, mcp_server_id, trigger, status, requested_by_type, requested_by_id, started_at, finished_at,
                               failure_reason, failure_message, protocol_version, server_info, capabilities, instructions, tools, resources, prompts,
                               tool_count, resource_count, prompt_count, tool_set_fingerprint, tls_certificate_sha256, server_card)
   values (${params.join(', ')})
   on conflict (id) do update set status = excluded.status, finished_at = excluded.finished_at, failure_reason = excluded.failure_reason,
     failure_message = excluded.failure_message, protocol_version = excluded.protocol_version, server_info = excluded.server_info,
     capabilities = excluded.capabilities, instructions = excluded.instructions, tools = excluded.tools, resources = excluded.resources,
     prompts = excluded.prompts, tool_count = excluded.tool_count, resource_count = excluded.resource_count, prompt_count = excluded.prompt_count,
     tool_set_fingerprint = excluded.tool_set_fingerprint, tls_certificate_sha256 = excluded.tls_certificate_sha256, server_card = excluded.server_card`;

const SCAN_UPSERT_SQL = scanUpsertSql(Array.from({ length: 24 }, (_, i) => `$${i + 1}`));

/**
 * Definitions are stored once per fingerprint and kept while a scan names them: those of a scan given as
 * `stored` (the server's previous one) are there already.
 */
export async function storeDefinitions(tx: Tx, tools: readonly ScannedTool[], stored: ScanSummary | null | undefined): Promise<void> {
  const known = new Set([...(stored?.tools.values() ?? [])].map((t) => t.fingerprint));
  const unknown = tools.filter((t) => !known.has(t.fingerprint));
  if (unknown.length === 0) return;
  await tx.query(
    `insert into mcp_tool_definitions (organization_id, fingerprint, name, definition)
     select $1, d.fingerprint, d.name, d.definition from jsonb_to_recordset($2::jsonb) as d(fingerprint text, name text, definition jsonb)
     on conflict do nothing`,
    [orgOf(tx), JSON.stringify(unknown.map((t) => ({ fingerprint: t.fingerprint, name: t.name, definition: t.definition })))],
    { name: 'aim.mcp.scan-definitions' },
  );
}

export function recordedOf(prepared: PreparedScan, scan: FinishedScan): RecordedScan {
  return {
    id: prepared.id,
    mcpServerId: scan.mcpServerId,
    trigger: scan.trigger,
    status: prepared.succeeded ? 'succeeded' : 'failed',
    startedAt: scan.startedAt,
    finishedAt: scan.finishedAt,
    failure: scan.failure,
    protocolVersion: scan.protocolVersion ?? null,
    toolSetFingerprint: prepared.setFingerprint,
    tools: new Map(prepared.tools.map((t) => [t.name, t])),
    tlsCertificateSha256: scan.tlsCertificateSha256 ?? null,
    serverCard: scan.serverCard ?? null,
  };
}

/**
 * Store a finished scan (insert, or finish the running row of the same id) and its definitions.
 * Answers the scan as the hooks receive it.
 */
export async function storeFinishedScan(tx: Tx, scan: FinishedScan, options: { stored?: ScanSummary | null } = {}): Promise<RecordedScan> {
  const prepared = prepareScan(orgOf(tx), scan);
  await storeDefinitions(tx, prepared.tools, options.stored);
  await tx.query(SCAN_UPSERT_SQL, prepared.values, { name: 'aim.mcp.scan-store' });
  return recordedOf(prepared, scan);
}

/** The definitions of fingerprints, by fingerprint. */
export async function loadDefinitions(tx: Tx, fingerprints: readonly string[]): Promise<Map<string, McpToolDefinition>> {
  if (fingerprints.length === 0) return new Map();
  const { rows } = await tx.query<{ fingerprint: string; definition: McpToolDefinition }>(
    'select fingerprint, definition from mcp_tool_definitions where organization_id = $1 and fingerprint = any($2::text[])',
    [orgOf(tx), [...new Set(fingerprints)]],
    { name: 'aim.mcp.definitions' },
  );
  return new Map(rows.map((r) => [r.fingerprint, r.definition]));
}

export function summaryOf(row: ScanRow): Omit<ScanSummary, 'tools'> {
  return {
    id: row.id,
    mcpServerId: row.mcp_server_id,
    trigger: row.trigger,
    status: row.status === 'failed' ? 'failed' : 'succeeded',
    startedAt: row.started_at,
    finishedAt: row.finished_at ?? row.started_at,
    failure: row.failure_reason ? { reason: row.failure_reason, message: row.failure_message ?? '' } : null,
    protocolVersion: row.protocol_version,
    toolSetFingerprint: row.tool_set_fingerprint,
    tlsCertificateSha256: row.tls_certificate_sha256,
    serverCard: row.server_card,
  };
}

async function withTools(tx: Tx, row: ScanRow): Promise<RecordedScan> {
  const definitions = await loadDefinitions(tx, row.tools.map((t) => t.fingerprint));
  return { ...summaryOf(row), tools: new Map(row.tools.map((t) => [t.name, { name: t.name, fingerprint: t.fingerprint, definition: definitions.get(t.fingerprint)! }])) };
}

export const SCAN_COLUMNS = `id, mcp_server_id, trigger, status, started_at, finished_at, failure_reason, failure_message, protocol_version,
                      tool_set_fingerprint, tls_certificate_sha256, server_card, tools`;

/** One scan of the organization with its tools, or null. */
export async function loadScan(tx: Tx, scanId: string): Promise<RecordedScan | null> {
  const { rows } = await tx.query<ScanRow>(`select ${SCAN_COLUMNS} from mcp_scans where organization_id = $1 and id = $2`, [orgOf(tx), scanId]);
  return rows[0] ? withTools(tx, rows[0]) : null;
}

/** A server's latest finished scan (or latest successful one), with its tools, before `beforeId` when given. */
export async function latestScan(tx: Tx, mcpServerId: string, options: { succeededOnly?: boolean; beforeId?: string } = {}): Promise<RecordedScan | null> {
  const { rows } = await tx.query<ScanRow>(
    `select ${SCAN_COLUMNS} from mcp_scans
      where organization_id = $1 and mcp_server_id = $2 and status ${options.succeededOnly ? "= 'succeeded'" : "<> 'running'"}
        and ($3::text is null or id < $3)
      order by id desc limit 1`,
    [orgOf(tx), mcpServerId, options.beforeId ?? null],
    { name: `aim.mcp.latest-scan${options.succeededOnly ? '-ok' : ''}` },
  );
  return rows[0] ? withTools(tx, rows[0]) : null;
}
