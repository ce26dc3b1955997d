import { z } from 'zod';
import { alertSeveritySchema, DETECTORS, type AlertSeverity, type Detector } from './monitoring.js';

/**
 * Monitoring settings (docs/monitoring.md, "settings"): per organization, the learning period, automatic
 * suspension, and each detector's switch, severity and parameters, with their defaults and ranges.
 */
const timestamp = z.string().describe('RFC 3339 timestamp');

const factor = z.number().min(1).max(50);
const count = (max: number) => z.number().int().min(1).max(max);

/**
 * Each detector's parameters and their allowed ranges (docs/monitoring.md says what each means; the
 * defaults are DEFAULT_DETECTOR_PARAMS). A change applies from the next event; alerts keep the
 * evidence they fired with.
 */
export const detectorParamsSchemas = {
  trust_drop: z.object({ dropPoints: z.number().min(20).max(100).describe('Points below the highest score of the last hour') }),
  key_misuse: z.object({
    failures: count(10_000).describe('Refused requests naming the agent’s key ids within the window'),
    windowMinutes: count(1440),
  }),
  heartbeat_lost: z.object({
    silenceMinutes: count(10_080).describe('No heartbeat for this long, from an agent that sent them regularly'),
    minHeartbeatHours: count(168).describe('Hours with heartbeats in the last 7 days before an agent counts as one that sends them'),
  }),
  key_age: z.object({ maxAgeDays: count(3650).describe('The organization’s key rotation policy') }),
  denial_spike: z.object({ madMultiplier: factor, minCount: count(1_000_000) }),
  rate_anomaly: z.object({ madMultiplier: factor, minRequests: count(1_000_000) }),
  new_action: z.object({}),
  new_resource: z.object({ prefixSegments: z.number().int().min(1).max(10).describe('Path segments that make a resource prefix') }),
  off_hours: z.object({ minRequests: count(100_000).describe('Requests in an hour the agent is normally inactive before it counts') }),
  data_volume: z.object({ madMultiplier: factor, minRecords: count(1e12), minBytes: count(1e15) }),
  new_network: z.object({ ipv4PrefixLength: z.number().int().min(8).max(32), ipv6PrefixLength: z.number().int().min(16).max(128) }),
  mcp_drift: z.object({}),
  mcp_poisoning: z.object({}),
  mcp_tool_mismatch: z.object({}),
  mcp_shadow_server: z.object({}),
  mcp_identity: z.object({}),
} as const satisfies Record<Detector, z.ZodObject>;
export type DetectorParams<D extends Detector> = z.output<(typeof detectorParamsSchemas)[D]>;

export const DEFAULT_DETECTOR_PARAMS: { [D in Detector]: DetectorParams<D> } = {
  trust_drop: { dropPoints: 20 },
  key_misuse: { failures: 5, windowMinutes: 10 },
  heartbeat_lost: { silenceMinutes: 10, minHeartbeatHours: 6 },
  key_age: { maxAgeDays: 90 },
  denial_spike: { madMultiplier: 4, minCount: 10 },
  rate_anomaly: { madMultiplier: 6, minRequests: 30 },
  new_action: {},
  new_resource: { prefixSegments: 2 },
  off_hours: { minRequests: 5 },
  data_volume: { madMultiplier: 10, minRecords: 100, minBytes: 1_000_000 },
  new_network: { ipv4PrefixLength: 24, ipv6PrefixLength: 48 },
  mcp_drift: {},
  mcp_poisoning: {},
  mcp_tool_mismatch: {},
  mcp_shadow_server: {},
  mcp_identity: {},
};

export const DEFAULT_DETECTOR_SEVERITY: Record<Detector, AlertSeverity> = {
  trust_drop: 'high',
  key_misuse: 'critical',
  heartbeat_lost: 'medium',
  key_age: 'low',
  denial_spike: 'medium',
  rate_anomaly: 'medium',
  new_action: 'low',
  new_resource: 'medium',
  off_hours: 'medium',
  data_volume: 'high',
  new_network: 'medium',
  mcp_drift: 'high',
  mcp_poisoning: 'high',
  mcp_tool_mismatch: 'high',
  mcp_shadow_server: 'medium',
  mcp_identity: 'high',
};

const detectorSetting = <S extends z.ZodObject>(params: S) => z.object({ enabled: z.boolean(), severity: alertSeveritySchema, params });
const detectorUpdate = <S extends z.ZodObject>(params: S) =>
  z.object({ enabled: z.boolean().optional(), severity: alertSeveritySchema.optional(), params: params.partial().strict().optional() }).strict().optional();
const P = detectorParamsSchemas;

const learningDays = z.number().int().min(0).max(90).describe('A new agent’s first days build its baseline: behavioural detectors only record what they would raise');
const autoSuspendOnCritical = z.boolean().describe('Suspend an agent when a critical alert about it is raised (audited; a person reactivates it)');

/** An organization's monitoring settings, whole (what GET answers; stored documents are merged over the defaults). */
export const monitoringSettingsSchema = z
  .object({
    learningDays,
    autoSuspendOnCritical,
    detectors: z.object({
      trust_drop: detectorSetting(P.trust_drop),
      key_misuse: detectorSetting(P.key_misuse),
      heartbeat_lost: detectorSetting(P.heartbeat_lost),
      key_age: detectorSetting(P.key_age),
      denial_spike: detectorSetting(P.denial_spike),
      rate_anomaly: detectorSetting(P.rate_anomaly),
      new_action: detectorSetting(P.new_action),
      new_resource: detectorSetting(P.new_resource),
      off_hours: detectorSetting(P.off_hours),
      data_volume: detectorSetting(P.data_volume),
      new_network: detectorSetting(P.new_network),
      mcp_drift: detectorSetting(P.mcp_drift),
      mcp_poisoning: detectorSetting(P.mcp_poisoning),
      mcp_tool_mismatch: detectorSetting(P.mcp_tool_mismatch),
      mcp_shadow_server: detectorSetting(P.mcp_shadow_server),
      mcp_identity: detectorSetting(P.mcp_identity),
    }),
  })
  .meta({ id: 'MonitoringSettings' });
export type MonitoringSettings = z.output<typeof monitoringSettingsSchema>;

export const DEFAULT_MONITORING_SETTINGS: MonitoringSettings = {
  learningDays: 7,
  autoSuspendOnCritical: false,
  detectors: Object.fromEntries(
    DETECTORS.map((d) => [d, { enabled: true, severity: DEFAULT_DETECTOR_SEVERITY[d], params: DEFAULT_DETECTOR_PARAMS[d] }]),
  ) as MonitoringSettings['detectors'],
};

/** PUT body: any part; what is left out keeps its current value (detectors merge per detector and parameter). */
export const updateMonitoringSettingsSchema = z
  .object({
    learningDays: learningDays.optional(),
    autoSuspendOnCritical: autoSuspendOnCritical.optional(),
    detectors: z
      .object({
        trust_drop: detectorUpdate(P.trust_drop),
        key_misuse: detectorUpdate(P.key_misuse),
        heartbeat_lost: detectorUpdate(P.heartbeat_lost),
        key_age: detectorUpdate(P.key_age),
        denial_spike: detectorUpdate(P.denial_spike),
        rate_anomaly: detectorUpdate(P.rate_anomaly),
        new_action: detectorUpdate(P.new_action),
        new_resource: detectorUpdate(P.new_resource),
        off_hours: detectorUpdate(P.off_hours),
        data_volume: detectorUpdate(P.data_volume),
        new_network: detectorUpdate(P.new_network),
        mcp_drift: detectorUpdate(P.mcp_drift),
        mcp_poisoning: detectorUpdate(P.mcp_poisoning),
        mcp_tool_mismatch: detectorUpdate(P.mcp_tool_mismatch),
        mcp_shadow_server: detectorUpdate(P.mcp_shadow_server),
        mcp_identity: detectorUpdate(P.mcp_identity),
      })
      .strict()
      .optional(),
  })
  .strict()
  .refine((v) => Object.keys(v).length > 0, { message: 'change at least one field' })
  .meta({ id: 'UpdateMonitoringSettings', examples: [{ learningDays: 3, detectors: { rate_anomaly: { params: { madMultiplier: 10 } } } }] });
export type MonitoringSettingsUpdate = z.output<typeof updateMonitoringSettingsSchema>;

/**
 * `over` laid on `base`, detector by detector and parameter by parameter (an update on the current
 * settings, or a stored document on the defaults: parameters added later get their defaults).
 */
export function mergeMonitoringSettings(base: MonitoringSettings, over: MonitoringSettingsUpdate | Partial<MonitoringSettings>): MonitoringSettings {
  const detectors = { ...base.detectors } as Record<Detector, MonitoringSettings['detectors'][Detector]>;
  const overDetectors = (over.detectors ?? {}) as Partial<Record<Detector, { enabled?: boolean; severity?: AlertSeverity; params?: object }>>;
  for (const d of DETECTORS) {
    const o = overDetectors[d];
    if (!o) continue;
    const b = detectors[d];
    detectors[d] = { enabled: o.enabled ?? b.enabled, severity: o.severity ?? b.severity, params: { ...b.params, ...(o.params ?? {}) } } as typeof b;
  }
  return {
    learningDays: over.learningDays ?? base.learningDays,
    autoSuspendOnCritical: over.autoSuspendOnCritical ?? base.autoSuspendOnCritical,
    detectors: detectors as MonitoringSettings['detectors'],
  };
}

export const monitoringSettingsEnvelopeSchema = z
  .object({ settings: monitoringSettingsSchema, updatedAt: timestamp.nullable().describe('null: the defaults, never changed') })
  .meta({ id: 'MonitoringSettingsEnvelope' });
