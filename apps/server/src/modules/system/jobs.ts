import type { JobHealthView } from '@aim/contracts';
import type { JobHealthStore } from '../../platform/jobs/job-health.js';

const iso = (d: Date | null) => d?.toISOString() ?? null;

/**
 * The health of the scheduled jobs: deployment-wide, the same on every instance (read from the
 * database), and free of any organization's data. Admins only (`system.read`).
 */
export function createSystemJobsService(deps: { jobHealth: JobHealthStore }) {
  return {
    /** Deployment-wide: the gate (`system.read`) is the only check. */
    async list(): Promise<{ jobs: JobHealthView[] }> {
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

export type SystemJobsService = ReturnType<typeof createSystemJobsService>;
