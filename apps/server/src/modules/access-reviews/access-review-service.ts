import type { createAccessReviewSchema, decideAccessReviewItemSchema } from '@aim/contracts';
import type { z } from 'zod';
import { recordAuditEvent } from '../../platform/audit/audit-log.js';
import type { Database, Tx } from '../../platform/db/database.js';
import { AppError, notFound } from '../../platform/http/app-error.js';
import type { OrgContext } from '../../platform/http/operation.js';
import { newId } from '../../platform/ids.js';
import { can } from '../access/index.js';
import type { UserRepository } from '../users/index.js';
import { accessReviewRepository, type ItemRow } from './access-review-repository.js';
import { applyDecision, type ReviewEffects } from './review-decisions.js';
import { assignReviewers, reviewersOf, subjectsOf } from './review-items.js';
import { itemJson, reviewJson } from './review-json.js';

/**
 * Access review campaigns (docs/access-reviews.md): creation with its items and reviewers, reading, the
 * reviewers' decisions and their real effect, completion and cancellation, the report. Holders of
 * access_review.manage see and decide every item; everyone else sees and decides the items assigned to
 * them (another's item answers 404, as if it did not exist).
 */
const MAX_DEADLINE_DAYS = 366;

export function createAccessReviewService(deps: { db: Database; users: Pick<UserRepository, 'get'>; effects: ReviewEffects }) {
  const { db, users, effects } = deps;
  const manages = (ctx: OrgContext) => can(ctx.role, 'access_review.manage');
  const personOf = (ctx: OrgContext) => {
    if (!ctx.personId) throw new AppError('forbidden', 'Access reviews are decided by people (or their API keys).');
    return ctx.personId;
  };

  /** Reviewers' names, read in the organization's scope (someone who left has none). */
  async function namesOf(tx: Tx, items: readonly ItemRow[]): Promise<Map<string, string>> {
    const names = new Map<string, string>();
    for (const id of new Set(items.map((i) => i.reviewer_user_id))) {
      const user = await users.get(tx, id);
      if (user) names.set(id, user.name);
    }
    return names;
  }
  const itemsJson = async (tx: Tx, items: ItemRow[]) => {
    const names = await namesOf(tx, items);
    return items.map((i) => itemJson(i, names));
  };

  async function reviewOrThrow(tx: Tx, reviewId: string, options: { forUpdate?: boolean } = {}) {
    const review = await accessReviewRepository.get(tx, reviewId, options);
    if (!review) throw notFound('The access review');
    return review;
  }

  return {
    async create(ctx: OrgContext, input: z.output<typeof createAccessReviewSchema>) {
      const creator = personOf(ctx);
      const deadline = new Date(input.deadline);
      if (deadline.getTime() <= Date.now()) throw new AppError('validation_failed', 'deadline: must be in the future.');
      if (deadline.getTime() > Date.now() + MAX_DEADLINE_DAYS * 86_400_000) throw new AppError('validation_failed', `deadline: must be at most ${MAX_DEADLINE_DAYS} days ahead.`);
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const reviewers = await reviewersOf(tx);
        const subjects = await subjectsOf(tx, input.scope);
        if (subjects.length === 0) {
          throw new AppError(
            'access_review_empty',
            input.scope.kind === 'owner_agents'
              ? `${input.scope.ownerUserId} owns no agent that is not revoked, so the campaign would have no items; nothing was created.`
              : `Nothing is in the scope ${input.scope.kind}, so the campaign would have no items; nothing was created.`,
          );
        }
        const id = newId('arv');
        await accessReviewRepository.insertReview(tx, { id, name: input.name.trim(), description: input.description ?? null, scope: input.scope, deadline, autoRevoke: input.autoRevoke, createdBy: creator });
        const assigned = assignReviewers(subjects, reviewers, creator);
        await accessReviewRepository.insertItems(
          tx,
          id,
          assigned.map(({ subject, reviewer, reason }) => ({ id: newId('ari'), ...subject, reviewer, reason })),
        );
        await recordAuditEvent(tx, ctx, {
          action: 'access_review.create',
          target: { type: 'access_review', id },
          details: { name: input.name.trim(), scope: input.scope, deadline: deadline.toISOString(), autoRevoke: input.autoRevoke, items: subjects.length, reviewers: new Set(assigned.map((a) => a.reviewer)).size },
        });
        return reviewJson((await accessReviewRepository.get(tx, id))!);
      });
    },

    async list(ctx: OrgContext) {
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => (await accessReviewRepository.list(tx)).map(reviewJson));
    },

    async get(ctx: OrgContext, reviewId: string) {
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => reviewJson(await reviewOrThrow(tx, reviewId)));
    },

    /** Every item for holders of access_review.manage; the caller's own items for everyone else. */
    async items(ctx: OrgContext, reviewId: string) {
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        await reviewOrThrow(tx, reviewId);
        return itemsJson(tx, await accessReviewRepository.items(tx, reviewId, manages(ctx) ? null : personOf(ctx)));
      });
    },

    /** The caller's pending items across open campaigns. */
    async inbox(ctx: OrgContext) {
      const person = personOf(ctx);
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => itemsJson(tx, await accessReviewRepository.inbox(tx, person)));
    },

    async decide(ctx: OrgContext, reviewId: string, itemId: string, input: z.output<typeof decideAccessReviewItemSchema>) {
      const person = personOf(ctx);
      let invalidate: () => Promise<void> = async () => undefined;
      try {
        return await db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
          const item = await accessReviewRepository.lockItem(tx, reviewId, itemId);
          if (!item || (!manages(ctx) && item.reviewer_user_id !== person)) throw notFound('The access review item');
          if (item.review_status !== 'open') throw new AppError('access_review_closed', `The access review is ${item.review_status}; its items take no more decisions.`);
          if (item.decision !== 'pending') throw new AppError('access_review_item_decided', `The item was already decided (${item.decision}); each item is decided once.`);
          if (input.decision === 'certify' && item.subject_person_id === person && item.reviewer_user_id !== person) {
            throw new AppError('access_review_self_certification', 'This API key is your own access: its assigned reviewer certifies it. You may revoke it.');
          }
          invalidate = await applyDecision(tx, ctx, effects, item, input, { decidedBy: person, automatically: false });
          const [decided] = await itemsJson(tx, [(await accessReviewRepository.lockItem(tx, reviewId, itemId))!]);
          return decided!;
        });
      } finally {
        await invalidate();
      }
    },

    async complete(ctx: OrgContext, reviewId: string) {
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const review = await reviewOrThrow(tx, reviewId, { forUpdate: true });
        if (review.status !== 'open') throw new AppError('access_review_closed', `The access review is already ${review.status}.`);
        await accessReviewRepository.complete(tx, reviewId, 'manual', personOf(ctx));
        await recordAuditEvent(tx, ctx, {
          action: 'access_review.complete',
          target: { type: 'access_review', id: reviewId },
          details: { how: 'manual', total: review.total, notReviewed: review.pending },
        });
        return reviewJson((await accessReviewRepository.get(tx, reviewId))!);
      });
    },

    async cancel(ctx: OrgContext, reviewId: string) {
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const review = await reviewOrThrow(tx, reviewId, { forUpdate: true });
        if (review.status !== 'open') throw new AppError('access_review_closed', `The access review is already ${review.status}.`);
        await accessReviewRepository.cancel(tx, reviewId);
        await recordAuditEvent(tx, ctx, { action: 'access_review.cancel', target: { type: 'access_review', id: reviewId }, details: { total: review.total, pending: review.pending } });
        return reviewJson((await accessReviewRepository.get(tx, reviewId))!);
      });
    },

    /** The campaign and every item with its decision, reviewer, note and time (read in one transaction). */
    async report(ctx: OrgContext, reviewId: string) {
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const review = reviewJson(await reviewOrThrow(tx, reviewId));
        return { accessReview: review, items: await itemsJson(tx, await accessReviewRepository.items(tx, reviewId, null)), generatedAt: new Date().toISOString() };
      });
    },
  };
}

export type AccessReviewService = ReturnType<typeof createAccessReviewService>;
