import type { Logger } from 'pino';
import type { Queryable } from '../db/database.js';
import { SYSTEM_CONTEXT, type RequestContext } from '../http/request-context.js';
import { JobFailure } from './job-health.js';
import type { QueueName } from './job-names.js';
import type { JobDefinition } from './job-queue.js';

/**
 * A feature's part of a scheduled job (cron times are UTC). Several features may add parts to one job
 * (`aim.expire-pending`: capability requests and decisions); collectJobs makes one job of them, which
 * runs the deployment-wide parts, then lists each set of organizations once and runs every
 * per-organization part for each. One organization's failure does not stop the others: it is logged
 * and counted, and the run fails with the count (what the job health shows).
 */
export interface FeatureJob {
  name: QueueName;
  /** The default schedule; JOB_SCHEDULES replaces it (parts of one job name the same). */
  cron: string;
  /** Work done once per run. */
  run?(ctx: RequestContext): Promise<void>;
  perOrganization?: {
    /** A SECURITY DEFINER function that lists the organizations with work (`organization_id`). */
    organizations: `aim_${string}`;
    /** What the part does, for the log and the job health ("expiring pending decisions"). */
    describe: string;
    run(ctx: RequestContext, organizationId: string): Promise<void>;
  };
}

const FUNCTION = /^aim_[a-z_]+$/;

export function collectJobs(parts: readonly FeatureJob[], deps: { db: Queryable; logger: Pick<Logger, 'error'>; overrides: Record<string, string> }): JobDefinition[] {
  const byName = new Map<QueueName, FeatureJob[]>();
  for (const part of parts) byName.set(part.name, [...(byName.get(part.name) ?? []), part]);
  return [...byName].map(([name, group]) => {
    const crons = new Set(group.map((p) => p.cron));
    if (crons.size > 1) throw new Error(`The parts of job ${name} name different schedules: ${[...crons].join(', ')}`);
    return { name, cron: deps.overrides[name] ?? group[0]!.cron, run: () => runJob(name, group, deps) };
  });
}

async function runJob(name: string, group: FeatureJob[], deps: { db: Queryable; logger: Pick<Logger, 'error'> }): Promise<void> {
  const ctx: RequestContext = { ...SYSTEM_CONTEXT, requestId: `job:${name}` };
  for (const part of group) await part.run?.(ctx);
  const perOrganization = group.flatMap((p) => (p.perOrganization ? [p.perOrganization] : []));
  const failures = new Map<string, number>();
  for (const source of new Set(perOrganization.map((p) => p.organizations))) {
    if (!FUNCTION.test(source)) throw new Error(`not an organization list: ${source}`);
    const { rows } = await deps.db.query<{ organization_id: string }>(`select organization_id from ${source}()`);
    const steps = perOrganization.filter((p) => p.organizations === source);
    for (const { organization_id: organizationId } of rows) {
      for (const step of steps) {
        try {
          await step.run(ctx, organizationId);
        } catch (error) {
          failures.set(step.describe, (failures.get(step.describe) ?? 0) + 1);
          deps.logger.error({ err: error, organizationId, job: name }, `${step.describe} failed`);
        }
      }
    }
  }
  if (failures.size > 0) {
    throw new JobFailure([...failures].map(([what, n]) => `${what} failed for ${n} organization(s)`).join('; '));
  }
}
