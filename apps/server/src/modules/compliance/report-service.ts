import { sign } from 'node:crypto';
import { reportSigningInput } from '@aim/audit-verify';
import type { complianceReportListQuerySchema, createComplianceReportSchema } from '@aim/contracts';
import type { z } from 'zod';
import type { SigningKeys } from '../../platform/auth/signing-keys.js';
import { recordAuditEvent } from '../../platform/audit/audit-log.js';
import { orgOf, type Database } from '../../platform/db/database.js';
import { AppError } from '../../platform/http/app-error.js';
import type { OrgContext } from '../../platform/http/operation.js';
import type { RequestContext } from '../../platform/http/request-context.js';
import { newId } from '../../platform/ids.js';
import type { Period } from './catalogue/check-types.js';
import { frameworkOf, parsePeriod, type ComplianceEvaluator } from './compliance-evaluator.js';
import { reportCsv, reportPdf, type ReportDocument } from './report-render.js';

interface ReportRow {
  id: string;
  framework: string;
  period_from: Date;
  period_to: Date;
  status: 'pass' | 'fail' | 'unknown';
  controls_pass: number;
  controls_fail: number;
  controls_unknown: number;
  origin: 'request' | 'schedule';
  generated_by_type: 'user' | 'api_key' | 'system';
  generated_by_id: string | null;
  kid: string;
  generated_at: Date;
}

const SUMMARY_COLUMNS = 'id, framework, period_from, period_to, status, controls_pass, controls_fail, controls_unknown, origin, generated_by_type, generated_by_id, kid, generated_at';

const summaryJson = (r: ReportRow) => ({
  id: r.id,
  framework: r.framework,
  from: r.period_from.toISOString(),
  to: r.period_to.toISOString(),
  status: r.status,
  controls: { pass: r.controls_pass, fail: r.controls_fail, unknown: r.controls_unknown },
  origin: r.origin,
  generatedAt: r.generated_at.toISOString(),
  generatedBy: { type: r.generated_by_type, id: r.generated_by_id },
  kid: r.kid,
});

export function createComplianceReportService(deps: { db: Database; evaluator: ComplianceEvaluator; reportKeys: SigningKeys; now?: () => Date }) {
  const { db } = deps;
  const now = deps.now ?? (() => new Date());

  /** Evaluate, sign and store one report; with origin schedule, at most one per framework and period (null when it exists). */
  async function generate(ctx: RequestContext & { organizationId: string }, frameworkId: string, period: Period, origin: 'request' | 'schedule') {
    const framework = frameworkOf(frameworkId);
    const organizationId = ctx.organizationId;
    const evaluation = await deps.evaluator.evaluate(organizationId, framework, period);
    const key = await deps.reportKeys.current();
    const actorType = ctx.actor.type === 'agent' ? 'system' : ctx.actor.type;
    const unsigned = {
      type: 'aim.compliance_report' as const,
      version: 1 as const,
      id: newId('rpt'),
      organizationId,
      framework: { id: framework.id, name: framework.name, version: framework.version },
      period: { from: period.from.toISOString(), to: period.to.toISOString() },
      generatedAt: now().toISOString(),
      generatedBy: { type: actorType, id: ctx.actor.id },
      summary: evaluation.summary,
      controls: evaluation.controls,
      exceptions: evaluation.controls.flatMap((control) =>
        control.checks.filter((c) => c.status !== 'pass').map((c) => ({ controlId: control.id, checkId: c.id, status: c.status, summary: c.summary })),
      ),
      checkpoint: evaluation.checkpoint,
    };
    const signature = sign(null, reportSigningInput(unsigned), key.privateKey).toString('base64url');
    const document: ReportDocument = { ...unsigned, signature: { alg: 'EdDSA', kid: key.kid, value: signature } };
    const text = JSON.stringify(document);
    return db.transaction({ organizationId }, async (tx) => {
      const { rows } = await tx.query<ReportRow>(
        `insert into compliance_reports (id, organization_id, framework, period_from, period_to, status, controls_pass, controls_fail, controls_unknown,
                                         origin, generated_by_type, generated_by_id, document, kid, generated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
         on conflict (organization_id, framework, period_from, period_to) where origin = 'schedule' do nothing
         returning ${SUMMARY_COLUMNS}`,
        [document.id, orgOf(tx), framework.id, period.from, period.to, evaluation.summary.status, evaluation.summary.pass, evaluation.summary.fail,
          evaluation.summary.unknown, origin, actorType, ctx.actor.id, text, key.kid, document.generatedAt],
      );
      const row = rows[0];
      if (!row) return null;
      await recordAuditEvent(tx, ctx, {
        action: 'compliance.report_generated',
        target: { type: 'compliance_report', id: row.id },
        details: { framework: framework.id, from: document.period.from, to: document.period.to, status: row.status, origin, kid: key.kid },
      });
      return { report: summaryJson(row), document };
    });
  }

  async function stored(ctx: OrgContext, reportId: string) {
    const found = await db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
      const { rows } = await tx.query<ReportRow & { document: string }>(
        `select ${SUMMARY_COLUMNS}, document from compliance_reports where organization_id = $1 and id = $2`,
        [orgOf(tx), reportId],
      );
      return rows[0];
    });
    if (!found) throw new AppError('compliance_report_not_found', 'No compliance report of this organization has this id.');
    return found;
  }

  return {
    async create(ctx: OrgContext, input: z.output<typeof createComplianceReportSchema>) {
      frameworkOf(input.framework);
      const period = parsePeriod(input, now());
      return (await generate(ctx, input.framework, period, 'request'))!;
    },

    /** The monthly job's part for one organization: last calendar month (UTC), once per framework. */
    async generateMonthly(ctx: RequestContext, organizationId: string, frameworks: string[]): Promise<number> {
      const today = now();
      const to = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), 1));
      const from = new Date(Date.UTC(to.getUTCFullYear(), to.getUTCMonth() - 1, 1));
      const scope = { ...ctx, organizationId };
      let made = 0;
      for (const framework of frameworks) {
        const exists = await db.transaction({ organizationId }, async (tx) =>
          (await tx.query(`select 1 from compliance_reports where organization_id = $1 and framework = $2 and period_from = $3 and period_to = $4 and origin = 'schedule'`,
            [orgOf(tx), framework, from, to])).rowCount,
        );
        if (exists) continue;
        if (await generate(scope, framework, { from, to }, 'schedule')) made += 1;
      }
      return made;
    },

    async list(ctx: OrgContext, query: z.output<typeof complianceReportListQuerySchema>) {
      const rows = await db.transaction({ organizationId: ctx.organizationId }, async (tx) =>
        (await tx.query<ReportRow>(
          `select ${SUMMARY_COLUMNS} from compliance_reports where organization_id = $1 and ($2::text is null or framework = $2)
            order by generated_at desc, id desc limit $3`,
          [orgOf(tx), query.framework ?? null, query.limit],
        )).rows,
      );
      return { reports: rows.map(summaryJson) };
    },

    async get(ctx: OrgContext, reportId: string) {
      const row = await stored(ctx, reportId);
      return { report: summaryJson(row), document: JSON.parse(row.document) as ReportDocument };
    },

    /** The stored document as served: json byte for byte as signed and stored, csv or pdf rendered from it. */
    async download(ctx: OrgContext, reportId: string, format: 'json' | 'csv' | 'pdf') {
      const row = await stored(ctx, reportId);
      const base = `aim-${row.framework}-report-${row.id}`;
      if (format === 'json') return { body: row.document, type: 'application/json; charset=utf-8', filename: `${base}.json` };
      const doc = JSON.parse(row.document) as ReportDocument;
      if (format === 'csv') return { body: reportCsv(doc), type: 'text/csv; charset=utf-8', filename: `${base}.csv` };
      return { body: await reportPdf(doc), type: 'application/pdf', filename: `${base}.pdf` };
    },
  };
}

export type ComplianceReportService = ReturnType<typeof createComplianceReportService>;
