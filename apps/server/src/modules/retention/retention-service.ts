import { RETENTION_LIMITS, type legalHoldChangeSchema, type LegalHold, type RetentionSettings, type updateRetentionSchema } from '@aim/contracts';
import type { z } from 'zod';
import { recordAuditEvent } from '../../platform/audit/audit-log.js';
import type { Database } from '../../platform/db/database.js';
import { AppError, notFound } from '../../platform/http/app-error.js';
import type { OrgContext } from '../../platform/http/operation.js';
import type { RequestContext } from '../../platform/http/request-context.js';
import { dropExpiredDecisionMonths, removeExpiredDecisions, retentionRepository as repo, type RetentionRow } from './retention-repository.js';

/** Decisions removed per transaction by the row-wise retention (each batch audited on its own). */
export const DECISION_RETENTION_BATCH = 5000;

export interface RetentionDeployment {
  /** DECISION_RETENTION_DAYS */
  decisionDefaultDays: number;
  /** TRUST_HISTORY_MONTHS */
  trustHistoryMonths: number;
  /** WEBHOOK_RETENTION_DAYS */
  webhookDays: number;
}

function holdJson(row: RetentionRow): LegalHold {
  return row.legal_hold_at
    ? {
        enabled: true,
        placedAt: row.legal_hold_at.toISOString(),
        reason: row.legal_hold_reason,
        placedBy: row.legal_hold_by_type ? { type: row.legal_hold_by_type, id: row.legal_hold_by_id } : null,
      }
    : { enabled: false, placedAt: null, reason: null, placedBy: null };
}

function outOfRange(field: 'auditEventDays' | 'decisionDays', value: number | null | undefined): boolean {
  if (value === null || value === undefined) return false;
  const { min, max } = RETENTION_LIMITS[field];
  return value < min || value > max;
}

export function createRetentionService(deps: { db: Database; deployment: RetentionDeployment; batchSize?: number }) {
  const { db, deployment } = deps;
  const batchSize = deps.batchSize ?? DECISION_RETENTION_BATCH;

  const settingsJson = (row: RetentionRow): RetentionSettings => ({
    auditEventDays: row.audit_retention_days,
    decisionDays: row.decision_retention_days,
    effectiveDecisionDays: row.decision_retention_days ?? deployment.decisionDefaultDays,
    limits: { auditEventDays: { ...RETENTION_LIMITS.auditEventDays }, decisionDays: { ...RETENTION_LIMITS.decisionDays } },
    deployment: { ...deployment },
    legalHold: holdJson(row),
  });

  return {
    async get(ctx: OrgContext): Promise<RetentionSettings> {
      const row = await db.transaction({ organizationId: ctx.organizationId }, (tx) => repo.find(tx));
      if (!row) throw notFound('The organization');
      return settingsJson(row);
    },

    /** Change what the body names; audited as retention.updated with each changed value (nothing when nothing changes). */
    async update(ctx: OrgContext, input: z.output<typeof updateRetentionSchema>): Promise<RetentionSettings> {
      for (const field of ['auditEventDays', 'decisionDays'] as const) {
        if (outOfRange(field, input[field])) {
          const { min, max } = RETENTION_LIMITS[field];
          throw new AppError('retention_out_of_range', `${field} must be between ${min} and ${max} days, or null; ${input[field]} is not.`, {
            details: { field, min, max },
          });
        }
      }
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const before = await repo.find(tx, { lock: true });
        if (!before) throw notFound('The organization');
        const audit = input.auditEventDays === undefined ? before.audit_retention_days : input.auditEventDays;
        const decisions = input.decisionDays === undefined ? before.decision_retention_days : input.decisionDays;
        const details: Record<string, { from: number | null; to: number | null }> = {};
        if (audit !== before.audit_retention_days) details.auditEventDays = { from: before.audit_retention_days, to: audit };
        if (decisions !== before.decision_retention_days) details.decisionDays = { from: before.decision_retention_days, to: decisions };
        if (Object.keys(details).length === 0) return settingsJson(before);
        const after = await repo.setRetention(tx, { audit, decisions });
        await recordAuditEvent(tx, ctx, { action: 'retention.updated', target: { type: 'organization', id: ctx.organizationId }, details });
        return settingsJson(after);
      });
    },

    /** Place or release the legal hold, audited as legal_hold.placed or legal_hold.released in the same transaction. */
    async setLegalHold(ctx: OrgContext, input: z.output<typeof legalHoldChangeSchema>): Promise<LegalHold> {
      const reason = input.reason?.trim() ?? '';
      if (input.enabled && reason.length === 0) {
        throw new AppError('legal_hold_reason_required', 'Say why the organization goes on legal hold (the matter or case number) in reason.');
      }
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const before = await repo.find(tx, { lock: true });
        if (!before) throw notFound('The organization');
        const target = { type: 'organization', id: ctx.organizationId };
        if (input.enabled) {
          if (before.legal_hold_at) {
            throw new AppError('legal_hold_already_placed', `The organization has been on legal hold since ${before.legal_hold_at.toISOString()}; release it first.`);
          }
          const after = await repo.setHold(tx, { reason, by: ctx.actor });
          await recordAuditEvent(tx, ctx, { action: 'legal_hold.placed', target, details: { reason } });
          return holdJson(after);
        }
        if (!before.legal_hold_at) throw new AppError('legal_hold_not_placed', 'The organization is not on legal hold; there is nothing to release.');
        const after = await repo.setHold(tx, null);
        await recordAuditEvent(tx, ctx, {
          action: 'legal_hold.released',
          target,
          details: {
            placedAt: before.legal_hold_at.toISOString(),
            placedReason: before.legal_hold_reason,
            ...(reason ? { reason } : {}),
          },
        });
        return holdJson(after);
      });
    },

    /**
     * The `aim.decision-retention` job's first part: months of decisions past every organization's
     * retention dropped, and each organization's removal recorded in its log, in one transaction.
     */
    async dropExpiredMonths(ctx: RequestContext): Promise<number> {
      return db.transaction({ organizationId: null }, async (tx) => {
        const removed = await dropExpiredDecisionMonths(tx, deployment.decisionDefaultDays);
        for (const r of removed) {
          await tx.withScope(r.organizationId, (scoped) =>
            recordAuditEvent(scoped, { ...ctx, organizationId: r.organizationId }, {
              action: 'retention.applied',
              details: { data: 'decisions', method: 'partition', decisions: r.decisions, violations: r.violations, removedBefore: r.removedBefore.toISOString() },
            }),
          );
        }
        return removed.reduce((n, r) => n + r.decisions, 0);
      });
    },

    /**
     * The job's second part, per organization not on hold: its decisions older than its retention
     * (never pending ones) removed in batches, each batch and its audit record in one transaction.
     */
    async removeExpiredRows(ctx: RequestContext, organizationId: string): Promise<number> {
      let total = 0;
      for (;;) {
        const removed = await db.transaction({ organizationId }, async (tx) => {
          const batch = await removeExpiredDecisions(tx, deployment.decisionDefaultDays, batchSize);
          if (!batch) return 0;
          await recordAuditEvent(tx, { ...ctx, organizationId }, {
            action: 'retention.applied',
            details: { data: 'decisions', method: 'rows', decisions: batch.decisions, violations: batch.violations, removedBefore: batch.removedBefore.toISOString() },
          });
          return batch.decisions;
        });
        total += removed;
        if (removed < batchSize) return total;
      }
    },
  };
}

export type RetentionService = ReturnType<typeof createRetentionService>;
