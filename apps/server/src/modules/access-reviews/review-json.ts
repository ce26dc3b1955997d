import type { accessReviewItemSchema, accessReviewSchema } from '@aim/contracts';
import type { z } from 'zod';
import type { ItemRow, ReviewRow } from './access-review-repository.js';

/** Campaigns and items as the API answers them, and the campaign report's CSV. */
export type AccessReviewJson = z.output<typeof accessReviewSchema>;
export type AccessReviewItemJson = z.output<typeof accessReviewItemSchema>;

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function reviewJson(r: ReviewRow): AccessReviewJson {
  const ended = r.status !== 'open';
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    scope: r.scope,
    status: r.status,
    deadline: r.deadline.toISOString(),
    autoRevoke: r.auto_revoke,
    createdBy: r.created_by,
    createdAt: r.created_at.toISOString(),
    completedAt: iso(r.completed_at),
    completedHow: r.completed_how,
    cancelledAt: iso(r.cancelled_at),
    summary: {
      total: r.total,
      pending: r.pending,
      certified: r.certified,
      revoked: r.revoked,
      changed: r.changed,
      revokedAutomatically: r.revoked_automatically,
      notReviewed: ended ? r.pending : 0,
    },
  };
}

export function itemJson(i: ItemRow, names: ReadonlyMap<string, string>): AccessReviewItemJson {
  return {
    id: i.id,
    reviewId: i.review_id,
    reviewName: i.review_name,
    subjectType: i.subject_type,
    subjectId: i.subject_id,
    snapshot: i.snapshot,
    reviewerUserId: i.reviewer_user_id,
    reviewerName: names.get(i.reviewer_user_id) ?? null,
    reviewerReason: i.reviewer_reason,
    decision: i.decision,
    note: i.note,
    change: i.change,
    effect: i.effect,
    decidedBy: i.decided_by,
    decidedAt: iso(i.decided_at),
    decidedAutomatically: i.decided_automatically,
    deadline: i.deadline.toISOString(),
  };
}

/** RFC 4180 field, with formula-looking cells defused for spreadsheets. */
function csvField(value: unknown): string {
  let text = value === null || value === undefined ? '' : typeof value === 'string' ? value : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export const REPORT_CSV_COLUMNS = [
  'review_id', 'review_name', 'review_status', 'item_id', 'subject_type', 'subject_id', 'subject_name', 'owner_user_id',
  'risk_level', 'last_used_at', 'reviewer_user_id', 'reviewer_name', 'reviewer_reason', 'decision', 'note',
  'change_expires_at', 'effect', 'decided_by', 'decided_at', 'decided_automatically', 'not_reviewed',
] as const;

/** One header line, then one line per item (the summary's counts follow from the decision column). */
export function reportCsv(review: AccessReviewJson, items: readonly AccessReviewItemJson[]): string {
  const lines = [REPORT_CSV_COLUMNS.join(',')];
  const ended = review.status !== 'open';
  for (const i of items) {
    lines.push(
      [
        review.id, review.name, review.status, i.id, i.subjectType, i.subjectId, i.snapshot.name, i.snapshot.ownerUserId,
        i.snapshot.riskLevel, i.snapshot.lastUsedAt, i.reviewerUserId, i.reviewerName, i.reviewerReason, i.decision, i.note,
        i.change?.expiresAt ?? null, i.effect, i.decidedBy, i.decidedAt, i.decidedAutomatically, ended && i.decision === 'pending',
      ]
        .map(csvField)
        .join(','),
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}
