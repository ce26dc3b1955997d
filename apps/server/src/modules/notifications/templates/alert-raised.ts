import type { AlertSeverity } from '@aim/contracts';
import { renderMail, type RenderedMail } from './layout.js';
import { utcTime, type DashboardLinks } from './links.js';

/** What an alert notification shows (written by notification-scheduler.ts from alert.raised and the alert's evidence). */
export interface AlertRaisedPayload {
  organizationName: string;
  occurredAt: string;
  alertId: string;
  type: string;
  severity: AlertSeverity;
  title: string;
  summary: string;
  subjectType: 'agent' | 'mcp_server' | 'user' | 'organization';
  subjectId: string;
  /** The subject's name when it was raised (the agent's name), else its id. */
  subjectName: string;
  /** The evidence's numbers, when the alert could still be read. */
  evidence: { observed: number; baseline: number | null; threshold: number; unit: string; from: string; to: string } | null;
}

const SUBJECT_LABELS: Record<AlertRaisedPayload['subjectType'], string> = { agent: 'Agent', mcp_server: 'MCP server', user: 'Person', organization: 'Organization' };

/** A number as people read it: whole numbers as they are, others to two decimals. */
const figure = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(2));

export const alertRaisedLine = (p: AlertRaisedPayload) => `[${p.severity}] ${p.title}: ${p.subjectName} (${utcTime(p.occurredAt)})`;

export function alertRaisedMail(p: AlertRaisedPayload, links: DashboardLinks): RenderedMail {
  const subject = `${SUBJECT_LABELS[p.subjectType]} ${p.subjectName}`;
  const facts: [string, string][] = [
    ['Organization', p.organizationName],
    ['Severity', p.severity],
    ['Subject', p.subjectName === p.subjectId ? subject : `${subject} (${p.subjectId})`],
    ['Detector', p.type],
  ];
  if (p.evidence) {
    const e = p.evidence;
    facts.push(
      ['Observed', `${figure(e.observed)} ${e.unit}`],
      ['Threshold', `${figure(e.threshold)} ${e.unit}`],
      ['Baseline', e.baseline === null ? 'none (a rule, not a baseline)' : `${figure(e.baseline)} ${e.unit}`],
      ['Window', `${utcTime(e.from)} to ${utcTime(e.to)}`],
    );
  }
  facts.push(['Raised at', utcTime(p.occurredAt)], ['Alert', p.alertId]);
  return renderMail({
    subject: `[${p.severity}] ${p.title}: ${p.subjectName}`,
    heading: `A ${p.severity} alert about ${subject.charAt(0).toLowerCase()}${subject.slice(1)}`,
    paragraphs: [
      p.summary,
      'Open the alert for the evidence behind it (the decisions and audit events it links to) and to acknowledge, assign or resolve it.',
    ],
    facts,
    action: { label: 'Open the alert', url: links.alert(p.alertId) },
    footer: `You receive this because you may read alerts in ${p.organizationName} and chose alerts from this severity.`,
    preferencesUrl: links.preferences,
  });
}
