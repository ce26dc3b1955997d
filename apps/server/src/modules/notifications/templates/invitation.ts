import { renderMail, type RenderedMail } from './layout.js';
import { utcTime } from './links.js';

/** The invitation email (modules/invitations): the one-time link to join an organization. */
export function invitationMail(p: { email: string; role: string; link: string; expiresAt: Date }): RenderedMail {
  return renderMail({
    subject: 'You are invited to an organization on AIM',
    heading: 'You are invited to join an organization on AIM',
    paragraphs: [
      `You have been invited to join an organization on AIM as ${p.role}.`,
      `The link works once and expires on ${utcTime(p.expiresAt.toISOString())}. Join with a passkey, or sign in with ${p.email}.`,
    ],
    action: { label: 'Accept the invitation', url: p.link },
    footer: 'You receive this because someone invited this address. If you did not expect it, ignore this email.',
  });
}
