import { renderMail, type RenderedMail } from './layout.js';
import { utcTime, type DashboardLinks } from './links.js';

/** What a disabled-endpoint notification shows. */
export interface WebhookDisabledPayload {
  organizationName: string;
  endpointId: string;
  url: string;
  reason: string;
  failingSince: string;
  occurredAt: string;
}

export const webhookDisabledLine = (p: WebhookDisabledPayload) => `Webhook endpoint ${p.url} was disabled (${utcTime(p.occurredAt)})`;

export function webhookDisabledMail(p: WebhookDisabledPayload, links: DashboardLinks): RenderedMail {
  return renderMail({
    subject: `Webhook endpoint disabled: ${p.url}`,
    heading: 'AIM disabled a failing webhook endpoint',
    paragraphs: [
      `Deliveries to ${p.url} in ${p.organizationName} kept failing, so AIM stopped sending to it. Events are no longer delivered there until someone enables the endpoint again.`,
      p.reason,
    ],
    facts: [
      ['Organization', p.organizationName],
      ['Endpoint', p.url],
      ['Failing since', utcTime(p.failingSince)],
      ['Disabled at', utcTime(p.occurredAt)],
      ['Endpoint id', p.endpointId],
    ],
    action: { label: 'Open webhooks', url: links.webhooks },
    footer: `You receive this because you created this endpoint or administer ${p.organizationName}.`,
    preferencesUrl: links.preferences,
  });
}
