import type { NotificationPreferencesJson, updateNotificationPreferencesSchema } from '@aim/contracts';
import type { z } from 'zod';
import { recordAuditEvent } from '../../platform/audit/audit-log.js';
import type { Database } from '../../platform/db/database.js';
import type { OrgContext } from '../../platform/http/operation.js';
import { DEFAULT_DIGEST_HOUR_UTC, isEligible, NOTIFICATION_KINDS, preferenceOf } from './notification-kinds.js';
import { notificationRepository } from './notification-repository.js';

/**
 * A person's notification preferences in the organization they act for: per kind, immediate, digest
 * or off (alerts with a lowest severity), and the hour of the daily digest. Kinds the person never
 * chose have their defaults; `eligible` says whether their role receives the kind at all.
 */
export function createNotificationPreferences(deps: { db: Database }) {
  const { db } = deps;

  /** The person behind the request (a signed-in person: the operation admits sessions only). */
  const personOf = (ctx: OrgContext): string => {
    if (!ctx.personId) throw new Error('notification preferences belong to a person');
    return ctx.personId;
  };

  function toJson(ctx: OrgContext, stored: Record<string, unknown> | undefined, digestHourUtc: number): NotificationPreferencesJson {
    return {
      preferences: NOTIFICATION_KINDS.map((kind) => ({ kind, ...preferenceOf(stored, kind), eligible: isEligible(ctx.role, kind) })),
      digestHourUtc,
    };
  }

  return {
    async get(ctx: OrgContext): Promise<NotificationPreferencesJson> {
      const userId = personOf(ctx);
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const row = (await notificationRepository.settings(tx, [userId])).get(userId);
        return toJson(ctx, row?.preferences, row?.digest_hour_utc ?? DEFAULT_DIGEST_HOUR_UTC);
      });
    },

    /** Change some kinds and/or the digest hour; the rest stays. The change and its audit event in one transaction. */
    async update(ctx: OrgContext, input: z.output<typeof updateNotificationPreferencesSchema>): Promise<NotificationPreferencesJson> {
      const userId = personOf(ctx);
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const row = (await notificationRepository.settings(tx, [userId])).get(userId);
        const stored: Record<string, unknown> = { ...(row?.preferences ?? {}) };
        for (const change of input.preferences ?? []) {
          const current = preferenceOf(stored, change.kind);
          stored[change.kind] = {
            delivery: change.delivery,
            minSeverity: change.kind === 'alert' ? (change.minSeverity ?? current.minSeverity) : null,
          };
        }
        const digestHourUtc = input.digestHourUtc ?? row?.digest_hour_utc ?? DEFAULT_DIGEST_HOUR_UTC;
        await notificationRepository.saveSettings(tx, userId, stored, digestHourUtc);
        await recordAuditEvent(tx, ctx, {
          action: 'notification_preferences.update',
          target: { type: 'user', id: userId },
          details: {
            preferences: (input.preferences ?? []).map((p) => ({ kind: p.kind, delivery: p.delivery, minSeverity: preferenceOf(stored, p.kind).minSeverity })),
            ...(input.digestHourUtc !== undefined ? { digestHourUtc } : {}),
          },
        });
        return toJson(ctx, stored, digestHourUtc);
      });
    },
  };
}

export type NotificationPreferences = ReturnType<typeof createNotificationPreferences>;
