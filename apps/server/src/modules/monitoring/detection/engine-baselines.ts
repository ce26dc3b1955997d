import type { Database } from '../../../platform/db/database.js';
import { onLegalHold } from '../../../platform/db/legal-hold.js';
import { BASELINE_HISTORY_DAYS, computeBaseline } from './baseline.js';
import { hourOf } from './engine-store.js';
import type { BaselineInput } from './model.js';

/**
 * Baselines (`aim.monitoring-baselines`, hourly, per organization): each agent's baseline recomputed
 * from its stored evidence, the hour counters (agent_activity_hours) and heartbeats
 * (agent_uptime_hours) of the last BASELINE_HISTORY_DAYS complete hours, and stored whole in
 * agent_baselines. An agent is recomputed at most daily, at once when it has none. Agents go in
 * batches of BATCH, each read in one statement and stored in another, in a transaction of its own.
 * The same pass deletes the counters no baseline reads any more. `now` is a parameter so tests run
 * it with simulated time.
 */
const BATCH = 200;
/** An agent's baseline is due again after this long (a little under a day, so the hourly job never drifts past it). */
const RECOMPUTE_AFTER = '23 hours 30 minutes';
/** Refusals are read over at most a day (key_misuse.windowMinutes ≤ 1440). */
const AUTH_FAILURE_RETENTION_DAYS = 2;

const DUE = `
select a.id, a.created_at,
       coalesce((select json_agg(json_build_array(extract(epoch from h.hour) * 1000, h.requests, h.denials, h.records, h.bytes))
                   from agent_activity_hours h
                  where h.organization_id = $1 and h.agent_id = a.id and h.hour >= $2 and h.hour < $3), '[]') as hours,
       coalesce((select json_agg(json_build_array(extract(epoch from u.hour) * 1000, bit_count(u.minutes::bit(64))))
                   from agent_uptime_hours u
                  where u.organization_id = $1 and u.agent_id = a.id and u.hour >= $2 and u.hour < $3 and u.minutes > 0), '[]') as heartbeats
  from agents a left join agent_baselines b on b.agent_id = a.id
 where a.organization_id = $1 and a.status <> 'revoked' and a.id > $4
   and (b.agent_id is null or b.computed_at <= $5::timestamptz - interval '${RECOMPUTE_AFTER}')
 order by a.id limit ${BATCH}`;

const STORE = `
insert into agent_baselines as b (organization_id, agent_id, baseline, computed_at)
select $1, u.agent_id, u.baseline, $3 from jsonb_to_recordset($2::jsonb) as u(agent_id text, baseline jsonb)
on conflict (agent_id) do update set baseline = excluded.baseline, computed_at = excluded.computed_at`;

type Row = { id: string; created_at: Date; hours: [number, string, string, string, string][]; heartbeats: [number, number][] };

/** Recompute the due baselines of one organization as of `now`; how many were stored. */
export async function computeBaselines(deps: { db: Pick<Database, 'transaction'> }, organizationId: string, now: Date): Promise<number> {
  const to = hourOf(now);
  const from = new Date(to.getTime() - BASELINE_HISTORY_DAYS * 86_400_000);
  let after = '';
  let stored = 0;
  for (;;) {
    const done = await deps.db.transaction({ organizationId }, async (tx) => {
      const { rows } = await tx.query<Row>(DUE, [organizationId, from, to, after, now], { name: 'aim.monitoring.baselines-due' });
      if (rows.length === 0) return true;
      const baselines = rows.map((r) => {
        const input: BaselineInput = {
          agentId: r.id,
          asOf: now,
          agentCreatedAt: r.created_at,
          hours: r.hours.map(([t, requests, denials, records, bytes]) => ({
            hour: new Date(t),
            requests: Number(requests),
            denials: Number(denials),
            records: Number(records),
            bytes: Number(bytes),
          })),
          heartbeats: r.heartbeats.map(([t, minutes]) => ({ hour: new Date(t), minutes })),
        };
        return { agent_id: r.id, baseline: computeBaseline(input) };
      });
      await tx.query(STORE, [organizationId, JSON.stringify(baselines), now], { name: 'aim.monitoring.baselines-store' });
      stored += rows.length;
      after = rows[rows.length - 1]!.id;
      return rows.length < BATCH;
    });
    if (done) return stored;
  }
}

/**
 * Delete the counters no detector or baseline reads any more (older than the history window, by `now`);
 * nothing while the organization is on legal hold.
 */
export async function pruneDetectionState(deps: { db: Pick<Database, 'transaction'> }, organizationId: string, now: Date): Promise<void> {
  await deps.db.transaction({ organizationId }, async (tx) => {
    if (await onLegalHold(tx, organizationId)) return;
    await tx.query('delete from agent_activity_hours where organization_id = $1 and hour < $2', [organizationId, new Date(hourOf(now).getTime() - (BASELINE_HISTORY_DAYS + 1) * 86_400_000)], {
      name: 'aim.monitoring.prune-hours',
    });
    await tx.query('delete from agent_auth_failures where organization_id = $1 and minute < $2', [organizationId, new Date(now.getTime() - AUTH_FAILURE_RETENTION_DAYS * 86_400_000)], {
      name: 'aim.monitoring.prune-failures',
    });
  });
}
