import type { DomainEvent } from '../../platform/events/domain-events.js';

/** Who watches a live stream: their organization, and what their role may read. */
export interface LiveViewer {
  organizationId: string;
  /** May read the audit log (`audit.read`): `change` messages list the events. */
  auditor: boolean;
  /** May read decisions (`decision.read`): `decision` messages. */
  decisions: boolean;
}

/** One server-sent event: its name and data. */
export interface LiveMessage {
  event: 'change' | 'decision';
  data: Record<string, unknown>;
}

/**
 * What a domain event shows on a viewer's live stream (GET /api/v1/events), or null:
 *
 * - `change`: `{ topics, count, events? }` for every committed change, once the audit log chained it
 *   (`audit.appended`). `topics` are the kinds of thing that changed (`agent`, `decision`…), which every
 *   member may know; `events` (action, target and actor type of each) only for audit readers.
 * - `decision`: a new or resolved decision, for those who may read decisions.
 *
 * Another organization's events show nothing. Typed from the event union: no casts.
 */
export function liveMessage(event: DomainEvent, viewer: LiveViewer): LiveMessage | null {
  if (event.organizationId !== viewer.organizationId) return null;
  switch (event.type) {
    case 'audit.appended': {
      const { events, count } = event.data;
      const topics = [...new Set(events.map((x) => x.targetType ?? x.action.split('.')[0]!))];
      return { event: 'change', data: { topics, count, ...(viewer.auditor ? { events } : {}) } };
    }
    case 'decision.created':
    case 'decision.resolved':
      return viewer.decisions ? { event: 'decision', data: { type: event.type, ...event.data } } : null;
    default:
      return null;
  }
}
