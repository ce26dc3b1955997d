import type { FeatureJob } from '../../platform/jobs/feature-jobs.js';
import type { DecisionService } from './decision-service.js';

/** Pending decisions nobody answered in time become deny (reads also report them as expired at once). */
export function decisionJobs(deps: { decisions: Pick<DecisionService, 'expirePending'> }): FeatureJob[] {
  return [
    {
      name: 'aim.expire-pending',
      cron: '* * * * *',
      perOrganization: {
        organizations: 'aim_organizations_with_expired_pending',
        describe: 'expiring pending decisions',
        run: async (ctx, organizationId) => void (await deps.decisions.expirePending(ctx, organizationId)),
      },
    },
  ];
}
