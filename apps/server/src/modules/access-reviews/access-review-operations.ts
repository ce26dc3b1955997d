import { Readable } from 'node:stream';
import {
  accessReviewEnvelopeSchema,
  accessReviewItemEnvelopeSchema,
  accessReviewItemListSchema,
  accessReviewItemParamsSchema,
  accessReviewListSchema,
  accessReviewParamsSchema,
  accessReviewReportQuerySchema,
  accessReviewReportSchema,
  createAccessReviewSchema,
  decideAccessReviewItemSchema,
  errorEnvelopeSchema,
} from '@aim/contracts';
import { defineOperation, type Feature } from '../../platform/http/operation.js';
import type { FeatureJob } from '../../platform/jobs/feature-jobs.js';
import type { AccessReviewService } from './access-review-service.js';
import { reportCsv } from './review-json.js';

/** Access reviews (docs/access-reviews.md): campaigns, items, decisions, the report and the reviewer's inbox. */
export function accessReviewFeature({ accessReviews, jobs }: { accessReviews: AccessReviewService; jobs: FeatureJob[] }): Feature {
  const reviewAccess = { auth: 'org', permission: 'access_review.review' } as const;
  const manageAccess = { auth: 'org', permission: 'access_review.manage' } as const;
  return {
    name: 'access-reviews',
    jobs,
    operations: [
      defineOperation({
        method: 'POST',
        path: '/api/v1/access-reviews',
        tag: 'access-reviews',
        summary: 'Start a campaign: its items are computed now from the scope, each assigned a reviewer',
        access: manageAccess,
        body: createAccessReviewSchema,
        responses: { 201: accessReviewEnvelopeSchema, 422: errorEnvelopeSchema },
        status: 201,
        handle: async ({ ctx, body }) => ({ accessReview: await accessReviews.create(ctx, body) }),
      }),

      defineOperation({
        method: 'GET',
        path: '/api/v1/access-reviews',
        tag: 'access-reviews',
        summary: "The organization's campaigns, newest first, each with its progress",
        access: reviewAccess,
        responses: { 200: accessReviewListSchema },
        handle: async ({ ctx }) => ({ accessReviews: await accessReviews.list(ctx) }),
      }),

      defineOperation({
        method: 'GET',
        path: '/api/v1/access-reviews/:reviewId',
        tag: 'access-reviews',
        summary: 'One campaign with its progress',
        access: reviewAccess,
        params: accessReviewParamsSchema,
        responses: { 200: accessReviewEnvelopeSchema },
        handle: async ({ ctx, params }) => ({ accessReview: await accessReviews.get(ctx, params.reviewId) }),
      }),

      defineOperation({
        method: 'GET',
        path: '/api/v1/access-reviews/:reviewId/items',
        tag: 'access-reviews',
        summary: "A campaign's items: every item for holders of access_review.manage, your own for everyone else",
        access: reviewAccess,
        params: accessReviewParamsSchema,
        responses: { 200: accessReviewItemListSchema },
        handle: async ({ ctx, params }) => ({ items: await accessReviews.items(ctx, params.reviewId) }),
      }),

      defineOperation({
        method: 'POST',
        path: '/api/v1/access-reviews/:reviewId/items/:itemId/decision',
        tag: 'access-reviews',
        summary: 'Certify, revoke (done at once) or change an item, with a note; by its reviewer or a holder of access_review.manage',
        access: reviewAccess,
        params: accessReviewItemParamsSchema,
        body: decideAccessReviewItemSchema,
        responses: { 200: accessReviewItemEnvelopeSchema, 409: errorEnvelopeSchema, 422: errorEnvelopeSchema },
        handle: async ({ ctx, params, body }) => ({ item: await accessReviews.decide(ctx, params.reviewId, params.itemId, body) }),
      }),

      defineOperation({
        method: 'POST',
        path: '/api/v1/access-reviews/:reviewId/complete',
        tag: 'access-reviews',
        summary: 'Complete a campaign now: pending items stay pending and are reported as not reviewed',
        access: manageAccess,
        params: accessReviewParamsSchema,
        responses: { 200: accessReviewEnvelopeSchema, 409: errorEnvelopeSchema },
        handle: async ({ ctx, params }) => ({ accessReview: await accessReviews.complete(ctx, params.reviewId) }),
      }),

      defineOperation({
        method: 'POST',
        path: '/api/v1/access-reviews/:reviewId/cancel',
        tag: 'access-reviews',
        summary: 'Cancel a campaign: its items take no more decisions; decisions already made stand',
        access: manageAccess,
        params: accessReviewParamsSchema,
        responses: { 200: accessReviewEnvelopeSchema, 409: errorEnvelopeSchema },
        handle: async ({ ctx, params }) => ({ accessReview: await accessReviews.cancel(ctx, params.reviewId) }),
      }),

      defineOperation({
        method: 'GET',
        path: '/api/v1/access-reviews/:reviewId/report',
        tag: 'access-reviews',
        summary: 'The campaign report: every item with its decision, reviewer, note and time, and the summary (JSON or CSV)',
        access: manageAccess,
        params: accessReviewParamsSchema,
        query: accessReviewReportQuerySchema,
        responses: { 200: accessReviewReportSchema },
        handle: async ({ ctx, params, query, reply }) => {
          const report = await accessReviews.report(ctx, params.reviewId);
          if (query.format === 'json') return report;
          reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="aim-access-review-${params.reviewId}.csv"`);
          return reply.send(Readable.from([reportCsv(report.accessReview, report.items)]) as never);
        },
      }),

      defineOperation({
        method: 'GET',
        path: '/api/v1/me/access-review-items',
        tag: 'access-reviews',
        summary: 'Your review inbox: the pending items assigned to you across open campaigns, soonest deadline first',
        access: reviewAccess,
        responses: { 200: accessReviewItemListSchema },
        handle: async ({ ctx }) => ({ items: await accessReviews.inbox(ctx) }),
      }),
    ],
  };
}
