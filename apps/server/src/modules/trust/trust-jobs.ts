import type { Queryable } from '../../platform/db/database.js';
import type { FeatureJob } from '../../platform/jobs/feature-jobs.js';
import type { TrustService } from './trust-service.js';

/**
 * Trust scoring's scheduled work: the pass over every agent that is not revoked (so evidence that
 * arrives without an event — heartbeats, time passing — counts), and the score history's retention.
 */
export function trustJobs(deps: { db: Queryable; trust: Pick<TrustService, 'recalculateOrganization' | 'pruneEvidence'>; historyMonths: number }): FeatureJob[] {
  return [
    {
      name: 'aim.trust-recalculate',
      cron: '23 */6 * * *',
      perOrganization: {
        organizations: 'aim_organizations_with_agents',
        describe: 'recalculating trust scores',
        async run(ctx, organizationId) {
          await deps.trust.recalculateOrganization(ctx, organizationId);
          await deps.trust.pruneEvidence(organizationId);
        },
      },
    },
    {
      name: 'aim.partitions',
      cron: '17 * * * *',
      // Trust score history older than its retention goes by whole months (docs/trust-scoring.md).
      async run() {
        await deps.db.query('select aim_drop_trust_score_months($1)', [deps.historyMonths]);
      },
    },
  ];
}
