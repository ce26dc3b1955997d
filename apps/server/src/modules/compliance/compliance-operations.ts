import {
  complianceControlsSchema,
  complianceFrameworkListSchema,
  complianceFrameworkParamsSchema,
  compliancePeriodQuerySchema,
  complianceReportDownloadQuerySchema,
  complianceReportEnvelopeSchema,
  complianceReportListQuerySchema,
  complianceReportListSchema,
  complianceReportParamsSchema,
  complianceSettingsEnvelopeSchema,
  createComplianceReportSchema,
  updateComplianceSettingsSchema,
} from '@aim/contracts';
import { z } from 'zod';
import { defineOperation, type Feature } from '../../platform/http/operation.js';
import type { FeatureJob } from '../../platform/jobs/feature-jobs.js';
import { CHECKS, FRAMEWORKS } from './catalogue/frameworks.js';
import { frameworkOf, parsePeriod, type ComplianceEvaluator } from './compliance-evaluator.js';
import type { ComplianceSettingsService } from './compliance-settings.js';
import type { ComplianceReportService } from './report-service.js';

const frameworkList = {
  frameworks: FRAMEWORKS.map((f) => ({ id: f.id, name: f.name, version: f.version, controls: f.controls.map((c) => ({ id: c.id, title: c.title, checks: [...c.checks] })) })),
  checks: CHECKS.map((c) => ({ id: c.id, title: c.title, description: c.description })),
};

export interface ComplianceFeatureDeps {
  evaluator: ComplianceEvaluator;
  reports: ComplianceReportService;
  settings: ComplianceSettingsService;
  jobs: FeatureJob[];
}

/** Compliance frameworks, their controls' live status, signed reports and the organization's settings (docs/compliance.md). */
export function complianceFeature({ evaluator, reports, settings, jobs }: ComplianceFeatureDeps): Feature {
  const base = '/api/v1/compliance';
  return {
    name: 'compliance',
    jobs,
    operations: [
      defineOperation({
        method: 'GET',
        path: `${base}/frameworks`,
        tag: 'compliance',
        summary: 'The catalogue: frameworks, their controls, and the checks each control rests on',
        access: { auth: 'org', permission: 'compliance.read' },
        responses: { 200: complianceFrameworkListSchema },
        handle: () => frameworkList,
      }),
      defineOperation({
        method: 'GET',
        path: `${base}/frameworks/:framework/controls`,
        tag: 'compliance',
        summary: 'Every control of a framework with its status now, computed from the records of a period, with the evidence',
        description: 'The period is [from, to): default the 30 days before now; `to` may not be in the future and the period may be at most 366 days (invalid_period). An unknown framework answers unknown_framework (404).',
        access: { auth: 'org', permission: 'compliance.read' },
        params: complianceFrameworkParamsSchema,
        query: compliancePeriodQuerySchema,
        responses: { 200: complianceControlsSchema },
        handle: async ({ ctx, params, query }) => {
          const framework = frameworkOf(params.framework);
          const period = parsePeriod(query, new Date());
          const { summary, controls } = await evaluator.evaluate(ctx.organizationId, framework, period);
          return { framework: framework.id, from: period.from.toISOString(), to: period.to.toISOString(), summary, controls };
        },
      }),
      defineOperation({
        method: 'POST',
        path: `${base}/reports`,
        tag: 'compliance',
        summary: 'Generate, sign and store a report of a framework for a period',
        description: 'Signed with the audit checkpoint key (Ed25519 over the RFC 8785 canonical JSON of the document without `signature`); verify offline with aim-audit-verify --report. Audited as compliance.report_generated.',
        access: { auth: 'org', permission: 'compliance.report' },
        body: createComplianceReportSchema,
        responses: { 201: complianceReportEnvelopeSchema },
        status: 201,
        handle: ({ ctx, body }) => reports.create(ctx, body),
      }),
      defineOperation({
        method: 'GET',
        path: `${base}/reports`,
        tag: 'compliance',
        summary: 'Stored reports, newest first',
        access: { auth: 'org', permission: 'compliance.read' },
        query: complianceReportListQuerySchema,
        responses: { 200: complianceReportListSchema },
        handle: ({ ctx, query }) => reports.list(ctx, query),
      }),
      defineOperation({
        method: 'GET',
        path: `${base}/reports/:reportId`,
        tag: 'compliance',
        summary: 'A stored report: its summary and the signed document',
        access: { auth: 'org', permission: 'compliance.read' },
        params: complianceReportParamsSchema,
        responses: { 200: complianceReportEnvelopeSchema },
        handle: ({ ctx, params }) => reports.get(ctx, params.reportId),
      }),
      defineOperation({
        method: 'GET',
        path: `${base}/reports/:reportId/download`,
        tag: 'compliance',
        summary: 'Download a report: the signed JSON document, CSV (one row per check) or PDF',
        access: { auth: 'org', permission: 'compliance.read' },
        params: complianceReportParamsSchema,
        query: complianceReportDownloadQuerySchema,
        responses: { 200: z.string().describe('The signed JSON document (byte for byte as stored), RFC 4180 CSV, or a PDF') },
        handle: async ({ ctx, params, query, reply }) => {
          const file = await reports.download(ctx, params.reportId, query.format);
          reply.type(file.type).header('content-disposition', `attachment; filename="${file.filename}"`);
          return reply.send(file.body as never);
        },
      }),
      defineOperation({
        method: 'GET',
        path: `${base}/settings`,
        tag: 'compliance',
        summary: 'Compliance settings: monthly reports, the review window, key age and alert response targets',
        access: { auth: 'org', permission: 'compliance.read' },
        responses: { 200: complianceSettingsEnvelopeSchema },
        handle: ({ ctx }) => settings.get(ctx),
      }),
      defineOperation({
        method: 'PUT',
        path: `${base}/settings`,
        tag: 'compliance',
        summary: 'Change the compliance settings: what the body names is merged over the current settings',
        description: 'Audited as compliance.settings_updated with each changed field; a body that changes nothing changes and audits nothing.',
        access: { auth: 'org', permission: 'compliance.manage' },
        body: updateComplianceSettingsSchema,
        responses: { 200: complianceSettingsEnvelopeSchema },
        handle: ({ ctx, body }) => settings.update(ctx, body),
      }),
    ],
  };
}

/** The daily job: every organization's monthly reports for last month, each generated once. */
export function complianceJobs(deps: { db: { query: (sql: string) => Promise<{ rows: { organization_id: string; frameworks: string[] }[] }> }; reports: ComplianceReportService }): FeatureJob[] {
  return [
    {
      name: 'aim.compliance-reports',
      cron: '17 3 * * *',
      async run(ctx) {
        const { rows } = await deps.db.query('select organization_id, frameworks from aim_compliance_monthly_due()');
        const failures: unknown[] = [];
        for (const row of rows) {
          try {
            await deps.reports.generateMonthly(ctx, row.organization_id, row.frameworks);
          } catch (error) {
            failures.push(error);
          }
        }
        if (failures.length > 0) throw new AggregateError(failures, `monthly compliance reports failed for ${failures.length} of ${rows.length} organizations`);
      },
    },
  ];
}
