import PDFDocument from 'pdfkit';
import type { complianceReportDocumentSchema } from '@aim/contracts';
import type { z } from 'zod';

export type ReportDocument = z.output<typeof complianceReportDocumentSchema>;

/** RFC 4180 field, with formula-looking cells defused for spreadsheets (the audit export's rule). */
export function csvField(value: unknown): string {
  let text = value === null || value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export const REPORT_CSV_COLUMNS = [
  'report_id', 'framework', 'period_from', 'period_to', 'control_id', 'control_title', 'control_status',
  'check_id', 'check_title', 'check_status', 'summary', 'evidence_query', 'evidence_counts', 'evidence_samples',
] as const;

/** One row per check of each control, CRLF line ends, a header row first. */
export function reportCsv(doc: ReportDocument): string {
  const lines = [REPORT_CSV_COLUMNS.join(',')];
  for (const control of doc.controls) {
    for (const check of control.checks) {
      lines.push(
        [
          doc.id, doc.framework.id, doc.period.from, doc.period.to, control.id, control.title, control.status,
          check.id, check.title, check.status, check.summary, check.evidence.query, check.evidence.counts, check.evidence.samples,
        ].map(csvField).join(','),
      );
    }
  }
  return `${lines.join('\r\n')}\r\n`;
}

const STATUS_LABEL = { pass: 'PASS', fail: 'FAIL', unknown: 'UNKNOWN (no evidence)' } as const;

/** The report for people: summary, exceptions, every control with its checks and evidence, the checkpoint and signature. */
export function reportPdf(doc: ReportDocument): Promise<Buffer> {
  const pdf = new PDFDocument({ size: 'A4', margin: 50, info: { Title: `AIM compliance report ${doc.id}`, Author: 'AIM', Subject: doc.framework.name } });
  const chunks: Buffer[] = [];
  pdf.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve, reject) => {
    pdf.on('end', () => resolve(Buffer.concat(chunks)));
    pdf.on('error', reject);
  });
  const text = (value: string, size = 10, font = 'Helvetica') => pdf.font(font).fontSize(size).text(value);
  text(`${doc.framework.name}`, 18, 'Helvetica-Bold');
  text(`Compliance report ${doc.id}`, 12);
  text(`Organization ${doc.organizationId} · period ${doc.period.from} to ${doc.period.to} (end exclusive)`);
  text(`Generated ${doc.generatedAt} by ${doc.generatedBy.type}${doc.generatedBy.id ? ` ${doc.generatedBy.id}` : ''}`);
  pdf.moveDown();
  text(`Overall: ${STATUS_LABEL[doc.summary.status]} — ${doc.summary.pass} controls pass, ${doc.summary.fail} fail, ${doc.summary.unknown} unknown`, 12, 'Helvetica-Bold');
  pdf.moveDown();
  text('Exceptions', 14, 'Helvetica-Bold');
  if (doc.exceptions.length === 0) text('None: every check passed.');
  for (const e of doc.exceptions) text(`${e.controlId} / ${e.checkId}: ${STATUS_LABEL[e.status]} — ${e.summary}`);
  pdf.moveDown();
  text('Controls', 14, 'Helvetica-Bold');
  for (const control of doc.controls) {
    pdf.moveDown(0.5);
    text(`${control.id} ${control.title}: ${STATUS_LABEL[control.status]}`, 11, 'Helvetica-Bold');
    for (const check of control.checks) {
      text(`• ${check.title} (${check.id}): ${STATUS_LABEL[check.status]}`, 10, 'Helvetica-Bold');
      text(`  ${check.summary}`);
      text(`  Evidence: ${check.evidence.query}. Counts: ${Object.entries(check.evidence.counts).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}`, 9);
      for (const sample of check.evidence.samples.slice(0, 5)) text(`    ${JSON.stringify(sample)}`, 8, 'Courier');
    }
  }
  pdf.moveDown();
  text('Audit checkpoint covering the period', 14, 'Helvetica-Bold');
  const c = doc.checkpoint;
  text(c ? `seq ${c.seq}, hash ${c.hash}, signed ${c.signedAt} by ${c.kid}, time-stamp ${c.tsaStatus ?? 'n/a'}` : 'None covers the end of the period.', 9);
  pdf.moveDown();
  text('Signature', 14, 'Helvetica-Bold');
  text(`Ed25519 by ${doc.signature.kid} over the RFC 8785 canonical JSON of the report without "signature". Verify the JSON download offline: aim-audit-verify --report report.json --keys aim-audit-keys.json --pin <fingerprint>`, 9);
  text(doc.signature.value, 8, 'Courier');
  pdf.end();
  return done;
}
