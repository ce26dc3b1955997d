import type { Logger } from 'pino';
import type { DomainEvent, EventSubscription } from '../../platform/events/domain-events.js';
import { SYSTEM_CONTEXT } from '../../platform/http/request-context.js';
import type { Anchoring } from './audit-anchoring.js';
import type { AuditService } from './audit-service.js';

const CONTEXT = { ...SYSTEM_CONTEXT, requestId: 'audit:checkpoint-follower' };

/** Whether an `audit.appended` batch holds anything but checkpoint records (which must not call for another checkpoint). */
export function grewBeyondCheckpoints(event: DomainEvent<'audit.appended'>): boolean {
  return event.data.count > event.data.events.length || event.data.events.some((e) => e.action !== 'audit.checkpoint');
}

/**
 * Checkpoints that follow the chain (docs/audit.md §5): when an organization's chain grows (the
 * `audit.appended` announcement, handled once by the instance that dispatches it), its head is signed
 * `delayMs` later — one checkpoint for all the growth of that window. Signing takes the organization's
 * advisory lock and signs only a chain that grew, so no two instances sign the same growth; the
 * 15-minute job remains as a safety net for an instance that stopped before its timer fired.
 *
 * Also the anchoring worker: every `pollMs`, the checkpoints whose time-stamp or witness publication
 * is due (a retry after a failure) are anchored.
 */
export function createCheckpointFollower(deps: {
  audit: Pick<AuditService, 'checkpointIfGrown'>;
  anchoring: Anchoring | undefined;
  delayMs: number;
  pollMs: number;
  logger: Pick<Logger, 'warn'>;
}) {
  const timers = new Map<string, NodeJS.Timeout>();
  const running = new Set<Promise<unknown>>();
  let stopped = true;
  let poller: NodeJS.Timeout | undefined;

  const track = (work: Promise<unknown>) => {
    running.add(work);
    void work.finally(() => running.delete(work));
  };

  function schedule(organizationId: string): void {
    if (stopped || timers.has(organizationId)) return;
    const timer = setTimeout(() => {
      timers.delete(organizationId);
      track(
        deps.audit.checkpointIfGrown(CONTEXT, organizationId).catch((error: unknown) => {
          deps.logger.warn({ err: error, organizationId }, 'could not sign a checkpoint of the grown audit chain; the periodic job will');
        }),
      );
    }, deps.delayMs);
    timer.unref();
    timers.set(organizationId, timer);
  }

  const poll = () => {
    if (stopped || !deps.anchoring?.enabled) return;
    const pass = deps.anchoring.sweep().catch((error: unknown) => deps.logger.warn({ err: error }, 'anchoring audit checkpoints failed; will retry'));
    track(pass);
    void pass.finally(() => {
      if (!stopped) poller = setTimeout(poll, deps.pollMs).unref();
    });
  };

  const subscription: EventSubscription = {
    name: 'audit.checkpoint-follower',
    types: ['audit.appended'],
    handle(event) {
      if (event.type === 'audit.appended' && grewBeyondCheckpoints(event as DomainEvent<'audit.appended'>)) schedule(event.organizationId);
    },
  };

  return {
    subscription,
    schedule,
    start() {
      stopped = false;
      if (deps.anchoring?.enabled) poller = setTimeout(poll, deps.pollMs).unref();
    },
    async stop() {
      // Growth still waiting for its timer is left to the 15-minute job (docs/audit.md §5).
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
      stopped = true;
      if (poller) clearTimeout(poller);
      await Promise.allSettled([...running]);
    },
  };
}

export type CheckpointFollower = ReturnType<typeof createCheckpointFollower>;
