import type { Logger } from 'pino';
import type { SharedStore } from '../store/shared-store.js';

/**
 * Domain events: facts other features react to (a decision was taken or resolved, a violation was
 * recorded). Published after the transaction that stored them commits, through the shared store's
 * pub/sub, so every instance hears them (one subscription per process, fanned out locally).
 *
 * They are notifications, not the record: what they announce is already in the database, and a
 * consumer that must not miss anything (trust scoring) reads it from there.
 */
export interface DomainEventMap {
  'decision.created': { decisionId: string; agentId: string; action: string; decision: 'allow' | 'deny' | 'pending'; flagged: boolean };
  'decision.resolved': { decisionId: string; agentId: string; decision: 'allow' | 'deny'; status: 'approved' | 'rejected' | 'expired' | 'withdrawn' | 'invalidated' };
  'violation.recorded': { violationId: string; decisionId: string; agentId: string; rule: string; policyId: string | null; severity: string };
  /** Audit events just chained: every committed change, in order (at most 100 listed, `count` in all). */
  'audit.appended': { count: number; events: { id: string; action: string; targetType: string | null; targetId: string | null; actorType: string }[] };
  /** New trust evidence other than decisions (a rating, review, incident, attestation, status or profile change). */
  'trust.evidence': { agentId: string; kind: string };
  /** A recalculation changed an agent's score or tier. */
  'trust.changed': { agentId: string; scoreId: string; score: number | null; tier: string; previousScore: number | null; previousTier: string };
  /** An agent's score fell more than the alert threshold below its highest score of the last hour. */
  'trust.dropped': { agentId: string; scoreId: string; score: number | null; highestInHour: number; drop: number };
}

export type DomainEventType = keyof DomainEventMap;

export interface DomainEvent<T extends DomainEventType = DomainEventType> {
  type: T;
  organizationId: string;
  at: string;
  data: DomainEventMap[T];
}

type Listener = (event: DomainEvent) => void;

const CHANNEL = 'aim:domain-events';

export function createDomainEvents(store: SharedStore, logger: Logger) {
  const listeners = new Set<Listener>();
  let subscription: Promise<() => Promise<void>> | null = null;

  function deliver(message: string) {
    let event: DomainEvent;
    try {
      event = JSON.parse(message) as DomainEvent;
    } catch {
      return;
    }
    for (const listener of listeners) {
      try {
        listener(event);
      } catch (error) {
        logger.warn({ err: error, type: event.type }, 'domain event listener failed');
      }
    }
  }

  return {
    /** Announce a committed fact to every instance. A failure is logged, never thrown: the fact is stored. */
    async publish<T extends DomainEventType>(organizationId: string, type: T, data: DomainEventMap[T]): Promise<void> {
      const event: DomainEvent<T> = { type, organizationId, at: new Date().toISOString(), data };
      await store.publish(CHANNEL, JSON.stringify(event)).catch((error: unknown) => logger.warn({ err: error, type }, 'domain event not published'));
    },

    /** Listen to every event from every instance; resolves once listening. Returns the function that stops it. */
    async listen(listener: Listener): Promise<() => void> {
      if (!subscription) {
        const pending = store.subscribe(CHANNEL, deliver);
        subscription = pending;
        pending.catch(() => {
          if (subscription === pending) subscription = null;
        });
      }
      await subscription;
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    async close(): Promise<void> {
      listeners.clear();
      const unsubscribe = subscription;
      subscription = null;
      if (unsubscribe) await (await unsubscribe)().catch(() => undefined);
    },
  };
}

export type DomainEvents = ReturnType<typeof createDomainEvents>;
