import type { Logger } from 'pino';
import type { Database } from '../../platform/db/database.js';
import type { Mailer } from '../../platform/mail/mailer.js';
import type { UserRepository } from '../users/index.js';
import { organizationRepository } from '../organizations/index.js';
import { notificationRepository, type NotificationRow } from './notification-repository.js';
import { dashboardLinks, digestMail, notificationMail, type RenderedMail } from './templates/index.js';

/** Attempts of one immediate notification before it is given up (`failed`). */
export const MAX_ATTEMPTS = 8;
/** How long a claim holds a notification: a sender that dies mid-send leaves it to be retried after this. */
const LEASE_SECONDS = 300;
const BATCH = 50;

/** Seconds before the next attempt after `attempts` failures: 30 s, 1, 2, 4 … minutes, at most an hour. */
export const retryDelaySeconds = (attempts: number): number => Math.min(3600, 30 * 2 ** Math.max(0, attempts - 1));

/** A failure as stored and logged: the error's code and SMTP reply code, never an address or a credential. */
function describeFailure(error: unknown): string {
  const e = error as { code?: unknown; responseCode?: unknown; command?: unknown };
  const parts = [typeof e.code === 'string' ? e.code : 'error'];
  if (typeof e.responseCode === 'number') parts.push(`SMTP ${e.responseCode}`);
  if (typeof e.command === 'string') parts.push(`during ${e.command.split(' ')[0]}`);
  return parts.join(' ');
}

/**
 * Mails what the scheduler wrote. Immediate notifications: every `intervalMs` and when nudged, each
 * organization with due ones (a SECURITY DEFINER look across organizations) is served in its own
 * transactions: claim, send, record the outcome; a failure is retried with back-off, given up after
 * MAX_ATTEMPTS. The digest: per organization, one email per person whose hour has come, at most one
 * per person and UTC day (notification_digests), sent while their items are locked.
 */
export function createNotificationSender(deps: {
  db: Database;
  users: UserRepository;
  mailer: Mailer;
  publicBaseUrl: () => string;
  logger: Pick<Logger, 'warn' | 'error' | 'info'>;
  intervalMs?: number;
}) {
  const { db, users, mailer, logger } = deps;
  const links = () => dashboardLinks(deps.publicBaseUrl());

  async function send(to: string, mail: RenderedMail): Promise<void> {
    await mailer.send({ to, subject: mail.subject, text: mail.text, html: mail.html, preferencesUrl: mail.preferencesUrl });
  }

  /** One organization's due immediate notifications, a batch at a time. The number sent. */
  async function sendDueIn(organizationId: string): Promise<number> {
    let sent = 0;
    for (;;) {
      const claimed = await db.transaction({ organizationId }, async (tx) => {
        const rows = await notificationRepository.claimDue(tx, BATCH, LEASE_SECONDS);
        const out: { row: NotificationRow; email: string }[] = [];
        const gone: string[] = [];
        for (const row of rows) {
          // Read in the organization's scope: someone who left it is no longer visible, and gets nothing.
          const user = await users.get(tx, row.user_id);
          if (!user || user.status !== 'active') gone.push(row.id);
          else out.push({ row, email: user.email });
        }
        await notificationRepository.markCancelled(tx, gone, 'the person left the organization or is disabled');
        return { out, total: rows.length };
      });
      const delivered: string[] = [];
      const failed: { row: NotificationRow; error: string }[] = [];
      for (const { row, email } of claimed.out) {
        try {
          await send(email, notificationMail(row.kind, row.payload, links()));
          delivered.push(row.id);
        } catch (error) {
          failed.push({ row, error: describeFailure(error) });
        }
      }
      await db.transaction({ organizationId }, async (tx) => {
        await notificationRepository.markSent(tx, delivered);
        for (const { row, error } of failed) {
          const retry = row.attempts >= MAX_ATTEMPTS ? null : retryDelaySeconds(row.attempts);
          await notificationRepository.markFailed(tx, row.id, error, retry);
          const log = { organizationId, notificationId: row.id, kind: row.kind, attempts: row.attempts, error };
          if (retry === null) logger.error(log, 'notification email given up');
          else logger.warn({ ...log, retryInSeconds: retry }, 'notification email failed; retrying later');
        }
      });
      sent += delivered.length;
      if (claimed.total < BATCH || failed.length > 0) return sent;
    }
  }

  /** Every organization's due immediate notifications. */
  async function sendDue(): Promise<number> {
    const { rows } = await db.query<{ organization_id: string }>('select organization_id from aim_notifications_due_organizations()');
    let sent = 0;
    for (const { organization_id: organizationId } of rows) {
      try {
        sent += await sendDueIn(organizationId);
      } catch (error) {
        logger.error({ err: error, organizationId }, 'sending notifications failed');
      }
    }
    return sent;
  }

  /** One organization's digests due at `at` (the hourly job). The number of digests sent. */
  async function sendDigests(organizationId: string, at: Date = new Date()): Promise<number> {
    const day = at.toISOString().slice(0, 10);
    const people = await db.transaction({ organizationId }, (tx) => notificationRepository.digestDue(tx, at.getUTCHours(), day));
    let sent = 0;
    let failures = 0;
    for (const userId of people) {
      const done = await db.transaction({ organizationId }, async (tx) => {
        const items = await notificationRepository.digestItems(tx, userId, at);
        if (items.length === 0) return false;
        const user = await users.get(tx, userId);
        if (!user || user.status !== 'active') {
          await notificationRepository.markCancelled(tx, items.map((i) => i.id), 'the person left the organization or is disabled');
          return false;
        }
        if (!(await notificationRepository.recordDigest(tx, userId, day, items.length))) return false;
        const organizationName = (await organizationRepository.current(tx))?.name ?? organizationId;
        // Sent inside the transaction: a failure rolls the digest back, and a later run of the day tries again.
        await send(user.email, digestMail(organizationName, items, links()));
        await notificationRepository.markSent(tx, items.map((i) => i.id));
        return true;
      }).catch((error: unknown) => {
        failures++;
        logger.warn({ organizationId, userId, error: describeFailure(error) }, 'digest email failed; a later run today tries again');
        return false;
      });
      if (done) sent++;
    }
    if (failures > 0) throw new Error(`${failures} digest email(s) failed`);
    return sent;
  }

  // The worker: a pass every intervalMs, and one soon after a nudge (passes never overlap).
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  let again = false;
  let stopped = true;

  function pass(): void {
    if (running) {
      again = true;
      return;
    }
    running = sendDue()
      .then(() => undefined, (error: unknown) => logger.error({ err: error }, 'notification sender pass failed'))
      .finally(() => {
        running = null;
        if (again && !stopped) {
          again = false;
          pass();
        }
      });
  }

  return {
    sendDue,
    sendDigests,
    /** Something was scheduled: send it soon (on this instance). */
    nudge(): void {
      if (!stopped) pass();
    },
    start(): void {
      if (!stopped) return;
      stopped = false;
      timer = setInterval(pass, deps.intervalMs ?? 15_000);
      timer.unref();
      pass();
    },
    async stop(): Promise<void> {
      stopped = true;
      if (timer) clearInterval(timer);
      timer = null;
      await running;
    },
  };
}

export type NotificationSender = ReturnType<typeof createNotificationSender>;
