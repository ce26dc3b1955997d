import type { ChainedEvent } from '@aim/audit-verify';
import { orgOf, type Tx } from '../../platform/db/database.js';

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

/** An event as stored: chained (seq and hash set) or still waiting for the sequencer (null). */
export type StoredEvent = Omit<ChainedEvent, 'seq'> & { seq: number | null; hash: Buffer | null; ingestId: number };
export type ChainedStoredEvent = ChainedEvent & { hash: Buffer; ingestId: number };

interface Row {
  id: string;
  organization_id: string;
  ingest_id: string;
  seq: string | null;
  hash: Buffer | null;
  occurred_at_text: string;
  actor_type: string;
  actor_id: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  outcome: string;
  request_id: string | null;
  ip: string | null;
  user_agent: string | null;
  details: Record<string, unknown>;
}

/** Columns exactly as the chain hashed them (time as UTC text with microseconds, address normalized). */
const COLUMNS = `id, organization_id, ingest_id, seq, hash,
  to_char(occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as occurred_at_text,
  actor_type, actor_id, action, target_type, target_id, outcome, request_id, host(client_ip) as ip, user_agent, details`;

const toEvent = (r: Row): StoredEvent => ({
  id: r.id,
  organizationId: r.organization_id,
  ingestId: Number(r.ingest_id),
  seq: r.seq === null ? null : Number(r.seq),
  hash: r.hash,
  occurredAt: r.occurred_at_text,
  actor: { type: r.actor_type, id: r.actor_id },
  action: r.action,
  target: r.target_type ? { type: r.target_type, id: r.target_id } : null,
  outcome: r.outcome,
  requestId: r.request_id,
  clientIp: r.ip,
  userAgent: r.user_agent,
  details: r.details,
});

const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

export const auditRepository = {
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
