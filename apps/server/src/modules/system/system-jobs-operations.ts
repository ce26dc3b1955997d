import { jobHealthListSchema } from '@aim/contracts';
import { defineOperation, type Feature } from '../../platform/http/operation.js';
import type { SystemJobsService } from './jobs.js';

/** The health of the deployment's scheduled jobs (admins). */
export function systemJobsFeature({ systemJobs }: { systemJobs: SystemJobsService }): Feature {
  return {
    name: 'system-jobs',
    operations: [
      defineOperation({
        method: 'GET',
        path: '/api/v1/system/jobs',
        tag: 'system',
        summary: 'The scheduled jobs of the deployment: schedule, next run, last success, last failure',
        access: { auth: 'org', permission: 'system.read' },
        responses: { 200: jobHealthListSchema },
        handle: () => systemJobs.list(),
      }),
    ],
  };
}
