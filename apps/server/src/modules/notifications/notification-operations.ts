import { notificationPreferencesSchema, updateNotificationPreferencesSchema } from '@aim/contracts';
import { defineOperation, type Feature } from '../../platform/http/operation.js';
import { notificationJobs } from './notification-jobs.js';
import type { NotificationService } from './notification-service.js';

export interface NotificationFeatureDeps {
  notifications: NotificationService;
}

/**
 * Email notifications (docs/notifications.md): a person's preferences in the organization they act
 * for, and the background work — the subscription that schedules, the sender, the daily digest.
 */
export function notificationFeature({ notifications }: NotificationFeatureDeps): Feature {
  return {
    name: 'notifications',
    operations: [
      defineOperation({
        method: 'GET',
        path: '/api/v1/me/notification-preferences',
        tag: 'me',
        summary: 'Your email notification preferences in this organization',
        description: 'One entry per kind (defaults where you chose nothing), with whether your role receives it, and the hour of your daily digest.',
        access: { auth: 'org', permission: 'organization.read', peopleOnly: true },
        responses: { 200: notificationPreferencesSchema },
        handle: ({ ctx }) => notifications.preferences.get(ctx),
      }),

      defineOperation({
        method: 'PUT',
        path: '/api/v1/me/notification-preferences',
        tag: 'me',
        summary: 'Change your email notification preferences in this organization',
        description: 'Kinds you do not name keep their current choice. `minSeverity` applies to alerts only.',
        access: { auth: 'org', permission: 'organization.read', peopleOnly: true },
        body: updateNotificationPreferencesSchema,
        responses: { 200: notificationPreferencesSchema },
        handle: ({ ctx, body }) => notifications.preferences.update(ctx, body),
      }),
    ],
    jobs: notificationJobs({ notifications }),
    subscriptions: [notifications.subscription],
    start: () => notifications.start(),
    stop: () => notifications.stop(),
  };
}
