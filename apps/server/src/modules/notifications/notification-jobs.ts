import type { FeatureJob } from '../../platform/jobs/feature-jobs.js';
import type { NotificationService } from './notification-service.js';

/** The daily digest: every hour, each person whose digest hour has come gets one email (once a UTC day). */
export function notificationJobs(deps: { notifications: Pick<NotificationService, 'sendDigests'> }): FeatureJob[] {
  return [
    {
      name: 'aim.notification-digest',
      cron: '0 * * * *',
      perOrganization: {
        organizations: 'aim_notification_digest_organizations',
        describe: 'sending notification digests',
        run: async (_ctx, organizationId) => void (await deps.notifications.sendDigests(organizationId)),
      },
    },
  ];
}
