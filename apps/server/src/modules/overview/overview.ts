import type { overviewQuerySchema } from '@aim/contracts';
import type { z } from 'zod';
import { orgOf, type Database } from '../../platform/db/database.js';
import type { OrgContext } from '../../platform/http/operation.js';

/**
 * The organization at a glance (the dashboard's home page): agents by status and trust tier,
 * decisions per hour, what waits for a person, and which first steps (capability, enrollment token,
 * agent, grant, decision) the organization has taken. Counts only, in one transaction.
 */
export function createOverviewService(deps: { db: Database }) {
  return {
    async overview(ctx: OrgContext, query: z.output<typeof overviewQuerySchema>) {
      const now = Date.now();
      const currentHour = Math.floor(now / 3_600_000) * 3_600_000;
      const from = new Date(currentHour - (query.hours - 1) * 3_600_000);
      return deps.db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const org = orgOf(tx);
        const agents = await tx.query<{ status: string; tier: string; n: number }>(
          `select status, trust_tier as tier, count(*)::int as n from agents where organization_id = $1 group by status, trust_tier`,
          [org],
        );
        const hours = await tx.query<{ hour: Date; allow: number; deny: number; pending: number }>(
          `select h.hour,
                  count(v.id) filter (where v.initial_decision = 'allow')::int as allow,
                  count(v.id) filter (where v.initial_decision = 'deny')::int as deny,
                  count(v.id) filter (where v.initial_decision = 'pending')::int as pending
             from generate_series($2::timestamptz, $3::timestamptz, interval '1 hour') as h(hour)
             left join verification_events v
               on v.organization_id = $1 and v.created_at >= h.hour and v.created_at < h.hour + interval '1 hour'
            group by h.hour order by h.hour`,
          [org, from, new Date(currentHour)],
        );
        const waiting = await tx.query<{ approvals: number; requests: number }>(
          `select (select count(*) from verification_events where organization_id = $1 and status = 'pending' and expires_at > now())::int as approvals,
                  (select count(*) from capability_requests where organization_id = $1 and status = 'pending' and expires_at > now())::int as requests`,
          [org],
        );
        const steps = await tx.query<{ capability: boolean; token: boolean; agent: boolean; grant: boolean; decision: boolean }>(
          `select exists (select 1 from capabilities where organization_id = $1) as capability,
                  exists (select 1 from enrollment_tokens where organization_id = $1) as token,
                  exists (select 1 from agents where organization_id = $1 and status = 'active') as agent,
                  exists (select 1 from capability_grants g join agents a on a.id = g.agent_id and a.status = 'active'
                           where g.organization_id = $1 and g.revoked_at is null and (g.expires_at is null or g.expires_at > now())) as grant,
                  exists (select 1 from verification_events where organization_id = $1) as decision`,
          [org],
        );
        const step = steps.rows[0]!;
        const byStatus = { active: 0, suspended: 0, revoked: 0 };
        const byTier = { unscored: 0, untrusted: 0, low: 0, medium: 0, high: 0, verified: 0 };
        for (const r of agents.rows) {
          byStatus[r.status as keyof typeof byStatus] += r.n;
          if (r.status !== 'revoked') byTier[r.tier as keyof typeof byTier] += r.n;
        }
        return {
          agents: { byStatus, byTier },
          decisionsPerHour: hours.rows.map((r) => ({ hour: r.hour.toISOString(), allow: r.allow, deny: r.deny, pending: r.pending })),
          pendingApprovals: waiting.rows[0]!.approvals,
          pendingCapabilityRequests: waiting.rows[0]!.requests,
          gettingStarted: { capability: step.capability, enrollmentToken: step.token, agent: step.agent, grant: step.grant, decision: step.decision },
        };
      });
    },
  };
}

export type OverviewService = ReturnType<typeof createOverviewService>;
