import { chainHash } from '@aim/audit-verify';
import type pg from 'pg';
import { AUDIT_EVENT_COLUMNS, toStoredEvent, type AuditEventRow } from '../platform/audit/audit-row.js';

/**
 * As a superuser (triggers off), recompute every hash of an organization's chain from the stored
 * content and move the head to match: what an intruder with full database access would do after
 * editing events, and what a test does after moving events back in time.
 */
export async function rehashChain(owner: pg.Client, organizationId: string, edit?: (seq: number, details: Record<string, unknown>) => Record<string, unknown>) {
  await owner.query('begin');
  try {
    await owner.query("set local session_replication_role = 'replica'");
    await owner.query('select seq from audit_chain_heads where organization_id = $1 for update', [organizationId]);
    const { rows } = await owner.query<AuditEventRow>(
      `select ${AUDIT_EVENT_COLUMNS} from audit_events where organization_id = $1 and seq is not null order by seq`,
      [organizationId],
    );
    let previous: Buffer = Buffer.alloc(32);
    for (const row of rows) {
      const stored = toStoredEvent(row);
      const details = edit ? edit(stored.seq!, stored.details) : stored.details;
      const hash = chainHash(previous, { ...stored, seq: stored.seq!, details });
      await owner.query('update audit_events set details = $2, hash = $3 where id = $1', [row.id, details, hash]);
      previous = hash;
    }
    await owner.query('update audit_chain_heads set hash = $2 where organization_id = $1', [organizationId, previous]);
    await owner.query('commit');
  } catch (error) {
    await owner.query('rollback');
    throw error;
  }
}
