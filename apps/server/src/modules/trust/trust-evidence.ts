import type { Tx } from '../../platform/db/database.js';
import { orgOf } from '../../platform/db/database.js';
import { TRUST_CONSTANTS as C, type Severity, type TrustEvidence } from './trust-method.js';

/**
 * Gathering the evidence trust-method.ts reads, for a batch of agents as of one instant, in one
 * statement. Every window is measured back from `asOf` (not from the database clock), so gathering
 * again at the same instant over the same rows gives the same evidence. Each part is an indexed
 * lookup per agent: the cost grows with the agents asked for, not with the organization.
 */
/**
 * The alerts about an agent that count against it (docs/trust-scoring.md, incident history): high
 * and critical, not false positives (resolved ones still count, like resolved incidents), raised by
 * `asOf` and last seen within the incident window. A trust drop is left out: it follows from the
 * score and must not feed it. An alert counts once however often it recurred, and ages from its
 * latest occurrence. Read through the (organization, subject) index of alerts.
 */
const COUNTED_ALERTS = `
  from alerts l
 where l.organization_id = $1 and l.subject_type = 'agent' and l.subject_id = a.id
   and l.severity in (${C.alertSeverities.map((s) => `'${s}'`).join(', ')}) and l.status <> 'false_positive' and l.type <> 'trust_drop'
   and l.created_at <= p.as_of and l.last_seen_at > p.as_of - interval '${C.incidentWindowDays} days'`;
const ALERT_AGE = `floor(extract(epoch from p.as_of - least(l.last_seen_at, p.as_of)) / 86400)::int`;

const EVIDENCE_SQL = `
with params as (
  select $2::timestamptz as as_of, ($2::timestamptz at time zone 'UTC')::date as today
)
select a.id as agent_id, a.status, a.created_at, a.owner_id is not null as owner_set,
       coalesce(btrim(a.purpose), '') <> '' as purpose_set, a.data_classification is not null as classification_set,
       k.registered, k.usable, k.newest_expires_at, k.newest_created_at,
       greatest(case when a.last_seen_at <= p.as_of then a.last_seen_at end, k.newest_created_at) as last_verified_at,
       req.verified, req.failed, act.active_days,
       rev.reviewed_at, rev.findings,
       gr.high_risk, gr.judged, (select count(*) from unnest(gr.judged_ids) j where j = any(dec.grant_ids))::int as used,
       rat.count as rating_count, rat.sum as rating_sum,
       att.trusted, att.distrusted,
       up.first_minute, up.minutes_with_heartbeat,
       inc.rows as incidents, alr.rows as alerts,
       dec.total as decisions, dec.compliant
  from params p
  cross join unnest($3::text[]) as wanted(id)
  join agents a on a.organization_id = $1 and a.id = wanted.id
  cross join lateral (
    -- Usable: not revoked by then, and not past a rotation overlap. The newest usable key is the one
    -- judged (a rotated-out key in its overlap does not lower the score of an agent that rotated).
    select count(*)::int as registered,
           count(*) filter (where u.usable)::int as usable,
           (array_agg(k.expires_at order by k.created_at desc, k.id desc) filter (where u.usable))[1] as newest_expires_at,
           max(k.created_at) filter (where u.usable) as newest_created_at
      from agent_keys k
      cross join lateral (select (k.revoked_at is null or k.revoked_at > p.as_of) and (k.expires_at is null or k.expires_at > p.as_of) as usable) u
     where k.organization_id = $1 and k.agent_id = a.id and k.created_at <= p.as_of
  ) k
  cross join lateral (
    select coalesce(sum(d.verified), 0)::bigint as verified, coalesce(sum(d.failed), 0)::bigint as failed
      from agent_activity_days d
     where d.agent_id = a.id and d.day > p.today - ${C.requestWindowDays} and d.day <= p.today
  ) req
  cross join lateral (
    select count(*)::int as active_days
      from agent_activity_days d
     where d.agent_id = a.id and d.verified > 0 and d.day > p.today - ${C.activityWindowDays} and d.day <= p.today
  ) act
  left join lateral (
    select r.reviewed_at,
           (select jsonb_object_agg(s, (select count(*) from jsonb_array_elements(r.findings) f where f->>'severity' = s))
              from unnest(array['low', 'medium', 'high', 'critical']) s) as findings
      from security_reviews r
     where r.organization_id = $1 and r.agent_id = a.id and r.created_at <= p.as_of
       and r.reviewed_at <= p.as_of and r.reviewed_at > p.as_of - interval '${C.reviewWindowDays} days'
     order by r.reviewed_at desc, r.id desc limit 1
  ) rev on true
  cross join lateral (
    select count(*) filter (where c.risk_level in ('high', 'critical'))::int as high_risk,
           count(*) filter (where g.created_at <= p.as_of - interval '${C.unusedGrantGraceDays} days')::int as judged,
           coalesce(array_agg(g.id) filter (where g.created_at <= p.as_of - interval '${C.unusedGrantGraceDays} days'), '{}') as judged_ids
      from capability_grants g join capabilities c on c.organization_id = g.organization_id and c.id = g.capability_id
     where g.organization_id = $1 and g.agent_id = a.id and g.created_at <= p.as_of
       and (g.revoked_at is null or g.revoked_at > p.as_of) and (g.expires_at is null or g.expires_at > p.as_of)
  ) gr
  cross join lateral (
    -- A member's rating of an agent they now own does not count.
    select count(*)::int as count, coalesce(sum(r.rating), 0)::int as sum
      from agent_ratings r
     where r.organization_id = $1 and r.agent_id = a.id and r.created_at <= p.as_of and r.user_id is distinct from a.owner_id
  ) rat
  cross join lateral (
    -- Only active attesters, and none that shares the agent's owner (an owner cannot vouch through a second agent).
    select count(*) filter (where t.verdict = 'trusted')::int as trusted, count(*) filter (where t.verdict = 'distrusted')::int as distrusted
      from agent_attestations t join agents w on w.organization_id = t.organization_id and w.id = t.attester_id
     where t.organization_id = $1 and t.agent_id = a.id and t.created_at <= p.as_of
       and w.status = 'active' and w.owner_id is distinct from a.owner_id
  ) att
  cross join lateral (
    select min(h.hour + make_interval(mins => floor(log(2, (h.minutes & -h.minutes)::numeric))::int)) filter (where h.minutes <> 0) as first_minute,
           coalesce(sum(length(replace(h.minutes::bit(64)::text, '0', ''))), 0)::int as minutes_with_heartbeat
      from agent_uptime_hours h
     where h.agent_id = a.id and h.hour >= date_trunc('hour', p.as_of - interval '${C.uptimeWindowDays} days') and h.hour <= p.as_of
  ) up
  cross join lateral (
    -- Denials for too low a trust score are left out: they follow from the score and must not feed it.
    select coalesce(jsonb_agg(jsonb_build_object('source', x.source, 'severity', x.severity, 'ageDays', x.age, 'count', x.n)), '[]') as rows
      from (
        select i.source, i.severity, floor(extract(epoch from p.as_of - i.at) / 86400)::int as age, count(*)::int as n
          from (
            select 'violation' as source, v.severity, v.created_at as at from violations v
             where v.organization_id = $1 and v.agent_id = a.id and v.rule <> 'min_trust'
               and v.created_at <= p.as_of and v.created_at > p.as_of - interval '${C.incidentWindowDays} days'
            union all
            select 'incident', n.severity, n.occurred_at from agent_incidents n
             where n.organization_id = $1 and n.agent_id = a.id and n.created_at <= p.as_of
               and n.occurred_at <= p.as_of and n.occurred_at > p.as_of - interval '${C.incidentWindowDays} days'
            union all
            select 'alert', l.severity, least(l.last_seen_at, p.as_of) ${COUNTED_ALERTS}
          ) i
         group by 1, 2, 3
      ) x
  ) inc
  cross join lateral (
    -- The newest of the alerts counted above, by name (the explanation lists them).
    select coalesce(jsonb_agg(jsonb_build_object('id', x.id, 'type', x.type, 'severity', x.severity, 'status', x.status, 'ageDays', x.age)
                    order by x.last_seen_at desc, x.id desc), '[]') as rows
      from (select l.id, l.type, l.severity, l.status, l.last_seen_at, ${ALERT_AGE} as age ${COUNTED_ALERTS}
             order by l.last_seen_at desc, l.id desc limit ${C.alertsNamed}) x
  ) alr
  cross join lateral (
    -- One pass over the agent's decisions in the window: how many, how many complied (not flagged, and no
    -- violation other than a trust denial), and which grants they used.
    select count(*)::int as total,
           count(*) filter (where not v.flagged and not exists (
             select 1 from violations x where x.organization_id = $1 and x.decision_id = v.id and x.rule <> 'min_trust'))::int as compliant,
           coalesce(array_agg(distinct v.grant_id) filter (where v.grant_id is not null), '{}') as grant_ids
      from verification_events v
     where v.organization_id = $1 and v.agent_id = a.id
       and v.created_at <= p.as_of and v.created_at > p.as_of - interval '${C.complianceWindowDays} days'
  ) dec`;

interface EvidenceRow {
  agent_id: string;
  status: TrustEvidence['agent']['status'];
  created_at: Date;
  owner_set: boolean;
  purpose_set: boolean;
  classification_set: boolean;
  registered: number;
  usable: number;
  newest_expires_at: Date | null;
  newest_created_at: Date | null;
  last_verified_at: Date | null;
  verified: string;
  failed: string;
  active_days: number;
  reviewed_at: Date | null;
  findings: Record<Severity, number> | null;
  high_risk: number;
  judged: number;
  used: number;
  rating_count: number;
  rating_sum: number;
  trusted: number;
  distrusted: number;
  first_minute: Date | null;
  minutes_with_heartbeat: number;
  incidents: TrustEvidence['incidents'];
  alerts: NonNullable<TrustEvidence['alerts']>;
  decisions: number;
  compliant: number;
}

const iso = (d: Date | null) => (d === null ? null : d.toISOString());
const DAY_MS = 86_400_000;

function evidenceOf(row: EvidenceRow, asOf: Date): TrustEvidence {
  const now = asOf.getTime();
  // Uptime is counted in whole minutes from the first heartbeat in the window (or the window's start) to now.
  const windowStart = Math.floor((now - C.uptimeWindowDays * DAY_MS) / 3_600_000) * 3_600_000;
  const from = row.first_minute === null ? null : Math.max(windowStart, row.first_minute.getTime());
  const observedMinutes = from === null ? null : Math.floor((now - from) / 60_000) + 1;
  // Activity: the UTC days of the window, ending today, on which the agent existed.
  const today = Math.floor(now / DAY_MS);
  const createdDay = Math.floor(row.created_at.getTime() / DAY_MS);
  const observedDays = Math.max(0, today - Math.max(createdDay, today - C.activityWindowDays + 1) + 1);
  return {
    asOf: asOf.toISOString(),
    agent: {
      status: row.status,
      createdAt: row.created_at.toISOString(),
      ownerSet: row.owner_set,
      purposeSet: row.purpose_set,
      dataClassificationSet: row.classification_set,
    },
    keys: { registered: row.registered, usable: row.usable, newestExpiresAt: iso(row.newest_expires_at), newestCreatedAt: iso(row.newest_created_at) },
    requests: { verified: Number(row.verified), failed: Number(row.failed) },
    lastVerifiedAt: iso(row.last_verified_at),
    review: row.reviewed_at === null ? null : { reviewedAt: row.reviewed_at.toISOString(), findings: row.findings! },
    grants: { highRisk: row.high_risk, judged: row.judged, used: row.used },
    ratings: { count: row.rating_count, sum: row.rating_sum },
    attestations: { trusted: row.trusted, distrusted: row.distrusted },
    uptime: { observedMinutes, minutesWithHeartbeat: Math.min(row.minutes_with_heartbeat, observedMinutes ?? 0) },
    incidents: row.incidents,
    alerts: row.alerts,
    decisions: { total: row.decisions, compliant: row.compliant },
    activity: { observedDays, activeDays: Math.min(row.active_days, observedDays), ageDays: Math.max(0, (now - row.created_at.getTime()) / DAY_MS) },
  };
}

/** The evidence of each agent asked for (agents of another organization, or unknown, are absent). */
export async function gatherEvidence(tx: Tx, agentIds: readonly string[], asOf: Date): Promise<Map<string, TrustEvidence>> {
  const { rows } = await tx.query<EvidenceRow>(EVIDENCE_SQL, [orgOf(tx), asOf, agentIds], { name: 'aim.trust.evidence' });
  return new Map(rows.map((row) => [row.agent_id, evidenceOf(row, asOf)]));
}
