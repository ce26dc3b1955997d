import type { Queryable } from '../../platform/db/database.js';
import type { FeatureJob } from '../../platform/jobs/feature-jobs.js';

/**
 * Webhooks' scheduled work: the retention of events, deliveries and attempts (WEBHOOK_RETENTION_DAYS),
 * whole months dropped by partition once every row in them is older, as part of the hourly partition
 * job (it costs a look at the catalog when there is nothing to drop; trust score history does the same).
 */
export function webhookJobs(deps: { db: Queryable; retentionDays: number }): FeatureJob[] {
  return [
    {
      name: 'aim.partitions',
      cron: '17 * * * *',
      async run() {
        await deps.db.query('select aim_drop_webhook_months($1)', [deps.retentionDays]);
      },
    },
  ];
}
