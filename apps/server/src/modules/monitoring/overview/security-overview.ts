import { ACTIVE_ALERT_STATUSES, ALERT_SEVERITIES, type AlertSeverity, type securityOverviewQuerySchema, type securityOverviewSchema } from '@aim/contracts';
import type { z } from 'zod';
import { orgOf, type Database } from '../../../platform/db/database.js';
import type { OrgContext } from '../../../platform/http/operation.js';

/**
 * The security overview (docs/monitoring.md): active alerts by severity, alerts raised per UTC day
 * by severity, the agents with the most alerts, decisions per day, and active agents by trust score.
 * Counts only, read in one transaction. Every read is bounded by the period through an index
 * (alerts by organization, decisions by (organization_id, created_at)), so its cost follows the
 * period's rows, not the organization's history. Days without anything are present with zeros.
 */
type SecurityOverview = z.output<typeof securityOverviewSchema>;

const DAY_MS = 86_400_000;
/** Trust scores in buckets of this many points: 0–10, 10–20, … 90–100 (100 falls in the last). */
const BUCKET_POINTS = 10;
const BUCKETS = 100 / BUCKET_POINTS;
const TOP_AGENTS = 10;

const zeros = () => Object.fromEntries(ALERT_SEVERITIES.map((s) => [s, 0])) as Record<AlertSeverity, number>;

export function createSecurityOverviewService(deps: { db: Database }) {
  return {
    async overview(ctx: OrgContext, query: z.output<typeof securityOverviewQuerySchema>): Promise<SecurityOverview> {
      const now = new Date();
      const today = Math.floor(now.getTime() / DAY_MS) * DAY_MS;
      const from = new Date(today - (query.days - 1) * DAY_MS);
      const days = Array.from({ length: query.days }, (_, i) => new Date(from.getTime() + i * DAY_MS).toISOString().slice(0, 10));
      return deps.db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const org = orgOf(tx);
        const active = await tx.query<{ severity: AlertSeverity; n: number }>(
          `select severity, count(*)::int as n from alerts where organization_id = $1 and status = any($2::text[]) group by severity`,
          [org, ACTIVE_ALERT_STATUSES],
        );
        const raised = await tx.query<{ day: string; severity: AlertSeverity; n: number }>(
          `select to_char(created_at at time zone 'UTC', 'YYYY-MM-DD') as day, severity, count(*)::int as n
             from alerts where organization_id = $1 and created_at >= $2 and created_at <= $3 group by 1, 2`,
          [org, from, now],
        );
        const top = await tx.query<{ agent_id: string; name: string | null; alerts: number; active: number; highest: number }>(
          `select l.subject_id as agent_id, min(g.name) as name, count(*)::int as alerts,
                  count(*) filter (where l.status = any($4::text[]))::int as active,
                  max(array_position($5::text[], l.severity))::int as highest
             from alerts l left join agents g on g.organization_id = l.organization_id and g.id = l.subject_id
            where l.organization_id = $1 and l.subject_type = 'agent' and l.created_at >= $2 and l.created_at <= $3
            group by l.subject_id
            order by alerts desc, highest desc, agent_id
            limit ${TOP_AGENTS}`,
          [org, from, now, ACTIVE_ALERT_STATUSES, ALERT_SEVERITIES],
        );
        // One range scan of the (organization_id, created_at) index over the period.
        const decided = await tx.query<{ day: string; allowed: number; denied: number; pending: number }>(
          `select to_char(created_at at time zone 'UTC', 'YYYY-MM-DD') as day,
                  count(*) filter (where initial_decision = 'allow')::int as allowed,
                  count(*) filter (where initial_decision = 'deny')::int as denied,
                  count(*) filter (where initial_decision = 'pending')::int as pending
             from verification_events where organization_id = $1 and created_at >= $2 and created_at <= $3 group by 1`,
          [org, from, now],
        );
        const trust = await tx.query<{ bucket: number | null; n: number }>(
          // least() skips nulls: an unscored agent keeps a null bucket only through the case.
          `select case when trust_score is not null then least(floor(trust_score / ${BUCKET_POINTS}), ${BUCKETS - 1}) end::int as bucket, count(*)::int as n
             from agents where organization_id = $1 and status = 'active' group by 1`,
          [org],
        );

        const openBySeverity = zeros();
        for (const r of active.rows) openBySeverity[r.severity] = r.n;
        const byDay = new Map(days.map((day) => [day, zeros()]));
        for (const r of raised.rows) {
          const counts = byDay.get(r.day);
          if (counts) counts[r.severity] = r.n;
        }
        const decisions = new Map(decided.rows.map((r) => [r.day, r]));
        const buckets = new Map(trust.rows.map((r) => [r.bucket, r.n]));
        return {
          from: from.toISOString(),
          to: now.toISOString(),
          openBySeverity,
          alertsByDay: days.map((day) => ({ day, ...byDay.get(day)! })),
          topAgents: top.rows.map((r) => ({
            agentId: r.agent_id,
            name: r.name ?? r.agent_id,
            alerts: r.alerts,
            active: r.active,
            highest: ALERT_SEVERITIES[r.highest - 1]!,
          })),
          decisionsByDay: days.map((day) => {
            const d = decisions.get(day);
            return { day, allowed: d?.allowed ?? 0, denied: d?.denied ?? 0, pending: d?.pending ?? 0 };
          }),
          trustDistribution: Array.from({ length: BUCKETS }, (_, i) => ({ from: i * BUCKET_POINTS, to: (i + 1) * BUCKET_POINTS, agents: buckets.get(i) ?? 0 })),
          unscoredAgents: buckets.get(null) ?? 0,
        };
      });
    },
  };
}

export type SecurityOverviewService = ReturnType<typeof createSecurityOverviewService>;
