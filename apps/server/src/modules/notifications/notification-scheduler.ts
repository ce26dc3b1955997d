import { severityAtLeast, type AlertSeverity, type NotificationKind } from '@aim/contracts';
import type { Database, Tx } from '../../platform/db/database.js';
import type { DomainEvent, EventSubscription } from '../../platform/events/domain-events.js';
import { agentRepository } from '../agents/index.js';
import { organizationRepository } from '../organizations/index.js';
import { preferenceOf, rolesFor } from './notification-kinds.js';
import { notificationRepository, type Recipient } from './notification-repository.js';

/**
 * Turns domain events into scheduled notifications, one per person, event and kind (a repeated
 * delivery of the event inserts nothing: unique (user_id, event_id, kind)). It only writes rows;
 * the sender mails them (notification-sender.ts). Each person's preference picks immediate or digest,
 * or skips them (off); alerts go only to those whose lowest severity they reach.
 */
type Scheduled = { kind: NotificationKind; payload: Record<string, unknown>; severity?: AlertSeverity };

export function createNotificationScheduler(deps: { db: Database; onScheduled: () => void }) {
  const { db } = deps;

  /** What the mail will show, read now (names may change later; the mail tells what was true then). */
  async function payloadOf(tx: Tx, event: DomainEvent): Promise<Scheduled | null> {
    const organizationName = (await organizationRepository.current(tx))?.name ?? event.organizationId;
    const base = { organizationName, occurredAt: event.occurredAt };
    switch (event.type) {
      case 'decision.created': {
        if (event.data.decision !== 'pending') return null;
        const agentName = (await agentRepository.find(tx, event.data.agentId))?.name ?? event.data.agentId;
        return { kind: 'approval_requested', payload: { ...base, decisionId: event.data.decisionId, agentId: event.data.agentId, agentName, action: event.data.action } };
      }
      case 'capability.requested': {
        const agentName = (await agentRepository.find(tx, event.data.agentId))?.name ?? event.data.agentId;
        const { requestId, agentId, capabilityName, resourcePattern, reason } = event.data;
        return { kind: 'capability_requested', payload: { ...base, requestId, agentId, agentName, capabilityName, resourcePattern, reason } };
      }
      case 'webhook.disabled': {
        const { endpointId, url, reason, failingSince } = event.data;
        return { kind: 'webhook_disabled', payload: { ...base, endpointId, url, reason, failingSince } };
      }
      case 'alert.raised': {
        const { alertId, type, severity, title, summary, subject } = event.data;
        const subjectName =
          subject.type === 'agent' ? ((await agentRepository.find(tx, subject.id))?.name ?? subject.id) : subject.type === 'organization' ? organizationName : subject.id;
        const evidence = await notificationRepository.alertEvidence(tx, alertId);
        const payload = { ...base, alertId, type, severity, title, summary, subjectType: subject.type, subjectId: subject.id, subjectName, evidence };
        return { kind: 'alert', payload, severity };
      }
      default:
        return null;
    }
  }

  /** Who receives the kind: the roles that hold its permission; a disabled endpoint goes to admins and its creator. */
  async function recipientsOf(tx: Tx, kind: NotificationKind, event: DomainEvent): Promise<Recipient[]> {
    if (event.type !== 'webhook.disabled') return notificationRepository.members(tx, rolesFor(kind));
    const admins = await notificationRepository.members(tx, ['admin']);
    // The endpoint's creator (webhook_endpoints, modules/webhooks' table: read here, ARCHITECTURE.md "Boundaries").
    const { rows } = await tx.query<{ created_by_id: string }>(
      `select created_by_id from webhook_endpoints where organization_id = $1 and id = $2 and created_by_type = 'user'`,
      [event.organizationId, event.data.endpointId],
    );
    const creator = rows[0] ? await notificationRepository.members(tx, rolesFor(kind), [rows[0].created_by_id]) : [];
    const seen = new Set(admins.map((r) => r.userId));
    return [...admins, ...creator.filter((r) => !seen.has(r.userId))];
  }

  async function schedule(event: DomainEvent): Promise<void> {
    if (event.type === 'decision.created' && event.data.decision !== 'pending') return;
    const inserted = await db.transaction({ organizationId: event.organizationId }, async (tx) => {
      const what = await payloadOf(tx, event);
      if (!what) return 0;
      const recipients = await recipientsOf(tx, what.kind, event);
      const settings = await notificationRepository.settings(
        tx,
        recipients.map((r) => r.userId),
      );
      const items = recipients.flatMap((r) => {
        const { delivery, minSeverity } = preferenceOf(settings.get(r.userId)?.preferences, what.kind);
        if (what.severity && (minSeverity === null || !severityAtLeast(what.severity, minSeverity))) return [];
        return delivery === 'off' ? [] : [{ userId: r.userId, eventId: event.id, kind: what.kind, mode: delivery, payload: what.payload }];
      });
      return notificationRepository.schedule(tx, items);
    });
    if (inserted > 0) deps.onScheduled();
  }

  const subscription: EventSubscription = {
    name: 'notifications',
    types: ['decision.created', 'capability.requested', 'webhook.disabled', 'alert.raised'],
    handle: schedule,
  };
  return { subscription, schedule };
}
