import type pg from 'pg';
import { newId } from '../platform/ids.js';
import type { TestApp } from './test-app.js';

/**
 * Simulated history for the detection engine's tests (and nothing else): decisions inserted as the
 * database owner with the times they would have had, each announced in the outbox as the decision
 * endpoint does, so the real dispatcher and the `monitoring.detect` subscription ingest them.
 */
export interface SimDecision {
  at: Date;
  action?: string;
  resource?: string | null;
  decision?: 'allow' | 'deny';
  records?: number;
  address?: string | null;
}

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

/** The month partitions of verification_events from `from` to now (the migration creates the current month onwards). */
export async function ensurePartitions(owner: pg.Client, from: Date): Promise<void> {
  for (let m = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), 1)); m.getTime() < Date.now(); m = new Date(Date.UTC(m.getUTCFullYear(), m.getUTCMonth() + 1, 1))) {
    const end = new Date(Date.UTC(m.getUTCFullYear(), m.getUTCMonth() + 1, 1));
    const name = `verification_events_y${m.getUTCFullYear()}m${String(m.getUTCMonth() + 1).padStart(2, '0')}`;
    await owner.query(`create table if not exists ${name} partition of verification_events for values from ('${m.toISOString()}') to ('${end.toISOString()}')`);
  }
}

/** Insert decisions of one agent with their `decision.created` events, then let the dispatcher deliver them. */
export async function simulate(t: TestApp, organizationId: string, agentId: string, decisions: readonly SimDecision[]): Promise<string[]> {
  const owner = await t.owner();
  const rows = decisions.map((d) => {
    const decision = d.decision ?? 'allow';
    return {
      id: newId('dec', d.at.getTime()),
      event: newId('dev', d.at.getTime()),
      at: d.at.toISOString(),
      action: d.action ?? 'orders:read',
      resource: d.resource === undefined ? `orders/${Math.floor(Math.random() * 100_000)}` : d.resource,
      decision,
      status: decision === 'allow' ? 'allowed' : 'denied',
      context: d.records === undefined ? {} : { records: d.records },
      address: d.address === undefined ? '10.1.2.3' : d.address,
    };
  });
  await owner.query(
    `with d as (select * from jsonb_to_recordset($3::jsonb) as d(id text, event text, at timestamptz, action text, resource text, decision text, status text, context jsonb, address inet)),
     v as (insert into verification_events (id, organization_id, agent_id, authenticated_by, action, resource, context, initial_decision, decision, status, reasons, policy_revision, created_at, client_address)
           select d.id, $1, $2, 'signature', d.action, d.resource, d.context, d.decision, d.decision, d.status, '[]', 0, d.at, d.address from d)
     insert into event_outbox (id, organization_id, type, version, occurred_at, data)
     select d.event, $1, 'decision.created', 1, d.at,
            jsonb_build_object('decisionId', d.id, 'agentId', $2::text, 'action', d.action, 'decision', d.decision, 'flagged', false)
       from d order by d.at, d.id`,
    [organizationId, agentId, JSON.stringify(rows)],
  );
  await t.platform.domainEvents.drain();
  return rows.map((r) => r.id);
}

/** `perHour` decisions in each hour from `fromHour` to `toHour` (UTC hours of day) of each day in [start, end). */
export function workingHours(start: Date, end: Date, options: { fromHour: number; toHour: number; perHour: number; records?: number }): SimDecision[] {
  const out: SimDecision[] = [];
  for (let day = start.getTime(); day < end.getTime(); day += DAY) {
    for (let h = options.fromHour; h < options.toHour; h += 1) {
      for (let i = 0; i < options.perHour; i += 1) {
        const at = new Date(day + h * HOUR + Math.floor((i * HOUR) / options.perHour) + 1000);
        out.push({ at, ...(options.records === undefined ? {} : { records: options.records }) });
      }
    }
  }
  return out;
}

/** Heartbeats in every minute of every hour in [from, to). */
export async function heartbeats(t: TestApp, organizationId: string, agentId: string, from: Date, to: Date): Promise<void> {
  const owner = await t.owner();
  await owner.query(
    `insert into agent_uptime_hours (organization_id, agent_id, hour, minutes, heartbeats)
     select $1, $2, h, (1::bigint << 60) - 1, 60 from generate_series($3::timestamptz, $4::timestamptz - interval '1 hour', interval '1 hour') h
     on conflict (agent_id, hour) do update set minutes = excluded.minutes`,
    [organizationId, agentId, from, to],
  );
}

export interface AlertRow {
  id: string;
  type: string;
  severity: string;
  subject_id: string;
  dedup_key: string;
  occurrences: number;
  status: string;
  evidence: { decisionIds: string[]; observed: number; threshold: number; baselineSnapshot: unknown; details: Record<string, unknown> };
}

export async function alertsOf(t: TestApp, organizationId: string): Promise<AlertRow[]> {
  const owner = await t.owner();
  const { rows } = await owner.query<AlertRow>(
    'select id, type, severity, subject_id, dedup_key, occurrences, status, evidence from alerts where organization_id = $1 order by id',
    [organizationId],
  );
  return rows;
}
