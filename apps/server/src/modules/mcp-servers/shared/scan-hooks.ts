import type { McpScanFailureReason, McpSettings, McpToolDefinition } from '@aim/contracts';
import type { Tx } from '../../../platform/db/database.js';
import type { RequestContext } from '../../../platform/http/request-context.js';
import type { McpServerRow } from '../mcp-server-repository.js';
import type { LiveFindings } from './findings-store.js';
import type { OtherServersTools } from './other-servers-tools.js';

/**
 * What a finished scan hands to the parts that judge it (docs/mcp.md, "after a scan"): identity
 * (TLS certificate, server card), approval (status, drift against the pins, blocking), findings
 * (poisoning heuristics) and confidence. The scanner stores the scan, then runs every hook in order
 * in the same transaction: a scan and what it concluded commit together or not at all.
 */

/** One tool of a scan: the definition as the server sent it (fingerprinted fields only) and its fingerprint. */
export interface ScannedTool {
  name: string;
  fingerprint: string;
  definition: McpToolDefinition;
}

/** The scan as stored (mcp_scans), its tools named with their fingerprints. */
export interface ScanSummary {
  id: string;
  mcpServerId: string;
  trigger: 'manual' | 'scheduled';
  status: 'succeeded' | 'failed';
  startedAt: Date;
  finishedAt: Date;
  failure: { reason: McpScanFailureReason; message: string } | null;
  protocolVersion: string | null;
  toolSetFingerprint: string | null;
  /** By name; empty for a failed scan. */
  tools: ReadonlyMap<string, { name: string; fingerprint: string }>;
  tlsCertificateSha256: string | null;
  /** The server card as fetched (null: none at the .well-known location, or not fetched). */
  serverCard: { document: unknown; raw: string } | null;
}

/** The scan as stored, with its tools in full. */
export interface RecordedScan extends ScanSummary {
  tools: ReadonlyMap<string, ScannedTool>;
}

export interface ScanHookInput {
  ctx: RequestContext;
  /** The server as locked (for update) by the scanner before the hooks run. */
  server: McpServerRow;
  scan: RecordedScan;
  /**
   * The server's previous finished scan, if any: its tools by name and fingerprint (a definition with a
   * fingerprint of the current scan is that scan's; the others are in mcp_tool_definitions).
   */
  previous: ScanSummary | null;
  /** What the hooks before this one concluded (written on the scan row once every hook ran). */
  concluded: Readonly<ScanHookOutcome>;
  /** The server's open and dismissed findings as the hooks began (each hook judges its own kinds). */
  live: LiveFindings;
  /**
   * What the scanner read with the server, so that hooks skip reads that would find nothing. Hooks
   * run without it (tests, benchmarks of one hook) read for themselves.
   */
  known?: ScanKnown;
}

export interface ScanKnown {
  settings: McpSettings;
  /** The server's keys not revoked (the identity hook reads them only when there is a card to verify). */
  activeServerKeys: number;
  /** When the server's latest attestation arrived (the attestation hook compares only recent ones). */
  latestAttestationAt: Date | null;
  /** Other servers' tools among the names the hooks asked for (McpScanHook.otherServersToolNames), read before they run. */
  otherServersTools?: { names: ReadonlySet<string>; tools: OtherServersTools };
}

/** What a hook may set on the scan row and its server (the scanner writes it after every hook ran). */
export interface ScanHookOutcome {
  serverCard?: { status: 'absent' | 'unsigned' | 'valid' | 'invalid'; keyId: string | null; message: string | null };
  drift?: { added: number; removed: number; changed: number } | null;
  /** The server's confidence after this scan (stored on the server with the scan's end). */
  confidence?: { score: number | null; document: unknown };
}

export interface McpScanHook {
  /** For logs and metrics, e.g. `identity`, `approval`, `poisoning`, `confidence`. */
  name: string;
  afterScan(tx: Tx, input: ScanHookInput): Promise<ScanHookOutcome | void>;
  /**
   * Names of the organization's other servers' tools this hook will look for in a successful scan of
   * these tools: the scanner reads them with what it reads before the hooks run (`known.otherServersTools`).
   */
  otherServersToolNames?(tools: readonly ScannedTool[]): Iterable<string>;
}

/**
 * The hooks in the order they run: identity first (a card that does not verify is known before the
 * status is set), then approval (status and drift), then findings, then confidence (which reads what
 * the others wrote).
 */
export type McpScanHooks = readonly McpScanHook[];

/** The names of other servers' tools the hooks will look for in a successful scan of these tools (read with the scan's context). */
export const otherServersToolNamesOf = (hooks: McpScanHooks, tools: readonly ScannedTool[]): string[] =>
  hooks.flatMap((hook) => [...(hook.otherServersToolNames?.(tools) ?? [])]);
