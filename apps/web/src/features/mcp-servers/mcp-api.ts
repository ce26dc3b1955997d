import type { McpServerStatus, McpSettings } from '@aim/contracts';
import { api } from '@/api/client';
import type { components } from '@/api/schema';

/**
 * The MCP operations the dashboard calls (docs/mcp.md), through the typed client (docs/openapi.json):
 * the registry, scans, approval and drift, findings and confidence, server keys, attestations and the
 * MCP settings.
 */
type Schemas = components['schemas'];
export type McpServer = Schemas['McpServer'];
export type McpScan = Schemas['McpScan'];
export type McpTool = Schemas['McpTool'];
export type McpToolDiff = Schemas['McpToolDiff'];
export type McpToolPin = Schemas['McpToolPin'];
export type McpApproval = Schemas['McpApproval'];
export type McpFinding = Schemas['McpFinding'];
export type McpAttestation = Schemas['McpAttestation'];
export type McpConfidence = Schemas['McpConfidence'];
export type McpServerKey = Schemas['McpServerKey'];
export type { McpServerStatus, McpSettings };

/**
 * Live topics: changes are audited on targets of these types, and the stream names them. The registry,
 * scans, approvals, status changes and server keys are audited on `mcp_server`; findings and
 * attestations on their own.
 */
export const MCP_TOPICS = ['mcp_server', 'mcp_finding', 'mcp_attestation'] as const;
export const MCP_SETTINGS_TOPICS = ['mcp_settings'] as const;

const server = (mcpServerId: string) => ({ params: { path: { mcpServerId } } });
const scan = (mcpServerId: string, scanId: string) => ({ params: { path: { mcpServerId, scanId } } });
const finding = (findingId: string) => ({ params: { path: { findingId } } });

export const mcp = {
  scans: (id: string, cursor?: string) => api.GET('/api/v1/mcp-servers/{mcpServerId}/scans', { params: { path: { mcpServerId: id }, query: { limit: 20, ...(cursor ? { cursor } : {}) } } }),
  scan: (id: string, scanId: string) => api.GET('/api/v1/mcp-servers/{mcpServerId}/scans/{scanId}', scan(id, scanId)),
  scanNow: (id: string) => api.POST('/api/v1/mcp-servers/{mcpServerId}/scans', server(id)),
  /** A scan's tools against the successful scan before it (`against.kind` none: the first one, every tool added). */
  scanDiff: (id: string, scanId: string) =>
    api.GET('/api/v1/mcp-servers/{mcpServerId}/scans/{scanId}/diff', { params: { path: { mcpServerId: id, scanId }, query: { against: 'previous' } } }),
  pins: (id: string) => api.GET('/api/v1/mcp-servers/{mcpServerId}/pins', server(id)),
  /** `scan` null: no successful scan yet; `pinned` false: never approved (the diff is empty, nothing to compare with). */
  drift: (id: string) => api.GET('/api/v1/mcp-servers/{mcpServerId}/drift', server(id)),
  approve: (id: string, body: { scanId: string; toolSetFingerprint: string; note?: string }) => api.POST('/api/v1/mcp-servers/{mcpServerId}/approve', { ...server(id), body }),
  approvals: (id: string) => api.GET('/api/v1/mcp-servers/{mcpServerId}/approvals', { params: { path: { mcpServerId: id }, query: { limit: 10 } } }),
  findings: (id: string) => api.GET('/api/v1/mcp-servers/{mcpServerId}/findings', { params: { path: { mcpServerId: id }, query: { limit: 100 } } }),
  openFindings: (cursor?: string) => api.GET('/api/v1/mcp-findings', { params: { query: { status: ['open'], limit: 200, ...(cursor ? { cursor } : {}) } } }),
  dismiss: (findingId: string, note: string) => api.POST('/api/v1/mcp-findings/{findingId}/dismiss', { ...finding(findingId), body: { note } }),
  reopen: (findingId: string) => api.POST('/api/v1/mcp-findings/{findingId}/reopen', { ...finding(findingId), body: {} }),
  confidence: (id: string) => api.GET('/api/v1/mcp-servers/{mcpServerId}/confidence', server(id)),
  keys: (id: string) => api.GET('/api/v1/mcp-servers/{mcpServerId}/keys', server(id)),
  revokeKey: (id: string, keyId: string) => api.POST('/api/v1/mcp-servers/{mcpServerId}/keys/{keyId}/revoke', { params: { path: { mcpServerId: id, keyId } }, body: {} }),
  attestations: (id: string) => api.GET('/api/v1/mcp-servers/{mcpServerId}/attestations', server(id)),
  settings: () => api.GET('/api/v1/mcp-settings'),
  saveSettings: (body: Partial<McpSettings>) => api.PUT('/api/v1/mcp-settings', { body }),
};

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
