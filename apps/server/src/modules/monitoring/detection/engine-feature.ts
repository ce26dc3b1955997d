import type { AuthFailureRecorder } from '../../../platform/auth/auth-failure-recorder.js';
import type { Database } from '../../../platform/db/database.js';
import type { DomainEvents } from '../../../platform/events/domain-events.js';
import type { Feature } from '../../../platform/http/operation.js';
import type { FeatureJob } from '../../../platform/jobs/feature-jobs.js';
import { computeBaselines, pruneDetectionState } from './engine-baselines.js';
import { detectionSubscription } from './engine-ingest.js';
import { sweepOrganization } from './engine-sweep.js';

/**
 * The detection engine as a feature (background work only, no operations): the `monitoring.detect`
 * subscription, its two scheduled jobs, and the flush of the request path's refusal recorder
 * (platform/auth/auth-failure-recorder.ts) while the app runs. docs/monitoring.md, "how detection works".
 */
export interface DetectionEngineDeps {
  db: Pick<Database, 'transaction'>;
  events: Pick<DomainEvents, 'record'>;
  authFailures: Pick<AuthFailureRecorder, 'start' | 'close'>;
  observe?: (update: { decisions: number; findings: number; seconds: number }) => void;
  /** The clock of the jobs (tests run them directly with simulated time instead). */
  now?: () => Date;
}

export function detectionJobs(deps: Pick<DetectionEngineDeps, 'db' | 'events' | 'now'>): FeatureJob[] {
  const now = deps.now ?? (() => new Date());
  return [
    {
      name: 'aim.monitoring-sweep',
      // Other parts of this job (the alerts' snooze ends) name the same schedule.
      cron: '* * * * *',
      perOrganization: {
        organizations: 'aim_organizations_with_agents',
        describe: 'sweeping for lost heartbeats, old keys and the closed hour',
        run: async (_ctx, organizationId) => void (await sweepOrganization(deps, organizationId, now())),
      },
    },
    {
      name: 'aim.monitoring-baselines',
      cron: '7 * * * *',
      perOrganization: {
        organizations: 'aim_organizations_with_agents',
        describe: 'recomputing agent baselines',
        async run(_ctx, organizationId) {
          const at = now();
          await pruneDetectionState(deps, organizationId, at);
          await computeBaselines(deps, organizationId, at);
        },
      },
    },
  ];
}

export function detectionEngineFeature(deps: DetectionEngineDeps): Feature {
  return {
    name: 'monitoring-detection',
    operations: [],
    subscriptions: [detectionSubscription(deps)],
    jobs: detectionJobs(deps),
    start: () => deps.authFailures.start(),
    stop: () => deps.authFailures.close(),
  };
}
