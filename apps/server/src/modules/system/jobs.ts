import { jobHealthListSchema, type JobHealthView } from '@aim/contracts';
import type { AppInstance } from '../../app.js';
import type { JobHealthStore } from '../../platform/jobs/job-health.js';
import { requestContext, type RequestContext } from '../../platform/http/request-context.js';
import { authorize } from '../access/index.js';
import type { Services } from '../services.js';

const iso = (d: Date | null) => d?.toISOString() ?? null;

/**
 * The health of the scheduled jobs: deployment-wide, the same on every instance (read from the
 * database), and free of any organization's data. Admins only (`system.read`).
 */
export function createSystemJobsService(deps: { jobHealth: JobHealthStore }) {
  return {
    async list(ctx: RequestContext): Promise<{ jobs: JobHealthView[] }> {
      authorize(ctx, 'system.read');
      const jobs = await deps.jobHealth.read();
      return {
        jobs: jobs.map((j) => ({
          name: j.name,
          schedule: j.schedule,
          nextRunAt: iso(j.nextRunAt),
          lastSuccessAt: iso(j.lastSuccessAt),
          lastSuccessDurationMs: j.lastSuccessDurationMs,
          lastFailureAt: iso(j.lastFailureAt),
          lastFailure: j.lastFailure,
        })),
      };
    },
  };
}

export function registerSystemJobRoutes(app: AppInstance, { systemJobs }: Services): void {
  app.get(
    '/api/v1/system/jobs',
    {
      schema: {
        tags: ['system'],
        summary: 'The scheduled jobs of the deployment: schedule, next run, last success, last failure',
        response: { 200: jobHealthListSchema },
      },
      config: { access: { auth: 'org', permission: 'system.read' } },
    },
    async (request) => systemJobs.list(requestContext(request)),
  );
}
