import type { Logger } from 'pino';
import {
  DOMAIN_EVENT_VERSIONS,
  domainEventSchema,
  eventTypeMatches,
  type DomainEventData,
  type DomainEventOf,
  type DomainEventType,
} from '@aim/contracts';
import type { Database, Tx } from '../db/database.js';
import type { Metrics } from '../observability/metrics.js';
import type { SharedStore } from '../store/shared-store.js';
import { newId } from '../ids.js';
import { createEventDispatcher, type DispatcherOptions } from './event-dispatcher.js';

/**
 * Domain events: facts other features react to (docs/events.md; the contract is
 * packages/contracts/src/events.ts). A change records its events with `record(tx, …)` in its own
 * transaction (the outbox, event_outbox), so an event exists exactly when its change committed. The
 * dispatcher (event-dispatcher.ts) then delivers each one at least once, in commit order per
 * organization: to the in-process subscriptions features declare (`Feature.subscriptions`), on the
 * instance that dispatches it, and to the shared pub/sub, where every instance's `listen`ers (the
 * live stream, long-poll wake-ups) hear it.
 */
export type { DomainEventType, DomainEventData } from '@aim/contracts';
/** Every domain event (the union), or one type's, narrowed. */
export type DomainEvent<T extends DomainEventType = DomainEventType> = DomainEventOf<T>;

/**
 * An in-process consumer of events, declared by the feature that owns it. `types` are exact types or
 * prefixes (`trust.*`). It runs on the instance that dispatches the event, before the event is
 * marked delivered: a throw delivers the event again later (with every later event of the
 * organization waiting behind it), so a handler must tolerate a repeat and should only schedule
 * long work, not do it.
 *
 * `handle` takes one event at a time, in order. `handleBatch` takes the matching events of a whole
 * dispatch batch of one organization at once, in order (one statement for many events: the webhook
 * fan-out); a throw delivers the whole batch again. A subscription declares one of the two.
 */
export type EventSubscription = {
  name: string;
  types: readonly string[];
} & (
  | { handle(event: DomainEvent): Promise<void> | void; handleBatch?: never }
  | { handleBatch(events: readonly DomainEvent[]): Promise<void>; handle?: never }
);

type Listener = (event: DomainEvent) => void;

const CHANNEL = 'aim:domain-events';
const INSERT_SQL = `insert into event_outbox (id, organization_id, type, version, occurred_at, data) values ($1, $2, $3, $4, $5, $6)`;

/**
 * For a statement that writes a change and its events at once (the decision endpoint): the insert of
 * the events `stage` prepared, read from the jsonb parameter `$n`.
 */
export const outboxInsertFrom = (param: string) =>
  `insert into event_outbox (id, organization_id, type, version, occurred_at, data)
   select e.id, e.organization_id, e.type, e.version, e.occurred_at, e.data
     from jsonb_to_recordset(${param}::jsonb) as e(id text, organization_id text, type text, version integer, occurred_at timestamptz, data jsonb)`;

/** One event to record: its type and data. */
export type EventDraft = { [T in DomainEventType]: { type: T; data: DomainEventData<T> } }[DomainEventType];

/** A checked event of the transaction's organization, with a fresh id. */
function build<T extends DomainEventType>(tx: Tx, type: T, data: DomainEventData<T>): DomainEvent<T> {
  if (!tx.organizationId) throw new Error('A domain event is recorded in a transaction scoped to its organization.');
  return domainEventSchema.parse({
    id: newId('dev'),
    type,
    version: DOMAIN_EVENT_VERSIONS[type],
    organizationId: tx.organizationId,
    occurredAt: new Date().toISOString(),
    data,
  }) as DomainEvent<T>;
}

export function createDomainEvents(deps: { db: Database; store: SharedStore; logger: Logger; metrics?: Metrics | undefined; dispatcher?: DispatcherOptions }) {
  const { store, logger } = deps;
  const listeners = new Set<Listener>();
  const subscriptions: EventSubscription[] = [];
  let subscription: Promise<() => Promise<void>> | null = null;

  function hear(message: string) {
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

  const matches = (s: EventSubscription, type: string) => s.types.some((pattern) => eventTypeMatches(pattern, type));

  /** One event to this instance's one-at-a-time subscriptions, in turn. */
  async function deliver(event: DomainEvent): Promise<void> {
    for (const s of subscriptions) {
      if (s.handle && matches(s, event.type)) await s.handle(event);
    }
  }

  /** A batch of one organization's events to this instance's batch subscriptions, each given those it takes. */
  async function deliverBatch(events: readonly DomainEvent[]): Promise<void> {
    for (const s of subscriptions) {
      if (!s.handleBatch) continue;
      const taken = events.filter((e) => matches(s, e.type));
      if (taken.length > 0) await s.handleBatch(taken);
    }
  }

  /** One event to every instance through the shared pub/sub (sent in order; the dispatcher awaits a batch's at once). */
  const broadcast = (event: DomainEvent): Promise<void> => store.publish(CHANNEL, JSON.stringify(event));

  const dispatcher = createEventDispatcher({ db: deps.db, logger, metrics: deps.metrics, deliver, deliverBatch, broadcast, options: deps.dispatcher });

  return {
    /**
     * Record an event in the caller's transaction (it commits or rolls back with the change), checked
     * against its contract; the dispatcher is nudged once the transaction commits.
     */
    async record<T extends DomainEventType>(tx: Tx, type: T, data: DomainEventData<T>): Promise<DomainEvent<T>> {
      const event = build(tx, type, data);
      await tx.query(INSERT_SQL, [event.id, event.organizationId, event.type, event.version, event.occurredAt, JSON.stringify(event.data)], {
        name: 'aim.events.record',
      });
      tx.afterCommit(() => dispatcher.nudge(event.organizationId));
      return event;
    },

    /**
     * Check events for a statement that writes them with its change (`outboxInsertFrom`), which the
     * caller runs in `tx`; the dispatcher is nudged once the transaction commits. The jsonb to pass.
     */
    stage(tx: Tx, drafts: readonly EventDraft[]): string {
      const rows = drafts.map((d) => {
        const e = build(tx, d.type, d.data);
        return { id: e.id, organization_id: e.organizationId, type: e.type, version: e.version, occurred_at: e.occurredAt, data: e.data };
      });
      const organizationId = tx.organizationId;
      if (rows.length > 0 && organizationId) tx.afterCommit(() => dispatcher.nudge(organizationId));
      return JSON.stringify(rows);
    },

    /** Add an in-process subscription (before `start`). */
    subscribe(subscription: EventSubscription): void {
      subscriptions.push(subscription);
    },

    /** Listen to every event dispatched on any instance (the shared pub/sub); resolves once listening. Not durable: a listener hears what is dispatched while it listens. */
    async listen(listener: Listener): Promise<() => void> {
      if (!subscription) {
        const pending = store.subscribe(CHANNEL, hear);
        subscription = pending;
        pending.catch(() => {
          if (subscription === pending) subscription = null;
        });
      }
      await subscription;
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    /** Start dispatching (once the subscriptions are in). */
    start: () => dispatcher.start(),
    /** Deliver everything committed so far, now (tests, shutdown). */
    drain: () => dispatcher.drain(),
    /** Undelivered events and the age of the oldest (deployment-wide). */
    backlog: () => dispatcher.backlog(),

    async close(): Promise<void> {
      await dispatcher.stop();
      listeners.clear();
      const unsubscribe = subscription;
      subscription = null;
      if (unsubscribe) await (await unsubscribe)().catch(() => undefined);
    },
  };
}

export type DomainEvents = ReturnType<typeof createDomainEvents>;
