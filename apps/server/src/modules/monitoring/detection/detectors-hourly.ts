import type { AlertEvidence } from '@aim/contracts';
import { BASELINE_METHOD, dayKindOf, slotOf, type AgentBaseline, type DayKind, type Metric } from './baseline.js';
import { DAY_MS, decisionIds, enabled, fmt, HOUR_MS, iso, makeFinding, round, slotLabel, snapshotHead } from './findings.js';
import type { AgentContext, Finding, HourCounts, Observation, Settings } from './model.js';

type AlertSeriesPoint = AlertEvidence['series'][number];

/**
 * The hourly behavioural detectors: request rate, denials, off-hours activity and data volume,
 * each against the agent's baseline for the same hour of the week (baseline.ts). They run after a
 * batch of decisions was counted into the hour and fire when the batch carried the hour across the
 * threshold (before: below, after: at or above), so one hour's incident is one finding however many
 * batches follow.
 *
 * Upper threshold of a metric in slot s: T(s) = max over s' in {s-1, s, s+1} of m(s') + k × d(s')
 * (k the detector's madMultiplier). Taking the neighbouring hours too means an agent that starts
 * its day an hour early is not an anomaly; it costs a little sensitivity on the shoulders of a day.
 */

/** An hour of day is usual when the agent was active in it (or the hour before or after) on this share of days. */
export const USUAL_HOUR_SHARE = 0.1;

const neighbours = (slot: number) => [(slot + 167) % 168, slot, (slot + 1) % 168];

/** T(s) and what it rests on; null when none of the three slots has statistics. */
export function upperThreshold(b: AgentBaseline, metric: Metric, slot: number, k: number): { threshold: number; expected: number; from: number } | null {
  const stats = b.metrics[metric];
  let best: { threshold: number; from: number } | null = null;
  for (const s of neighbours(slot)) {
    const m = stats.median[s];
    const d = stats.scale[s];
    if (m == null || d == null) continue;
    const t = m + k * d;
    if (!best || t > best.threshold) best = { threshold: t, from: s };
  }
  if (!best) return null;
  return { threshold: best.threshold, expected: stats.median[slot] ?? stats.median[best.from]!, from: best.from };
}

/** The slot's statistics and samples, and its neighbours', for the snapshot. */
function slotSnapshot(b: AgentBaseline, metric: Metric, slot: number): Record<string, unknown> {
  const stats = b.metrics[metric];
  const one = (s: number) => ({ slot: s, label: slotLabel(s), median: stats.median[s], scale: stats.scale[s], level: stats.level[s], samples: stats.samples[s] });
  return { ...snapshotHead(b), metric, slot: one(slot), neighbours: [one((slot + 167) % 168), one((slot + 1) % 168)] };
}

/** The same hour of the week in the history's weeks, then the hour observed. */
export function weeklySeries(b: AgentBaseline, metric: Metric, hour: Date, observed: number, threshold: number): AlertSeriesPoint[] {
  const slot = slotOf(hour);
  const samples = b.metrics[metric].samples[slot] ?? [];
  const expected = b.metrics[metric].median[slot] ?? null;
  // The slot's latest hour in history: the samples are that hour and the weeks before it.
  let last = Date.parse(b.to) - HOUR_MS;
  while (slotOf(new Date(last)) !== slot) last -= HOUR_MS;
  const points: AlertSeriesPoint[] = samples.map((v, i) => ({ at: iso(last - (samples.length - 1 - i) * 7 * DAY_MS), observed: v, expected, threshold: round(threshold, 3) }));
  points.push({ at: iso(hour), observed, expected, threshold: round(threshold, 3) });
  return points.filter((p) => Date.parse(p.at) < hour.getTime() || p.at === iso(hour));
}

const WINDOW = (hour: Date, at: Date) => ({ from: iso(hour), to: iso(at) });
const lastAt = (current: HourCounts, batch: readonly Observation[]) => (batch.length > 0 ? batch[batch.length - 1]!.at : current.hour);

export function detectRate(ctx: AgentContext, b: AgentBaseline, previous: HourCounts | null, current: HourCounts, batch: readonly Observation[], settings: Settings): Finding[] {
  const s = enabled(settings, 'rate_anomaly');
  if (!s) return [];
  const slot = slotOf(current.hour);
  const upper = upperThreshold(b, 'requests', slot, s.params.madMultiplier);
  if (!upper) return [];
  const threshold = Math.max(s.params.minRequests, upper.threshold);
  if ((previous?.requests ?? 0) >= threshold || current.requests < threshold) return [];
  const at = lastAt(current, batch);
  const ratio = upper.expected > 0 ? `${fmt(round(current.requests / upper.expected, 1))}× ` : '';
  return [
    makeFinding(ctx, 'rate_anomaly', settings, {
      dedupKey: `rate_anomaly:${ctx.agentId}`,
      title: `Request rate ${ratio}the usual for ${slotLabel(slot)}`,
      summary: `${fmt(current.requests)} requests in the hour from ${iso(current.hour)}; the baseline for ${slotLabel(slot)} is ${fmt(upper.expected)} (threshold ${fmt(round(threshold, 1))}).`,
      at,
      evidence: {
        observed: current.requests,
        baseline: upper.expected,
        threshold,
        unit: 'requests per hour',
        window: WINDOW(current.hour, at),
        method: `${BASELINE_METHOD}. Fires when the hour's requests reach max(minRequests ${s.params.minRequests}, max over the hour and its neighbours of median + ${s.params.madMultiplier} x scale).`,
        baselineSnapshot: slotSnapshot(b, 'requests', slot),
        series: weeklySeries(b, 'requests', current.hour, current.requests, threshold),
        decisionIds: decisionIds(batch),
        details: { slot: slotLabel(slot), thresholdFromSlot: slotLabel(upper.from), madMultiplier: s.params.madMultiplier, minRequests: s.params.minRequests },
      },
    }),
  ];
}

export function detectDenials(ctx: AgentContext, b: AgentBaseline, previous: HourCounts | null, current: HourCounts, batch: readonly Observation[], settings: Settings): Finding[] {
  const s = enabled(settings, 'denial_spike');
  if (!s) return [];
  const k = s.params.madMultiplier;
  const slot = slotOf(current.hour);
  const upper = upperThreshold(b, 'denials', slot, k);
  // The agent's usual denial rate applied to this hour's requests: a busy hour has more denials.
  const threshold = (c: HourCounts) => {
    const fromRate = b.denialRate * c.requests;
    return Math.max(s.params.minCount, upper?.threshold ?? 0, fromRate + k * (Math.sqrt(fromRate) + 1));
  };
  const fired = (c: HourCounts | null) => c !== null && c.denials >= threshold(c);
  if (fired(previous) || !fired(current)) return [];
  const t = threshold(current);
  const expected = Math.max(upper?.expected ?? 0, b.denialRate * current.requests);
  const at = lastAt(current, batch);
  return [
    makeFinding(ctx, 'denial_spike', settings, {
      dedupKey: `denial_spike:${ctx.agentId}`,
      title: `${fmt(current.denials)} denials in an hour (usually ${fmt(round(expected, 1))})`,
      summary: `${fmt(current.denials)} of ${fmt(current.requests)} requests were denied or flagged in the hour from ${iso(current.hour)}; the baseline expects ${fmt(round(expected, 1))} (threshold ${fmt(round(t, 1))}).`,
      at,
      evidence: {
        observed: current.denials,
        baseline: expected,
        threshold: t,
        unit: 'denied or flagged decisions per hour',
        window: WINDOW(current.hour, at),
        method: `${BASELINE_METHOD}. Fires when the hour's denials reach max(minCount ${s.params.minCount}, max over the hour and its neighbours of median + ${k} x scale, r x requests + ${k} x (sqrt(r x requests) + 1)) with r the agent's denial rate over its history.`,
        baselineSnapshot: { ...slotSnapshot(b, 'denials', slot), denialRate: b.denialRate, totals: b.totals },
        series: weeklySeries(b, 'denials', current.hour, current.denials, t),
        decisionIds: decisionIds(batch, (o) => o.decision === 'deny' || o.violation),
        details: { slot: slotLabel(slot), requests: current.requests, denialRate: b.denialRate, madMultiplier: k, minCount: s.params.minCount },
      },
    }),
  ];
}

/** The share of days the agent was active at this hour (or the hour before or after), and the hour that gave it. */
export function usualShare(b: AgentBaseline, hour: Date): number {
  let best = 0;
  for (const offset of [-1, 0, 1]) {
    const t = new Date(hour.getTime() + offset * HOUR_MS);
    const kind: DayKind = dayKindOf(t);
    const h = t.getUTCHours();
    // A day kind with fewer than two days in history says too little: use every day.
    const share =
      b.days[kind] >= 2
        ? b.activeShare[kind][h]!
        : (b.activeShare.weekday[h]! * b.days.weekday + b.activeShare.weekend[h]! * b.days.weekend) / Math.max(1, b.days.weekday + b.days.weekend);
    best = Math.max(best, share);
  }
  return best;
}

export function detectOffHours(ctx: AgentContext, b: AgentBaseline, previous: HourCounts | null, current: HourCounts, batch: readonly Observation[], settings: Settings): Finding[] {
  const s = enabled(settings, 'off_hours');
  if (!s) return [];
  const threshold = s.params.minRequests;
  if ((previous?.requests ?? 0) >= threshold || current.requests < threshold) return [];
  const share = usualShare(b, current.hour);
  if (share >= USUAL_HOUR_SHARE) return [];
  const slot = slotOf(current.hour);
  const kind = dayKindOf(current.hour);
  const at = lastAt(current, batch);
  const expected = b.metrics.requests.median[slot] ?? 0;
  return [
    makeFinding(ctx, 'off_hours', settings, {
      dedupKey: `off_hours:${ctx.agentId}`,
      title: `Activity at ${slotLabel(slot)}, outside the agent's usual hours`,
      summary: `${fmt(current.requests)} requests in the hour from ${iso(current.hour)}; the agent was active at this hour (or the one before or after) on ${fmt(round(share * 100, 1))} % of ${kind === 'weekday' ? 'weekdays' : 'weekend days'} in its history (usual from ${USUAL_HOUR_SHARE * 100} %).`,
      at,
      evidence: {
        observed: current.requests,
        baseline: expected,
        threshold,
        unit: 'requests per hour',
        window: WINDOW(current.hour, at),
        method: `An hour is usual when the agent made a request in it, or in the hour before or after, on at least ${USUAL_HOUR_SHARE * 100} % of the days of the same kind (weekday/weekend) in its history. Fires when an unusual hour reaches minRequests (${threshold}).`,
        baselineSnapshot: { ...snapshotHead(b), activeShare: b.activeShare, slot: slotLabel(slot), median: expected },
        series: weeklySeries(b, 'requests', current.hour, current.requests, threshold),
        decisionIds: decisionIds(batch),
        details: { slot: slotLabel(slot), dayKind: kind, usualShare: round(share, 3), minRequests: threshold },
      },
    }),
  ];
}

export function detectDataVolume(ctx: AgentContext, b: AgentBaseline, previous: HourCounts | null, current: HourCounts, batch: readonly Observation[], settings: Settings): Finding[] {
  const s = enabled(settings, 'data_volume');
  if (!s) return [];
  const k = s.params.madMultiplier;
  const slot = slotOf(current.hour);
  const limits = {
    records: Math.max(s.params.minRecords, upperThreshold(b, 'records', slot, k)?.threshold ?? 0),
    bytes: Math.max(s.params.minBytes, upperThreshold(b, 'bytes', slot, k)?.threshold ?? 0),
  };
  const over = (c: HourCounts | null): 'records' | 'bytes' | null => (c === null ? null : c.records >= limits.records ? 'records' : c.bytes >= limits.bytes ? 'bytes' : null);
  const metric = over(current);
  if (!metric || over(previous)) return [];
  const expected = b.metrics[metric].median[slot] ?? 0;
  const at = lastAt(current, batch);
  const observed = current[metric];
  return [
    makeFinding(ctx, 'data_volume', settings, {
      dedupKey: `data_volume:${ctx.agentId}`,
      title: `${fmt(observed)} ${metric} in an hour (usually ${fmt(expected)})`,
      summary: `The agent's decisions reported ${fmt(current.records)} records and ${fmt(current.bytes)} bytes in the hour from ${iso(current.hour)}; the baseline for ${slotLabel(slot)} is ${fmt(expected)} ${metric} (threshold ${fmt(round(limits[metric], 1))}).`,
      at,
      evidence: {
        observed,
        baseline: expected,
        threshold: limits[metric],
        unit: `${metric} per hour`,
        window: WINDOW(current.hour, at),
        method: `${BASELINE_METHOD}. Fires when the hour's records reach max(minRecords ${s.params.minRecords}, max over the hour and its neighbours of median + ${k} x scale), or its bytes the same with minBytes ${s.params.minBytes}.`,
        baselineSnapshot: { ...slotSnapshot(b, metric, slot), other: slotSnapshot(b, metric === 'records' ? 'bytes' : 'records', slot)['slot'] },
        series: weeklySeries(b, metric, current.hour, observed, limits[metric]),
        decisionIds: decisionIds(batch, (o) => (o.records ?? 0) > 0 || (o.bytes ?? 0) > 0),
        details: { slot: slotLabel(slot), records: current.records, bytes: current.bytes, recordsThreshold: round(limits.records, 1), bytesThreshold: round(limits.bytes, 1), madMultiplier: k },
      },
    }),
  ];
}
