import {
  AUDIT_EVENT_COLUMNS,
  toStoredEvent,
  type AuditEventRow,
  type ChainedStoredEvent,
  type StoredEvent,
} from '../../platform/audit/audit-row.js';
import { orgOf, type Tx } from '../../platform/db/database.js';
import type { UserRow } from '../users/index.js';

/** Reading the audit log of the transaction's organization. */
export interface AuditFilter {
  from?: string | undefined;
  to?: string | undefined;
  actorType?: string | undefined;
  actorId?: string | undefined;
  action?: string | undefined;
  targetType?: string | undefined;
  targetId?: string | undefined;
  outcome?: string | undefined;
  q?: string | undefined;
}

export type { ChainedStoredEvent, StoredEvent } from '../../platform/audit/audit-row.js';

const COLUMNS = AUDIT_EVENT_COLUMNS;
type Row = AuditEventRow;
const toEvent = toStoredEvent;

const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

export const auditRepository = {
  /**
   * Names of the organization's agents, API keys, policies, capabilities and enrollment tokens among
   * `ids` (what an event's actor or target may be); ids of anything else, or since deleted, are absent.
   */
  async namesOf(tx: Tx, ids: string[]): Promise<{ id: string; name: string }[]> {
    if (ids.length === 0) return [];
    const { rows } = await tx.query<{ id: string; name: string }>(
      `select id, name from agents where organization_id = $1 and id = any($2)
       union all select id, name from api_keys where organization_id = $1 and id = any($2)
       union all select id, name from policies where organization_id = $1 and id = any($2)
       union all select id, name from capabilities where organization_id = $1 and id = any($2)
       union all select id, name from enrollment_tokens where organization_id = $1 and id = any($2) and name is not null`,
      [orgOf(tx), ids],
    );
    return rows;
  },
  /** The people among `ids` who are members of the organization, with their encrypted names. */
  async membersAmong(tx: Tx, ids: string[]): Promise<UserRow[]> {
    if (ids.length === 0) return [];
    const { rows } = await tx.query<UserRow>(
      `select u.id, u.email_encrypted, u.name_encrypted, u.status, u.created_at
         from users u join memberships m on m.user_id = u.id and m.organization_id = $1
        where u.id = any($2)`,
      [orgOf(tx), ids],
    );
    return rows;
  },
  /** Newest first (by arrival), `limit` events that arrived before `beforeIngestId`. */
  async page(tx: Tx, filter: AuditFilter, limit: number, beforeIngestId: number | null): Promise<StoredEvent[]> {
    const where = ['organization_id = $1'];
    const params: unknown[] = [orgOf(tx)];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replaceAll('?', `$${params.length}`));
    };
    if (beforeIngestId !== null) add('ingest_id < ?', beforeIngestId);
    if (filter.from) add('occurred_at >= ?', filter.from);
    if (filter.to) add('occurred_at < ?', filter.to);
    if (filter.actorType) add('actor_type = ?', filter.actorType);
    if (filter.actorId) add('actor_id = ?', filter.actorId);
    if (filter.action?.endsWith('.*')) add("action like ? escape '\\'", `${likeEscape(filter.action.slice(0, -1))}%`);
    else if (filter.action) add('action = ?', filter.action);
    if (filter.targetType) add('target_type = ?', filter.targetType);
    if (filter.targetId) add('target_id = ?', filter.targetId);
    if (filter.outcome) add('outcome = ?', filter.outcome);
    if (filter.q) {
      add(
        "(action ilike ? escape '\\' or target_id ilike ? escape '\\' or actor_id ilike ? escape '\\' or details::text ilike ? escape '\\')",
        `%${likeEscape(filter.q)}%`,
      );
    }
    params.push(limit);
    const { rows } = await tx.query<Row>(
      `select ${COLUMNS} from audit_events where ${where.join(' and ')} order by ingest_id desc limit $${params.length}`,
      params,
    );
    return rows.map(toEvent);
  },

  /** Ascending, events with fromSeq <= seq <= toSeq, at most `limit`. */
  async range(tx: Tx, fromSeq: number, toSeq: number, limit: number): Promise<ChainedStoredEvent[]> {
    const { rows } = await tx.query<Row>(
      `select ${COLUMNS} from audit_events where organization_id = $1 and seq >= $2 and seq <= $3 order by seq limit $4`,
      [orgOf(tx), fromSeq, toSeq, limit],
    );
    return rows.map(toEvent) as ChainedStoredEvent[];
  },

  /** The hash at a position: of the event there, or of the anchor retention left there. */
  async hashAt(tx: Tx, seq: number): Promise<Buffer | null> {
    const { rows } = await tx.query<{ hash: Buffer }>(
      `select hash from audit_events where organization_id = $1 and seq = $2
       union all select hash from audit_chain_anchors where organization_id = $1 and seq = $2 limit 1`,
      [orgOf(tx), seq],
    );
    return rows[0]?.hash ?? null;
  },

  /** Where the chain starts after retention (seq 0 when nothing was ever removed). */
  async anchor(tx: Tx): Promise<{ seq: number; hash: Buffer }> {
    const { rows } = await tx.query<{ seq: string; hash: Buffer }>(
      'select seq, hash from audit_chain_anchors where organization_id = $1 order by seq desc limit 1',
      [orgOf(tx)],
    );
    return rows[0] ? { seq: Number(rows[0].seq), hash: rows[0].hash } : { seq: 0, hash: Buffer.alloc(32) };
  },

  /** The seq range of events in [from, to) (time), for exports. */
  async seqRange(tx: Tx, from: string | undefined, to: string | undefined): Promise<{ first: number; last: number } | null> {
    const { rows } = await tx.query<{ first: string | null; last: string | null }>(
      `select min(seq) as first, max(seq) as last from audit_events
        where organization_id = $1 and seq is not null and ($2::timestamptz is null or occurred_at >= $2) and ($3::timestamptz is null or occurred_at < $3)`,
      [orgOf(tx), from ?? null, to ?? null],
    );
    const row = rows[0];
    return row?.first && row.last ? { first: Number(row.first), last: Number(row.last) } : null;
  },

  async head(tx: Tx): Promise<{ seq: number; hash: Buffer }> {
    const { rows } = await tx.query<{ seq: string; hash: Buffer }>('select seq, hash from audit_chain_heads where organization_id = $1', [orgOf(tx)]);
    return rows[0] ? { seq: Number(rows[0].seq), hash: rows[0].hash } : { seq: 0, hash: Buffer.alloc(32) };
  },
};
