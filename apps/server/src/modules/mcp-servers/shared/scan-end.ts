import type { McpSettings } from '@aim/contracts';
import { orgOf, type Tx } from '../../../platform/db/database.js';
import type { McpServerRow } from '../mcp-server-repository.js';
import { liveFindingsOf, type LiveFindingRow, type LiveFindings } from './findings-store.js';
import { mcpSettingsOf } from './mcp-settings-store.js';
import { otherServersToolsOf, otherServersToolsSql, type OtherServerToolRow } from './other-servers-tools.js';
import type { RecordedScan, ScanKnown, ScanSummary } from './scan-hooks.js';
import { prepareScan, recordedOf, SCAN_COLUMNS, scanUpsertSql, storeDefinitions, summaryOf, type FinishedScan, type PreparedScan, type ScanRow } from './scan-store.js';

/**
 * The end of a scan (docs/mcp.md, "After a scan"): in the transaction that runs the hooks, one statement
 * locks the server and reads what the hooks read before they run (its previous scan, its live findings,
 * the organization's MCP settings, the server's key count and latest attestation, other servers' tools
 * the hooks asked for), storing the finished scan in the same statement.
 */

/** What the end of a scan reads before its hooks run. */
export interface ScanEndContext {
  /** Locked (for update) until the scan's transaction ends. */
  server: McpServerRow;
  /** The server's latest finished scan before this one, its tools by name and fingerprint only. */
  previous: ScanSummary | null;
  live: LiveFindings;
  settings: McpSettings;
  /** Read with the rest, for the hooks (ScanHookInput.known). */
  known: ScanKnown;
}

type ContextRow = McpServerRow & {
  __previous: (Omit<ScanRow, 'started_at' | 'finished_at'> & { started_at: string; finished_at: string | null }) | null;
  __live: LiveFindingRow[];
  __settings: Partial<McpSettings> | null;
  __active_keys: number;
  __latest_attestation_at: Date | null;
  __others: OtherServerToolRow[] | null;
};

/**
 * The statement that reads the context, its parameters $1 (organization), $2 (server) and $3 (the
 * scan's id); with `store`, a finished scan stored first (its values $4…$24 after id, organization and
 * server); with `names`, other servers' tools among them ($25).
 */
const contextSql = (options: { store: boolean; names: boolean }) => `
  ${options.store ? `with stored as (${scanUpsertSql(['$3', '$1', '$2', ...Array.from({ length: 21 }, (_, i) => `$${i + 4}`)])} returning 1)` : ''}
  select m.*, to_jsonb(p) as __previous,
         (select coalesce(jsonb_agg(jsonb_build_object('dedup_key', f.dedup_key, 'kind', f.kind, 'status', f.status)), '[]'::jsonb)
            from mcp_findings f where f.organization_id = $1 and f.mcp_server_id = $2 and f.status in ('open', 'dismissed')) as __live,
         (select st.settings from mcp_settings st where st.organization_id = $1) as __settings,
         (select count(*)::int from mcp_server_keys k where k.organization_id = $1 and k.mcp_server_id = $2 and k.revoked_at is null) as __active_keys,
         (select a.received_at from mcp_attestations a where a.organization_id = $1 and a.mcp_server_id = $2 order by a.id desc limit 1) as __latest_attestation_at,
         ${options.names ? `(select jsonb_agg(o) from (${otherServersToolsSql({ organizationId: '$1', server: '$2', names: options.store ? '$25' : '$4' })}) o)` : 'null::jsonb'} as __others
    from mcp_servers m
    left join lateral (select ${SCAN_COLUMNS} from mcp_scans s
                        where s.organization_id = $1 and s.mcp_server_id = $2 and s.status <> 'running' and s.id < $3
                        order by s.id desc limit 1) p on true
   where m.organization_id = $1 and m.id = $2
     for update of m`;

const CONTEXT_SQL = {
  plain: contextSql({ store: false, names: false }),
  names: contextSql({ store: false, names: true }),
  store: contextSql({ store: true, names: false }),
  storeNames: contextSql({ store: true, names: true }),
};

export interface ScanEndOptions {
  /** Names of other servers' tools the hooks will look for (McpScanHook.otherServersToolNames): read into `known.otherServersTools`. */
  otherServersToolNames?: readonly string[];
}

/**
 * The server locked, its previous scan, its open and dismissed findings, the organization's MCP
 * settings and what the hooks asked for, in one statement; null when the server is gone.
 */
export async function loadScanEndContext(tx: Tx, mcpServerId: string, scanId: string, options: ScanEndOptions = {}): Promise<ScanEndContext | null> {
  return readScanEnd(tx, mcpServerId, scanId, options);
}

/**
 * The end of a scan before its hooks run: the finished scan stored in the statement that reads its
 * context (loadScanEndContext), then its definitions the previous scan did not have; null when the
 * server is gone.
 */
export async function storeScanAndLoadContext(tx: Tx, scan: FinishedScan & { id: string }, options: ScanEndOptions = {}): Promise<(ScanEndContext & { recorded: RecordedScan }) | null> {
  const prepared = prepareScan(orgOf(tx), scan);
  const context = await readScanEnd(tx, scan.mcpServerId, scan.id, options, prepared);
  if (!context) return null;
  await storeDefinitions(tx, prepared.tools, context.previous);
  return { ...context, recorded: recordedOf(prepared, scan) };
}

async function readScanEnd(tx: Tx, mcpServerId: string, scanId: string, options: ScanEndOptions, prepared?: PreparedScan): Promise<ScanEndContext | null> {
  const names = options.otherServersToolNames && options.otherServersToolNames.length > 0 ? [...new Set(options.otherServersToolNames)] : undefined;
  const key = prepared ? (names ? 'storeNames' : 'store') : names ? 'names' : 'plain';
  const params: unknown[] = [orgOf(tx), mcpServerId, scanId, ...(prepared ? prepared.values.slice(3) : []), ...(names ? [names] : [])];
  const { rows } = await tx.query<ContextRow>(CONTEXT_SQL[key], params, { name: `aim.mcp.scan-end-context-${key}` });
  const row = rows[0];
  if (!row) return null;
  const { __previous: p, __live: live, __settings: settings, __active_keys: activeServerKeys, __latest_attestation_at: latestAttestationAt, __others: others, ...server } = row;
  const mcpSettings = mcpSettingsOf(settings);
  const summary = p ? summaryOf({ ...p, started_at: new Date(p.started_at), finished_at: p.finished_at === null ? null : new Date(p.finished_at) }) : null;
  const previous = summary && p ? { ...summary, tools: new Map(p.tools.map((t) => [t.name, { name: t.name, fingerprint: t.fingerprint }])) } : null;
  return {
    server: server as McpServerRow,
    previous,
    live: liveFindingsOf(live),
    settings: mcpSettings,
    known: {
      settings: mcpSettings,
      activeServerKeys,
      latestAttestationAt,
      ...(names ? { otherServersTools: { names: new Set(names), tools: otherServersToolsOf(others ?? []) } } : {}),
    },
  };
}
