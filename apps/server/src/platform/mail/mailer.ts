import nodemailer from 'nodemailer';
import type { Logger } from 'pino';

/**
 * Outgoing mail. Through SMTP (nodemailer) when SMTP_URL is set; otherwise each message is written
 * to the log (its text part only), which is then the delivery channel (for example for an invitation
 * link), so an operator without mail can still hand the link over. Tests use an outbox, or a real
 * SMTP server (smtp-server) with SMTP_URL.
 */
export interface Mail {
  to: string;
  subject: string;
  /** The plain-text body (what the log shows without SMTP). */
  text: string;
  /** The HTML body, the same message (modules/notifications/templates). */
  html: string;
  /** Where a person changes what AIM mails them (sent as List-Unsubscribe). */
  preferencesUrl?: string | undefined;
}

export interface Mailer {
  send(mail: Mail): Promise<void>;
  readonly kind: 'smtp' | 'log' | 'outbox';
}

export function createMailer(options: { smtpUrl: string | undefined; from: string; logger: Pick<Logger, 'info'> }): Mailer {
  if (!options.smtpUrl) {
    return {
      kind: 'log',
      async send(mail) {
        options.logger.info({ mail: { to: mail.to, subject: mail.subject, text: mail.text } }, 'mail (SMTP_URL is not set, so it is written here)');
      },
    };
  }
  const transport = nodemailer.createTransport(withTimeouts(options.smtpUrl));
  return {
    kind: 'smtp',
    async send(mail) {
      await transport.sendMail({
        from: options.from,
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        ...(mail.preferencesUrl ? { list: { unsubscribe: { url: mail.preferencesUrl, comment: 'Notification preferences' } } } : {}),
      });
    },
  };
}

/**
 * nodemailer waits 2 minutes for a connection and 10 for a quiet socket by default; a mail server that
 * hangs would hold a sender that long. Bounded here, unless SMTP_URL names its own (`?socketTimeout=…`).
 */
const TIMEOUTS = { connectionTimeout: '10000', greetingTimeout: '10000', socketTimeout: '60000' };

export function withTimeouts(smtpUrl: string): string {
  const url = new URL(smtpUrl);
  for (const [key, value] of Object.entries(TIMEOUTS)) if (!url.searchParams.has(key)) url.searchParams.set(key, value);
  return url.href;
}

/** Collects messages instead of sending them (tests). */
export function createOutbox(): Mailer & { messages: Mail[] } {
  const messages: Mail[] = [];
  return {
    kind: 'outbox',
    messages,
    async send(mail) {
      messages.push(mail);
    },
  };
}
