import { z } from 'zod';

/**
 * Email notifications (docs/notifications.md): what AIM mails a person, and how. Each person chooses
 * per kind: every message as it happens, one daily digest, or nothing. Only kinds a person's role can
 * act on are sent to them (approvals go to those who may approve, and so on).
 */

export const NOTIFICATION_KINDS = ['approval_requested', 'capability_requested', 'webhook_disabled', 'alert'] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

export const NOTIFICATION_DELIVERIES = ['immediate', 'digest', 'off'] as const;
export type NotificationDelivery = (typeof NOTIFICATION_DELIVERIES)[number];

export const notificationKindSchema = z.enum(NOTIFICATION_KINDS).meta({
  id: 'NotificationKind',
  description:
    'approval_requested: an agent action waits for a person; capability_requested: an agent asks for a capability; webhook_disabled: AIM disabled a failing webhook endpoint; alert: an alert was raised (from your lowest severity; docs/monitoring.md)',
});

export const notificationDeliverySchema = z.enum(NOTIFICATION_DELIVERIES).meta({
  id: 'NotificationDelivery',
  description: 'immediate: one email per event; digest: gathered into one email a day; off: none',
});

export const notificationPreferenceSchema = z
  .object({
    kind: notificationKindSchema,
    delivery: notificationDeliverySchema,
    minSeverity: z.enum(['low', 'medium', 'high', 'critical']).nullable().describe('For alert: the lowest severity mailed (info alerts are never mailed); null for the other kinds'),
    eligible: z.boolean().describe('Whether your role in this organization receives this kind at all'),
  })
  .meta({ id: 'NotificationPreference' });

export const notificationPreferencesSchema = z
  .object({
    preferences: z.array(notificationPreferenceSchema).describe('One per kind, in a fixed order; defaults where you chose nothing'),
    digestHourUtc: z.number().int().min(0).max(23).describe('When the daily digest is sent (UTC hour)'),
  })
  .meta({ id: 'NotificationPreferences' });
export type NotificationPreferencesJson = z.infer<typeof notificationPreferencesSchema>;

export const updateNotificationPreferencesSchema = z
  .object({
    preferences: z
      .array(
        z.object({
          kind: notificationKindSchema,
          delivery: notificationDeliverySchema,
          minSeverity: z.enum(['low', 'medium', 'high', 'critical']).nullable().optional(),
        }),
      )
      .max(NOTIFICATION_KINDS.length)
      .optional()
      .refine((list) => !list || new Set(list.map((p) => p.kind)).size === list.length, { message: 'name each kind once' }),
    digestHourUtc: z.number().int().min(0).max(23).optional(),
  })
  .refine((value) => value.preferences !== undefined || value.digestHourUtc !== undefined, { message: 'change at least one field' })
  .meta({
    id: 'UpdateNotificationPreferences',
    examples: [{ preferences: [{ kind: 'approval_requested', delivery: 'immediate' }, { kind: 'capability_requested', delivery: 'digest' }] }],
  });
