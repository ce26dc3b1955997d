import type { Database, Tx } from '../../../platform/db/database.js';
import type { DomainEvents } from '../../../platform/events/domain-events.js';
import { orgOf } from '../../../platform/db/database.js';
import { loadMonitoringSettings } from '../settings/settings-store.js';
import { detectClosedHour, detectHeartbeatLoss, detectKeyAge } from './detectors.js';
import { detectionContext, isLearning, writeFindings, type WriteResult } from './engine-alerts.js';
import { hourOf } from './engine-store.js';
import type { AgentContext, Baseline, Finding, Settings } from './model.js';

/**
 * The monitoring sweep (`aim.monitoring-sweep`, every minute, per organization): what no event
 * announces. Heartbeat loss (agents that sent heartbeats regularly and went quiet), key age (active
 * keys older than the rotation policy), and the evaluation of the hour that just ended (an agent far
 * below its usual rate). One transaction per organization; `now` is a parameter so tests run it with
 * simulated time. Each closed hour is evaluated once per organization: the sweep claims it in
 * monitoring_sweeps, so another instance's sweep of the same minute skips it. The rule findings are
 * conditions that hold until dealt with, so a repeat only refreshes the active alert (Repeat 'ongoing').
 */

interface AgentBits {
  agent_id: string;
  created_at: Date;
  baseline: Baseline | null;
}

const context = (r: AgentBits, at: Date, settings: Settings): AgentContext => ({
  agentId: r.agent_id,
  createdAt: r.created_at,
  learning: isLearning(r.created_at, at, settings),
  baseline: r.baseline,
});

// The last heartbeat: the latest hour's highest minute bit (bit n is minute n of the hour).
const HEARTBEATS = `
select u.agent_id, a.created_at, b.baseline, count(*)::int as hours,
       max(u.hour + make_interval(mins => 64 - position('1' in u.minutes::bit(64)::text))) as last_at
  from agent_uptime_hours u
  join agents a on a.organization_id = u.organization_id and a.id = u.agent_id and a.status = 'active'
  left join agent_baselines b on b.agent_id = u.agent_id
 where u.organization_id = $1 and u.hour > $2::timestamptz - interval '7 days' and u.hour <= $2 and u.minutes > 0
 group by u.agent_id, a.created_at, b.baseline`;

const OLD_KEYS = `
select k.id, k.agent_id, k.created_at as key_created_at, a.created_at, b.baseline
  from agent_keys k
  join agents a on a.organization_id = k.organization_id and a.id = k.agent_id and a.status = 'active'
  left join agent_baselines b on b.agent_id = k.agent_id
 where k.organization_id = $1 and k.revoked_at is null and (k.expires_at is null or k.expires_at > $2)
   and k.created_at <= $2::timestamptz - make_interval(days => $3)`;

const CLAIM_HOUR = `
insert into monitoring_sweeps as s (organization_id, closed_hour) values ($1, $2)
on conflict (organization_id) do update set closed_hour = excluded.closed_hour where s.closed_hour < excluded.closed_hour
returning closed_hour`;

// Every agent with a baseline, with its counts of the hour (zeros when it made no request).
const CLOSED_HOUR = `
select a.id as agent_id, a.created_at, b.baseline,
       coalesce(h.requests, 0) as requests, coalesce(h.denials, 0) as denials, coalesce(h.records, 0) as records, coalesce(h.bytes, 0) as bytes
  from agent_baselines b
  join agents a on a.organization_id = b.organization_id and a.id = b.agent_id and a.status = 'active'
  left join agent_activity_hours h on h.agent_id = b.agent_id and h.hour = $2
 where b.organization_id = $1`;

async function heartbeatFindings(tx: Tx, now: Date, settings: Settings) {
  if (!settings.detectors.heartbeat_lost.enabled) return { findings: [] as Finding[], agents: [] as AgentBits[] };
  const { rows } = await tx.query<AgentBits & { hours: number; last_at: Date }>(HEARTBEATS, [orgOf(tx), now], { name: 'aim.monitoring.sweep-heartbeats' });
  const findings = rows.flatMap((r) => detectHeartbeatLoss(context(r, now, settings), { lastHeartbeatAt: r.last_at, heartbeatHours7d: r.hours }, now, settings));
  return { findings, agents: rows };
}

async function keyAgeFindings(tx: Tx, now: Date, settings: Settings) {
  const s = settings.detectors.key_age;
  if (!s.enabled) return { findings: [] as Finding[], agents: [] as AgentBits[] };
  const { rows } = await tx.query<AgentBits & { id: string; key_created_at: Date }>(OLD_KEYS, [orgOf(tx), now, s.params.maxAgeDays], {
    name: 'aim.monitoring.sweep-keys',
  });
  const byAgent = new Map<string, { agent: AgentBits; keys: { keyId: string; createdAt: Date }[] }>();
  for (const r of rows) {
    const entry = byAgent.get(r.agent_id) ?? { agent: r, keys: [] };
    entry.keys.push({ keyId: r.id, createdAt: r.key_created_at });
    byAgent.set(r.agent_id, entry);
  }
  const findings = [...byAgent.values()].flatMap(({ agent, keys }) => detectKeyAge(context(agent, now, settings), keys, now, settings));
  return { findings, agents: rows };
}

async function closedHourFindings(tx: Tx, now: Date, settings: Settings) {
  const hour = new Date(hourOf(now).getTime() - 3_600_000);
  const claimed = await tx.query(CLAIM_HOUR, [orgOf(tx), hour], { name: 'aim.monitoring.sweep-claim' });
  if (claimed.rowCount === 0) return { findings: [] as Finding[], agents: [] as AgentBits[] };
  const { rows } = await tx.query<AgentBits & { requests: string; denials: string; records: string; bytes: string }>(CLOSED_HOUR, [orgOf(tx), hour], {
    name: 'aim.monitoring.sweep-closed-hour',
  });
  const end = new Date(hour.getTime() + 3_600_000);
  const findings = rows.flatMap((r) =>
    detectClosedHour(
      context(r, end, settings),
      { hour, requests: Number(r.requests), denials: Number(r.denials), records: Number(r.records), bytes: Number(r.bytes) },
      settings,
    ),
  );
  return { findings, agents: rows };
}

export interface SweepResult {
  conditions: WriteResult;
  closedHour: WriteResult;
}

/** One organization's sweep as of `now`. */
export async function sweepOrganization(deps: { db: Pick<Database, 'transaction'>; events: Pick<DomainEvents, 'record'> }, organizationId: string, now: Date): Promise<SweepResult> {
  return deps.db.transaction({ organizationId }, async (tx) => {
    const { settings } = await loadMonitoringSettings(tx);
    const heartbeats = await heartbeatFindings(tx, now, settings);
    const keys = await keyAgeFindings(tx, now, settings);
    const closed = await closedHourFindings(tx, now, settings);
    const agents = new Map([...heartbeats.agents, ...keys.agents, ...closed.agents].map((a) => [a.agent_id, a.created_at]));
    const ctx = detectionContext('sweep');
    const conditions = await writeFindings(tx, deps, { ctx, findings: [...heartbeats.findings, ...keys.findings], agents, settings, repeat: 'ongoing' });
    const closedHour = await writeFindings(tx, deps, { ctx, findings: closed.findings, agents, settings, repeat: 'count' });
    return { conditions, closedHour };
  });
}
