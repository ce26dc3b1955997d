import { z } from 'zod';

/**
 * Retention and the legal hold (docs/retention.md): how long an organization's data is kept, what the
 * deployment decides for every organization, and the hold that suspends every deletion.
 */

/** Bounds of the retention an organization chooses (and of DECISION_RETENTION_DAYS). */
export const RETENTION_LIMITS = {
  auditEventDays: { min: 30, max: 36500 },
  decisionDays: { min: 180, max: 36500 },
} as const;

const limitsSchema = z.object({ min: z.number().int(), max: z.number().int() });
const timestamp = z.string().describe('RFC 3339 timestamp');

export const legalHoldSchema = z
  .object({
    enabled: z.boolean().describe('Whether the organization is on legal hold: while it is, nothing of its data is deleted'),
    placedAt: timestamp.nullable().describe('When the hold was placed; null when there is none'),
    reason: z.string().nullable().describe('Why the hold was placed (a matter, a case number); null when there is none'),
    placedBy: z
      .object({ type: z.enum(['user', 'api_key', 'system']), id: z.string().nullable() })
      .nullable()
      .describe('Who placed the hold; null when there is none'),
  })
  .meta({ id: 'LegalHold' });

export const retentionSettingsSchema = z
  .object({
    auditEventDays: z.number().int().nullable().describe('Days audit events are kept; null keeps them forever (also PATCH /api/v1/organization)'),
    decisionDays: z.number().int().nullable().describe('Days decisions and their violations are kept; null takes the deployment default'),
    effectiveDecisionDays: z.number().int().describe('The decision retention that applies: decisionDays, or the deployment default'),
    limits: z.object({ auditEventDays: limitsSchema, decisionDays: limitsSchema }).describe('What the organization may choose'),
    deployment: z
      .object({
        decisionDefaultDays: z.number().int().describe('DECISION_RETENTION_DAYS: decisions of organizations without their own retention'),
        trustHistoryMonths: z.number().int().describe('TRUST_HISTORY_MONTHS: trust score history, whole months'),
        webhookDays: z.number().int().describe('WEBHOOK_RETENTION_DAYS: webhook events, deliveries and attempts'),
      })
      .describe('Set by the operator for every organization; read-only here'),
    legalHold: legalHoldSchema,
  })
  .meta({ id: 'RetentionSettings' });

export const updateRetentionSchema = z
  .object({
    auditEventDays: z
      .number()
      .int()
      .nullable()
      .optional()
      .describe(`Days audit events are kept, ${RETENTION_LIMITS.auditEventDays.min} to ${RETENTION_LIMITS.auditEventDays.max}; null keeps them forever`),
    decisionDays: z
      .number()
      .int()
      .nullable()
      .optional()
      .describe(`Days decisions are kept, ${RETENTION_LIMITS.decisionDays.min} to ${RETENTION_LIMITS.decisionDays.max}; null takes the deployment default`),
  })
  .strict()
  .meta({ id: 'UpdateRetention' });

export const legalHoldChangeSchema = z
  .object({
    enabled: z.boolean().describe('true places the hold, false releases it'),
    reason: z.string().max(1000).optional().describe('Why: required to place a hold (1 to 1000 characters), recorded with a release'),
  })
  .strict()
  .meta({ id: 'LegalHoldChange' });

export type RetentionSettings = z.infer<typeof retentionSettingsSchema>;
export type LegalHold = z.infer<typeof legalHoldSchema>;
