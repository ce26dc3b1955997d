import type { Logger } from 'pino';
import { recordAuditEvent } from '../../platform/audit/audit-log.js';
import type { Database } from '../../platform/db/database.js';
import type { FeatureJob } from '../../platform/jobs/feature-jobs.js';
import type { Mailer } from '../../platform/mail/mailer.js';
import type { RequestContext } from '../../platform/http/request-context.js';
import { accessReviewReminderMail } from '../notifications/index.js';
import { organizationRepository } from '../organizations/index.js';
import type { UserRepository } from '../users/index.js';
import { accessReviewRepository } from './access-review-repository.js';
import { applyDecision, type ReviewEffects } from './review-decisions.js';

/**
 * The hourly `aim.access-reviews` job, per organization with an open campaign: first the deadlines
 * (a campaign past its deadline completes; with auto_revoke its pending items are revoked as the system,
 * each with its effect and audit event, all in the campaign's one transaction), then the reminders (one
 * email per reviewer and open campaign with pending items, at most once per UTC day, recorded in
 * access_review_reminders in the transaction that sends it: a failed send is tried again next hour).
 */
/** What a failed send was, without its text (which may name the address). */
function describeFailure(error: unknown): string {
  const e = error as { code?: unknown; responseCode?: unknown };
  return [typeof e.code === 'string' ? e.code : 'error', ...(typeof e.responseCode === 'number' ? [`SMTP ${e.responseCode}`] : [])].join(' ');
}

export const AUTO_REVOKE_NOTE = 'Not reviewed by the deadline: revoked automatically (the campaign revokes what nobody reviewed).';

export function createReviewDeadlines(deps: {
  db: Database;
  users: Pick<UserRepository, 'get'>;
  mailer: Mailer;
  effects: ReviewEffects;
  publicBaseUrl: () => string;
  logger: Pick<Logger, 'warn'>;
}) {
  const { db, users, mailer, effects } = deps;

  /** Complete every open campaign of the organization whose deadline is at or before `at`. The ids completed. */
  async function completeDue(ctx: RequestContext, organizationId: string, at: Date = new Date()): Promise<string[]> {
    const due = await db.transaction({ organizationId }, (tx) => accessReviewRepository.due(tx, at));
    const completed: string[] = [];
    for (const reviewId of due) {
      const invalidations: (() => Promise<void>)[] = [];
      try {
        const done = await db.transaction({ organizationId }, async (tx) => {
          const review = await accessReviewRepository.get(tx, reviewId, { forUpdate: true });
          if (!review || review.status !== 'open' || review.deadline > at) return false;
          let revoked = 0;
          if (review.auto_revoke) {
            for (const item of await accessReviewRepository.items(tx, reviewId, null)) {
              if (item.decision !== 'pending') continue;
              invalidations.push(await applyDecision(tx, ctx, effects, item, { decision: 'revoke', note: AUTO_REVOKE_NOTE }, { decidedBy: null, automatically: true }));
              revoked++;
            }
          }
          await accessReviewRepository.complete(tx, reviewId, 'deadline', null);
          await recordAuditEvent(tx, ctx, {
            action: 'access_review.complete',
            target: { type: 'access_review', id: reviewId },
            details: { how: 'deadline', total: review.total, revokedAutomatically: revoked, notReviewed: review.pending - revoked },
          });
          return true;
        });
        if (done) completed.push(reviewId);
      } finally {
        for (const invalidate of invalidations) await invalidate();
      }
    }
    return completed;
  }

  /** Remind each reviewer with pending items in an open campaign, once per campaign and UTC day. The number sent. */
  async function sendReminders(organizationId: string, at: Date = new Date()): Promise<number> {
    const day = at.toISOString().slice(0, 10);
    const due = await db.transaction({ organizationId }, (tx) => accessReviewRepository.remindersDue(tx, at, day));
    let sent = 0;
    let failures = 0;
    for (const reminder of due) {
      const done = await db
        .transaction({ organizationId }, async (tx) => {
          const user = await users.get(tx, reminder.reviewer_user_id);
          if (!user || user.status !== 'active') return false;
          const review = await accessReviewRepository.get(tx, reminder.review_id);
          if (!review || review.status !== 'open') return false;
          if (!(await accessReviewRepository.recordReminder(tx, reminder.review_id, reminder.reviewer_user_id, day, reminder.pending))) return false;
          const organizationName = (await organizationRepository.current(tx))?.name ?? organizationId;
          const mail = accessReviewReminderMail({
            organizationName,
            reviewName: review.name,
            deadline: review.deadline.toISOString(),
            pending: reminder.pending,
            autoRevoke: review.auto_revoke,
            examples: reminder.examples,
            inboxUrl: `${deps.publicBaseUrl()}/access-reviews/?tab=inbox`,
          });
          // Sent inside the transaction: a failure rolls the record back, and the next hourly run tries again.
          await mailer.send({ to: user.email, subject: mail.subject, text: mail.text, html: mail.html });
          return true;
        })
        .catch((error: unknown) => {
          failures++;
          deps.logger.warn({ organizationId, reviewId: reminder.review_id, error: describeFailure(error) }, 'access review reminder failed; the next run tries again');
          return false;
        });
      if (done) sent++;
    }
    if (failures > 0) throw new Error(`${failures} access review reminder(s) failed`);
    return sent;
  }

  return { completeDue, sendReminders };
}

export type ReviewDeadlines = ReturnType<typeof createReviewDeadlines>;

export function accessReviewJobs(deps: { deadlines: ReviewDeadlines }): FeatureJob[] {
  return [
    {
      name: 'aim.access-reviews',
      cron: '0 * * * *',
      perOrganization: {
        organizations: 'aim_access_review_organizations',
        describe: 'completing access reviews at their deadline and sending reminders',
        run: async (ctx, organizationId) => {
          await deps.deadlines.completeDue(ctx, organizationId);
          await deps.deadlines.sendReminders(organizationId);
        },
      },
    },
  ];
}
