import type { FeatureJob } from '../../platform/jobs/feature-jobs.js';
import type { RetentionService } from './retention-service.js';

/**
 * `aim.decision-retention`, daily: months of decisions past every organization's retention dropped by
 * partition, then each organization not on hold (aim_decision_retention_due) loses its older decisions
 * row by row, in batches.
 */
export function retentionJobs(deps: { retention: Pick<RetentionService, 'dropExpiredMonths' | 'removeExpiredRows'> }): FeatureJob[] {
  return [
    {
      name: 'aim.decision-retention',
      cron: '53 2 * * *',
      async run(ctx) {
        await deps.retention.dropExpiredMonths(ctx);
      },
      perOrganization: {
        organizations: 'aim_decision_retention_due',
        describe: 'removing decisions past their retention',
        async run(ctx, organizationId) {
          await deps.retention.removeExpiredRows(ctx, organizationId);
        },
      },
    },
  ];
}
