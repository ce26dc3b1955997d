import {
  ALERT_SEVERITIES,
  type AlertSeverity,
  type AlertStatus,
  type Detector,
  type MonitoringSettings,
  type MonitoringSettingsUpdate,
} from '@aim/contracts';
import { api } from '@/api/client';
import type { components } from '@/api/schema';

/**
 * The monitoring operations the dashboard calls (docs/monitoring.md: alerts API, settings, security
 * overview), through the typed client (docs/openapi.json).
 */
export type Alert = components['schemas']['Alert'];
export type AlertNote = components['schemas']['AlertNote'];
export type LearningFinding = components['schemas']['LearningFinding'];
export type SecurityOverview = components['schemas']['SecurityOverview'];
export type BulkResult = components['schemas']['BulkAlertResult'];
export type { AlertSeverity, AlertStatus, Detector, MonitoringSettings };

/**
 * The live topic of alert changes: the audit log records them as `alert.*` on targets of type `alert`
 * (raised, acknowledged, assigned, …). A repeat finding counted on an active alert is not audited.
 */
export const ALERT_TOPICS = ['alert'] as const;
/** Settings changes are audited as `monitoring.settings_updated` on a `monitoring_settings` target. */
export const SETTINGS_TOPICS = ['monitoring_settings'] as const;

export interface AlertFilters {
  status?: AlertStatus[] | undefined;
  severity?: AlertSeverity[] | undefined;
  type?: Detector[] | undefined;
  subjectId?: string | undefined;
  limit?: number;
  cursor?: string;
}

const path = (alertId: string) => ({ params: { path: { alertId } } });

export const alerts = {
  list: (f: AlertFilters) =>
    api.GET('/api/v1/alerts', {
      params: {
        query: {
          ...(f.status ? { status: f.status } : {}),
          ...(f.severity ? { severity: f.severity } : {}),
          ...(f.type ? { type: f.type } : {}),
          ...(f.subjectId ? { subjectType: 'agent' as const, subjectId: f.subjectId } : {}),
          ...(f.limit ? { limit: f.limit } : {}),
          ...(f.cursor ? { cursor: f.cursor } : {}),
        },
      },
    }),
  get: (id: string) => api.GET('/api/v1/alerts/{alertId}', path(id)),
  acknowledge: (id: string) => api.POST('/api/v1/alerts/{alertId}/acknowledge', { ...path(id), body: {} }),
  assign: (id: string, assigneeId: string | null) => api.POST('/api/v1/alerts/{alertId}/assign', { ...path(id), body: { assigneeId } }),
  snooze: (id: string, until: string) => api.POST('/api/v1/alerts/{alertId}/snooze', { ...path(id), body: { until } }),
  resolve: (id: string, resolution: 'resolved' | 'false_positive') => api.POST('/api/v1/alerts/{alertId}/resolve', { ...path(id), body: { resolution } }),
  reopen: (id: string) => api.POST('/api/v1/alerts/{alertId}/reopen', { ...path(id), body: {} }),
  addNote: (id: string, body: string) => api.POST('/api/v1/alerts/{alertId}/notes', { ...path(id), body: { body } }),
  bulk: (alertIds: string[], action: 'acknowledge' | 'resolve') => api.POST('/api/v1/alerts/bulk', { body: { alertIds, action } }),
  findings: (query: { limit?: number; cursor?: string }) => api.GET('/api/v1/monitoring/learning-findings', { params: { query } }),
  settings: () => api.GET('/api/v1/monitoring/settings'),
  saveSettings: (body: MonitoringSettingsUpdate) => api.PUT('/api/v1/monitoring/settings', { body }),
  overview: (days: number) => api.GET('/api/v1/monitoring/overview', { params: { query: { days } } }),
};

export const alertHref = (id: string) => `/alerts/detail/?id=${encodeURIComponent(id)}`;
export const isAlertId = (id: string) => /^alr_[0-9a-z]{26}$/.test(id);

/** Most severe first, for filters and legends. */
export const SEVERITIES_DOWN = [...ALERT_SEVERITIES].reverse();

/**
 * Severity colours for badges and charts, with text that keeps 4.5:1 contrast on its background;
 * chart fills are the stronger shade (they carry no text, and each series also has a name).
 */
export const SEVERITY_STYLE: Record<AlertSeverity, { badge: string; fill: string }> = {
  critical: { badge: 'bg-red-700 text-white', fill: '#b91c1c' },
  high: { badge: 'bg-orange-100 text-orange-900 ring-1 ring-orange-300', fill: '#ea580c' },
  medium: { badge: 'bg-amber-100 text-amber-900 ring-1 ring-amber-300', fill: '#d97706' },
  low: { badge: 'bg-sky-100 text-sky-900 ring-1 ring-sky-300', fill: '#0284c7' },
  info: { badge: 'bg-slate-100 text-slate-700 ring-1 ring-slate-300', fill: '#64748b' },
};

export const STATUS_LABEL: Record<AlertStatus, string> = {
  open: 'open',
  acknowledged: 'acknowledged',
  snoozed: 'snoozed',
  resolved: 'resolved',
  false_positive: 'false positive',
};

/** Detector names as a person reads them. */
export const DETECTOR_LABEL: Record<Detector, string> = {
  trust_drop: 'Trust drop',
  key_misuse: 'Key misuse',
  heartbeat_lost: 'Heartbeat lost',
  key_age: 'Key age',
  denial_spike: 'Denial spike',
  rate_anomaly: 'Request rate',
  new_action: 'New action',
  new_resource: 'New resource',
  off_hours: 'Off hours',
  data_volume: 'Data volume',
  new_network: 'New network',
  mcp_drift: 'MCP tool drift',
  mcp_poisoning: 'MCP tool poisoning',
  mcp_tool_mismatch: 'MCP tool mismatch',
  mcp_shadow_server: 'Shadow MCP server',
  mcp_identity: 'MCP server identity',
};
