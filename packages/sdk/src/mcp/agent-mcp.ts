import type { AimError } from '../errors.js';
import { attestationPayload, declareServers, sendAttestation, signAttestation, type McpAgentPort } from './attestation.js';
import { discoverMcpServers, type McpConfigWarning, type McpDiscoveryOptions } from './config-discovery.js';
import type { DiscoveredMcpServer } from './config-entries.js';
import { listMcpServerTools, type McpListOptions, type McpServerError, type McpToolListing } from './tool-listing.js';
import type { McpAttestationRecord, McpServerDescriptor } from './types.js';

/**
 * `agent.mcp`: find the MCP servers this machine's clients are configured with, list what each one
 * shows, and tell AIM (docs/mcp.md, "For SDK users").
 */

/**
 * Options of {@link AgentMcp.scanAndAttest}: where to look, and how long each server may take.
 *
 * @example
 * ```ts
 * await agent.mcp.scanAndAttest({ projectDir: process.cwd(), timeoutMs: 10_000, concurrency: 2 });
 * ```
 */
export interface McpScanOptions extends McpDiscoveryOptions, Omit<McpListOptions, 'signal'> {
  /** Servers listed at the same time. Default 4. */
  concurrency?: number;
  /** Send the declaration of the servers found (`PUT …/mcp-servers`). Default true. */
  declare?: boolean;
  signal?: AbortSignal;
}

/**
 * One server, as `scanAndAttest` handled it: `attested` (AIM stored the attestation), `attest_failed`
 * (listed, but AIM refused or could not be reached: `error` is an `AimError`), `unreachable` (could not
 * be listed: `error` is an `McpServerError`), or `disabled` in its configuration (not contacted).
 *
 * @example
 * ```ts
 * for (const s of report.servers) console.log(s.descriptor.name, s.status, s.attestation?.comparison ?? s.error?.message);
 * ```
 */
export interface McpServerReport {
  descriptor: McpServerDescriptor;
  /** Every configuration entry that names this server (the first one's launch was used). */
  entries: DiscoveredMcpServer[];
  status: 'attested' | 'attest_failed' | 'unreachable' | 'disabled';
  /** The tools seen, with their fingerprints (when listed). */
  tools?: { name: string; fingerprint: string }[];
  toolSetFingerprint?: string;
  attestation?: McpAttestationRecord;
  error?: AimError | McpServerError;
}

/**
 * What `scanAndAttest` did.
 *
 * @example
 * ```ts
 * const report = await agent.mcp.scanAndAttest();
 * if (report.declaration.status === 'failed') console.warn(report.declaration.error.code);
 * ```
 */
export interface McpScanReport {
  servers: McpServerReport[];
  warnings: McpConfigWarning[];
  filesRead: string[];
  declaration: { status: 'declared'; answer: unknown } | { status: 'failed'; error: AimError } | { status: 'skipped' };
}

/**
 * The MCP calls of an agent (`agent.mcp`).
 *
 * @example
 * ```ts
 * const report = await agent.mcp.scanAndAttest({ projectDir: process.cwd() });
 * ```
 */
export interface AgentMcp {
  /** Read this machine's MCP client configurations ({@link discoverMcpServers}); nothing is started or sent. */
  discover(options?: McpDiscoveryOptions): ReturnType<typeof discoverMcpServers>;
  /** Find the servers, list each one's tools, declare them to AIM and send a signed attestation per listed server. Never throws for one server's failure. */
  scanAndAttest(options?: McpScanOptions): Promise<McpScanReport>;
}

const DEFAULT_CONCURRENCY = 4;

export function createAgentMcp(port: McpAgentPort): AgentMcp {
  return {
    discover: (options) => discoverMcpServers(options),
    scanAndAttest: (options = {}) => scanAndAttest(port, options),
  };
}

async function scanAndAttest(port: McpAgentPort, options: McpScanOptions): Promise<McpScanReport> {
  const discovery = await discoverMcpServers(options);
  const groups = groupByDescriptor(discovery.servers);
  const reports: McpServerReport[] = groups.map((entries) => ({
    descriptor: entries[0]!.descriptor,
    entries,
    status: entries.every((entry) => entry.disabled) ? 'disabled' : 'unreachable',
  }));
  const active = reports.filter((report) => report.status !== 'disabled');
  let declaration: McpScanReport['declaration'] = { status: 'skipped' };
  if (options.declare !== false) {
    try {
      declaration = { status: 'declared', answer: await declareServers(port, active.map((report) => report.descriptor), options.signal) };
    } catch (error) {
      declaration = { status: 'failed', error: error as AimError };
    }
  }
  await eachLimited(active, options.concurrency ?? DEFAULT_CONCURRENCY, async (report) => {
    const entry = report.entries.find((candidate) => !candidate.disabled)!;
    const listed = await listMcpServerTools(entry, options);
    await attestOne(port, report, listed, options.signal);
  });
  return { servers: reports, warnings: discovery.warnings, filesRead: discovery.filesRead, declaration };
}

async function attestOne(port: McpAgentPort, report: McpServerReport, listed: McpToolListing, signal: AbortSignal | undefined): Promise<void> {
  if (!listed.ok) {
    report.status = 'unreachable';
    report.error = listed.error;
    return;
  }
  report.tools = listed.tools.map(({ name, fingerprint }) => ({ name, fingerprint }));
  report.toolSetFingerprint = listed.toolSetFingerprint;
  try {
    const payload = attestationPayload(port.agentId, report.descriptor, listed.tools, listed.toolSetFingerprint, listed.observedAt);
    report.attestation = await sendAttestation(port, signAttestation(port, payload), signal);
    report.status = 'attested';
  } catch (error) {
    report.status = 'attest_failed';
    report.error = error as AimError;
  }
}

/** Entries that describe the same server (listed in several clients' files) are one server. */
function groupByDescriptor(servers: readonly DiscoveredMcpServer[]): DiscoveredMcpServer[][] {
  const groups = new Map<string, DiscoveredMcpServer[]>();
  for (const server of servers) {
    const key = JSON.stringify(server.descriptor);
    const group = groups.get(key);
    if (group) group.push(server);
    else groups.set(key, [server]);
  }
  return [...groups.values()];
}

async function eachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}
