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
    gettingStarted: z
      .object({
        capability: z.boolean().describe('The capability catalog has at least one capability'),
        enrollmentToken: z.boolean().describe('An enrollment token was created (used, expired or revoked ones count)'),
        agent: z.boolean().describe('An agent is active (registered and neither suspended nor revoked)'),
        grant: z.boolean().describe('An active agent holds a capability grant that is neither revoked nor expired'),
        decision: z.boolean().describe('An agent has asked AIM for a decision'),
      })
      .describe('The first steps of a new organization, each from real data: done or not'),
  })
  .meta({ id: 'Overview' });
