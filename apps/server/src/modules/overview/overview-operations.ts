import { overviewQuerySchema, overviewSchema } from '@aim/contracts';
import { defineOperation, type Feature } from '../../platform/http/operation.js';
import type { OverviewService } from './overview.js';

export interface OverviewFeatureDeps {
  overview: OverviewService;
}

/** The organization at a glance, the dashboard's first page. */
export function overviewFeature({ overview }: OverviewFeatureDeps): Feature {
  return {
    name: 'overview',
    operations: [
      defineOperation({
        method: 'GET',
        path: '/api/v1/overview',
        tag: 'overview',
        summary: 'The organization at a glance: agents by status and trust tier, decisions per hour, what waits for a person',
        access: { auth: 'org', permission: 'organization.read' },
        query: overviewQuerySchema,
        responses: { 200: overviewSchema },
        handle: ({ ctx, query }) => overview.overview(ctx, query),
      }),
    ],
  };
}
