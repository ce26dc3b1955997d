import type { FastifyInstance } from 'fastify';
import type { EventSubscription } from './events/domain-events.js';
import type { Operation } from './http/operation.js';
import type { FeatureJob } from './jobs/feature-jobs.js';

/**
 * A feature: its API operations, and the background work it owns. Built by a factory in the feature's
 * folder from narrow dependencies; modules/features.ts lists them all, and the composition root
 * (app.ts) registers the operations, hands the subscriptions to the event dispatcher and the jobs to
 * the job queue (collectJobs).
 */
export interface Feature {
  name: string;
  operations: readonly Operation[];
  /**
   * Routes that are not API operations: pages and static files, hidden from the reference (the
   * dashboard, the setup page). Every route still passes the route contract (contract-guard.ts).
   */
  registerRoutes?(app: FastifyInstance): void;
  /** Scheduled work (platform/jobs/feature-jobs.ts); parts of one job may come from several features. */
  jobs?: readonly FeatureJob[];
  /** In-process consumers of domain events (platform/events/domain-events.ts), run by the dispatcher. */
  subscriptions?: readonly EventSubscription[];
  /** Starts the feature's own background work once the app is ready (a worker on every instance, e.g. webhook delivery). */
  start?(): void;
  /** Ends the feature's background work when the app closes (what is due runs first). */
  stop?(): Promise<void>;
}
