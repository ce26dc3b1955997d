import type { Platform } from '../platform/platform.js';
import { SYSTEM_CONTEXT, type RequestContext } from '../platform/http/request-context.js';
import { JobFailure } from '../platform/jobs/job-health.js';
import type { JobDefinition } from '../platform/jobs/job-queue.js';
import type { Services } from './services.js';

/**
 * Every scheduled job, with the module work it runs (cron times are UTC). JOB_SCHEDULES replaces a
 * job's default schedule (platform.config.jobs.schedules).
 */
export function defineJobs(platform: Platform, services: Services): JobDefinition[] {
  const as = (job: string): RequestContext => ({ ...SYSTEM_CONTEXT, requestId: `job:${job}` });
  const overrides = platform.config.jobs.schedules;
  return defaultJobs(platform, services, as).map((job) => ({ ...job, cron: overrides[job.name] ?? job.cron }));
}

function defaultJobs(platform: Platform, services: Services, as: (job: string) => RequestContext): JobDefinition[] {
  return [
    {
      name: 'aim.partitions',
      cron: '17 * * * *',
      run: async () => {
        await platform.db.query('select aim_ensure_partitions(3)');
        // Trust score history older than its retention goes by whole months (docs/trust-scoring.md).
        await platform.db.query('select aim_drop_trust_score_months($1)', [platform.config.trust.historyMonths]);
      },
    },
    {
      name: 'aim.audit-checkpoints',
      cron: '*/15 * * * *',
      run: async () => {
        try {
          await services.audit.checkpointAllDue(as('aim.audit-checkpoints'));
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
      run: async () => {
        await services.audit.applyRetention(as('aim.audit-retention'), { exportDir: platform.config.auditRetentionExportDir });
      },
    },
    {
      name: 'aim.expire-pending',
      cron: '* * * * *',
      // Capability requests and approvals nobody answered in time (reads also report them as expired at once).
      run: async () => {
        const ctx = as('aim.expire-pending');
        const { rows } = await platform.db.query<{ organization_id: string }>('select organization_id from aim_organizations_with_expired_pending()');
        // One organization's failure must not keep the others' approvals open: log it and go on.
        let failed = 0;
        for (const { organization_id: organizationId } of rows) {
          try {
            await services.capabilities.expireRequests(ctx, organizationId);
            await services.decisions.expirePending(ctx, organizationId);
          } catch (error) {
            failed += 1;
            platform.logger.error({ err: error, organizationId }, 'expiring pending requests and decisions failed');
          }
        }
        if (failed > 0) throw new JobFailure(`expiring pending requests and decisions failed for ${failed} organization(s)`);
      },
    },
    {
      name: 'aim.trust-recalculate',
      cron: '23 */6 * * *',
      // Every agent that is not revoked, so evidence that arrives without an event (heartbeats, time passing) counts.
      run: async () => {
        const ctx = as('aim.trust-recalculate');
        const { rows } = await platform.db.query<{ organization_id: string }>('select organization_id from aim_organizations_with_agents()');
        let failed = 0;
        for (const { organization_id: organizationId } of rows) {
          try {
            await services.trust.recalculateOrganization(ctx, organizationId);
            await services.trust.pruneEvidence(organizationId);
          } catch (error) {
            failed += 1;
            platform.logger.error({ err: error, organizationId }, 'recalculating trust scores failed');
          }
        }
        if (failed > 0) throw new JobFailure(`recalculating trust scores failed for ${failed} organization(s)`);
      },
    },
    {
      name: 'aim.rotate-keys',
      cron: '5 3 * * *',
      // current() replaces a key older than its rotation period; retired keys keep verifying.
      run: async () => {
        await platform.sessionKeys.current();
        await platform.checkpointKeys.current();
        await platform.agentTokenKeys.current();
      },
    },
  ];
}
