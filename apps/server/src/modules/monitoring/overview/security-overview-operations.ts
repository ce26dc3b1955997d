import { securityOverviewQuerySchema, securityOverviewSchema } from '@aim/contracts';
import type { EventSubscription } from '../../../platform/events/domain-events.js';
import { defineOperation, type Feature } from '../../../platform/http/operation.js';
import type { SecurityOverviewService } from './security-overview.js';

export interface SecurityOverviewFeatureDeps {
  overview: SecurityOverviewService;
  /** What alerts set in motion beyond trust and email: the automatic suspension (../responses/auto-suspension.ts). */
  subscriptions: readonly EventSubscription[];
}

/** The security overview (alerts, decisions and trust over a period), and the automatic responses to alerts. */
export function securityOverviewFeature({ overview, subscriptions }: SecurityOverviewFeatureDeps): Feature {
  return {
    name: 'monitoring-overview',
    operations: [
      defineOperation({
        method: 'GET',
        path: '/api/v1/monitoring/overview',
        tag: 'monitoring',
        summary: 'The security overview: active alerts, alerts per day by severity, the agents with the most alerts, decisions per day, trust distribution',
        description:
          'Over the last `days` UTC days (today included, default 14, at most 90); every day of the period is present, with zeros where nothing happened. Decisions count by how they were first decided (allowed, denied, or pending a person). Trust buckets are 10 points wide ([0, 10) … [90, 100]) over active agents; unscoredAgents are active agents without a score.',
        access: { auth: 'org', permission: 'alert.read' },
        query: securityOverviewQuerySchema,
        responses: { 200: securityOverviewSchema },
        handle: ({ ctx, query }) => overview.overview(ctx, query),
      }),
    ],
    subscriptions,
  };
}
