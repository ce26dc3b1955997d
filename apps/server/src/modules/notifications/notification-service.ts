import type { Logger } from 'pino';
import type { Database } from '../../platform/db/database.js';
import type { Mailer } from '../../platform/mail/mailer.js';
import type { UserRepository } from '../users/index.js';
import { createNotificationPreferences } from './notification-preferences.js';
import { createNotificationScheduler } from './notification-scheduler.js';
import { createNotificationSender } from './notification-sender.js';

/**
 * Email notifications (docs/notifications.md): preferences, the subscription that schedules, and
 * the sender that mails (immediately, with retries, or in the daily digest).
 */
export function createNotificationService(deps: {
  db: Database;
  users: UserRepository;
  mailer: Mailer;
  publicBaseUrl: () => string;
  logger: Pick<Logger, 'warn' | 'error' | 'info'>;
}) {
  const sender = createNotificationSender(deps);
  const scheduler = createNotificationScheduler({ db: deps.db, onScheduled: () => sender.nudge() });
  const preferences = createNotificationPreferences({ db: deps.db });
  return {
    preferences,
    subscription: scheduler.subscription,
    /** Schedule one event's notifications now (the subscription does this for every dispatched event). */
    schedule: scheduler.schedule,
    sendDue: sender.sendDue,
    sendDigests: sender.sendDigests,
    start: sender.start,
    stop: sender.stop,
  };
}

export type NotificationService = ReturnType<typeof createNotificationService>;
