import type { Logger } from 'pino';
import { TRUST_CONSTANTS } from './trust-method.js';
import type { DomainEvent, EventSubscription } from '../../platform/events/domain-events.js';
import type { RequestContext } from '../../platform/http/request-context.js';
import type { SharedStore } from '../../platform/store/shared-store.js';

/**
 * Recalculation on new evidence: a subscription to the events that change an agent's evidence
 * enough to recalculate soon (violations, decisions a monitor-mode policy flagged, every
 * `trust.evidence`, and high or critical alerts about an agent raised or changing status), debounced
 * per agent across instances. The dispatcher hands each event to the
 * subscription on one instance, at least once; a repeat is absorbed by the claim it already made.
 *
 * Ordinary decisions feed only compliance and activity (8% of the weight together); the scheduled
 * pass counts them, so a busy agent does not cost a recalculation every few seconds.
 */

/** Agents recalculated per transaction. */
const BATCH = 200;

const EVENT_CONTEXT: RequestContext = {
  requestId: 'trust:event',
  clientIp: null,
  userAgent: null,
  actor: { type: 'system', id: null },
  organizationId: null,
  role: null,
  userId: null,
  personId: null,
  sessionId: null,
};

/** The agent whose evidence the event changes enough to recalculate soon, if any. */
export function agentWithNewEvidence(event: DomainEvent): string | null {
  switch (event.type) {
    case 'violation.recorded':
    case 'trust.evidence':
      return event.data.agentId;
    case 'decision.created':
      return event.data.flagged ? event.data.agentId : null;
    case 'alert.raised':
    case 'alert.status_changed': {
      // The alerts incident history counts (trust-evidence.ts): about an agent, high or critical, not a trust drop.
      const { subject, severity, type } = event.data;
      return subject.type === 'agent' && (TRUST_CONSTANTS.alertSeverities as readonly string[]).includes(severity) && type !== 'trust_drop' ? subject.id : null;
    }
    default:
      return null;
  }
}

export function createTrustScheduler(deps: {
  store: SharedStore;
  logger: Logger;
  debounceMs: number;
  recalculate: (ctx: RequestContext, organizationId: string, agentIds: readonly string[], trigger: 'event') => Promise<unknown>;
}) {
  const { store, logger, debounceMs } = deps;
  /**
   * Agents whose recalculation this instance claimed, by organization, each with the time its claim
   * in the shared store ends at the latest; and each organization's timer.
   */
  const due = new Map<string, Map<string, number>>();
  const timers = new Map<string, NodeJS.Timeout>();
  const inFlight = new Set<Promise<unknown>>();
  let closed = false;

  function schedule(organizationId: string, at: number) {
    if (timers.has(organizationId)) return;
    const timer = setTimeout(() => flush(organizationId), Math.max(0, at - Date.now()));
    timer.unref();
    timers.set(organizationId, timer);
  }

  /** The organization's agents whose claim has ended (all of them when closing); the others wait for theirs. */
  function takeDue(organizationId: string, all: boolean): string[] {
    const claims = due.get(organizationId);
    if (!claims) return [];
    const now = Date.now();
    const agents: string[] = [];
    let next = Infinity;
    for (const [agentId, until] of claims) {
      if (all || until <= now) {
        agents.push(agentId);
        claims.delete(agentId);
      } else next = Math.min(next, until);
    }
    if (claims.size === 0) due.delete(organizationId);
    else schedule(organizationId, next);
    return agents;
  }

  /**
   * Recalculate the agents whose claim has ended. Recalculating only after the claim ends is what
   * makes every event the claim absorbed (on any instance) part of what the recalculation reads.
   */
  function flush(organizationId: string, all = false) {
    timers.delete(organizationId);
    const agents = takeDue(organizationId, all);
    if (agents.length === 0) return;
    // Closing (the claims have not ended) or failing: release the claims afterwards, so that evidence
    // arriving meanwhile on another instance makes a claim of its own instead of being absorbed.
    const release = () => Promise.all(agents.map((id) => store.delete(`trust-due:${id}`))).catch(() => undefined);
    const run = (async () => {
      for (let i = 0; i < agents.length; i += BATCH) {
        await deps.recalculate(EVENT_CONTEXT, organizationId, agents.slice(i, i + BATCH), 'event');
      }
      if (all) await release();
    })()
      .catch(async (error: unknown) => {
        logger.error({ err: error, organizationId, agents: agents.length }, 'trust recalculation on new evidence failed');
        await release();
      })
      .finally(() => inFlight.delete(run));
    inFlight.add(run);
  }

  /**
   * New evidence for an agent: the first instance to claim the agent for the debounce window
   * recalculates it when the window ends, so every event inside the window (on any instance) is
   * covered by one recalculation that reads after all of them committed.
   */
  async function onEvidence(organizationId: string, agentId: string) {
    // This instance holds the agent's claim: its recalculation, after the claim ends, covers this event.
    if ((due.get(organizationId)?.get(agentId) ?? 0) > Date.now()) return;
    const claimed = await store.claimOnce(`trust-due:${agentId}`, debounceMs);
    if (!claimed) return;
    // Measured after the store answered: no earlier than the claim's own end.
    const until = Date.now() + debounceMs;
    let claims = due.get(organizationId);
    if (!claims) due.set(organizationId, (claims = new Map()));
    claims.set(agentId, until);
    schedule(organizationId, until);
  }

  const subscription: EventSubscription = {
    name: 'trust.recalculate-on-evidence',
    types: ['violation.recorded', 'decision.created', 'trust.evidence', 'alert.raised', 'alert.status_changed'],
    // A store that cannot be reached throws: the dispatcher delivers the event again later.
    async handle(event) {
      if (closed) return;
      const agentId = agentWithNewEvidence(event);
      if (agentId !== null) await onEvidence(event.organizationId, agentId);
    },
  };

  return {
    subscription,
    /** Recalculations already due run now, and are awaited. */
    async close(): Promise<void> {
      closed = true;
      for (const timer of timers.values()) clearTimeout(timer);
      for (const organizationId of [...due.keys()]) flush(organizationId, true);
      await Promise.allSettled([...inFlight]);
    },
  };
}

export type TrustScheduler = ReturnType<typeof createTrustScheduler>;
