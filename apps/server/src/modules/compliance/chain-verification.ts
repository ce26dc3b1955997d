import { createChainWalker, GENESIS_HASH } from '@aim/audit-verify';
import { AUDIT_EVENT_COLUMNS, toStoredEvent, type AuditEventRow } from '../../platform/audit/audit-row.js';
import type { Database, Tx } from '../../platform/db/database.js';
import type { Period } from './catalogue/check-types.js';

/** Events fetched at a time from the walk's cursor. */
const PAGE = 10_000;

/**
 * The audit chain re-walked over a period: every event whose time falls in the period has its hash
 * recomputed from its content and the previous hash (the same code as the verify endpoint and the
 * offline verifier, @aim/audit-verify), starting from the stored hash of the event before the period.
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

async function periodRange(tx: Tx, organizationId: string, period: Period): Promise<SeqRange | null> {
  const { rows } = await tx.query<{ first: string | null; last: string | null }>(
    `select min(seq) as first, max(seq) as last from audit_events
      where organization_id = $1 and seq is not null and occurred_at >= $2 and occurred_at < $3`,
    [organizationId, period.from, period.to],
  );
  const row = rows[0];
  return row?.first && row.last ? { first: Number(row.first), last: Number(row.last) } : null;
}

/** The stored hash at a position: of the event there, or of the anchor retention left there. */
async function hashAt(tx: Tx, organizationId: string, seq: number): Promise<Buffer | null> {
  if (seq === 0) return GENESIS_HASH;
  const { rows } = await tx.query<{ hash: Buffer }>(
    `select hash from audit_events where organization_id = $1 and seq = $2
     union all select hash from audit_chain_anchors where organization_id = $1 and seq = $2 limit 1`,
    [organizationId, seq],
  );
  return rows[0]?.hash ?? null;
}

export function createChainVerifier(deps: { db: Database; drain?: (organizationId: string) => Promise<unknown> }) {
  const { db } = deps;

  async function record(organizationId: string, v: ChainVerification, throughHash: Buffer): Promise<void> {
    await db.transaction({ organizationId }, (tx) =>
      tx.query(
        `insert into compliance_chain_verifications (organization_id, from_seq, through_seq, through_hash, checked, verified_at)
         values ($1, $2, $3, $4, $5, $6)
         on conflict (organization_id) do update set from_seq = excluded.from_seq, through_seq = excluded.through_seq,
           through_hash = excluded.through_hash, checked = excluded.checked, verified_at = excluded.verified_at`,
        [organizationId, v.fromSeq, v.throughSeq, throughHash, v.checked, v.verifiedAt],
      ),
    );
  }

  return {
    /**
     * Walk the period's events through a cursor (constant memory; the next rows are read while the
     * current ones are hashed), and record the last intact walk. A broken chain names the first event that fails.
     */
    async verifyPeriod(organizationId: string, period: Period): Promise<ChainVerification> {
      await deps.drain?.(organizationId);
      const verifiedAt = new Date().toISOString();
      const start = await db.transaction({ organizationId }, async (tx) => {
        const range = await periodRange(tx, organizationId, period);
        if (!range) return null;
        return { range, previous: await hashAt(tx, organizationId, range.first - 1) };
      });
      const empty = { fromSeq: null, throughSeq: null, throughHash: null, checked: 0, brokenAt: null, reason: null, verifiedAt };
      if (!start) return { ...empty, status: 'empty' };
      const { range, previous } = start;
      const base = { ...empty, fromSeq: range.first, throughSeq: range.last };
      if (!previous) {
        return { ...base, status: 'broken', brokenAt: range.first - 1, reason: `event ${range.first - 1}, just before the period, is missing` };
      }
      const walker = createChainWalker({ seq: range.first - 1, hash: previous });
      let lastHash = previous;
      // One read transaction streams the period through a cursor (planned once, FETCH by FETCH, so
      // memory stays constant); the next FETCH runs in PostgreSQL while this one is hashed here.
      await db.transaction({ organizationId }, async (tx) => {
        await tx.query(
          `declare compliance_walk no scroll cursor for
             select ${AUDIT_EVENT_COLUMNS} from audit_events where organization_id = $1 and seq >= $2 and seq <= $3 order by seq`,
          [organizationId, range.first, range.last],
        );
        const fetch = () => tx.query<AuditEventRow>(`fetch ${PAGE} from compliance_walk`);
        let next: Promise<{ rows: AuditEventRow[] }> | null = fetch();
        while (next) {
          const { rows }: { rows: AuditEventRow[] } = await next;
          next = rows.length === PAGE ? fetch() : null;
          for (const row of rows) {
            if (!walker.push(toStoredEvent(row) as Parameters<typeof walker.push>[0])) {
              await next?.catch(() => undefined);
              return;
            }
            lastHash = row.hash!;
          }
        }
      });
      const expected = { seq: range.last, hash: lastHash };
      const verdict = walker.verdict(expected);
      if (verdict.status === 'broken') {
        return { ...base, status: 'broken', checked: verdict.checked, brokenAt: verdict.brokenAt, reason: verdict.reason };
      }
      const intact: ChainVerification = { ...base, status: 'intact', checked: verdict.checked, throughHash: verdict.lastHash };
      await record(organizationId, intact, lastHash);
      return intact;
    },
  };
}

export type ChainVerifier = ReturnType<typeof createChainVerifier>;
