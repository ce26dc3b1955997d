import type { DomainEvent } from '@aim/contracts';
import type { Logger } from 'pino';
import type { Database, Tx } from '../db/database.js';
import type { Metrics } from '../observability/metrics.js';

/**
 * The outbox dispatcher. Every committed event in `event_outbox` is delivered at least once, in
 * commit order per organization, by whichever instance gets to it first:
 *
 * - A pass works through organizations with undelivered events, each in a transaction of that
 *   organization that holds the organization's advisory lock (pg_try_advisory_xact_lock): any number
 *   of instances run, one dispatches an organization at a time, the others skip it and look again
 *   shortly. A pass after a nudge takes the organizations whose commits nudged it; a poll asks which
 *   organizations have undelivered events (aim_event_outbox_pending_organizations).
 * - Inside, it takes the lock, then (in a statement of its own, so its snapshot follows the lock) reads
 *   the organization's events in `seq` order; the batch subscriptions get them at once, the others one
 *   by one, and the delivered ones are deleted in the same transaction. A crash before that commit delivers them again
 *   (at least once); a delivery that throws stops the organization there and is retried after a
 *   back-off, so no later event of the organization overtakes it.
 * - A pass starts shortly (`coalesceMs`, gathering what commits meanwhile) after a transaction that
 *   recorded an event commits on this instance (the nudge), and every `pollMs` anyway (events
 *   committed on an instance that died). The deletes commit asynchronously: one lost in a crash
 *   only means its batch is delivered again.
 *
 * Order: an organization's events leave in `seq`
 * order among those committed when a batch is read; an event whose transaction commits later leaves
 * in a later batch, so an event never goes before one committed before its own transaction began.
 */
export interface DispatcherOptions {
  /** Hold every delivery (EVENT_DISPATCH_PAUSED): events wait in the outbox. */
  paused?: boolean;
  pollMs?: number;
  /** How long a nudge waits for more commits to deliver with (default 20 ms). */
  coalesceMs?: number;
  batch?: number;
}

/** Deliveries tried before an event that keeps failing is given up (logged as an error) so the rest can go. */
const MAX_ATTEMPTS = 10;
/** Key space of the advisory locks (the second key is the organization id's hash). */
const LOCK_SPACE = 0x0e7e;

interface Row {
  seq: string;
  id: string;
  organization_id: string;
  type: string;
  version: number;
  occurred_at: Date;
  data: unknown;
  attempts: number;
  retry_at: Date | null;
}

type Outcome = { kind: 'busy' } | { kind: 'done'; read: number; failed: boolean };

export function createEventDispatcher(deps: {
  db: Database;
  logger: Pick<Logger, 'warn' | 'error' | 'debug'>;
  metrics?: Metrics | undefined;
  /** To this instance's subscriptions: a throw delivers the event again later. */
  deliver: (event: DomainEvent) => Promise<void>;
  /** A batch to this instance's batch subscriptions (before `deliver` of each): a throw delivers the batch again later. */
  deliverBatch?: (events: readonly DomainEvent[]) => Promise<void>;
  /** To the shared pub/sub; a batch's broadcasts are awaited together, before the batch is deleted. */
  broadcast: (event: DomainEvent) => Promise<void>;
  options?: DispatcherOptions | undefined;
}) {
  const { db, logger, deliver, broadcast } = deps;
  const paused = deps.options?.paused ?? false;
  const pollMs = deps.options?.pollMs ?? 1_000;
  const batch = deps.options?.batch ?? 500;
  const coalesceMs = deps.options?.coalesceMs ?? 20;
  let started = false;
  let stopped = false;
  let running: Promise<void> | null = null;
  let again = false;
  let poll: NodeJS.Timeout | undefined;
  let retry: NodeJS.Timeout | undefined;
  let soon: NodeJS.Timeout | undefined;

  const toEvent = (r: Row): DomainEvent =>
    ({ id: r.id, type: r.type, version: r.version, organizationId: r.organization_id, occurredAt: r.occurred_at.toISOString(), data: r.data }) as DomainEvent;

  /** Deliver the batch in order; delete what went; a failure stops the batch and waits out a back-off. */
  async function deliverBatch(tx: Tx, organizationId: string): Promise<Outcome> {
    // The lock first, in a statement of its own: the read must take its snapshot after the lock is held,
    // or it could see events another instance delivered and deleted just before releasing the lock.
    // The delete need not wait for its WAL flush: lost in a crash, the batch is delivered again (at least once).
    const { rows: locked } = await tx.query<{ ok: boolean }>(
      `select set_config('synchronous_commit', 'off', true), pg_try_advisory_xact_lock($1, hashtext($2)) as ok`,
      [LOCK_SPACE, organizationId],
      { name: 'aim.events.lock' },
    );
    if (!locked[0]!.ok) return { kind: 'busy' };
    const { rows } = await tx.query<Row>(
      `select seq, id, organization_id, type, version, occurred_at, data, attempts, retry_at from event_outbox
        where organization_id = $1 order by seq limit $2`,
      [organizationId, batch],
      { name: 'aim.events.read' },
    );
    const now = Date.now();
    const due = rows.findIndex((r) => r.retry_at !== null && r.retry_at.getTime() > now);
    const dueRows = due === -1 ? rows : rows.slice(0, due);
    const events = dueRows.map(toEvent);
    if (deps.deliverBatch && dueRows.length > 0) {
      try {
        await deps.deliverBatch(events);
      } catch (error) {
        const failed = await failedDelivery(tx, organizationId, dueRows[0]!, error);
        if (failed) return { kind: 'done', read: rows.length, failed: true };
      }
    }
    const delivered: string[] = [];
    const broadcasts: Promise<void>[] = [];
    // A row waiting out its back-off stops the batch: nothing after it goes first.
    let failed = dueRows.length < rows.length;
    for (const [i, row] of dueRows.entries()) {
      const event = events[i]!;
      try {
        await deliver(event);
        deps.metrics?.observeEventDispatch(row.type, (Date.now() - row.occurred_at.getTime()) / 1000);
      } catch (error) {
        if (await failedDelivery(tx, organizationId, row, error)) {
          failed = true;
          break;
        }
      }
      delivered.push(row.seq);
      const sent = broadcast(event);
      sent.catch(() => undefined); // awaited below; handled now, so a quick failure is not an unhandled rejection
      broadcasts.push(sent);
    }
    // The pub/sub unreachable: nothing of the batch is deleted (the transaction rolls back), all of it goes again.
    await Promise.all(broadcasts);
    if (delivered.length > 0) {
      await tx.query('delete from event_outbox where organization_id = $1 and seq = any($2::bigint[])', [organizationId, delivered], {
        name: 'aim.events.done',
      });
      logger.debug({ organizationId, seqs: delivered }, 'domain events delivered');
    }
    return { kind: 'done', read: rows.length, failed };
  }

  /**
   * Record a failed delivery of `row`: true when it is to be tried again after a back-off (the batch
   * stops there), false when it failed too often and is given up so the rest can go.
   */
  async function failedDelivery(tx: Tx, organizationId: string, row: Row, error: unknown): Promise<boolean> {
    const attempts = row.attempts + 1;
    if (attempts >= MAX_ATTEMPTS) {
      logger.error({ err: error, eventId: row.id, type: row.type, attempts }, 'domain event delivery failed too often; giving it up');
      return false;
    }
    logger.warn({ err: error, eventId: row.id, type: row.type, attempts }, 'domain event delivery failed; will retry');
    await tx.query(`update event_outbox set attempts = $3, retry_at = now() + make_interval(secs => $4) where organization_id = $1 and seq = $2`, [
      organizationId,
      row.seq,
      attempts,
      Math.min(2 ** attempts, 300),
    ]);
    return true;
  }

  async function dispatchOrganization(organizationId: string): Promise<void> {
    for (;;) {
      if (stopped) return;
      const outcome = await db.transaction({ organizationId }, (tx) => deliverBatch(tx, organizationId));
      if (outcome.kind === 'busy') {
        // Another instance is at it; look again soon in case it finished just before our event committed.
        retry ??= setTimeout(() => {
          retry = undefined;
          nudge(organizationId);
        }, 100).unref();
        return;
      }
      if (outcome.failed || outcome.read < batch) return;
    }
  }

  /** Organizations whose commits nudged since the last pass took them; null: ask the database (a poll). */
  let nudged: Set<string> | null = new Set();

  async function pass(): Promise<void> {
    const known = nudged;
    nudged = new Set();
    const organizations = known
      ? [...known]
      : (await db.query<{ organization_id: string }>('select organization_id from aim_event_outbox_pending_organizations()')).rows.map((r) => r.organization_id);
    for (const organizationId of organizations) {
      // One organization's failure must not hold up the others.
      await dispatchOrganization(organizationId).catch((error: unknown) =>
        logger.warn({ err: error, organizationId }, 'could not dispatch the events of an organization'),
      );
    }
  }

  /**
   * Start a pass within `coalesceMs` (or right after the one running): the commits of that moment
   * are delivered in one batch per organization, not one transaction each.
   */
  function nudge(organizationId?: string): void {
    if (!started || stopped || paused) return;
    if (organizationId === undefined) nudged = null;
    else nudged?.add(organizationId);
    if (soon) return;
    if (running) {
      again = true;
      return;
    }
    soon = setTimeout(run, coalesceMs);
  }

  function run(): void {
    soon = undefined;
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = pass()
      .catch((error: unknown) => logger.warn({ err: error }, 'event dispatch failed; will retry'))
      .finally(() => {
        running = null;
        if (again) {
          again = false;
          nudge();
        }
      });
  }

  return {
    nudge,
    start(): void {
      if (started || stopped) return;
      started = true;
      if (paused) {
        logger.warn({}, 'domain event dispatch is paused (EVENT_DISPATCH_PAUSED): events wait in the outbox');
        return;
      }
      poll = setInterval(() => nudge(), pollMs).unref();
      nudge();
    },
    /** Deliver everything committed so far, and wait for it. */
    async drain(): Promise<void> {
      if (paused) return;
      while (running) await running;
      nudged = null;
      // Registered as the running pass, so that a timer's pass waits for it instead of running beside
      // it (an organization the timer's pass held would be "busy" to this one, which would return with
      // its events still being delivered).
      const mine = pass();
      running = mine
        .catch(() => undefined)
        .finally(() => {
          running = null;
          if (again) {
            again = false;
            nudge();
          }
        });
      await mine;
    },
    async backlog(): Promise<{ pending: number; oldestAgeSeconds: number }> {
      const { rows } = await db.query<{ pending: string; oldest: Date | null }>('select pending, oldest from aim_event_outbox_backlog()');
      const oldest = rows[0]?.oldest;
      return { pending: Number(rows[0]?.pending ?? 0), oldestAgeSeconds: oldest ? Math.max(0, (Date.now() - oldest.getTime()) / 1000) : 0 };
    },
    async stop(): Promise<void> {
      stopped = true;
      clearInterval(poll);
      clearTimeout(retry);
      clearTimeout(soon);
      while (running) await running;
    },
  };
}

export type EventDispatcher = ReturnType<typeof createEventDispatcher>;
