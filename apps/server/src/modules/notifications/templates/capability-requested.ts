import { renderMail, type RenderedMail } from './layout.js';
import { utcTime, type DashboardLinks } from './links.js';

/** What a capability request notification shows. */
export interface CapabilityRequestedPayload {
  organizationName: string;
  requestId: string;
  agentId: string;
  agentName: string;
  capabilityName: string;
  resourcePattern: string | null;
  reason: string;
  occurredAt: string;
}

export const capabilityRequestedLine = (p: CapabilityRequestedPayload) =>
  `${p.agentName} asks for ${p.capabilityName}${p.resourcePattern ? ` on ${p.resourcePattern}` : ''} (${utcTime(p.occurredAt)})`;

export function capabilityRequestedMail(p: CapabilityRequestedPayload, links: DashboardLinks): RenderedMail {
  return renderMail({
    subject: `Capability request: ${p.agentName} asks for ${p.capabilityName}`,
    heading: 'An agent asks for a capability',
    paragraphs: [`The agent ${p.agentName} in ${p.organizationName} asked for the capability ${p.capabilityName}. A manager or admin grants or rejects the request.`],
    facts: [
      ['Organization', p.organizationName],
      ['Agent', p.agentName],
      ['Capability', p.capabilityName],
      ['Resources', p.resourcePattern ?? 'any'],
      ['Reason', p.reason || '(none given)'],
      ['Asked at', utcTime(p.occurredAt)],
    ],
    action: { label: 'Review capability requests', url: links.capabilityRequests },
    footer: `You receive this because you manage capabilities in ${p.organizationName}.`,
    preferencesUrl: links.preferences,
  });
}
