import type { AlertEvidence, Detector } from '@aim/contracts';
import { asAgentBaseline, MIN_HISTORY_DAYS, type AgentBaseline } from './baseline.js';
import type { AgentContext, Finding, Observation, Settings } from './model.js';

/** What every detector shares: the finding's frame, the evidence's limits, and the usable baseline. */

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;
const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const MAX_IDS = 100;
const MAX_DETAIL_VALUES = 20;

export const iso = (d: Date | number): string => new Date(d).toISOString();
export const round = (n: number, digits = 2): number => Math.round(n * 10 ** digits) / 10 ** digits;
/** `Tue 14:00 UTC` for slot 38. */
export const slotLabel = (slot: number): string => `${WEEKDAYS[Math.floor(slot / 24)]} ${String(slot % 24).padStart(2, '0')}:00 UTC`;
export const fmt = (n: number): string => (Number.isInteger(n) ? n.toLocaleString('en-US') : round(n, 1).toLocaleString('en-US'));

/** The detector's settings when it is enabled; null when the organization switched it off. */
export function enabled<D extends Detector>(settings: Settings, detector: D): Settings['detectors'][D] | null {
  const s = settings.detectors[detector];
  return s.enabled ? s : null;
}

/** The agent's baseline when it is one this code reads and covers MIN_HISTORY_DAYS or more. */
export function usableBaseline(ctx: AgentContext, minDays = MIN_HISTORY_DAYS): AgentBaseline | null {
  const b = asAgentBaseline(ctx.baseline);
  return b && b.historyDays >= minDays ? b : null;
}

/** The latest decisions first, at most the evidence's limit. */
export function decisionIds(observations: readonly Observation[], keep: (o: Observation) => boolean = () => true): string[] {
  const ids: string[] = [];
  for (let i = observations.length - 1; i >= 0 && ids.length < MAX_IDS; i -= 1) {
    const o = observations[i]!;
    if (keep(o) && !ids.includes(o.decisionId)) ids.push(o.decisionId);
  }
  return ids;
}

/** Values for `details` (strings only): the first 20, joined, with how many were left out. */
export function joinValues(values: readonly string[]): string {
  const shown = values.slice(0, MAX_DETAIL_VALUES).join(', ');
  return values.length > MAX_DETAIL_VALUES ? `${shown} (+${values.length - MAX_DETAIL_VALUES} more)` : shown;
}

export interface FindingParts {
  dedupKey: string;
  title: string;
  summary: string;
  at: Date;
  evidence: Omit<AlertEvidence, 'auditEventIds' | 'series' | 'decisionIds'> & Partial<Pick<AlertEvidence, 'auditEventIds' | 'series' | 'decisionIds'>>;
}

export function makeFinding(ctx: AgentContext, detector: Detector, settings: Settings, parts: FindingParts): Finding {
  const { evidence } = parts;
  return {
    detector,
    severity: settings.detectors[detector].severity,
    subject: { type: 'agent', id: ctx.agentId },
    dedupKey: parts.dedupKey,
    title: parts.title,
    summary: parts.summary,
    at: parts.at,
    evidence: {
      ...evidence,
      observed: round(evidence.observed, 3),
      baseline: evidence.baseline === null ? null : round(evidence.baseline, 3),
      threshold: round(evidence.threshold, 3),
      series: (evidence.series ?? []).slice(-400),
      decisionIds: (evidence.decisionIds ?? []).slice(0, MAX_IDS),
      auditEventIds: (evidence.auditEventIds ?? []).slice(0, MAX_IDS),
    },
  };
}

/** The baseline's frame, copied into every behavioural snapshot. */
export function snapshotHead(b: AgentBaseline): Record<string, unknown> {
  return { version: b.version, method: b.method, agentId: b.agentId, computedAt: b.computedAt, from: b.from, to: b.to, start: b.start, historyDays: b.historyDays, activeDays: b.activeDays, days: b.days };
}
