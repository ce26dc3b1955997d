import { GENESIS_HASH } from '@aim/audit-verify';
import { walkChain, withChainSnapshot } from '../../platform/audit/chain-walk.js';
import type { Database, Queryable } from '../../platform/db/database.js';
import type { Period } from './catalogue/check-types.js';

/**
 * The audit chain re-walked over a period: every event whose time falls in the period has its hash
 * recomputed from its content and the previous hash (the same code as the verify endpoint and the
 * offline verifier, @aim/audit-verify), starting from the stored hash of the event before the period.
 * Long periods are walked in spans on worker threads (platform/audit/chain-walk.ts).
 */
export interface ChainVerification {
  /** `empty`: no chained event in the period (nothing to verify). */
  status: 'intact' | 'broken' | 'empty';
  fromSeq: number | null;
  throughSeq: number | null;
  /** hex hash of the last event of the period, as recomputed */
  throughHash: string | null;
  checked: number;
  brokenAt: number | null;
  reason: string | null;
  verifiedAt: string;
}

interface SeqRange {
  first: number;
  last: number;
}

async function periodRange(query: Queryable['query'], organizationId: string, period: Period): Promise<SeqRange | null> {
  const { rows } = await query<{ first: string | null; last: string | null }>(
    `select min(seq) as first, max(seq) as last from audit_events
      where organization_id = $1 and seq is not null and occurred_at >= $2 and occurred_at < $3`,
    [organizationId, period.from, period.to],
  );
  const row = rows[0];
  return row?.first && row.last ? { first: Number(row.first), last: Number(row.last) } : null;
}

/** The stored hash at a position: of the event there, or of the anchor retention left there. */
async function hashAt(query: Queryable['query'], organizationId: string, seq: number): Promise<Buffer | null> {
  if (seq === 0) return GENESIS_HASH;
  const { rows } = await query<{ hash: Buffer }>(
    `select hash from audit_events where organization_id = $1 and seq = $2
     union all select hash from audit_chain_anchors where organization_id = $1 and seq = $2 limit 1`,
    [organizationId, seq],
  );
  return rows[0]?.hash ?? null;
}

export function createChainVerifier(deps: {
  db: Database;
  drain?: (organizationId: string) => Promise<unknown>;
  /** Threads and span size of the walk (platform/audit/chain-walk.ts); tests make spans small. */
  walk?: { threads?: number; minEventsPerThread?: number };
}) {
  const { db } = deps;

  async function record(organizationId: string, v: ChainVerification): Promise<void> {
    await db.transaction({ organizationId }, (tx) =>
      tx.query(
        `insert into compliance_chain_verifications (organization_id, from_seq, through_seq, through_hash, checked, verified_at)
         values ($1, $2, $3, $4, $5, $6)
         on conflict (organization_id) do update set from_seq = excluded.from_seq, through_seq = excluded.through_seq,
           through_hash = excluded.through_hash, checked = excluded.checked, verified_at = excluded.verified_at`,
        [organizationId, v.fromSeq, v.throughSeq, Buffer.from(v.throughHash!, 'hex'), v.checked, v.verifiedAt],
      ),
    );
  }

  return {
    /**
     * Walk the period's events from one snapshot (constant memory: each span reads through a cursor),
     * and record the last intact walk. A broken chain names the first event that fails.
     */
    async verifyPeriod(organizationId: string, period: Period): Promise<ChainVerification> {
      await deps.drain?.(organizationId);
      const verifiedAt = new Date().toISOString();
      const empty = { fromSeq: null, throughSeq: null, throughHash: null, checked: 0, brokenAt: null, reason: null, verifiedAt };
      const result = await withChainSnapshot(db.connectionString, organizationId, async (snapshot): Promise<ChainVerification> => {
        const range = await periodRange(snapshot.query, organizationId, period);
        if (!range) return { ...empty, status: 'empty' };
        const base = { ...empty, fromSeq: range.first, throughSeq: range.last };
        const previous = await hashAt(snapshot.query, organizationId, range.first - 1);
        if (!previous) {
          return { ...base, status: 'broken', brokenAt: range.first - 1, reason: `event ${range.first - 1}, just before the period, is missing` };
        }
        const verdict = await walkChain({
          connectionString: db.connectionString,
          organizationId,
          fromSeq: range.first,
          toSeq: range.last,
          startHash: previous.toString('hex'),
          snapshot: snapshot.id,
          threads: deps.walk?.threads,
          minEventsPerThread: deps.walk?.minEventsPerThread,
        });
        if (verdict.status === 'broken') {
          return { ...base, status: 'broken', checked: verdict.checked, brokenAt: verdict.brokenAt, reason: verdict.reason };
        }
        return { ...base, status: 'intact', checked: verdict.checked, throughHash: verdict.lastHash };
      });
      if (result.status === 'intact') await record(organizationId, result);
      return result;
    },
  };
}

export type ChainVerifier = ReturnType<typeof createChainVerifier>;
