import { JobFailure } from '../../platform/jobs/job-health.js';
import type { FeatureJob } from '../../platform/jobs/feature-jobs.js';
import type { AuditService } from './audit-service.js';

/** The audit log's scheduled work: signing checkpoints of grown chains, and the retention. */
export function auditJobs(deps: { audit: Pick<AuditService, 'checkpointAllDue' | 'applyRetention'>; exportDir: string | undefined }): FeatureJob[] {
  return [
    {
      name: 'aim.audit-checkpoints',
      cron: '*/15 * * * *',
      async run(ctx) {
        try {
          await deps.audit.checkpointAllDue(ctx);
        } catch (error) {
          // Each organization's chain is signed on its own; the count is what the job health shows.
          if (error instanceof AggregateError) {
            throw new JobFailure(`signing checkpoints failed for ${error.errors.length} organization(s)`, { cause: error });
          }
          throw error;
        }
      },
    },
    {
      name: 'aim.audit-retention',
      cron: '41 2 * * *',
      async run(ctx) {
        await deps.audit.applyRetention(ctx, { exportDir: deps.exportDir });
      },
    },
  ];
}
