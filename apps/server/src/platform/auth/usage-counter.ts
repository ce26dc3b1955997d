import type { Database } from '../db/database.js';

/**
 * Last-used time and use count of credentials (API keys, agent keys), gathered in memory and
 * written in batches (every few seconds and at shutdown) rather than with a database write on
 * every request. The statement receives $1 ids, $2 counts and $3 last-used times, as arrays.
 */
export interface UsageCounter {
  record(organizationId: string, id: string): void;
  flush(): Promise<void>;
  close(): Promise<void>;
}

export const API_KEY_USAGE = `update api_keys k set use_count = k.use_count + u.n, last_used_at = greatest(k.last_used_at, u.t)
   from unnest($1::text[], $2::bigint[], $3::timestamptz[]) as u(id, n, t) where k.id = u.id`;

/**
 * Agent keys, the agent's verified requests of the (UTC) day for trust scoring, and the agent's
 * last-seen time with them.
 */
export const AGENT_KEY_USAGE = `with u as (select * from unnest($1::text[], $2::bigint[], $3::timestamptz[]) as u(id, n, t)),
  k as (update agent_keys k set use_count = k.use_count + u.n, last_used_at = greatest(k.last_used_at, u.t)
          from u where k.id = u.id returning k.organization_id, k.agent_id, u.n, u.t),
  d as (insert into agent_activity_days (organization_id, agent_id, day, verified)
          select organization_id, agent_id, (t at time zone 'UTC')::date, sum(n) from k group by 1, 2, 3
          on conflict (agent_id, day) do update set verified = agent_activity_days.verified + excluded.verified)
  update agents a set last_seen_at = greatest(a.last_seen_at, x.t)
    from (select agent_id, max(t) as t from k group by agent_id) x where a.id = x.agent_id`;

/**
 * Refused requests whose signature verified with one of the agent's retired keys (revoked, or past its
 * overlap), per agent and (UTC) day, for trust scoring. Ids are agent ids.
 */
export const AGENT_FAILED_REQUESTS = `insert into agent_activity_days (organization_id, agent_id, day, failed)
  select a.organization_id, a.id, (u.t at time zone 'UTC')::date, u.n
    from unnest($1::text[], $2::bigint[], $3::timestamptz[]) as u(id, n, t) join agents a on a.id = u.id
  on conflict (agent_id, day) do update set failed = agent_activity_days.failed + excluded.failed`;

export function createUsageCounter(
  db: Database,
  statement: string,
  options: { intervalMs?: number; onError?: (e: unknown) => void } = {},
): UsageCounter {
  let pending = new Map<string, Map<string, { count: number; lastUsed: Date }>>();
  let flushing: Promise<void> = Promise.resolve();

  const flush = () => {
    const batch = pending;
    pending = new Map();
    flushing = flushing.then(async () => {
      for (const [organizationId, keys] of batch) {
        const ids = [...keys.keys()];
        const counts = ids.map((id) => keys.get(id)!.count);
        const times = ids.map((id) => keys.get(id)!.lastUsed);
        try {
          await db.transaction({ organizationId }, (tx) => tx.query(statement, [ids, counts, times]));
        } catch (error) {
          options.onError?.(error);
        }
      }
    });
    return flushing;
  };

  const timer = setInterval(() => void flush(), options.intervalMs ?? 5_000);
  timer.unref();

  return {
    record(organizationId, keyId) {
      let keys = pending.get(organizationId);
      if (!keys) pending.set(organizationId, (keys = new Map()));
      const entry = keys.get(keyId);
      if (entry) {
        entry.count += 1;
        entry.lastUsed = new Date();
      } else {
        keys.set(keyId, { count: 1, lastUsed: new Date() });
      }
    },
    flush,
    async close() {
      clearInterval(timer);
      await flush();
    },
  };
}
