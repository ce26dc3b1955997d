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

/**
 * What a burst that began late in the previous clock hour adds to the 60 minutes ending at `at`
 * (rate_anomaly's sliding window). The counters are per clock hour, so the previous hour's requests
 * inside the window are not known: the estimate is that hour's requests beyond its median (a burst's
 * extra requests; its usual ones are left out, so an hour that merely started busy carries nothing
 * over), at most the share of that hour the window still covers, (1 - f) × its requests with f the
 * fraction of the current hour elapsed (what the window would hold of it if its requests were spread
 * evenly). Zero without a previous hour or without a median for it.
 */
export function carriedOver(b: AgentBaseline, earlier: HourCounts | null, hour: Date, at: Date): number {
  if (earlier === null || earlier.requests === 0 || earlier.hour.getTime() !== hour.getTime() - HOUR_MS) return 0;
  const median = b.metrics.requests.median[slotOf(earlier.hour)];
  if (median == null) return 0;
  const f = Math.min(1, Math.max(0, (at.getTime() - hour.getTime()) / HOUR_MS));
  return Math.max(0, Math.min(earlier.requests - median, (1 - f) * earlier.requests));
}

/**
 * High side of rate_anomaly: the clock hour so far against its threshold T(s), or a sliding 60-minute
 * window estimated from two clock hours (the current hour so far plus carriedOver() from the previous
 * one) against the larger of the two hours' thresholds. Fires when a batch carried either from below
 * its threshold to at or above it while neither was there before (both sides taken at the batch's
 * time), so the window only adds what the clock hour misses. `earlier` is the previous clock hour's
 * counts (null when it had no requests).
 */
export function detectRate(
  ctx: AgentContext,
  b: AgentBaseline,
  previous: HourCounts | null,
  current: HourCounts,
  batch: readonly Observation[],
  settings: Settings,
  earlier: HourCounts | null = null,
): Finding[] {
  const s = enabled(settings, 'rate_anomaly');
  if (!s) return [];
  const k = s.params.madMultiplier;
  const slot = slotOf(current.hour);
  const own = upperThreshold(b, 'requests', slot, k);
  if (!own) return [];
  const at = lastAt(current, batch);
  const carried = carriedOver(b, earlier, current.hour, at);
  // A window that reaches into the previous hour is held to the larger of the two hours' thresholds:
  // a working day that started an hour late fills the end of one hour and the start of the next.
  const prior = carried > 0 ? upperThreshold(b, 'requests', (slot + 167) % 168, k) : null;
  const wide = prior && prior.threshold > own.threshold ? { ...prior, expected: own.expected } : own;
  const hourThreshold = Math.max(s.params.minRequests, own.threshold);
  const windowThreshold = Math.max(s.params.minRequests, wide.threshold);
  const over = (requests: number) => ({ hour: requests >= hourThreshold, window: carried > 0 && requests + carried >= windowThreshold });
  const was = over(previous?.requests ?? 0);
  const now = over(current.requests);
  if (was.hour || was.window || !(now.hour || now.window)) return [];
  // The window's figures when it is what crossed, the hour's otherwise.
  const byWindow = !now.hour;
  const upper = byWindow ? wide : own;
  const threshold = byWindow ? windowThreshold : hourThreshold;
  const window = byWindow ? current.requests + carried : current.requests;
  const observed = round(window, 1);
  const ratio = upper.expected > 0 ? `${fmt(round(observed / upper.expected, 1))}× ` : '';
  const from = new Date(at.getTime() - HOUR_MS);
  return [
    makeFinding(ctx, 'rate_anomaly', settings, {
      dedupKey: `rate_anomaly:${ctx.agentId}`,
      title: `Request rate ${ratio}the usual for ${slotLabel(slot)}`,
      summary:
        byWindow
          ? `${fmt(current.requests)} requests in the hour from ${iso(current.hour)} so far, and an estimated ${fmt(round(carried, 1))} more from a burst late in the hour before: ${fmt(observed)} in the 60 minutes to ${iso(at)}; the baseline for ${slotLabel(slot)} is ${fmt(upper.expected)} (threshold ${fmt(round(threshold, 1))}).`
          : `${fmt(current.requests)} requests in the hour from ${iso(current.hour)}; the baseline for ${slotLabel(slot)} is ${fmt(upper.expected)} (threshold ${fmt(round(threshold, 1))}).`,
      at,
      evidence: {
        observed,
        baseline: upper.expected,
        threshold,
        unit: 'requests per hour',
        window: byWindow ? { from: iso(from), to: iso(at) } : WINDOW(current.hour, at),
        method: `${BASELINE_METHOD}. Fires when the hour's requests reach max(minRequests ${s.params.minRequests}, max over the hour and its neighbours of median + ${k} x scale), or when the requests of the 60 minutes to the latest decision reach the larger of that threshold and the previous hour's. Those 60 minutes are estimated from the hour counters: the current hour's requests so far, plus the previous hour's requests beyond its median, at most (1 - f) x the previous hour's requests, f the fraction of the current hour elapsed.`,
        baselineSnapshot: slotSnapshot(b, 'requests', slot),
        series: weeklySeries(b, 'requests', current.hour, current.requests, threshold),
        decisionIds: decisionIds(batch),
        details: {
          slot: slotLabel(slot),
          thresholdFromSlot: slotLabel(upper.from),
          madMultiplier: k,
          minRequests: s.params.minRequests,
          crossed: byWindow ? '60-minute window' : 'clock hour',
          hourRequests: current.requests,
          previousHourRequests: earlier?.requests ?? 0,
          carriedOver: round(carried, 1),
        },
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

/**
 * How busy the hours around this one usually are: busyP90 of the hour's day kind (or of every day
 * when that kind has fewer than two days in history, the larger of the two kinds).
 */
export function usualBusy(b: AgentBaseline, hour: Date): number {
  const kind: DayKind = dayKindOf(hour);
  const h = hour.getUTCHours();
  if (b.days[kind] >= 2) return b.busyP90[kind][h]!;
  return Math.max(b.busyP90.weekday[h]!, b.busyP90.weekend[h]!);
}

export function detectOffHours(ctx: AgentContext, b: AgentBaseline, previous: HourCounts | null, current: HourCounts, batch: readonly Observation[], settings: Settings): Finding[] {
  const s = enabled(settings, 'off_hours');
  if (!s) return [];
  const threshold = s.params.minRequests;
  if ((previous?.requests ?? 0) >= threshold || current.requests < threshold) return [];
  const busy = usualBusy(b, current.hour);
  if (busy >= threshold) return [];
  const slot = slotOf(current.hour);
  const kind = dayKindOf(current.hour);
  const at = lastAt(current, batch);
  const expected = b.metrics.requests.median[slot] ?? 0;
  return [
    makeFinding(ctx, 'off_hours', settings, {
      dedupKey: `off_hours:${ctx.agentId}`,
      title: `Activity at ${slotLabel(slot)}, outside the agent's usual hours`,
      summary: `${fmt(current.requests)} requests in the hour from ${iso(current.hour)}; on nine ${kind === 'weekday' ? 'weekdays' : 'weekend days'} in ten of its history the agent made at most ${fmt(busy)} requests in the three hours around this one.`,
      at,
      evidence: {
        observed: current.requests,
        baseline: expected,
        threshold,
        unit: 'requests per hour',
        window: WINDOW(current.hour, at),
        method: `An hour h is usual when the 90th percentile, over the days of the same kind (weekday/weekend) in the agent's history, of its requests in hours h-1, h and h+1 together reaches minRequests (${threshold}). Fires when an hour that is not usual reaches minRequests.`,
        baselineSnapshot: { ...snapshotHead(b), busyP90: b.busyP90, activeShare: b.activeShare, slot: slotLabel(slot), median: expected },
        series: weeklySeries(b, 'requests', current.hour, current.requests, threshold),
        decisionIds: decisionIds(batch),
        details: { slot: slotLabel(slot), dayKind: kind, busyP90: busy, minRequests: threshold },
      },
    }),
  ];
}

/**
 * The coefficient of variation assumed for one request's volume: most requests of an agent return
 * nothing or little and some return pages, so one request varies about three times its mean (a request
 * that returns data one time in five, an exponential amount when it does, has sqrt(9) = 3).
 */
export const PER_REQUEST_CV = 3;

/**
 * What `requests` requests carry at the agent's usual volume per request (ρ = history total / history
 * requests), plus k × PER_REQUEST_CV × ρ × sqrt(requests): the spread of a sum of `requests` such
 * volumes. It keeps an hour with a few requests at a quiet time (median 0) from alerting because one of
 * them returned a page of records; in a busy hour the hour-of-week threshold is the larger one.
 */
export function perRequestThreshold(b: AgentBaseline, metric: 'records' | 'bytes', requests: number, k: number): number {
  if (b.totals.requests === 0 || requests === 0) return 0;
  const rho = b.totals[metric] / b.totals.requests;
  return rho * requests + k * PER_REQUEST_CV * rho * Math.sqrt(requests);
}

export function detectDataVolume(ctx: AgentContext, b: AgentBaseline, previous: HourCounts | null, current: HourCounts, batch: readonly Observation[], settings: Settings): Finding[] {
  const s = enabled(settings, 'data_volume');
  if (!s) return [];
  const k = s.params.madMultiplier;
  const slot = slotOf(current.hour);
  const limitsOf = (c: HourCounts) => ({
    records: Math.max(s.params.minRecords, upperThreshold(b, 'records', slot, k)?.threshold ?? 0, perRequestThreshold(b, 'records', c.requests, k)),
    bytes: Math.max(s.params.minBytes, upperThreshold(b, 'bytes', slot, k)?.threshold ?? 0, perRequestThreshold(b, 'bytes', c.requests, k)),
  });
  const over = (c: HourCounts | null): 'records' | 'bytes' | null => {
    if (c === null) return null;
    const l = limitsOf(c);
    return c.records >= l.records ? 'records' : c.bytes >= l.bytes ? 'bytes' : null;
  };
  const metric = over(current);
  if (!metric || over(previous)) return [];
  const limits = limitsOf(current);
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
        method: `${BASELINE_METHOD}. Fires when the hour's records reach max(minRecords ${s.params.minRecords}, max over the hour and its neighbours of median + ${k} x scale, rho x requests + ${k} x ${PER_REQUEST_CV} x rho x sqrt(requests)) with rho the agent's records per request over its history, or its bytes the same with minBytes ${s.params.minBytes}.`,
        baselineSnapshot: { ...slotSnapshot(b, metric, slot), other: slotSnapshot(b, metric === 'records' ? 'bytes' : 'records', slot)['slot'] },
        series: weeklySeries(b, metric, current.hour, observed, limits[metric]),
        decisionIds: decisionIds(batch, (o) => (o.records ?? 0) > 0 || (o.bytes ?? 0) > 0),
        details: { slot: slotLabel(slot), requests: current.requests, records: current.records, bytes: current.bytes, recordsPerRequest: b.totals.requests > 0 ? round(b.totals.records / b.totals.requests, 3) : null, recordsThreshold: round(limits.records, 1), bytesThreshold: round(limits.bytes, 1), madMultiplier: k },
      },
    }),
  ];
}
