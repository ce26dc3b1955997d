import { z } from 'zod';
import { AGENT_STATUSES, TRUST_TIERS } from './agents.js';

/** The organization at a glance: the dashboard's home page. */
export const overviewQuerySchema = z.object({
  hours: z.coerce.number().int().min(1).max(168).default(24).describe('How many hours of decisions, the current one included'),
});

export const overviewSchema = z
  .object({
    agents: z.object({
      byStatus: z.record(z.enum(AGENT_STATUSES), z.number().int()),
      byTier: z.record(z.enum(TRUST_TIERS), z.number().int()).describe('Agents that are not revoked, by trust tier'),
    }),
    decisionsPerHour: z
      .array(
        z.object({
          hour: z.string().describe('Start of the UTC hour (RFC 3339)'),
          allow: z.number().int(),
          deny: z.number().int(),
          pending: z.number().int().describe('Taken as pending (needing a person), whatever became of them'),
        }),
      )
      .describe('One entry per hour, oldest first, hours without decisions included'),
    pendingApprovals: z.number().int().describe('Decisions waiting for a person, not yet expired'),
    pendingCapabilityRequests: z.number().int(),
  })
  .meta({ id: 'Overview' });
