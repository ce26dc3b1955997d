import type { FeatureJob } from '../../platform/jobs/feature-jobs.js';
import type { CapabilityService } from './capability-service.js';

/** Capability requests nobody answered in time expire (reads also report them as expired at once). */
export function capabilityJobs(deps: { capabilities: Pick<CapabilityService, 'expireRequests'> }): FeatureJob[] {
  return [
    {
      name: 'aim.expire-pending',
      cron: '* * * * *',
      perOrganization: {
        organizations: 'aim_organizations_with_expired_pending',
        describe: 'expiring pending capability requests',
        run: async (ctx, organizationId) => void (await deps.capabilities.expireRequests(ctx, organizationId)),
      },
    },
  ];
}
