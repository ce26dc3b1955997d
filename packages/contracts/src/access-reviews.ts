import { z } from 'zod';
import { dateTimeSchema } from './instants.js';
import { userIdSchema } from './people.js';
import { riskLevelSchema } from './capabilities.js';

/**
 * Access reviews (docs/access-reviews.md): campaigns in which reviewers certify, revoke or change the
 * organization's access — agents, grants of high or critical risk, API keys. Items are computed when the
 * campaign is created, as a snapshot of what the reviewer sees.
 */

const id = (prefix: string) => z.string().regex(new RegExp(`^${prefix}_[0-9a-z]{26}$`), { message: `must be a ${prefix}_… id` });
export const accessReviewIdSchema = id('arv');
export const accessReviewItemIdSchema = id('ari');
const timestamp = z.string().describe('RFC 3339 timestamp');

export const ACCESS_REVIEW_SCOPES = ['all_agents', 'owner_agents', 'high_risk_grants', 'api_keys'] as const;
export const ACCESS_REVIEW_STATUSES = ['open', 'completed', 'cancelled'] as const;
export const ACCESS_REVIEW_DECISIONS = ['pending', 'certified', 'revoked', 'changed'] as const;
export const ACCESS_REVIEW_SUBJECTS = ['agent', 'grant', 'api_key'] as const;

export const accessReviewScopeSchema = z
  .discriminatedUnion('kind', [
    z.object({ kind: z.literal('all_agents').describe('Every agent that is not revoked') }),
    z.object({ kind: z.literal('owner_agents'), ownerUserId: userIdSchema.describe('The person whose agents are reviewed') }),
    z.object({ kind: z.literal('high_risk_grants').describe('Every unrevoked, unexpired grant of a capability of high or critical risk') }),
    z.object({ kind: z.literal('api_keys').describe('Every API key that is neither revoked nor expired') }),
  ])
  .meta({ id: 'AccessReviewScope' });

export const accessReviewSummarySchema = z
  .object({
    total: z.number().int().nonnegative(),
    pending: z.number().int().nonnegative(),
    certified: z.number().int().nonnegative(),
    revoked: z.number().int().nonnegative(),
    changed: z.number().int().nonnegative(),
    revokedAutomatically: z.number().int().nonnegative().describe('Revoked by the deadline (autoRevoke), not by a person'),
    notReviewed: z.number().int().nonnegative().describe('Items still pending once the campaign ended'),
  })
  .meta({ id: 'AccessReviewSummary' });

export const accessReviewSchema = z
  .object({
    id: accessReviewIdSchema,
    name: z.string(),
    description: z.string().nullable(),
    scope: accessReviewScopeSchema,
    status: z.enum(ACCESS_REVIEW_STATUSES),
    deadline: timestamp,
    autoRevoke: z.boolean().describe('At the deadline, items nobody decided are revoked (true) or left pending and reported as not reviewed'),
    createdBy: z.string(),
    createdAt: timestamp,
    completedAt: timestamp.nullable(),
    completedHow: z.enum(['manual', 'deadline']).nullable(),
    cancelledAt: timestamp.nullable(),
    summary: accessReviewSummarySchema,
  })
  .meta({ id: 'AccessReview' });

export const accessReviewEnvelopeSchema = z.object({ accessReview: accessReviewSchema }).meta({ id: 'AccessReviewEnvelope' });
export const accessReviewListSchema = z.object({ accessReviews: z.array(accessReviewSchema) }).meta({ id: 'AccessReviewList' });

export const createAccessReviewSchema = z
  .object({
    name: z.string().trim().min(1, { message: 'must not be empty' }).max(200),
    description: z.string().max(2000).optional(),
    scope: accessReviewScopeSchema,
    deadline: dateTimeSchema().describe('When the campaign ends (in the future, at most a year ahead)'),
    autoRevoke: z.boolean().default(false).describe('Revoke items nobody decided by the deadline'),
  })
  .meta({
    id: 'CreateAccessReview',
    examples: [{ name: 'Q4 agent review', scope: { kind: 'all_agents' }, deadline: '2030-01-31T17:00:00Z', autoRevoke: false }],
  });

export const accessReviewParamsSchema = z.object({ reviewId: accessReviewIdSchema });
export const accessReviewItemParamsSchema = z.object({ reviewId: accessReviewIdSchema, itemId: accessReviewItemIdSchema });

/** What the reviewer saw when the campaign was created. */
export const accessReviewSnapshotSchema = z
  .object({
    name: z.string().describe('The agent, the grant\'s capability on its agent, or the API key'),
    ownerUserId: z.string().nullable().describe("The agent's owner (agents, grants) or the key's creator"),
    riskLevel: riskLevelSchema.nullable().describe("The grant's capability risk; for an agent, the highest risk among its grants"),
    lastUsedAt: timestamp.nullable().describe('The agent last seen, or the key last used'),
    status: z.string().nullable().describe("The agent's status, or the key's role"),
    agentId: z.string().nullable(),
    capability: z.string().nullable(),
    resourcePattern: z.string().nullable(),
    expiresAt: timestamp.nullable(),
    grants: z
      .array(z.object({ capability: z.string(), riskLevel: riskLevelSchema, resourcePattern: z.string().nullable(), expiresAt: timestamp.nullable() }))
      .describe("An agent's unrevoked grants; empty for grants and keys"),
  })
  .meta({ id: 'AccessReviewSnapshot' });

export const accessReviewItemSchema = z
  .object({
    id: accessReviewItemIdSchema,
    reviewId: accessReviewIdSchema,
    reviewName: z.string(),
    subjectType: z.enum(ACCESS_REVIEW_SUBJECTS),
    subjectId: z.string(),
    snapshot: accessReviewSnapshotSchema,
    reviewerUserId: z.string(),
    reviewerName: z.string().nullable().describe("The reviewer's name, or null when they left the organization"),
    reviewerReason: z.enum(['owner', 'manager', 'creator', 'self']).describe('Why this reviewer (docs/access-reviews.md §2)'),
    decision: z.enum(ACCESS_REVIEW_DECISIONS),
    note: z.string().nullable(),
    change: z.object({ expiresAt: timestamp.optional(), requested: z.boolean().optional() }).nullable(),
    effect: z.enum(['applied', 'already', 'recorded']).nullable(),
    decidedBy: z.string().nullable(),
    decidedAt: timestamp.nullable(),
    decidedAutomatically: z.boolean(),
    deadline: timestamp,
  })
  .meta({ id: 'AccessReviewItem' });

export const accessReviewItemListSchema = z.object({ items: z.array(accessReviewItemSchema) }).meta({ id: 'AccessReviewItemList' });
export const accessReviewItemEnvelopeSchema = z.object({ item: accessReviewItemSchema }).meta({ id: 'AccessReviewItemEnvelope' });

const note = z.string().trim().max(2000);
export const decideAccessReviewItemSchema = z
  .discriminatedUnion('decision', [
    z.object({ decision: z.literal('certify'), note: note.optional() }),
    z.object({ decision: z.literal('revoke'), note: note.min(1, { message: 'a revocation needs a note' }) }),
    z.object({
      decision: z.literal('change'),
      note: note.min(1, { message: 'a change needs a note' }),
      expiresAt: dateTimeSchema().optional().describe('For a grant or an API key: the new, earlier expiry (made at once)'),
    }),
  ])
  .meta({ id: 'DecideAccessReviewItem', examples: [{ decision: 'revoke', note: 'Unused since the migration' }] });

export const accessReviewReportQuerySchema = z.object({ format: z.enum(['json', 'csv']).default('json') }).strict();

export const accessReviewReportSchema = z
  .object({
    accessReview: accessReviewSchema,
    items: z.array(accessReviewItemSchema),
    generatedAt: timestamp,
  })
  .meta({ id: 'AccessReviewReport' });
