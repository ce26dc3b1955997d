import { z } from 'zod';
import { dateTimeSchema } from './instants.js';
import { agentIdSchema, trustTierSchema } from './agents.js';
import { RISK_LEVELS } from './capabilities.js';

/**
 * Trust scoring: the score of an agent with its factor-by-factor breakdown, its history and the
 * organization's trends, and the evidence people and agents add (ratings, security reviews,
 * incidents, attestations, heartbeats). docs/trust-scoring.md defines the method.
 */

const id = (prefix: string) => z.string().regex(new RegExp(`^${prefix}_[0-9a-z]{26}$`), { message: `must be a ${prefix}_… id` });
export const trustScoreIdSchema = id('tsc');
export const ratingIdSchema = id('rat');
export const securityReviewIdSchema = id('srv');
export const incidentIdSchema = id('inc');
export const attestationIdSchema = id('att');
const timestamp = z.string().describe('RFC 3339 timestamp');
const severitySchema = z.enum(RISK_LEVELS).meta({ id: 'Severity' });

export const TRUST_FACTOR_KEYS = [
  'verificationStatus',
  'securityAudit',
  'communityTrust',
  'uptime',
  'incidentHistory',
  'compliance',
  'activityFrequency',
  'lastVerified',
] as const;
export const TRUST_TRIGGERS = ['registration', 'event', 'schedule', 'manual', 'backfill'] as const;

export const trustFactorSchema = z
  .object({
    key: z.enum(TRUST_FACTOR_KEYS),
    label: z.string(),
    weight: z.number().describe('The spec weight (the weights sum to 1)'),
    value: z.number().min(0).max(1).nullable().describe('0–1; null when there is no evidence (unknown)'),
    contribution: z.number().describe('Points of the score from this factor; the contributions sum to the score'),
    explanation: z.string(),
    evidence: z.record(z.string(), z.union([z.number(), z.string(), z.boolean(), z.null()])).describe('The counts the value was computed from'),
    windowDays: z.number().nullable().describe('The evidence window, when the factor has one'),
  })
  .meta({ id: 'TrustFactor' });

export const trustScoreSchema = z
  .object({
    id: trustScoreIdSchema,
    agentId: agentIdSchema,
    score: z.number().min(0).max(100).nullable().describe('0–100; null when no factor has evidence'),
    tier: trustTierSchema,
    confidence: z.number().min(0).max(1).describe('The share of the total factor weight the score rests on'),
    factors: z.array(trustFactorSchema),
    algorithmVersion: z.string(),
    trigger: z.enum(TRUST_TRIGGERS),
    computedAt: timestamp,
  })
  .meta({ id: 'TrustScore' });
export const trustScoreEnvelopeSchema = z.object({ trust: trustScoreSchema }).meta({ id: 'TrustScoreEnvelope' });

export const trustHistoryEntrySchema = trustScoreSchema.omit({ factors: true }).meta({ id: 'TrustHistoryEntry' });
export const trustHistoryQuerySchema = z.object({
  from: dateTimeSchema().optional(),
  to: dateTimeSchema().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().max(200).optional(),
});
export const trustHistorySchema = z
  .object({ history: z.array(trustHistoryEntrySchema), nextCursor: z.string().nullable() })
  .meta({ id: 'TrustHistory' });

export const trustTrendQuerySchema = z.object({
  days: z.coerce.number().int().min(1).max(90).default(30).describe('How many UTC days back, today included'),
  movers: z.coerce.number().int().min(1).max(50).default(10),
});
export const trustTrendSchema = z
  .object({
    days: z.number().int(),
    daily: z
      .array(
        z.object({
          day: z.string().describe('YYYY-MM-DD (UTC)'),
          agents: z.number().int().describe('Agents with a score computed that day'),
          scores: z.number().int().describe('Scores computed that day'),
          average: z.number().nullable().describe("Mean of each agent's last score of the day"),
          min: z.number().nullable(),
          max: z.number().nullable(),
        }),
      )
      .describe('Days without any computed score are listed with zero counts and null figures'),
    tiers: z.record(trustTierSchema, z.number().int()).describe('Agents that are not revoked, by current tier'),
    movers: z
      .array(
        z.object({
          agentId: agentIdSchema,
          name: z.string(),
          from: z.number().nullable().describe('The first score in the period'),
          to: z.number().nullable().describe('The latest score'),
          change: z.number(),
        }),
      )
      .describe('Largest absolute changes over the period'),
  })
  .meta({ id: 'TrustTrend' });

// ---- ratings ---------------------------------------------------------------------------------

export const ratingSchema = z
  .object({
    id: ratingIdSchema,
    agentId: agentIdSchema,
    userId: z.string(),
    rating: z.number().int().min(1).max(5),
    comment: z.string().nullable(),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: 'Rating' });
const ratingValue = z.number().int({ message: 'must be a whole number from 1 to 5' }).min(1, { message: 'must be 1 to 5' }).max(5, { message: 'must be 1 to 5' });
export const createRatingSchema = z
  .object({ rating: ratingValue, comment: z.string().trim().max(2000).optional() })
  .meta({ id: 'CreateRating', examples: [{ rating: 4, comment: 'Reliable; once retried a refund twice' }] });
export const updateRatingSchema = z
  .object({ rating: ratingValue.optional(), comment: z.string().trim().max(2000).nullable().optional() })
  .refine((v) => Object.keys(v).length > 0, { message: 'send at least one field to change' })
  .meta({ id: 'UpdateRating', examples: [{ rating: 5 }] });
export const ratingEnvelopeSchema = z.object({ rating: ratingSchema }).meta({ id: 'RatingEnvelope' });
export const ratingListSchema = z.object({ ratings: z.array(ratingSchema) }).meta({ id: 'RatingList' });
export const ratingParamsSchema = z.object({ agentId: agentIdSchema, ratingId: ratingIdSchema });

// ---- security reviews ------------------------------------------------------------------------

export const findingSchema = z
  .object({ severity: severitySchema, title: z.string().trim().min(1).max(200) })
  .meta({ id: 'SecurityFinding' });
export const securityReviewSchema = z
  .object({
    id: securityReviewIdSchema,
    agentId: agentIdSchema,
    reviewer: z.object({ type: z.enum(['user', 'api_key']), id: z.string() }),
    reviewedAt: timestamp,
    summary: z.string().nullable(),
    findings: z.array(findingSchema),
    createdAt: timestamp,
  })
  .meta({ id: 'SecurityReview' });
export const createSecurityReviewSchema = z
  .object({
    reviewedAt: dateTimeSchema().optional().describe('Defaults to now; not in the future'),
    summary: z.string().trim().max(2000).optional(),
    findings: z.array(findingSchema).max(100).default([]),
  })
  .meta({
    id: 'CreateSecurityReview',
    examples: [{ summary: 'Quarterly review', findings: [{ severity: 'medium', title: 'Logs full request bodies' }] }],
  });
export const securityReviewEnvelopeSchema = z.object({ review: securityReviewSchema }).meta({ id: 'SecurityReviewEnvelope' });
export const securityReviewListSchema = z.object({ reviews: z.array(securityReviewSchema) }).meta({ id: 'SecurityReviewList' });

// ---- incidents ------------------------------------------------------------------------------

export const incidentSchema = z
  .object({
    id: incidentIdSchema,
    agentId: agentIdSchema,
    severity: severitySchema,
    title: z.string(),
    description: z.string().nullable(),
    occurredAt: timestamp,
    resolvedAt: timestamp.nullable(),
    reportedBy: z.object({ type: z.enum(['user', 'api_key']), id: z.string() }),
    createdAt: timestamp,
  })
  .meta({ id: 'Incident' });
export const createIncidentSchema = z
  .object({
    severity: severitySchema,
    title: z.string().trim().min(1).max(200),
    description: z.string().trim().max(4000).optional(),
    occurredAt: dateTimeSchema().optional().describe('Defaults to now; not in the future'),
  })
  .meta({ id: 'CreateIncident', examples: [{ severity: 'high', title: 'Sent a customer list to a wrong address' }] });
export const incidentEnvelopeSchema = z.object({ incident: incidentSchema }).meta({ id: 'IncidentEnvelope' });
export const incidentListSchema = z.object({ incidents: z.array(incidentSchema) }).meta({ id: 'IncidentList' });
export const incidentParamsSchema = z.object({ agentId: agentIdSchema, incidentId: incidentIdSchema });

// ---- attestations ---------------------------------------------------------------------------

export const attestationSchema = z
  .object({
    id: attestationIdSchema,
    agentId: agentIdSchema.describe('The agent attested'),
    attesterId: agentIdSchema.describe('The agent that attests'),
    verdict: z.enum(['trusted', 'distrusted']),
    statement: z.string().nullable(),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: 'Attestation' });
export const putAttestationSchema = z
  .object({ verdict: z.enum(['trusted', 'distrusted']), statement: z.string().trim().max(2000).optional() })
  .meta({ id: 'PutAttestation', examples: [{ verdict: 'trusted', statement: 'Its summaries matched the source in 200 of 200 checks' }] });
export const attestationEnvelopeSchema = z.object({ attestation: attestationSchema }).meta({ id: 'AttestationEnvelope' });
export const attestationListSchema = z.object({ attestations: z.array(attestationSchema) }).meta({ id: 'AttestationList' });

// ---- heartbeats -----------------------------------------------------------------------------

export const heartbeatSchema = z
  .object({
    receivedAt: timestamp,
    minute: timestamp.describe('The minute this heartbeat counts for'),
  })
  .meta({ id: 'Heartbeat' });
