import type { NotificationKind } from '@aim/contracts';
import { alertRaisedLine, alertRaisedMail, type AlertRaisedPayload } from './alert-raised.js';
import { approvalRequestedLine, approvalRequestedMail, type ApprovalRequestedPayload } from './approval-requested.js';
import { capabilityRequestedLine, capabilityRequestedMail, type CapabilityRequestedPayload } from './capability-requested.js';
import { renderMail, type RenderedMail } from './layout.js';
import type { DashboardLinks } from './links.js';
import { webhookDisabledLine, webhookDisabledMail, type WebhookDisabledPayload } from './webhook-disabled.js';

export { dashboardLinks, type DashboardLinks } from './links.js';
export { escapeHtml, type RenderedMail } from './layout.js';
export { invitationMail } from './invitation.js';
export { accessReviewReminderMail, type AccessReviewReminderPayload } from './access-review-reminder.js';

/** The mail of one immediate notification (payloads are written by notification-scheduler.ts). */
export function notificationMail(kind: NotificationKind, payload: Record<string, unknown>, links: DashboardLinks): RenderedMail {
  switch (kind) {
    case 'approval_requested':
      return approvalRequestedMail(payload as unknown as ApprovalRequestedPayload, links);
    case 'capability_requested':
      return capabilityRequestedMail(payload as unknown as CapabilityRequestedPayload, links);
    case 'webhook_disabled':
      return webhookDisabledMail(payload as unknown as WebhookDisabledPayload, links);
    case 'alert':
      return alertRaisedMail(payload as unknown as AlertRaisedPayload, links);
  }
}

const SECTIONS: Record<NotificationKind, { heading: string; line: (p: Record<string, unknown>) => string; url: (p: Record<string, unknown>, l: DashboardLinks) => string }> = {
  approval_requested: {
    heading: 'Waiting for approval',
    line: (p) => approvalRequestedLine(p as unknown as ApprovalRequestedPayload),
    url: (p, l) => l.decision(String(p.decisionId)),
  },
  capability_requested: {
    heading: 'Capability requests',
    line: (p) => capabilityRequestedLine(p as unknown as CapabilityRequestedPayload),
    url: (_p, l) => l.capabilityRequests,
  },
  webhook_disabled: { heading: 'Webhook endpoints disabled', line: (p) => webhookDisabledLine(p as unknown as WebhookDisabledPayload), url: (_p, l) => l.webhooks },
  alert: { heading: 'Alerts', line: (p) => alertRaisedLine(p as unknown as AlertRaisedPayload), url: (p, l) => l.alert(String(p.alertId)) },
};

/** One person's daily digest: every waiting item, grouped by kind, each with its link. */
export function digestMail(organizationName: string, items: readonly { kind: NotificationKind; payload: Record<string, unknown> }[], links: DashboardLinks): RenderedMail {
  const kinds = [...new Set(items.map((i) => i.kind))];
  return renderMail({
    subject: `AIM daily digest for ${organizationName}: ${items.length} notification${items.length === 1 ? '' : 's'}`,
    heading: `Your daily digest for ${organizationName}`,
    paragraphs: [`What happened since your last digest that you chose to receive once a day.`],
    sections: kinds.map((kind) => ({
      heading: SECTIONS[kind].heading,
      items: items.filter((i) => i.kind === kind).map((i) => ({ text: SECTIONS[kind].line(i.payload), url: SECTIONS[kind].url(i.payload, links) })),
    })),
    footer: `You receive this digest because you chose it for some notifications in ${organizationName}.`,
    preferencesUrl: links.preferences,
  });
}
