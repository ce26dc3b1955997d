import { orgOf, type Tx } from '../../platform/db/database.js';
import type { ReviewerReason, Scope, Snapshot, SubjectType } from './review-items.js';

/** The statements over access_reviews and access_review_items (migration 0025). */
export interface ReviewRow {
  id: string;
  name: string;
  description: string | null;
  scope: Scope;
  status: 'open' | 'completed' | 'cancelled';
  deadline: Date;
  auto_revoke: boolean;
  created_by: string;
  created_at: Date;
  completed_at: Date | null;
  completed_how: 'manual' | 'deadline' | null;
  cancelled_at: Date | null;
  total: number;
  pending: number;
  certified: number;
  revoked: number;
  changed: number;
  revoked_automatically: number;
}

export interface ItemRow {
  id: string;
  review_id: string;
  review_name: string;
  review_status: 'open' | 'completed' | 'cancelled';
  deadline: Date;
  subject_type: SubjectType;
  subject_id: string;
  snapshot: Snapshot;
  subject_person_id: string | null;
  reviewer_user_id: string;
  reviewer_reason: ReviewerReason;
  decision: 'pending' | 'certified' | 'revoked' | 'changed';
  note: string | null;
  change: { expiresAt?: string; requested?: boolean } | null;
  effect: 'applied' | 'already' | 'recorded' | null;
  decided_by: string | null;
  decided_at: Date | null;
  decided_automatically: boolean;
}

const REVIEW_SELECT = `
  select r.id, r.name, r.description, r.scope, r.status, r.deadline, r.auto_revoke, r.created_by, r.created_at,
         r.completed_at, r.completed_how, r.cancelled_at,
         count(i.id)::int as total,
         (count(i.id) filter (where i.decision = 'pending'))::int as pending,
         (count(i.id) filter (where i.decision = 'certified'))::int as certified,
         (count(i.id) filter (where i.decision = 'revoked'))::int as revoked,
         (count(i.id) filter (where i.decision = 'changed'))::int as changed,
         (count(i.id) filter (where i.decided_automatically))::int as revoked_automatically
    from access_reviews r
    left join access_review_items i on i.review_id = r.id and i.organization_id = r.organization_id`;

const ITEM_SELECT = `
  select i.id, i.review_id, r.name as review_name, r.status as review_status, r.deadline, i.subject_type, i.subject_id,
         i.snapshot, i.subject_person_id, i.reviewer_user_id, i.reviewer_reason, i.decision, i.note, i.change, i.effect,
         i.decided_by, i.decided_at, i.decided_automatically
    from access_review_items i join access_reviews r on r.id = i.review_id and r.organization_id = i.organization_id`;

export const accessReviewRepository = {
  async insertReview(
    tx: Tx,
    review: { id: string; name: string; description: string | null; scope: Scope; deadline: Date; autoRevoke: boolean; createdBy: string },
  ): Promise<void> {
    await tx.query(
      `insert into access_reviews (id, organization_id, name, description, scope, deadline, auto_revoke, created_by)
       values ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [review.id, orgOf(tx), review.name, review.description, JSON.stringify(review.scope), review.deadline, review.autoRevoke, review.createdBy],
    );
  },

  /** Every item of a campaign in one statement. */
  async insertItems(
    tx: Tx,
    reviewId: string,
    items: readonly { id: string; subjectType: SubjectType; subjectId: string; snapshot: Snapshot; subjectPersonId: string | null; reviewer: string; reason: ReviewerReason }[],
  ): Promise<void> {
    await tx.query(
      `insert into access_review_items (id, organization_id, review_id, subject_type, subject_id, snapshot, subject_person_id, reviewer_user_id, reviewer_reason)
       select x.id, $1, $2, x.subject_type, x.subject_id, x.snapshot, x.subject_person_id, x.reviewer_user_id, x.reviewer_reason
         from jsonb_to_recordset($3::jsonb) as x(id text, subject_type text, subject_id text, snapshot jsonb, subject_person_id text, reviewer_user_id text, reviewer_reason text)`,
      [
        orgOf(tx),
        reviewId,
        JSON.stringify(
          items.map((i) => ({
            id: i.id,
            subject_type: i.subjectType,
            subject_id: i.subjectId,
            snapshot: i.snapshot,
            subject_person_id: i.subjectPersonId,
            reviewer_user_id: i.reviewer,
            reviewer_reason: i.reason,
          })),
        ),
      ],
    );
  },

  async list(tx: Tx): Promise<ReviewRow[]> {
    const { rows } = await tx.query<ReviewRow>(`${REVIEW_SELECT} where r.organization_id = $1 group by r.id order by r.id desc limit 500`, [orgOf(tx)]);
    return rows;
  },

  async get(tx: Tx, reviewId: string, options: { forUpdate?: boolean } = {}): Promise<ReviewRow | null> {
    if (options.forUpdate) await tx.query('select 1 from access_reviews where organization_id = $1 and id = $2 for update', [orgOf(tx), reviewId]);
    const { rows } = await tx.query<ReviewRow>(`${REVIEW_SELECT} where r.organization_id = $1 and r.id = $2 group by r.id`, [orgOf(tx), reviewId]);
    return rows[0] ?? null;
  },

  /** A campaign's items; only `reviewer`'s when given. */
  async items(tx: Tx, reviewId: string, reviewer: string | null): Promise<ItemRow[]> {
    const { rows } = await tx.query<ItemRow>(
      `${ITEM_SELECT} where i.organization_id = $1 and i.review_id = $2 and ($3::text is null or i.reviewer_user_id = $3::text) order by i.id`,
      [orgOf(tx), reviewId, reviewer],
    );
    return rows;
  },

  /** The pending items of open campaigns assigned to `reviewer`, soonest deadline first. */
  async inbox(tx: Tx, reviewer: string): Promise<ItemRow[]> {
    const { rows } = await tx.query<ItemRow>(
      `${ITEM_SELECT} where i.organization_id = $1 and i.reviewer_user_id = $2 and i.decision = 'pending' and r.status = 'open'
        order by r.deadline, i.id limit 1000`,
      [orgOf(tx), reviewer],
    );
    return rows;
  },

  /** One item, locked with its campaign (the campaign first: completion locks it too). */
  async lockItem(tx: Tx, reviewId: string, itemId: string): Promise<ItemRow | null> {
    await tx.query('select 1 from access_reviews where organization_id = $1 and id = $2 for update', [orgOf(tx), reviewId]);
    const { rows } = await tx.query<ItemRow>(`${ITEM_SELECT} where i.organization_id = $1 and i.review_id = $2 and i.id = $3 for update of i`, [orgOf(tx), reviewId, itemId]);
    return rows[0] ?? null;
  },

  async decide(
    tx: Tx,
    itemId: string,
    decision: { decision: 'certified' | 'revoked' | 'changed'; note: string | null; change: object | null; effect: string; decidedBy: string | null; automatically: boolean },
  ): Promise<void> {
    await tx.query(
      `update access_review_items set decision = $3, note = $4, change = $5, effect = $6, decided_by = $7, decided_at = now(), decided_automatically = $8
        where organization_id = $1 and id = $2 and decision = 'pending'`,
      [orgOf(tx), itemId, decision.decision, decision.note, decision.change ? JSON.stringify(decision.change) : null, decision.effect, decision.decidedBy, decision.automatically],
    );
  },

  async complete(tx: Tx, reviewId: string, how: 'manual' | 'deadline', by: string | null): Promise<void> {
    await tx.query(
      `update access_reviews set status = 'completed', completed_at = now(), completed_how = $3, completed_by = $4 where organization_id = $1 and id = $2 and status = 'open'`,
      [orgOf(tx), reviewId, how, by],
    );
  },

  async cancel(tx: Tx, reviewId: string): Promise<void> {
    await tx.query(`update access_reviews set status = 'cancelled', cancelled_at = now() where organization_id = $1 and id = $2 and status = 'open'`, [orgOf(tx), reviewId]);
  },

  /** Open campaigns whose deadline has passed at `at`. */
  async due(tx: Tx, at: Date): Promise<string[]> {
    const { rows } = await tx.query<{ id: string }>(`select id from access_reviews where organization_id = $1 and status = 'open' and deadline <= $2 order by deadline`, [orgOf(tx), at]);
    return rows.map((r) => r.id);
  },

  /** Per open campaign and reviewer: the pending items, for reminders not yet sent on `day`. */
  async remindersDue(tx: Tx, at: Date, day: string): Promise<{ review_id: string; reviewer_user_id: string; pending: number; examples: string[] }[]> {
    const { rows } = await tx.query<{ review_id: string; reviewer_user_id: string; pending: number; examples: string[] }>(
      `select i.review_id, i.reviewer_user_id, count(*)::int as pending,
              (array_agg(i.snapshot->>'name' order by i.id))[1:5] as examples
         from access_review_items i join access_reviews r on r.id = i.review_id and r.organization_id = i.organization_id
        where i.organization_id = $1 and i.decision = 'pending' and r.status = 'open' and r.deadline > $2
          and not exists (select 1 from access_review_reminders m where m.review_id = i.review_id and m.reviewer_user_id = i.reviewer_user_id and m.day = $3::date)
        group by i.review_id, i.reviewer_user_id
        order by i.review_id, i.reviewer_user_id`,
      [orgOf(tx), at, day],
    );
    return rows;
  },

  /** Record a reminder; false when one was already sent that day (another instance got there first). */
  async recordReminder(tx: Tx, reviewId: string, reviewer: string, day: string, items: number): Promise<boolean> {
    const { rowCount } = await tx.query(
      `insert into access_review_reminders (organization_id, review_id, reviewer_user_id, day, items) values ($1, $2, $3, $4::date, $5) on conflict do nothing`,
      [orgOf(tx), reviewId, reviewer, day, items],
    );
    return rowCount === 1;
  },
};
