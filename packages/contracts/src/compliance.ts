import { z } from 'zod';
import { dateTimeSchema } from './instants.js';

/**
 * Compliance (docs/compliance.md): frameworks whose controls rest on checks computed from the
 * organization's own records, live or as signed reports for a period.
 */

export const complianceReportIdSchema = z.string().regex(/^rpt_[0-9a-z]{26}$/, { message: 'must be an rpt_… id' });
const timestamp = z.string().describe('RFC 3339 timestamp');
const frameworkId = z.string().min(1).max(40).describe('A framework id from GET /api/v1/compliance/frameworks: soc2, iso27001, hipaa, gdpr, eu_ai_act');

export const complianceStatusSchema = z.enum(['pass', 'fail', 'unknown']).meta({
  id: 'ComplianceStatus',
  description: 'pass: the evidence shows the control works; fail: the evidence shows it does not; unknown: there is no evidence to judge by',
});

export const complianceEvidenceSchema = z
  .object({
    query: z.string().describe('What was asked of the records, in words'),
    counts: z.record(z.string(), z.number()).describe('The counts the query answered'),
    samples: z.array(z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]))).describe('At most 10 example rows (ids, timestamps) the status rests on'),
  })
  .meta({ id: 'ComplianceEvidence' });

export const complianceCheckResultSchema = z
  .object({
    id: z.string(),
    title: z.string(),
    status: complianceStatusSchema,
    summary: z.string(),
    evidence: complianceEvidenceSchema,
  })
  .meta({ id: 'ComplianceCheckResult' });

export const complianceControlResultSchema = z
  .object({ id: z.string(), title: z.string(), status: complianceStatusSchema, checks: z.array(complianceCheckResultSchema) })
  .meta({ id: 'ComplianceControlResult' });

export const complianceSummarySchema = z
  .object({ status: complianceStatusSchema, pass: z.number().int(), fail: z.number().int(), unknown: z.number().int() })
  .meta({ id: 'ComplianceSummary', description: 'Controls by status; the framework fails when one control fails, else is unknown when one is unknown' });

export const complianceFrameworkSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    version: z.string(),
    controls: z.array(z.object({ id: z.string(), title: z.string(), checks: z.array(z.string()) })),
  })
  .meta({ id: 'ComplianceFramework' });

export const complianceFrameworkListSchema = z
  .object({
    frameworks: z.array(complianceFrameworkSchema),
    checks: z.array(z.object({ id: z.string(), title: z.string(), description: z.string() })).describe('Every check the controls name'),
  })
  .meta({ id: 'ComplianceFrameworkList' });

export const complianceFrameworkParamsSchema = z.object({ framework: frameworkId });

export const compliancePeriodQuerySchema = z
  .object({
    from: dateTimeSchema().optional().describe('Start of the period, inclusive (default: 30 days before `to`)'),
    to: dateTimeSchema().optional().describe('End of the period, exclusive (default: now); not in the future'),
  })
;

export const complianceControlsSchema = z
  .object({
    framework: z.string(),
    from: timestamp,
    to: timestamp,
    summary: complianceSummarySchema,
    controls: z.array(complianceControlResultSchema),
  })
  .meta({ id: 'ComplianceControls' });

export const createComplianceReportSchema = z
  .object({
    framework: frameworkId,
    from: dateTimeSchema().describe('Start of the period, inclusive'),
    to: dateTimeSchema().describe('End of the period, exclusive; not in the future; at most 366 days after `from`'),
  })
  .strict()
  .meta({ id: 'CreateComplianceReport', examples: [{ framework: 'soc2', from: '2026-01-01T00:00:00Z', to: '2027-01-01T00:00:00Z' }] });

export const complianceReportSummarySchema = z
  .object({
    id: complianceReportIdSchema,
    framework: z.string(),
    from: timestamp,
    to: timestamp,
    status: complianceStatusSchema,
    controls: z.object({ pass: z.number().int(), fail: z.number().int(), unknown: z.number().int() }),
    origin: z.enum(['request', 'schedule']).describe('request: asked for through the API; schedule: the monthly job'),
    generatedAt: timestamp,
    generatedBy: z.object({ type: z.enum(['user', 'api_key', 'system']), id: z.string().nullable() }),
    kid: z.string().describe('The audit checkpoint key that signed it (/.well-known/aim-audit-keys.json)'),
  })
  .meta({ id: 'ComplianceReportSummary' });

export const complianceReportListSchema = z.object({ reports: z.array(complianceReportSummarySchema) }).meta({ id: 'ComplianceReportList' });

export const complianceReportListQuerySchema = z.object({
  framework: frameworkId.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export const complianceReportParamsSchema = z.object({ reportId: complianceReportIdSchema });

export const complianceReportDownloadQuerySchema = z.object({
  format: z.enum(['json', 'csv', 'pdf']).default('json').describe('json: the signed document (verify offline); csv: one row per check (RFC 4180); pdf: for people'),
});

/** The signed document (docs/compliance.md §4 is its exact format). */
export const complianceReportDocumentSchema = z
  .object({
    type: z.literal('aim.compliance_report'),
    version: z.literal(1),
    id: complianceReportIdSchema,
    organizationId: z.string(),
    framework: z.object({ id: z.string(), name: z.string(), version: z.string() }),
    period: z.object({ from: timestamp, to: timestamp }),
    generatedAt: timestamp,
    generatedBy: z.object({ type: z.enum(['user', 'api_key', 'system']), id: z.string().nullable() }),
    summary: complianceSummarySchema,
    controls: z.array(complianceControlResultSchema),
    exceptions: z.array(z.object({ controlId: z.string(), checkId: z.string(), status: complianceStatusSchema, summary: z.string() })),
    checkpoint: z
      .object({ organizationId: z.string(), seq: z.number().int(), hash: z.string(), signedAt: timestamp, kid: z.string(), signature: z.string(), tsaStatus: z.string().nullable() })
      .nullable()
      .describe('The signed audit checkpoint that covers the end of the period (null when none does)'),
    signature: z.object({ alg: z.literal('EdDSA'), kid: z.string(), value: z.string().describe('base64url Ed25519 signature') }),
  })
  .meta({ id: 'ComplianceReportDocument' });

export const complianceReportEnvelopeSchema = z
  .object({ report: complianceReportSummarySchema, document: complianceReportDocumentSchema })
  .meta({ id: 'ComplianceReportEnvelope' });

const ackMinutes = z.number().int().min(1).max(43_200);
export const complianceSettingsSchema = z
  .object({
    monthlyFrameworks: z.array(frameworkId).max(10).describe('Frameworks whose report for the previous month is generated once, early each month'),
    accessReviewDays: z.number().int().min(1).max(366).describe('An access review must have been completed within this many days'),
    agentKeyMaxAgeDays: z.number().int().min(1).max(3650).describe('Agent keys older than this fail key rotation'),
    alertAckMinutes: z
      .object({ critical: ackMinutes, high: ackMinutes, medium: ackMinutes, low: ackMinutes })
      .describe('Minutes within which an alert of each severity must be acknowledged or resolved'),
  })
  .meta({ id: 'ComplianceSettings' });

export const complianceSettingsEnvelopeSchema = z
  .object({ settings: complianceSettingsSchema, updatedAt: timestamp.nullable() })
  .meta({ id: 'ComplianceSettingsEnvelope' });

export const updateComplianceSettingsSchema = complianceSettingsSchema
  .partial()
  .extend({ alertAckMinutes: complianceSettingsSchema.shape.alertAckMinutes.partial().optional() })
  .strict()
  .meta({ id: 'UpdateComplianceSettings', examples: [{ monthlyFrameworks: ['soc2', 'iso27001'] }] });
