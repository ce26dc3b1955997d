import { asAgentBaseline, dayKindOf } from './baseline.js';
import { DAY_MS, enabled, fmt, iso, joinValues, makeFinding, round } from './findings.js';
import type { AgentContext, AuthFailureWindow, Finding, Settings } from './model.js';

/**
 * The rule detectors: what is wrong whatever the agent's history. They alert from the first request,
 * learning period or not (the engine never routes them to learning findings).
 */

const MINUTE_MS = 60_000;

/** key_misuse: refused requests naming the agent's keys (bad signatures, replays, retired keys) within the window. */
export function detectAuthFailures(ctx: AgentContext, window: AuthFailureWindow, settings: Settings): Finding[] {
  const s = enabled(settings, 'key_misuse');
  if (!s) return [];
  const reasons = Object.entries(window.reasons).filter((e): e is [string, number] => typeof e[1] === 'number' && e[1] > 0);
  const failures = reasons.reduce((sum, [, n]) => sum + n, 0);
  if (failures < s.params.failures) return [];
  const byReason = reasons
    .sort((a, b) => b[1] - a[1])
    .map(([r, n]) => `${n} ${r}`)
    .join(', ');
  return [
    makeFinding(ctx, 'key_misuse', settings, {
      dedupKey: `key_misuse:${ctx.agentId}`,
      title: `${fmt(failures)} refused requests naming the agent's keys (possible key theft)`,
      summary: `${fmt(failures)} requests naming ${window.keyIds.length === 1 ? `key ${window.keyIds[0]}` : `${window.keyIds.length} of the agent's keys`} were refused between ${iso(window.from)} and ${iso(window.to)} (${byReason}); the rule fires at ${s.params.failures} within ${s.params.windowMinutes} minutes.`,
      at: window.to,
      evidence: {
        observed: failures,
        baseline: null,
        threshold: s.params.failures,
        unit: `refused requests in ${s.params.windowMinutes} minutes`,
        window: { from: iso(window.from), to: iso(window.to) },
        method: `Rule: at least ${s.params.failures} requests naming the agent's key ids refused for a bad signature, a replay, a revoked or expired key, a bad digest or a bad token within ${s.params.windowMinutes} minutes.`,
        baselineSnapshot: null,
        series: [],
        details: {
          ...Object.fromEntries(reasons),
          keyIds: joinValues(window.keyIds),
          addresses: joinValues(window.addresses),
          windowMinutes: s.params.windowMinutes,
        },
      },
    }),
  ];
}

/**
 * trust_drop: the score fell more than dropPoints below its highest value within the last hour (the
 * specification's "more than 20 points within an hour").
 */
export function detectTrustDrop(
  ctx: AgentContext,
  drop: { scoreId: string; score: number | null; highestInHour: number; drop: number; at: Date },
  settings: Settings,
): Finding[] {
  const s = enabled(settings, 'trust_drop');
  if (!s || !(drop.drop > s.params.dropPoints)) return [];
  const now = drop.score === null ? 'no score' : fmt(round(drop.score, 1));
  return [
    makeFinding(ctx, 'trust_drop', settings, {
      dedupKey: `trust_drop:${ctx.agentId}`,
      title: `Trust score fell ${fmt(round(drop.drop, 1))} points within an hour`,
      summary: `The agent's trust score is ${now}, ${fmt(round(drop.drop, 1))} points below its highest of the hour before ${iso(drop.at)} (${fmt(round(drop.highestInHour, 1))}); the rule fires above ${s.params.dropPoints} points.`,
      at: drop.at,
      evidence: {
        observed: drop.drop,
        baseline: drop.highestInHour,
        threshold: s.params.dropPoints,
        unit: 'points',
        window: { from: iso(drop.at.getTime() - 60 * MINUTE_MS), to: iso(drop.at) },
        method: `Rule: the score fell more than ${s.params.dropPoints} points below the highest score computed in the hour before it.`,
        baselineSnapshot: null,
        series: [],
        details: { scoreId: drop.scoreId, score: drop.score, highestInHour: drop.highestInHour, dropPoints: s.params.dropPoints },
      },
    }),
  ];
}

/**
 * heartbeat_lost: an agent that sends heartbeats (in at least minHeartbeatHours of the last 7 days)
 * has been silent for max(silenceMinutes, 3 × its usual interval between heartbeats). When its
 * baseline shows it only sends them at some hours (a process that runs in the day), the silence only
 * counts when it reaches an hour at which the agent sent heartbeats on half the days or more. The
 * dedup key holds the last heartbeat's time: one silence is one finding, however often the sweep runs.
 */
export function detectHeartbeatLoss(
  ctx: AgentContext,
  input: { lastHeartbeatAt: Date | null; heartbeatHours7d: number },
  now: Date,
  settings: Settings,
): Finding[] {
  const s = enabled(settings, 'heartbeat_lost');
  if (!s || !input.lastHeartbeatAt || input.heartbeatHours7d < s.params.minHeartbeatHours) return [];
  const b = asAgentBaseline(ctx.baseline);
  const interval = b?.heartbeat.intervalMinutes ?? null;
  const silenceMinutes = Math.max(s.params.silenceMinutes, interval ? 3 * interval : 0);
  const silentFor = (now.getTime() - input.lastHeartbeatAt.getTime()) / MINUTE_MS;
  if (silentFor < silenceMinutes) return [];
  const share = b && b.heartbeat.hours > 0 ? heartbeatShare(b, now) : null;
  if (share !== null && share < 0.5) return [];
  const last = iso(input.lastHeartbeatAt);
  return [
    makeFinding(ctx, 'heartbeat_lost', settings, {
      dedupKey: `heartbeat_lost:${ctx.agentId}:${last}`,
      title: `No heartbeat for ${fmt(Math.floor(silentFor))} minutes`,
      summary: `The agent's last heartbeat was at ${last}; it sent heartbeats in ${input.heartbeatHours7d} hours of the last 7 days, and the rule fires after ${fmt(round(silenceMinutes, 1))} minutes of silence.`,
      at: now,
      evidence: {
        observed: round(silentFor, 1),
        baseline: interval,
        threshold: silenceMinutes,
        unit: 'minutes without a heartbeat',
        window: { from: last, to: iso(now) },
        method: `Rule: an agent with heartbeats in at least ${s.params.minHeartbeatHours} hours of the last 7 days sent none for max(silenceMinutes ${s.params.silenceMinutes}, 3 x its usual interval), at an hour at which it usually sends them (on half the days or more of that kind, when its baseline knows).`,
        baselineSnapshot: b ? { version: b.version, computedAt: b.computedAt, start: b.start, historyDays: b.historyDays, heartbeat: b.heartbeat } : null,
        series: [],
        details: { lastHeartbeatAt: last, heartbeatHours7d: input.heartbeatHours7d, usualShareNow: share, silenceMinutes: s.params.silenceMinutes },
      },
    }),
  ];
}

/** The share of days (of now's kind) on which the agent sent a heartbeat in now's hour of day. */
function heartbeatShare(b: NonNullable<ReturnType<typeof asAgentBaseline>>, now: Date): number {
  const kind = dayKindOf(now);
  const h = now.getUTCHours();
  const { share } = b.heartbeat;
  if (b.days[kind] >= 2) return share[kind][h]!;
  return (share.weekday[h]! * b.days.weekday + share.weekend[h]! * b.days.weekend) / Math.max(1, b.days.weekday + b.days.weekend);
}

/** key_age: an active key older than the organization's rotation policy; one finding per key. */
export function detectKeyAge(ctx: AgentContext, keys: { keyId: string; createdAt: Date }[], now: Date, settings: Settings): Finding[] {
  const s = enabled(settings, 'key_age');
  if (!s) return [];
  const out: Finding[] = [];
  for (const key of keys) {
    const ageDays = (now.getTime() - key.createdAt.getTime()) / DAY_MS;
    if (ageDays < s.params.maxAgeDays) continue;
    out.push(
      makeFinding(ctx, 'key_age', settings, {
        dedupKey: `key_age:${ctx.agentId}:${key.keyId}`,
        title: `Key ${key.keyId} is ${Math.floor(ageDays)} days old`,
        summary: `Key ${key.keyId} was created at ${iso(key.createdAt)}, ${Math.floor(ageDays)} days ago; the rotation policy is ${s.params.maxAgeDays} days. Rotate it.`,
        at: now,
        evidence: {
          observed: round(ageDays, 1),
          baseline: null,
          threshold: s.params.maxAgeDays,
          unit: 'days',
          window: { from: iso(key.createdAt), to: iso(now) },
          method: `Rule: an active key older than the rotation policy (maxAgeDays ${s.params.maxAgeDays}).`,
          baselineSnapshot: null,
          series: [],
          details: { keyId: key.keyId, createdAt: iso(key.createdAt), maxAgeDays: s.params.maxAgeDays },
        },
      }),
    );
  }
  return out;
}
