import { renderMail, type RenderedMail } from './layout.js';
import { utcTime } from './links.js';

/** What an access review reminder shows (modules/access-reviews, the hourly `aim.access-reviews` job). */
export interface AccessReviewReminderPayload {
  organizationName: string;
  reviewName: string;
  deadline: string;
  pending: number;
  autoRevoke: boolean;
  /** The first few pending items, by name. */
  examples: readonly string[];
  /** The reviewer's inbox in the dashboard (absolute). */
  inboxUrl: string;
}

export function accessReviewReminderMail(p: AccessReviewReminderPayload): RenderedMail {
  const items = `${p.pending} item${p.pending === 1 ? '' : 's'}`;
  return renderMail({
    subject: `Access review "${p.reviewName}": ${items} waiting for you, due ${utcTime(p.deadline)}`,
    heading: `${items} of the access review "${p.reviewName}" wait for your decision`,
    paragraphs: [
      `For each, certify that the access is still needed, revoke it, or ask for a change, with a note.`,
      p.autoRevoke
        ? `At the deadline, access nobody has reviewed is revoked automatically.`
        : `At the deadline, items nobody has reviewed are reported as not reviewed.`,
    ],
    facts: [
      ['Organization', p.organizationName],
      ['Campaign', p.reviewName],
      ['Deadline', utcTime(p.deadline)],
      ['Waiting for you', String(p.pending)],
    ],
    ...(p.examples.length > 0
      ? { sections: [{ heading: p.pending > p.examples.length ? `Among them` : `The items`, items: p.examples.map((text) => ({ text })) }] }
      : {}),
    action: { label: 'Open your review inbox', url: p.inboxUrl },
    footer: `You receive this because you are a reviewer in an access review of ${p.organizationName}; at most one reminder a day per campaign.`,
  });
}
