import { AUTHENTICATION_FAILURE_REASONS } from '@aim/contracts';
import type { Logger } from 'pino';
import type { Database } from '../db/database.js';
import type { DomainEvents } from '../events/domain-events.js';

/**
 * Refused agent requests that named one of an agent's keys (a bad signature, a replay, a retired key,
 * a wrong digest, a token that does not match its key), gathered in memory like usage-counter.ts and
 * written every couple of seconds: per organization one transaction stores the counts per key, UTC
 * minute and reason in agent_auth_failures and records one `agent.authentication_failed` event per
 * agent, which the monitoring's key_misuse detector reads (docs/monitoring.md). A key id is not a
 * secret, so anyone can make requests that name a known one: memory is capped (MAX_ENTRIES distinct
 * agent, key, minute and reason; MAX_ADDRESSES addresses each), and what does not fit is counted and
 * dropped until the next flush.
 */
export type AuthFailureReason = (typeof AUTHENTICATION_FAILURE_REASONS)[number];

export interface AuthFailure {
  organizationId: string;
  agentId: string;
  keyId: string;
  reason: AuthFailureReason;
  address: string | null;
}

export interface AuthFailureRecorder {
  record(failure: AuthFailure, at?: Date): void;
  flush(): Promise<void>;
  start(): void;
  close(): Promise<void>;
}

const MAX_ENTRIES = 5_000;
const MAX_ADDRESSES = 5;
const MAX_EVENT_LIST = 20;

interface Entry {
  agentId: string;
  keyId: string;
  minute: Date;
  reason: AuthFailureReason;
  count: number;
  first: Date;
  last: Date;
  addresses: string[];
}

const STORE_SQL = `insert into agent_auth_failures as f (organization_id, agent_id, key_id, minute, reason, count, addresses)
  select $1, u.agent_id, u.key_id, u.minute, u.reason, u.n, u.addresses
    from jsonb_to_recordset($2::jsonb) as u(agent_id text, key_id text, minute timestamptz, reason text, n bigint, addresses text[])
    join agents a on a.organization_id = $1 and a.id = u.agent_id
  on conflict (agent_id, minute, key_id, reason) do update
    set count = f.count + excluded.count,
        addresses = (select coalesce(array_agg(x), '{}') from (select distinct x from unnest(f.addresses || excluded.addresses) x limit ${MAX_ADDRESSES}) d)`;

export function isAuthFailureReason(code: string): code is AuthFailureReason {
  return (AUTHENTICATION_FAILURE_REASONS as readonly string[]).includes(code);
}

export function createAuthFailureRecorder(deps: {
  db: Database;
  events: Pick<DomainEvents, 'record'>;
  logger: Pick<Logger, 'warn'>;
  intervalMs?: number;
}): AuthFailureRecorder {
  let pending = new Map<string, Map<string, Entry>>();
  let entries = 0;
  let dropped = 0;
  let flushing: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;

  async function flushOrganization(organizationId: string, batch: Map<string, Entry>): Promise<void> {
    const rows = [...batch.values()];
    const byAgent = new Map<string, Entry[]>();
    for (const e of rows) byAgent.set(e.agentId, [...(byAgent.get(e.agentId) ?? []), e]);
    await deps.db.transaction({ organizationId }, async (tx) => {
      const json = JSON.stringify(
        rows.map((e) => ({ agent_id: e.agentId, key_id: e.keyId, minute: e.minute.toISOString(), reason: e.reason, n: e.count, addresses: e.addresses })),
      );
      await tx.query(STORE_SQL, [organizationId, json], { name: 'aim.auth-failures.store' });
      for (const [agentId, list] of byAgent) {
        const reasons: Partial<Record<AuthFailureReason, number>> = {};
        for (const e of list) reasons[e.reason] = (reasons[e.reason] ?? 0) + e.count;
        await deps.events.record(tx, 'agent.authentication_failed', {
          agentId,
          from: new Date(Math.min(...list.map((e) => e.first.getTime()))).toISOString(),
          to: new Date(Math.max(...list.map((e) => e.last.getTime()))).toISOString(),
          failures: list.reduce((n, e) => n + e.count, 0),
          reasons,
          keyIds: [...new Set(list.map((e) => e.keyId))].slice(0, MAX_EVENT_LIST),
          addresses: [...new Set(list.flatMap((e) => e.addresses))].slice(0, MAX_EVENT_LIST),
        });
      }
    });
  }

  const flush = (): Promise<void> => {
    const batch = pending;
    const lost = dropped;
    pending = new Map();
    entries = 0;
    dropped = 0;
    if (lost > 0) deps.logger.warn({ dropped: lost }, 'refused agent requests beyond the recorder cap were not stored');
    flushing = flushing.then(async () => {
      for (const [organizationId, perOrg] of batch) {
        // One organization's failure (say, its agent was deleted meanwhile) does not lose the others'.
        await flushOrganization(organizationId, perOrg).catch((err: unknown) =>
          deps.logger.warn({ err, organizationId }, 'could not record refused agent requests for monitoring'),
        );
      }
    });
    return flushing;
  };

  return {
    record(failure, at = new Date()) {
      const minute = new Date(Math.floor(at.getTime() / 60_000) * 60_000);
      const key = `${failure.agentId}|${failure.keyId}|${minute.getTime()}|${failure.reason}`;
      let perOrg = pending.get(failure.organizationId);
      let entry = perOrg?.get(key);
      if (!entry) {
        if (entries >= MAX_ENTRIES) {
          dropped += 1;
          return;
        }
        if (!perOrg) pending.set(failure.organizationId, (perOrg = new Map()));
        entry = { agentId: failure.agentId, keyId: failure.keyId, minute, reason: failure.reason, count: 0, first: at, last: at, addresses: [] };
        perOrg.set(key, entry);
        entries += 1;
      }
      entry.count += 1;
      if (at < entry.first) entry.first = at;
      if (at > entry.last) entry.last = at;
      if (failure.address && entry.addresses.length < MAX_ADDRESSES && !entry.addresses.includes(failure.address)) entry.addresses.push(failure.address);
    },
    flush,
    start() {
      timer ??= setInterval(() => void flush(), deps.intervalMs ?? 2_000).unref();
    },
    async close() {
      clearInterval(timer);
      timer = undefined;
      await flush();
    },
  };
}
