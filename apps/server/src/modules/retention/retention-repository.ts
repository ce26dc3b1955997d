import { orgOf, type Tx } from '../../platform/db/database.js';
import type { Actor } from '../../platform/http/request-context.js';

/**
 * The retention columns of organizations (migration 0024, and audit_retention_days of 0004): the one
 * writer of the decision retention and the legal hold; the audit retention is also written by
 * PATCH /api/v1/organization.
 */
export interface RetentionRow {
  audit_retention_days: number | null;
  decision_retention_days: number | null;
  legal_hold_at: Date | null;
  legal_hold_reason: string | null;
  legal_hold_by_type: 'user' | 'api_key' | 'system' | null;
  legal_hold_by_id: string | null;
}

const COLUMNS = 'audit_retention_days, decision_retention_days, legal_hold_at, legal_hold_reason, legal_hold_by_type, legal_hold_by_id';

export const retentionRepository = {
  /** The organization's retention and hold; locked when the caller is about to change them. */
  async find(tx: Tx, options: { lock?: boolean } = {}): Promise<RetentionRow | null> {
    const { rows } = await tx.query<RetentionRow>(`select ${COLUMNS} from organizations where id = $1${options.lock ? ' for update' : ''}`, [orgOf(tx)]);
    return rows[0] ?? null;
  },

  async setRetention(tx: Tx, days: { audit: number | null; decisions: number | null }): Promise<RetentionRow> {
    const { rows } = await tx.query<RetentionRow>(
      `update organizations set audit_retention_days = $2, decision_retention_days = $3 where id = $1 returning ${COLUMNS}`,
      [orgOf(tx), days.audit, days.decisions],
    );
    return rows[0]!;
  },

  /**
   * Place (reason and actor) or release (null) the hold. The barrier first: a deletion in progress
   * commits before the hold does, and any deletion after it sees the hold.
   */
  async setHold(tx: Tx, hold: { reason: string; by: Actor } | null): Promise<RetentionRow> {
    await tx.query('select aim_legal_hold_barrier()');
    const { rows } = await tx.query<RetentionRow>(
      hold
        ? `update organizations set legal_hold_at = now(), legal_hold_reason = $2, legal_hold_by_type = $3, legal_hold_by_id = $4 where id = $1 returning ${COLUMNS}`
        : `update organizations set legal_hold_at = null, legal_hold_reason = null, legal_hold_by_type = null, legal_hold_by_id = null where id = $1 returning ${COLUMNS}`,
      hold ? [orgOf(tx), hold.reason, hold.by.type, hold.by.id] : [orgOf(tx)],
    );
    return rows[0]!;
  },
};

/** One batch of the organization's expired decisions removed (aim_apply_decision_retention), or null. */
export async function removeExpiredDecisions(
  tx: Tx,
  defaultDays: number,
  batch: number,
): Promise<{ decisions: number; violations: number; removedBefore: Date } | null> {
  const { rows } = await tx.query<{ decisions: string; violations: string; removed_before: Date }>(
    'select * from aim_apply_decision_retention($1, $2, $3)',
    [orgOf(tx), defaultDays, batch],
  );
  const row = rows[0];
  return row ? { decisions: Number(row.decisions), violations: Number(row.violations), removedBefore: row.removed_before } : null;
}

/** The months of decisions past every organization's retention dropped, one row per organization and month. */
export async function dropExpiredDecisionMonths(
  tx: Tx,
  defaultDays: number,
): Promise<{ organizationId: string; decisions: number; violations: number; removedBefore: Date }[]> {
  const { rows } = await tx.query<{ organization_id: string; decisions: string; violations: string; removed_before: Date }>(
    'select * from aim_drop_decision_months($1)',
    [defaultDays],
  );
  return rows.map((r) => ({ organizationId: r.organization_id, decisions: Number(r.decisions), violations: Number(r.violations), removedBefore: r.removed_before }));
}
