import { chainHash, type ChainedEvent } from '@aim/audit-verify';
import type { Logger } from 'pino';
import type { Database, Tx } from '../db/database.js';
import { AUDIT_EVENT_COLUMNS, toStoredEvent, type AuditEventRow } from './audit-row.js';

/**
 * The audit sequencer. Events are inserted unchained, with no lock, in the transaction of the change
 * they record; the sequencer then gives each committed event of an organization the next `seq` and
 * `hash = SHA-256(previous hash ‖ JCS(event))`, a batch at a time, holding the organization's chain
 * head (SELECT … FOR UPDATE) so that any number of sequencers on any number of instances produce one
 * unbroken chain. The positions themselves are given by the database (aim_chain_audit_batch).
 *
 * It sweeps for unchained events every `intervalMs`; reads that need the whole chain (verify,
 * export) drain an organization first. Interim scheduling until the durable job queue lands.
 */
const BATCH = 2_000;

/** What the sequencer tells about the events it chained (in the chaining transaction). */
export interface ChainedSummary {
  id: string;
  action: string;
  targetType: string | null;
  targetId: string | null;
  actorType: string;
}

async function sequenceBatch(tx: Tx, organizationId: string, wait: boolean, chained: ChainedSummary[]): Promise<number> {
  const { rows: heads } = await tx.query<{ seq: string; hash: Buffer }>(
    `select seq, hash from audit_chain_heads where organization_id = $1 for update${wait ? '' : ' skip locked'}`,
    [organizationId],
  );
  const head = heads[0];
  if (!head) return 0; // another sequencer holds it (or the organization has no chain)
  const { rows } = await tx.query<AuditEventRow>(
    `select ${AUDIT_EVENT_COLUMNS} from audit_events where organization_id = $1 and seq is null order by ingest_id limit $2`,
    [organizationId, BATCH],
  );
  if (rows.length === 0) return 0;
  let previous = head.hash;
  let seq = Number(head.seq);
  const ids: string[] = [];
  const hashes: Buffer[] = [];
  for (const r of rows) {
    seq += 1;
    const event: ChainedEvent = { ...toStoredEvent(r), seq };
    previous = chainHash(previous, event);
    ids.push(r.id);
    hashes.push(previous);
    chained.push({ id: r.id, action: r.action, targetType: r.target_type, targetId: r.target_id, actorType: r.actor_type });
  }
  // The database gives the positions (head + 1, … in this order) and moves the head.
  await tx.query('select aim_chain_audit_batch($1::text[], $2::bytea[])', [ids, hashes]);
  return rows.length;
}

export interface AuditSequencer {
  /** Chain every committed event of the organization (waits for a sequencer already at work). */
  drain(organizationId: string): Promise<number>;
  /** One pass over every organization with unchained events. */
  sweep(): Promise<number>;
  stop(): Promise<void>;
}

export function createAuditSequencer(
  db: Database,
  logger: Pick<Logger, 'warn'>,
  options: { intervalMs?: number; onChained?: (tx: Tx, events: ChainedSummary[]) => Promise<void> } = {},
): AuditSequencer {
  const intervalMs = options.intervalMs ?? 250;
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;

  const drain = async (organizationId: string, wait = true): Promise<number> => {
    let total = 0;
    for (;;) {
      const chained: ChainedSummary[] = [];
      const n = await db.transaction({ organizationId }, async (tx) => {
        const count = await sequenceBatch(tx, organizationId, wait, chained);
        // Announced in the same transaction: the announcement exists exactly when the chaining committed.
        if (chained.length > 0) await options.onChained?.(tx, chained);
        return count;
      });
      total += n;
      if (n < BATCH) return total;
    }
  };

  const sweep = async (): Promise<number> => {
    const { rows } = await db.query<{ organization_id: string }>('select distinct organization_id from aim_audit_pending_organizations()');
    let total = 0;
    for (const { organization_id } of rows) {
      // One organization that cannot be chained (say, an event that cannot be canonicalized) must not
      // hold up the others; it is reported and retried.
      try {
        total += await drain(organization_id, false);
      } catch (error) {
        logger.warn({ err: error, organizationId: organization_id }, 'could not chain the audit events of an organization');
      }
    }
    return total;
  };

  const tick = () => {
    if (stopped) return;
    running = sweep()
      .catch((error: unknown) => logger.warn({ err: error }, 'audit sequencing failed; will retry'))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, intervalMs).unref();
      });
  };
  let timer = setTimeout(tick, intervalMs).unref();

  return {
    drain: (organizationId) => drain(organizationId, true),
    sweep,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running.catch(() => undefined);
    },
  };
}
