import {
  ALERT_SEVERITIES,
  type AlertJson,
  type AlertSeverity,
  type AlertStatus,
  type Detector,
  type MonitoringSettings,
  type MonitoringSettingsUpdate,
  type alertNoteSchema,
  type bulkAlertActionSchema,
  type bulkAlertResultSchema,
  type learningFindingSchema,
  type securityOverviewSchema,
} from '@aim/contracts';
import type { z } from 'zod';
import { request } from '@/api/client';

/**
 * The monitoring operations the dashboard calls (docs/monitoring.md: alerts API, settings, security
 * overview), typed by their contract in `@aim/contracts` (packages/contracts/src/monitoring.ts).
 */
export type Alert = AlertJson;
export type AlertNote = z.infer<typeof alertNoteSchema>;
export type LearningFinding = z.infer<typeof learningFindingSchema>;
export type SecurityOverview = z.infer<typeof securityOverviewSchema>;
export type BulkAction = z.input<typeof bulkAlertActionSchema>;
export type BulkResult = z.infer<typeof bulkAlertResultSchema>;
export type { AlertSeverity, AlertStatus, Detector, MonitoringSettings };

/** The live topic of alert changes: the audit log records them as `alert.*` on targets of type `alert`. */
export const ALERT_TOPICS = ['alert'] as const;
/** Settings changes are audited as `monitoring.settings_updated`; either topic name refreshes the page. */
export const SETTINGS_TOPICS = ['monitoring', 'monitoring_settings'] as const;

export interface AlertFilters {
  status?: AlertStatus[];
  severity?: AlertSeverity[];
  type?: Detector[];
  subjectId?: string;
  limit?: number;
  cursor?: string;
}

/** A query string with repeated parameters for lists (`status=open&status=acknowledged`). */
function qs(query: Record<string, string | number | readonly string[] | undefined>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === '') continue;
    for (const one of Array.isArray(v) ? v : [v]) params.append(k, String(one));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

const one = (id: string) => `/api/v1/alerts/${encodeURIComponent(id)}`;
type Envelope = { alert: Alert };

export const alerts = {
  list: (f: AlertFilters) =>
    request<{ alerts: Alert[]; nextCursor: string | null }>(
      'GET',
      `/api/v1/alerts${qs({ status: f.status, severity: f.severity, type: f.type, ...(f.subjectId ? { subjectType: 'agent', subjectId: f.subjectId } : {}), limit: f.limit, cursor: f.cursor })}`,
    ),
  get: (id: string) => request<{ alert: Alert; notes: AlertNote[] }>('GET', one(id)),
  acknowledge: (id: string, note?: string) => request<Envelope>('POST', `${one(id)}/acknowledge`, note ? { note } : {}),
  assign: (id: string, assigneeId: string | null) => request<Envelope>('POST', `${one(id)}/assign`, { assigneeId }),
  snooze: (id: string, until: string) => request<Envelope>('POST', `${one(id)}/snooze`, { until }),
  resolve: (id: string, resolution: 'resolved' | 'false_positive', note?: string) =>
    request<Envelope>('POST', `${one(id)}/resolve`, { resolution, ...(note ? { note } : {}) }),
  reopen: (id: string) => request<Envelope>('POST', `${one(id)}/reopen`, {}),
  addNote: (id: string, body: string) => request<{ note: AlertNote }>('POST', `${one(id)}/notes`, { body }),
  bulk: (body: BulkAction) => request<BulkResult>('POST', '/api/v1/alerts/bulk', body),
  findings: (query: { agentId?: string; limit?: number; cursor?: string }) =>
    request<{ findings: LearningFinding[]; nextCursor: string | null }>('GET', `/api/v1/monitoring/learning-findings${qs(query)}`),
  settings: () => request<{ settings: MonitoringSettings; updatedAt: string | null }>('GET', '/api/v1/monitoring/settings'),
  saveSettings: (body: MonitoringSettingsUpdate) => request<{ settings: MonitoringSettings; updatedAt: string | null }>('PUT', '/api/v1/monitoring/settings', body),
  overview: (days: number) => request<SecurityOverview>('GET', `/api/v1/monitoring/overview${qs({ days })}`),
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
};
