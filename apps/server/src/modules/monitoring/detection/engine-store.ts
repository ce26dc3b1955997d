import { orgOf, type Tx } from '../../../platform/db/database.js';
import type { AuthFailureWindow, Baseline, FirstUse, HourCounts, Observation } from './model.js';

/**
 * The detection engine's statements over its state (migration 0020): each takes a whole batch, so an
 * ingestion batch costs a few round trips however many decisions it holds, and none reads history
 * beyond the rows the batch touches.
 */

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/** The creation time in a time-sortable id (platform/ids.ts: 48 bits of milliseconds first). */
export function idTime(id: string): number {
  const body = id.slice(id.indexOf('_') + 1, id.indexOf('_') + 11);
  let ms = 0;
  for (const c of body) ms = ms * 32 + ALPHABET.indexOf(c);
  return ms;
}

const READ_DECISIONS = `
select v.id, v.agent_id, v.action, v.resource, v.decision, v.flagged, host(v.client_address) as address, v.created_at,
       case when jsonb_typeof(v.context -> 'records') = 'number' then greatest(0, (v.context ->> 'records')::numeric) end as records,
       case when jsonb_typeof(v.context -> 'bytes') = 'number' then greatest(0, (v.context ->> 'bytes')::numeric) end as bytes,
       exists (select 1 from violations x where x.organization_id = v.organization_id and x.decision_id = v.id) as violation
  from verification_events v
 where v.organization_id = $1 and v.id = any($2::text[]) and v.created_at between $3 and $4
 order by v.created_at, v.id`;

interface DecisionRow {
  id: string;
  agent_id: string;
  action: string;
  resource: string | null;
  decision: 'allow' | 'deny' | 'pending';
  flagged: boolean;
  address: string | null;
  created_at: Date;
  records: string | null;
  bytes: string | null;
  violation: boolean;
}

/** The batch's decisions, oldest first (the partitions their ids' times name, by primary key). */
export async function readDecisions(tx: Tx, ids: readonly string[]): Promise<Observation[]> {
  if (ids.length === 0) return [];
  const times = ids.map(idTime);
  const from = new Date(Math.min(...times) - 1000);
  const to = new Date(Math.max(...times) + 1000);
  const { rows } = await tx.query<DecisionRow>(READ_DECISIONS, [orgOf(tx), ids, from, to], { name: 'aim.monitoring.read-decisions' });
  return rows.map((r) => ({
    decisionId: r.id,
    agentId: r.agent_id,
    at: r.created_at,
    action: r.action,
    resource: r.resource,
    decision: r.decision,
    violation: r.violation || r.flagged,
    records: r.records === null ? null : Number(r.records),
    bytes: r.bytes === null ? null : Number(r.bytes),
    address: r.address,
  }));
}

export const hourOf = (at: Date): Date => new Date(Math.floor(at.getTime() / 3_600_000) * 3_600_000);
export const hourKey = (agentId: string, hour: Date) => `${agentId}|${hour.getTime()}`;

// Each touched hour after the batch, with the hour before it (rate_anomaly's 60-minute window): one
// more row read by primary key per touched hour. The outer select sees the table as it was before the
// insert, so an hour before that this batch touched too lacks the batch's part; addToHours adds it.
const ADD_HOURS = `
with added as (
  insert into agent_activity_hours as h (organization_id, agent_id, hour, requests, denials, records, bytes)
  select $1, u.agent_id, u.hour, u.requests, u.denials, u.records, u.bytes
    from jsonb_to_recordset($2::jsonb) as u(agent_id text, hour timestamptz, requests bigint, denials bigint, records numeric, bytes numeric)
  on conflict (agent_id, hour) do update set
    requests = h.requests + excluded.requests, denials = h.denials + excluded.denials,
    records = h.records + excluded.records, bytes = h.bytes + excluded.bytes
  returning h.agent_id, h.hour, h.requests, h.denials, h.records, h.bytes
)
select a.agent_id, a.hour, a.requests, a.denials, a.records, a.bytes,
       e.requests as earlier_requests, e.denials as earlier_denials, e.records as earlier_records, e.bytes as earlier_bytes
  from added a
  left join agent_activity_hours e on e.organization_id = $1 and e.agent_id = a.agent_id and e.hour = a.hour - interval '1 hour'`;

/** The hours a batch touched, before and after it, and the clock hour before each (null: no requests). */
export interface HourChange {
  agentId: string;
  previous: HourCounts;
  current: HourCounts;
  earlier: HourCounts | null;
  observations: Observation[];
}

/** Add the batch's decisions to the hour counters; each touched hour before and after. */
export async function addToHours(tx: Tx, observations: readonly Observation[]): Promise<HourChange[]> {
  const groups = new Map<string, { agentId: string; delta: HourCounts; observations: Observation[] }>();
  for (const o of observations) {
    const hour = hourOf(o.at);
    const key = hourKey(o.agentId, hour);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { agentId: o.agentId, delta: { hour, requests: 0, denials: 0, records: 0, bytes: 0 }, observations: [] }));
    g.delta.requests += 1;
    if (o.decision === 'deny' || o.violation) g.delta.denials += 1;
    g.delta.records += o.records ?? 0;
    g.delta.bytes += o.bytes ?? 0;
    g.observations.push(o);
  }
  if (groups.size === 0) return [];
  const json = JSON.stringify([...groups.values()].map(({ agentId, delta }) => ({ agent_id: agentId, ...delta, hour: delta.hour.toISOString() })));
  type Row = { agent_id: string; hour: Date; requests: string; denials: string; records: string; bytes: string };
  type Earlier = { earlier_requests: string | null; earlier_denials: string | null; earlier_records: string | null; earlier_bytes: string | null };
  const { rows } = await tx.query<Row & Earlier>(ADD_HOURS, [orgOf(tx), json], { name: 'aim.monitoring.add-hours-window' });
  return rows.map((r) => {
    const hourBefore = new Date(r.hour.getTime() - 3_600_000);
    const inBatch = groups.get(hourKey(r.agent_id, hourBefore))?.delta;
    const stored = r.earlier_requests === null ? null : { requests: Number(r.earlier_requests), denials: Number(r.earlier_denials), records: Number(r.earlier_records), bytes: Number(r.earlier_bytes) };
    const earlier: HourCounts | null =
      stored === null && inBatch === undefined
        ? null
        : {
            hour: hourBefore,
            requests: (stored?.requests ?? 0) + (inBatch?.requests ?? 0),
            denials: (stored?.denials ?? 0) + (inBatch?.denials ?? 0),
            records: (stored?.records ?? 0) + (inBatch?.records ?? 0),
            bytes: (stored?.bytes ?? 0) + (inBatch?.bytes ?? 0),
          };
    const g = groups.get(hourKey(r.agent_id, r.hour))!;
    const current: HourCounts = { hour: r.hour, requests: Number(r.requests), denials: Number(r.denials), records: Number(r.records), bytes: Number(r.bytes) };
    const previous: HourCounts = {
      hour: r.hour,
      requests: current.requests - g.delta.requests,
      denials: current.denials - g.delta.denials,
      records: current.records - g.delta.records,
      bytes: current.bytes - g.delta.bytes,
    };
    return { agentId: r.agent_id, previous, current, earlier, observations: g.observations };
  });
}

const ADD_SEEN = `
insert into agent_seen_values (organization_id, agent_id, kind, value, first_seen_at, first_decision_id)
select $1, u.agent_id, u.kind, u.value, u.at, u.decision_id
  from jsonb_to_recordset($2::jsonb) as u(agent_id text, kind text, value text, at timestamptz, decision_id text)
on conflict do nothing
returning agent_id, kind, value, first_decision_id`;

/** Record the values the batch used; those used for the first time, with the observation that first used them. */
export async function addSeenValues(tx: Tx, uses: readonly Omit<FirstUse, never>[]): Promise<FirstUse[]> {
  // The earliest use of each value in the batch is its candidate first use.
  const earliest = new Map<string, FirstUse>();
  for (const u of uses) {
    const key = `${u.observation.agentId}|${u.kind}|${u.value}`;
    const known = earliest.get(key);
    if (!known || u.observation.at < known.observation.at) earliest.set(key, u);
  }
  if (earliest.size === 0) return [];
  const json = JSON.stringify(
    [...earliest.values()].map((u) => ({
      agent_id: u.observation.agentId,
      kind: u.kind,
      value: u.value,
      at: u.observation.at.toISOString(),
      decision_id: u.observation.decisionId,
    })),
  );
  const { rows } = await tx.query<{ agent_id: string; kind: string; value: string }>(ADD_SEEN, [orgOf(tx), json], { name: 'aim.monitoring.add-seen' });
  return rows.map((r) => earliest.get(`${r.agent_id}|${r.kind}|${r.value}`)!);
}

export interface AgentRow {
  id: string;
  createdAt: Date;
  baseline: Baseline | null;
}

/**
 * Baselines already read, by agent, with the computed_at they were read at. A baseline is a few
 * kilobytes of JSON and changes at most daily, while an agent's decisions arrive in every batch: the
 * read below returns it only when the stored one is newer than the copy here (every instance checks
 * against the database, so a copy is never used stale). Capped; the oldest entries go first.
 */
const BASELINE_CACHE_MAX = 20_000;
const baselineCache = new Map<string, { computedAt: string; baseline: Baseline }>();

/** The agents' creation times and stored baselines. */
export async function loadAgents(tx: Tx, agentIds: readonly string[]): Promise<Map<string, AgentRow>> {
  if (agentIds.length === 0) return new Map();
  const known = agentIds.flatMap((id) => {
    const cached = baselineCache.get(id);
    return cached ? [{ agent_id: id, computed_at: cached.computedAt }] : [];
  });
  const { rows } = await tx.query<{ id: string; created_at: Date; computed_at: Date | null; baseline: Baseline | null }>(
    `select a.id, a.created_at, b.computed_at, case when k.computed_at is distinct from b.computed_at then b.baseline end as baseline
       from agents a
       left join agent_baselines b on b.agent_id = a.id
       left join jsonb_to_recordset($3::jsonb) as k(agent_id text, computed_at timestamptz) on k.agent_id = a.id
      where a.organization_id = $1 and a.id = any($2::text[])`,
    [orgOf(tx), agentIds, JSON.stringify(known)],
    { name: 'aim.monitoring.load-agents' },
  );
  return new Map(
    rows.map((r) => {
      let baseline: Baseline | null = null;
      if (r.computed_at !== null) {
        if (r.baseline !== null) {
          if (baselineCache.size >= BASELINE_CACHE_MAX) baselineCache.delete(baselineCache.keys().next().value!);
          baselineCache.set(r.id, { computedAt: r.computed_at.toISOString(), baseline: r.baseline });
        }
        baseline = r.baseline ?? baselineCache.get(r.id)?.baseline ?? null;
      }
      return [r.id, { id: r.id, createdAt: r.created_at, baseline }];
    }),
  );
}

const READ_FAILURES = `
select f.agent_id, f.key_id, f.reason, f.count, f.addresses, f.minute
  from agent_auth_failures f
  join jsonb_to_recordset($2::jsonb) as w(agent_id text, since timestamptz, until timestamptz)
    on f.agent_id = w.agent_id and f.minute >= w.since and f.minute <= w.until
 where f.organization_id = $1`;

/** Each agent's refusals within `windowMinutes` up to `until` (from agent_auth_failures). */
export async function readFailureWindows(tx: Tx, ends: ReadonlyMap<string, Date>, windowMinutes: number): Promise<AuthFailureWindow[]> {
  if (ends.size === 0) return [];
  const windows = new Map<string, AuthFailureWindow>();
  const bounds = [...ends].map(([agentId, until]) => {
    const from = new Date(until.getTime() - windowMinutes * 60_000);
    windows.set(agentId, { agentId, from, to: until, reasons: {}, keyIds: [], addresses: [] });
    // Counts are per minute: the window takes the whole minute it starts in.
    return { agent_id: agentId, since: new Date(Math.floor(from.getTime() / 60_000) * 60_000).toISOString(), until: until.toISOString() };
  });
  const { rows } = await tx.query<{ agent_id: string; key_id: string; reason: string; count: string; addresses: string[] }>(
    READ_FAILURES,
    [orgOf(tx), JSON.stringify(bounds)],
    { name: 'aim.monitoring.read-failures' },
  );
  for (const r of rows) {
    const w = windows.get(r.agent_id)!;
    w.reasons[r.reason] = (w.reasons[r.reason] ?? 0) + Number(r.count);
    if (!w.keyIds.includes(r.key_id)) w.keyIds.push(r.key_id);
    for (const a of r.addresses) if (!w.addresses.includes(a) && w.addresses.length < 20) w.addresses.push(a);
  }
  return [...windows.values()];
}
