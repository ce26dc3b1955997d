import type { AlertEvidence, AlertSeverity, AlertSubjectType, Detector, MonitoringSettings } from '@aim/contracts';

/**
 * What the detection engine (engine side: counters, seen values, baselines and alerts in PostgreSQL)
 * and the detectors (pure functions: detectors.ts, baseline.ts) exchange. The detectors never read
 * the database or the clock: every input is here, so the simulation in bench/ runs them exactly as
 * the engine does, and an alert can be recomputed from what it stored.
 */

/** One UTC hour of an agent's decisions (the engine's `agent_activity_hours` row). */
export interface HourCounts {
  /** The hour's start (UTC, whole hour). */
  hour: Date;
  requests: number;
  /** Denied decisions, and decisions that recorded a violation (a flagged monitor-mode decision counts too). */
  denials: number;
  /** Sum of the decisions' context.records (numbers only; absent counts 0). */
  records: number;
  /** Sum of the decisions' context.bytes. */
  bytes: number;
}

/** One decision as the detectors see it (from verification_events and its violations). */
export interface Observation {
  decisionId: string;
  agentId: string;
  at: Date;
  action: string;
  resource: string | null;
  decision: 'allow' | 'deny' | 'pending';
  /** A violation was recorded with it, or a monitor-mode policy flagged it. */
  violation: boolean;
  records: number | null;
  bytes: number | null;
  /** The client address the request came from (IPv4 or IPv6 text), when known. */
  address: string | null;
}

/** Heartbeats of one UTC hour: minutes with at least one heartbeat (agent_uptime_hours). */
export interface HeartbeatHour {
  hour: Date;
  minutes: number;
}

/** The input of a baseline: an agent's history up to `asOf` (BASELINE_HISTORY_DAYS back). */
export interface BaselineInput {
  agentId: string;
  asOf: Date;
  agentCreatedAt: Date;
  /** Hours with activity in the window, any order; hours not listed had none. */
  hours: HourCounts[];
  heartbeats: HeartbeatHour[];
}

/**
 * An agent's baseline: statistics over its history, stored as JSON (agent_baselines.baseline) and
 * copied into the evidence of every alert it produced. Its inside belongs to baseline.ts; the engine
 * stores and passes it back whole.
 */
export interface Baseline {
  version: number;
  computedAt: string;
  /** The history window it was computed from. */
  from: string;
  to: string;
  /** Days in the window on which the agent made at least one request. */
  activeDays: number;
  [statistic: string]: unknown;
}

/** What the detectors know of an agent when they look at it. */
export interface AgentContext {
  agentId: string;
  createdAt: Date;
  /** Within its learning period (settings.learningDays from its creation) at the time observed. */
  learning: boolean;
  baseline: Baseline | null;
}

/** A value an agent used for the first time: recorded by the engine (an insert that found none). */
export interface FirstUse {
  kind: 'action' | 'resource' | 'network';
  /** The action, the resource prefix (resourcePrefix) or the network prefix (networkPrefix). */
  value: string;
  observation: Observation;
}

/** What a detector found: the engine raises it as an alert, or records it as a learning finding. */
export interface Finding {
  detector: Detector;
  severity: AlertSeverity;
  subject: { type: AlertSubjectType; id: string };
  /** Findings with the same key count on one active alert (e.g. `rate_anomaly:agt_…`). */
  dedupKey: string;
  title: string;
  summary: string;
  /** When it happened (the latest observation behind it). */
  at: Date;
  evidence: AlertEvidence;
}

/** Refusals of requests naming one agent's keys within a detector window (agent_auth_failures). */
export interface AuthFailureWindow {
  agentId: string;
  from: Date;
  to: Date;
  reasons: Partial<Record<string, number>>;
  keyIds: string[];
  addresses: string[];
}

export type Settings = MonitoringSettings;
