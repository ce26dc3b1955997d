// The public surface of modules/notifications for other modules (ARCHITECTURE.md "Boundaries").
export { invitationMail } from './templates/index.js';
/** The access review reminder (modules/access-reviews). */
export { accessReviewReminderMail, type AccessReviewReminderPayload } from './templates/index.js';
export { deleteNotificationsOf } from './notification-erasure.js';
