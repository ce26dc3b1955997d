import { can, NOTIFICATION_KINDS, ROLES, type NotificationDelivery, type NotificationKind, type Permission, type Role } from '@aim/contracts';

/**
 * Who receives each kind, and the defaults. A kind goes to the people whose role holds its
 * permission (`can` from the one permission table): approvals to those who may approve, capability
 * requests to those who manage capabilities, disabled webhook endpoints to admins and the endpoint's
 * creator (while they may still manage webhooks), alerts to everyone who may read them (from the
 * lowest severity each person chose: high unless they changed it).
 */
export const KIND_PERMISSION: Record<NotificationKind, Permission> = {
  approval_requested: 'decision.approve',
  capability_requested: 'capability.manage',
  webhook_disabled: 'webhook.manage',
  alert: 'alert.read',
};

export type Severity = 'low' | 'medium' | 'high' | 'critical';

export interface KindPreference {
  delivery: NotificationDelivery;
  minSeverity: Severity | null;
}

export const DEFAULT_DIGEST_HOUR_UTC = 8;

export function defaultPreference(kind: NotificationKind): KindPreference {
  return { delivery: 'immediate', minSeverity: kind === 'alert' ? 'high' : null };
}

export const isEligible = (role: Role, kind: NotificationKind): boolean => can(role, KIND_PERMISSION[kind]);

/** The roles that receive a kind. */
export const rolesFor = (kind: NotificationKind): Role[] => ROLES.filter((role) => isEligible(role, kind));

/** A person's stored choice for a kind, or its default (stored JSON is read defensively). */
export function preferenceOf(stored: Record<string, unknown> | undefined, kind: NotificationKind): KindPreference {
  const fallback = defaultPreference(kind);
  const raw = stored?.[kind] as { delivery?: unknown; minSeverity?: unknown } | undefined;
  const delivery = ['immediate', 'digest', 'off'].includes(raw?.delivery as string) ? (raw!.delivery as NotificationDelivery) : fallback.delivery;
  const minSeverity = kind !== 'alert' ? null : ['low', 'medium', 'high', 'critical'].includes(raw?.minSeverity as string) ? (raw!.minSeverity as Severity) : fallback.minSeverity;
  return { delivery, minSeverity };
}

export { NOTIFICATION_KINDS };
