import { renderMail, type RenderedMail } from './layout.js';
import { utcTime, type DashboardLinks } from './links.js';

/** What an approval notification shows: the pending decision, its agent and action. */
export interface ApprovalRequestedPayload {
  organizationName: string;
  decisionId: string;
  agentId: string;
  agentName: string;
  action: string;
  occurredAt: string;
}

export const approvalRequestedLine = (p: ApprovalRequestedPayload) => `${p.agentName} asks to ${p.action} (${utcTime(p.occurredAt)})`;

export function approvalRequestedMail(p: ApprovalRequestedPayload, links: DashboardLinks): RenderedMail {
  return renderMail({
    subject: `Approval needed: ${p.agentName} asks to ${p.action}`,
    heading: 'An agent action waits for your approval',
    paragraphs: [`The agent ${p.agentName} asked to ${p.action} in ${p.organizationName}, and a policy requires a person to approve it. It waits until someone approves or rejects it, or it expires.`],
    facts: [
      ['Organization', p.organizationName],
      ['Agent', p.agentName],
      ['Action', p.action],
      ['Asked at', utcTime(p.occurredAt)],
      ['Decision', p.decisionId],
    ],
    action: { label: 'Review the decision', url: links.decision(p.decisionId) },
    footer: `You receive this because you may approve decisions in ${p.organizationName}.`,
    preferencesUrl: links.preferences,
  });
}
