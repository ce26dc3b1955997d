import type { Baseline, BaselineInput, HourCounts } from './model.js';

/**
 * An agent's baseline: what it usually does in each hour of the week, from its own history (the
 * engine's hour counters and heartbeat hours). Pure: the same history always gives the same
 * baseline, and the baseline keeps the samples its statistics came from, so an alert that copies
 * part of it can be checked by hand and recomputed.
 *
 * Hours are UTC. Slot s = weekday × 24 + hour, weekday 0 = Monday, so slot 0 is Monday 00:00-01:00
 * and slot 167 Sunday 23:00-24:00. Saturday and Sunday are the weekend; the other days weekdays.
 *
 * History: the hours from `start` to `to`, where `to` is `asOf` cut to the hour and `start` the
 * latest of: `to` - BASELINE_HISTORY_DAYS, the agent's creation (cut to the hour), and its first
 * recorded activity in the window. An hour in the history with no row had no requests (a zero
 * sample); hours before the first activity are not history at all, so an agent whose counting began
 * yesterday (a new agent, or an old agent when monitoring was switched on) is not taken for one that
 * was idle for weeks.
 *
 * For each slot and each metric (requests, denials, records, bytes):
 *   samples_w = the metric in that slot's hours in history (one per week, at most 4);
 *   samples_k = the metric at the same hour of day on every day of the same kind (weekday/weekend);
 *   samples_d = the same hour of day on every day.
 *   median m = the median of samples_w when it has at least MIN_SAMPLES values, else of samples_k,
 *   else of samples_d (the level used is recorded); none when even samples_d is shorter.
 *   scale d = max(1.4826 × MAD of the level used (and of samples_k too when the level used is
 *   samples_w and samples_k has MIN_SAMPLES values), sqrt(m) + 1, REL_FLOOR × m), where
 *   MAD = median of |x - median(x)|. 1.4826 × MAD estimates a standard deviation
 *   that one outlier cannot move; sqrt(m) + 1 is the spread of a Poisson count (a perfectly regular
 *   agent does not alert on one extra request), and REL_FLOOR × m the day-to-day variation any
 *   traffic has even when four samples happened to agree (denials have no relative floor: they are
 *   rare events and Poisson-like).
 */

export const BASELINE_VERSION = 1;
export const BASELINE_METHOD = 'aim-baseline/1: per UTC hour of week, median and 1.4826 x MAD, pooled by day kind when short';
export const BASELINE_HISTORY_DAYS = 28;
/** A level of samples gives statistics when it has at least this many. */
export const MIN_SAMPLES = 3;
/** Behavioural detectors need at least this much history (days from `start` to `to`). */
export const MIN_HISTORY_DAYS = 3;
export const MAD_TO_SIGMA = 1.4826;
export const REL_FLOOR: Record<Metric, number> = { requests: 0.1, denials: 0, records: 0.1, bytes: 0.1 };

export const METRICS = ['requests', 'denials', 'records', 'bytes'] as const;
export type Metric = (typeof METRICS)[number];
export type Level = 'w' | 'k' | 'd';
export type DayKind = 'weekday' | 'weekend';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

export interface MetricStats {
  /** Per slot (168): the median, the scale, and the level they came from; null without statistics. */
  median: (number | null)[];
  scale: (number | null)[];
  level: (Level | null)[];
  /** Per slot: the slot's own samples (samples_w), oldest week first. */
  samples: number[][];
}

/** The baseline's content (model.ts Baseline is its storage shape). */
export interface AgentBaseline extends Baseline {
  version: typeof BASELINE_VERSION;
  method: string;
  agentId: string;
  /** Where the history starts (see above) and its length in days. */
  start: string;
  historyDays: number;
  /** Days of each kind with at least one hour in history. */
  days: Record<DayKind, number>;
  metrics: Record<Metric, MetricStats>;
  /** Per day kind and hour of day: the share of that kind's days with at least one request then. */
  activeShare: Record<DayKind, number[]>;
  totals: Record<Metric, number>;
  /** denials / requests over the history (0 without requests). */
  denialRate: number;
  heartbeat: {
    /** Hours in history with at least one heartbeat. */
    hours: number;
    /** Median of the minutes with a heartbeat, over those hours; null without any. */
    medianMinutesPerHour: number | null;
    /** The usual gap between heartbeats: 60 / medianMinutesPerHour. */
    intervalMinutes: number | null;
    /** Per day kind and hour of day: the share of that kind's days with a heartbeat in that hour. */
    share: Record<DayKind, number[]>;
  };
}

export const slotOf = (at: Date): number => ((at.getUTCDay() + 6) % 7) * 24 + at.getUTCHours();
export const dayKindOf = (at: Date): DayKind => (at.getUTCDay() === 0 || at.getUTCDay() === 6 ? 'weekend' : 'weekday');
const slotKind = (slot: number): DayKind => (Math.floor(slot / 24) >= 5 ? 'weekend' : 'weekday');
const floorHour = (ms: number) => Math.floor(ms / HOUR_MS) * HOUR_MS;
const round = (n: number) => Math.round(n * 1000) / 1000;

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function mad(values: readonly number[]): number {
  const m = median(values);
  return median(values.map((v) => Math.abs(v - m)));
}

/** The statistics of one slot from its three levels of samples (exported for the tests and the docs). */
export function slotStatistics(
  metric: Metric,
  levels: Record<Level, readonly number[]>,
): { median: number; scale: number; level: Level } | null {
  const usable = (['w', 'k', 'd'] as const).filter((l) => levels[l].length >= MIN_SAMPLES);
  const level = usable[0];
  if (!level) return null;
  const m = median(levels[level]);
  const spreads = usable.filter((l) => l !== 'd' || level === 'd').map((l) => MAD_TO_SIGMA * mad(levels[l]));
  const scale = Math.max(...spreads, Math.sqrt(m) + 1, REL_FLOOR[metric] * m);
  return { median: round(m), scale: round(scale), level };
}

export function computeBaseline(input: BaselineInput): AgentBaseline {
  const to = floorHour(input.asOf.getTime());
  const windowFrom = to - BASELINE_HISTORY_DAYS * DAY_MS;
  const inWindow = input.hours.filter((h) => h.hour.getTime() >= windowFrom && h.hour.getTime() < to && h.requests > 0);
  const firstActivity = inWindow.reduce((min, h) => Math.min(min, floorHour(h.hour.getTime())), to);
  const start = Math.max(windowFrom, floorHour(input.agentCreatedAt.getTime()), firstActivity);

  const byHour = new Map<number, HourCounts>();
  for (const h of inWindow) {
    const key = floorHour(h.hour.getTime());
    const prev = byHour.get(key);
    byHour.set(key, prev ? { ...prev, requests: prev.requests + h.requests, denials: prev.denials + h.denials, records: prev.records + h.records, bytes: prev.bytes + h.bytes } : h);
  }
  const heartbeatMinutes = new Map<number, number>();
  for (const b of input.heartbeats) {
    const key = floorHour(b.hour.getTime());
    if (key >= start && key < to && b.minutes > 0) heartbeatMinutes.set(key, Math.min(60, (heartbeatMinutes.get(key) ?? 0) + b.minutes));
  }

  // Walk every hour of history once: slot samples, day activity and heartbeat presence.
  const samples = Object.fromEntries(METRICS.map((m) => [m, Array.from({ length: 168 }, () => [] as number[])])) as Record<Metric, number[][]>;
  const totals: Record<Metric, number> = { requests: 0, denials: 0, records: 0, bytes: 0 };
  const dayHours = { weekday: Array.from({ length: 24 }, () => 0), weekend: Array.from({ length: 24 }, () => 0) };
  const activeDayHours = { weekday: Array.from({ length: 24 }, () => 0), weekend: Array.from({ length: 24 }, () => 0) };
  const heartbeatDayHours = { weekday: Array.from({ length: 24 }, () => 0), weekend: Array.from({ length: 24 }, () => 0) };
  const days = { weekday: new Set<number>(), weekend: new Set<number>() };
  const activeDays = new Set<number>();
  for (let t = start; t < to; t += HOUR_MS) {
    const at = new Date(t);
    const slot = slotOf(at);
    const kind = dayKindOf(at);
    const hourOfDay = at.getUTCHours();
    const row = byHour.get(t);
    for (const m of METRICS) {
      const v = row ? row[m] : 0;
      samples[m][slot]!.push(v);
      totals[m] += v;
    }
    days[kind].add(Math.floor(t / DAY_MS));
    dayHours[kind][hourOfDay]! += 1;
    if (row && row.requests > 0) {
      activeDayHours[kind][hourOfDay]! += 1;
      activeDays.add(Math.floor(t / DAY_MS));
    }
    if (heartbeatMinutes.has(t)) heartbeatDayHours[kind][hourOfDay]! += 1;
  }

  const metrics = Object.fromEntries(METRICS.map((m) => [m, metricStats(m, samples[m])])) as Record<Metric, MetricStats>;
  const share = (num: number[], den: number[]) => num.map((n, i) => (den[i]! > 0 ? round(n / den[i]!) : 0));
  const beatMinutes = [...heartbeatMinutes.values()];
  const medianMinutes = beatMinutes.length > 0 ? median(beatMinutes) : null;

  return {
    version: BASELINE_VERSION,
    method: BASELINE_METHOD,
    agentId: input.agentId,
    computedAt: input.asOf.toISOString(),
    from: new Date(windowFrom).toISOString(),
    to: new Date(to).toISOString(),
    start: new Date(start).toISOString(),
    historyDays: round(Math.max(0, to - start) / DAY_MS),
    activeDays: activeDays.size,
    days: { weekday: days.weekday.size, weekend: days.weekend.size },
    metrics,
    activeShare: { weekday: share(activeDayHours.weekday, dayHours.weekday), weekend: share(activeDayHours.weekend, dayHours.weekend) },
    totals,
    denialRate: totals.requests > 0 ? round(totals.denials / totals.requests) : 0,
    heartbeat: {
      hours: heartbeatMinutes.size,
      medianMinutesPerHour: medianMinutes,
      intervalMinutes: medianMinutes ? round(60 / medianMinutes) : null,
      share: { weekday: share(heartbeatDayHours.weekday, dayHours.weekday), weekend: share(heartbeatDayHours.weekend, dayHours.weekend) },
    },
  };
}

function metricStats(metric: Metric, samples: number[][]): MetricStats {
  const out: MetricStats = { median: [], scale: [], level: [], samples };
  for (let slot = 0; slot < 168; slot += 1) {
    const stats = slotStatistics(metric, levelsOf(samples, slot));
    out.median.push(stats?.median ?? null);
    out.scale.push(stats?.scale ?? null);
    out.level.push(stats?.level ?? null);
  }
  return out;
}

/** The three levels of samples of a slot, from every slot's own samples. */
export function levelsOf(samples: readonly (readonly number[])[], slot: number): Record<Level, number[]> {
  const hour = slot % 24;
  const kind = slotKind(slot);
  const k: number[] = [];
  const d: number[] = [];
  for (let day = 0; day < 7; day += 1) {
    const s = samples[day * 24 + hour] ?? [];
    d.push(...s);
    if (slotKind(day * 24 + hour) === kind) k.push(...s);
  }
  return { w: [...(samples[slot] ?? [])], k, d };
}

/** The stored baseline read back; null when it is not one this code understands (another version). */
export function asAgentBaseline(baseline: Baseline | null): AgentBaseline | null {
  if (!baseline || baseline.version !== BASELINE_VERSION || typeof baseline['metrics'] !== 'object') return null;
  return baseline as AgentBaseline;
}
