import type {
  McpServerStatus,
  McpSettings,
  mcpApprovalSchema,
  mcpAttestationSchema,
  mcpConfidenceSchema,
  mcpFindingSchema,
  mcpScanSchema,
  mcpToolDiffSchema,
  mcpToolPinSchema,
  mcpToolSchema,
} from '@aim/contracts';
import type { z } from 'zod';
import { request } from '@/api/client';
import type { components } from '@/api/schema';

/**
 * The MCP operations the dashboard calls (docs/mcp.md). The registry (list, register, read, the
 * lifecycle) goes through the typed client; discovery, approval, findings, identity and attestations
 * through `request`, typed by the contract shapes of `@aim/contracts` (mcp-discovery.ts,
 * mcp-findings.ts), until the OpenAPI document lists them and callers can move to `api`.
 */
export type McpServer = components['schemas']['McpServer'];
export type McpScan = z.infer<typeof mcpScanSchema>;
export type McpTool = z.infer<typeof mcpToolSchema>;
export type McpToolDiff = z.infer<typeof mcpToolDiffSchema>;
export type McpToolPin = z.infer<typeof mcpToolPinSchema>;
export type McpApproval = z.infer<typeof mcpApprovalSchema>;
export type McpFinding = z.infer<typeof mcpFindingSchema>;
export type McpAttestation = z.infer<typeof mcpAttestationSchema>;
export type McpConfidence = z.infer<typeof mcpConfidenceSchema>;
export type { McpServerStatus, McpSettings };

/** A server key as the identity operations list it (the fields the page shows; others are ignored). */
export interface McpServerKey {
  id: string;
  status: string;
  createdAt: string;
  revokedAt?: string | null;
  expiresAt?: string | null;
}

/**
 * Live topics: changes are audited on targets of these types, and the stream names them. The registry,
 * scans, approvals, status changes and server keys are audited on `mcp_server`; findings and
 * attestations on their own.
 */
export const MCP_TOPICS = ['mcp_server', 'mcp_finding', 'mcp_attestation'] as const;
export const MCP_SETTINGS_TOPICS = ['mcp_settings'] as const;

const base = (mcpServerId: string) => `/api/v1/mcp-servers/${encodeURIComponent(mcpServerId)}`;
const query = (params: Record<string, string | number | undefined>) => {
  const entries = Object.entries(params).filter((e): e is [string, string | number] => e[1] !== undefined && e[1] !== '');
  return entries.length ? `?${new URLSearchParams(entries.map(([k, v]) => [k, String(v)])).toString()}` : '';
};

export const mcp = {
  scans: (id: string, cursor?: string) => request<{ scans: McpScan[]; nextCursor: string | null }>('GET', `${base(id)}/scans${query({ limit: 20, cursor })}`),
  scan: (id: string, scanId: string) => request<{ scan: McpScan; tools: McpTool[] }>('GET', `${base(id)}/scans/${encodeURIComponent(scanId)}`),
  scanNow: (id: string) => request<{ scan: McpScan }>('POST', `${base(id)}/scans`, {}),
  scanDiff: (id: string, scanId: string, against: string) => request<{ diff: McpToolDiff[]; against?: { kind: 'scan' | 'pins' | 'none'; scanId: string | null } }>('GET', `${base(id)}/scans/${encodeURIComponent(scanId)}/diff${query({ against })}`),
  pins: (id: string) => request<{ approval: McpApproval | null; pins: McpToolPin[] }>('GET', `${base(id)}/pins`),
  /** `scan` null: no successful scan yet; `pinned` false: never approved (the diff is empty, nothing to compare with). */
  drift: (id: string) => request<{ scan: McpScan | null; diff: McpToolDiff[]; pinned: boolean }>('GET', `${base(id)}/drift`),
  approve: (id: string, body: { scanId: string; toolSetFingerprint: string; note?: string }) =>
    request<{ mcpServer: McpServer; approval: McpApproval; toolsWithoutAction?: string[] }>('POST', `${base(id)}/approve`, body),
  findings: (mcpServerId: string) => request<{ findings: McpFinding[]; nextCursor: string | null }>('GET', `/api/v1/mcp-findings${query({ mcpServerId, limit: 100 })}`),
  openFindings: (cursor?: string) => request<{ findings: McpFinding[]; nextCursor: string | null }>('GET', `/api/v1/mcp-findings${query({ status: 'open', limit: 200, cursor })}`),
  dismiss: (findingId: string, note: string) => request<{ finding: McpFinding }>('POST', `/api/v1/mcp-findings/${encodeURIComponent(findingId)}/dismiss`, { note }),
  reopen: (findingId: string) => request<{ finding: McpFinding }>('POST', `/api/v1/mcp-findings/${encodeURIComponent(findingId)}/reopen`, {}),
  approvals: (id: string) => request<{ approvals: McpApproval[]; nextCursor: string | null }>('GET', `${base(id)}/approvals${query({ limit: 10 })}`),
  confidence: (id: string) => request<{ confidence: McpConfidence }>('GET', `${base(id)}/confidence`),
  keys: (id: string) => request<{ keys: McpServerKey[]; nextCursor?: string | null }>('GET', `${base(id)}/keys`),
  revokeKey: (id: string, keyId: string) => request<{ key: McpServerKey }>('POST', `${base(id)}/keys/${encodeURIComponent(keyId)}/revoke`, {}),
  attestations: (id: string) => request<{ attestations: McpAttestation[]; nextCursor?: string | null }>('GET', `${base(id)}/attestations`),
  settings: () => request<{ settings: McpSettings; updatedAt?: string | null } | McpSettings>('GET', '/api/v1/mcp-settings'),
  saveSettings: (body: Partial<McpSettings>) => request<{ settings: McpSettings } | McpSettings>('PUT', '/api/v1/mcp-settings', body),
};

/** The settings out of either answer shape (`{ settings }` or the settings themselves). */
export const settingsOf = (answer: { settings: McpSettings } | McpSettings): McpSettings => ('settings' in answer ? answer.settings : answer);

export const serverHref = (id: string) => `/mcp-servers/detail/?id=${encodeURIComponent(id)}`;
export const reviewHref = (id: string) => `/mcp-servers/review/?id=${encodeURIComponent(id)}`;

/** Status colours with text at 4.5:1 on their background. */
export const STATUS_STYLE: Record<McpServerStatus, string> = {
  pending: 'bg-amber-100 text-amber-900 ring-1 ring-amber-300',
  verified: 'bg-sky-100 text-sky-900 ring-1 ring-sky-300',
  approved: 'bg-emerald-100 text-emerald-900 ring-1 ring-emerald-300',
  drifted: 'bg-orange-100 text-orange-900 ring-1 ring-orange-300',
  suspended: 'bg-slate-200 text-slate-800 ring-1 ring-slate-400',
  revoked: 'bg-red-700 text-white',
};

export const TRANSPORT_LABEL = { streamable_http: 'Streamable HTTP', stdio: 'stdio' } as const;

/** A fingerprint as people compare it: the first 12 hex digits. */
export const shortFingerprint = (hex: string) => `${hex.slice(0, 12)}…`;
