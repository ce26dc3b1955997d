import type { Detector } from '@aim/contracts';
import { BASELINE_METHOD, slotOf } from './baseline.js';
import { detectDataVolume, detectDenials, detectOffHours, detectRate, weeklySeries } from './detectors-hourly.js';
import { enabled, fmt, iso, joinValues, makeFinding, round, slotLabel, snapshotHead, usableBaseline, HOUR_MS } from './findings.js';
import type { AgentContext, Finding, FirstUse, HourCounts, Observation, Settings } from './model.js';

export { detectAuthFailures, detectHeartbeatLoss, detectKeyAge, detectTrustDrop } from './detectors-rules.js';

/**
 * The detectors the engine calls (docs/monitoring.md "detectors"). Pure: every input is an argument,
 * so the simulation (bench/monitoring-sim.mjs) runs them exactly as the engine does. Behavioural
 * findings are returned whether or not the agent is learning: the engine decides whether they become
 * alerts or learning findings.
 */

/**
 * After a batch of one agent's decisions in one UTC hour was counted: `previous` holds the hour's
 * counts before the batch (null when the batch opened the hour), `current` after it, `earlier` the
 * previous clock hour's counts (null when it had no requests; rate_anomaly's 60-minute window).
 */
export function detectHour(
  ctx: AgentContext,
  previous: HourCounts | null,
  current: HourCounts,
  batch: Observation[],
  settings: Settings,
  earlier: HourCounts | null = null,
): Finding[] {
  const b = usableBaseline(ctx);
  if (!b) return [];
  return [
    ...detectRate(ctx, b, previous, current, batch, settings, earlier),
    ...detectDenials(ctx, b, previous, current, batch, settings),
    ...detectOffHours(ctx, b, previous, current, batch, settings),
    ...detectDataVolume(ctx, b, previous, current, batch, settings),
  ];
}

/**
 * After an hour ended (the engine's sweep, for every agent with a baseline; `hour` all zeros when the
 * agent made no request): the low side of rate_anomaly. An agent that is busy at this hour of the
 * week (median of at least minRequests) made fewer requests than min over the hour and its neighbours
 * of median - k × scale, where that bound is above zero. It finds an agent that stopped working without
 * sending heartbeats to lose.
 */
export function detectClosedHour(ctx: AgentContext, hour: HourCounts, settings: Settings): Finding[] {
  const s = enabled(settings, 'rate_anomaly');
  const b = usableBaseline(ctx);
  if (!s || !b) return [];
  const slot = slotOf(hour.hour);
  const { median, scale } = b.metrics.requests;
  const expected = median[slot];
  if (expected == null || expected < s.params.minRequests) return [];
  let lower = Infinity;
  for (const n of [(slot + 167) % 168, slot, (slot + 1) % 168]) {
    const m = median[n];
    const d = scale[n];
    if (m == null || d == null) return [];
    lower = Math.min(lower, m - s.params.madMultiplier * d);
  }
  if (!(lower > 0) || hour.requests >= lower) return [];
  const end = new Date(hour.hour.getTime() + HOUR_MS);
  return [
    makeFinding(ctx, 'rate_anomaly', settings, {
      dedupKey: `rate_anomaly:${ctx.agentId}:low`,
      title: `Only ${fmt(hour.requests)} requests at ${slotLabel(slot)} (usually ${fmt(expected)})`,
      summary: `The agent made ${fmt(hour.requests)} requests in the hour from ${iso(hour.hour)}; the baseline for ${slotLabel(slot)} is ${fmt(expected)}, and the lower bound ${fmt(round(lower, 1))}.`,
      at: end,
      evidence: {
        observed: hour.requests,
        baseline: expected,
        threshold: lower,
        unit: 'requests per hour',
        window: { from: iso(hour.hour), to: iso(end) },
        method: `${BASELINE_METHOD}. Low side, checked when the hour ends: fires when an hour whose median is at least minRequests (${s.params.minRequests}) falls below min over the hour and its neighbours of median - ${s.params.madMultiplier} x scale.`,
        baselineSnapshot: { ...snapshotHead(b), metric: 'requests', slot: slotLabel(slot), median: expected, scale: scale[slot], samples: b.metrics.requests.samples[slot] },
        series: weeklySeries(b, 'requests', hour.hour, hour.requests, lower),
        decisionIds: [],
        details: { slot: slotLabel(slot), side: 'low', madMultiplier: s.params.madMultiplier, minRequests: s.params.minRequests },
      },
    }),
  ];
}

/**
 * First uses need a baseline of at least this many days: a whole week, so that what an agent does
 * once a week is in its repertoire before anything counts as new. Until then first uses are only
 * recorded by the engine (an old agent's first requests after monitoring starts are not all "new").
 */
export const FIRST_USE_HISTORY_DAYS = 7;

const FIRST_USE: Record<FirstUse['kind'], { detector: Detector; noun: string; plural: string }> = {
  action: { detector: 'new_action', noun: 'action', plural: 'actions' },
  resource: { detector: 'new_resource', noun: 'resource prefix', plural: 'resource prefixes' },
  network: { detector: 'new_network', noun: 'network', plural: 'networks' },
};

/** Values the agent used for the first time: one finding per kind per call, listing every new value. */
export function detectFirstUses(ctx: AgentContext, firsts: FirstUse[], settings: Settings): Finding[] {
  const b = usableBaseline(ctx, FIRST_USE_HISTORY_DAYS);
  if (!b || firsts.length === 0) return [];
  const out: Finding[] = [];
  for (const kind of ['action', 'resource', 'network'] as const) {
    const { detector, noun, plural } = FIRST_USE[kind];
    const s = enabled(settings, detector);
    const uses = firsts.filter((f) => f.kind === kind);
    if (!s || uses.length === 0) continue;
    const values = [...new Set(uses.map((u) => u.value))];
    const observations = uses.map((u) => u.observation).sort((x, y) => x.at.getTime() - y.at.getTime());
    const first = observations[0]!;
    const last = observations[observations.length - 1]!;
    const params = s.params as Record<string, number>;
    const what = values.length === 1 ? `${noun} ${values[0]}` : `${values.length} ${plural} (${joinValues(values)})`;
    out.push(
      makeFinding(ctx, detector, settings, {
        dedupKey: `${detector}:${ctx.agentId}`,
        title: values.length === 1 ? `First use of ${noun} ${values[0]}` : `First use of ${values.length} ${plural}`,
        summary: `The agent used ${what} at ${iso(first.at)} for the first time in ${fmt(round(b.historyDays, 1))} days of history.`,
        at: last.at,
        evidence: {
          observed: values.length,
          baseline: 0,
          threshold: 1,
          unit: `${plural} never used before`,
          window: { from: b.start, to: iso(last.at) },
          method: `Fires on a ${noun} the agent never used since its history began (${b.start}), once it has at least ${FIRST_USE_HISTORY_DAYS} days of history.${kind === 'resource' ? ` A resource prefix is its first ${params['prefixSegments']} segments split on / and :, identifiers replaced by *.` : ''}${kind === 'network' ? ` A network is the address's /${params['ipv4PrefixLength']} (IPv4) or /${params['ipv6PrefixLength']} (IPv6).` : ''}`,
          baselineSnapshot: { ...snapshotHead(b), totals: b.totals },
          series: [],
          decisionIds: observations.map((o) => o.decisionId).slice(0, 100),
          details: {
            values: joinValues(values),
            count: values.length,
            action: first.action,
            resource: first.resource,
            address: first.address,
            ...Object.fromEntries(Object.entries(params).map(([k, v]) => [k, v])),
          },
        },
      }),
    );
  }
  return out;
}
