import { hasRelation, iso, num, result, SAMPLE_LIMIT, type CheckDefinition } from './check-types.js';

/** Access checks: ownership, reviews, approval of high-risk actions, how admins sign in. */

export const agentsOwned: CheckDefinition = {
  id: 'agents_owned',
  title: 'Every agent has an owner who is a member',
  description:
    'Agents that existed at the end of the period (created before it, not revoked before it began) and whose owner is empty or no longer a member of the organization. Pass: at least one agent and none without an owner; fail: any; unknown: no agents.',
  async run({ tx, period }) {
    const scope = `from agents a left join memberships m on m.organization_id = a.organization_id and m.user_id = a.owner_id
      where a.organization_id = $1 and a.created_at < $3 and not (a.status = 'revoked' and a.status_changed_at < $2)`;
    const params = [tx.organizationId, period.from, period.to];
    const { rows } = await tx.query<{ total: string; unowned: string }>(
      `select count(*) as total, count(*) filter (where m.user_id is null) as unowned ${scope}`,
      params,
    );
    const total = num(rows[0]?.total);
    const unowned = num(rows[0]?.unowned);
    const samples = unowned
      ? (await tx.query(`select a.id as "agentId", a.name, a.owner_id as "ownerId", a.status ${scope} and m.user_id is null order by a.id limit ${SAMPLE_LIMIT}`, params)).rows
      : [];
    const query = 'agents existing at the end of the period, and those whose owner is not a current member';
    if (total === 0) return result('unknown', 'No agents existed in the period.', query, { agents: 0, withoutOwner: 0 });
    return result(
      unowned === 0 ? 'pass' : 'fail',
      unowned === 0 ? `All ${total} agents have an owner who is a member.` : `${unowned} of ${total} agents have no owner who is a member.`,
      query,
      { agents: total, withoutOwner: unowned },
      samples,
    );
  },
};

export const accessReviewsCompleted: CheckDefinition = {
  id: 'access_reviews_completed',
  title: 'Grants were reviewed within the review period',
  description:
    'Access reviews (scope all_agents or high_risk_grants) completed within the organization’s review period (accessReviewDays) before the end of the period, their items still pending, and reviews past their deadline; against the grants active at the end of the period. Pass: a completed review in the window with no pending item and none overdue; fail: active grants and no such review, a pending item, or an overdue review; unknown: no active grants and no review.',
  async run({ tx, period, settings }) {
    const query = 'completed access reviews of agents or high-risk grants in the review window, their pending items, overdue open reviews, and grants active at the end of the period';
    const { rows: grantRows } = await tx.query<{ grants: string }>(
      `select count(*) as grants from capability_grants where organization_id = $1 and created_at < $2
          and (revoked_at is null or revoked_at >= $2) and (expires_at is null or expires_at > $2)`,
      [tx.organizationId, period.to],
    );
    const grants = num(grantRows[0]?.grants);
    if (!(await hasRelation(tx, 'access_reviews'))) {
      return result(grants > 0 ? 'fail' : 'unknown', 'Access reviews are not available in this deployment.', query, { activeGrants: grants, completedReviews: 0 });
    }
    const windowStart = new Date(period.to.getTime() - settings.accessReviewDays * 86_400_000);
    const { rows } = await tx.query<{ id: string; name: string; status: string; completed_at: Date | null; deadline: Date; pending: string; items: string }>(
      `select r.id, r.name, r.status, r.completed_at, r.deadline,
              (select count(*) from access_review_items i where i.organization_id = r.organization_id and i.review_id = r.id) as items,
              (select count(*) from access_review_items i where i.organization_id = r.organization_id and i.review_id = r.id and i.decision = 'pending') as pending
         from access_reviews r
        where r.organization_id = $1 and r.scope->>'kind' in ('all_agents', 'high_risk_grants')
          and ((r.status = 'completed' and r.completed_at >= $2 and r.completed_at < $3)
            or (r.status = 'open' and r.deadline < $3 and r.created_at < $3))
        order by r.created_at desc limit 50`,
      [tx.organizationId, windowStart, period.to],
    );
    const completed = rows.filter((r) => r.status === 'completed');
    const clean = completed.filter((r) => num(r.pending) === 0);
    const overdue = rows.filter((r) => r.status === 'open');
    const pending = completed.reduce((sum, r) => sum + num(r.pending), 0);
    const counts = { activeGrants: grants, completedReviews: completed.length, pendingItems: pending, overdueReviews: overdue.length, reviewWindowDays: settings.accessReviewDays };
    const samples = rows.slice(0, SAMPLE_LIMIT).map((r) => ({
      reviewId: r.id, name: r.name, status: r.status, completedAt: iso(r.completed_at), deadline: iso(r.deadline), items: num(r.items), pendingItems: num(r.pending),
    }));
    if (grants === 0 && rows.length === 0) return result('unknown', 'No active grants and no access review in the window.', query, counts);
    if (overdue.length > 0) return result('fail', `${overdue.length} access review(s) are past their deadline and still open.`, query, counts, samples);
    if (clean.length === 0) {
      return result('fail', completed.length > 0 ? `Completed reviews left ${pending} item(s) pending.` : `No access review was completed in the last ${settings.accessReviewDays} days of the period.`, query, counts, samples);
    }
    return result('pass', `${clean.length} access review(s) completed in the window with every item decided.`, query, counts, samples);
  },
};

export const highRiskApproval: CheckDefinition = {
  id: 'high_risk_approval',
  title: 'High-risk actions need a person’s approval',
  description:
    'The policies in force at the end of the period (the latest version of each, from policy_versions) that are enabled, enforced, of type require_approval, apply to every agent (empty scope) and start at high risk or lower; and the decisions of the period of high or critical risk that were allowed without waiting for approval. Pass: such a policy and no such decision; fail: otherwise.',
  async run({ tx, period }) {
    const query = 'require_approval policies in force at the end of the period, and high or critical risk decisions of the period allowed without approval';
    const { rows: policies } = await tx.query<{ policy_id: string; version: number; name: string; min_risk: string; created_at: Date }>(
      `select * from (
         select distinct on (policy_id) policy_id, version, name, type, mode, enabled, deleted, scope, config->>'minRisk' as min_risk, created_at
           from policy_versions where organization_id = $1 and created_at < $2 order by policy_id, version desc) p
        where not deleted and enabled and mode = 'enforce' and type = 'require_approval' and scope = '{}'::jsonb
          and min_risk in ('low', 'medium', 'high')
        order by policy_id limit ${SAMPLE_LIMIT}`,
      [tx.organizationId, period.to],
    );
    const { rows } = await tx.query<{ high: string; bypassed: string; approved_by_people: string }>(
      `select count(*) as high, count(*) filter (where initial_decision = 'allow') as bypassed,
              count(*) filter (where status = 'approved' and resolved_by_type = 'user') as approved_by_people
         from verification_events where organization_id = $1 and created_at >= $2 and created_at < $3 and risk in ('high', 'critical')`,
      [tx.organizationId, period.from, period.to],
    );
    const counts = { policies: policies.length, highRiskDecisions: num(rows[0]?.high), allowedWithoutApproval: num(rows[0]?.bypassed), approvedByPeople: num(rows[0]?.approved_by_people) };
    const samples: Record<string, string | number | null>[] = policies.map((p) => ({ policyId: p.policy_id, version: p.version, name: p.name, minRisk: p.min_risk, since: iso(p.created_at) }));
    if (counts.allowedWithoutApproval > 0) {
      const { rows: bypass } = await tx.query<{ id: string; created_at: Date; risk: string; action: string }>(
        `select id, created_at, risk, action from verification_events where organization_id = $1 and created_at >= $2 and created_at < $3
            and risk in ('high', 'critical') and initial_decision = 'allow' order by created_at limit ${SAMPLE_LIMIT}`,
        [tx.organizationId, period.from, period.to],
      );
      samples.push(...bypass.map((d) => ({ decisionId: d.id, createdAt: iso(d.created_at), risk: d.risk, action: d.action })));
      return result('fail', `${counts.allowedWithoutApproval} high or critical risk action(s) were allowed without approval.`, query, counts, samples);
    }
    if (policies.length === 0) return result('fail', 'No enforced require_approval policy for every agent at high risk or lower was in force.', query, counts);
    return result('pass', `An approval policy is in force and all ${counts.highRiskDecisions} high-risk decision(s) waited for a person.`, query, counts, samples);
  },
};

export const adminStrongSignIn: CheckDefinition = {
  id: 'admin_strong_sign_in',
  title: 'Admins sign in with passkeys or an identity provider',
  description:
    'The organization’s admins, each one’s passkeys and identity-provider identities, and the sessions they started in the period by method (passkey, oidc, other such as the one-time setup link). Pass: every admin has a passkey or an identity and no session of the period started another way; fail: otherwise; unknown: no admin.',
  async run({ tx, period }) {
    const { rows } = await tx.query<{ user_id: string; passkeys: string; identities: string; sessions_passkey: string; sessions_oidc: string; sessions_other: string }>(
      'select * from aim_compliance_admin_sign_in($1, $2)',
      [period.from, period.to],
    );
    const weak = rows.filter((r) => num(r.passkeys) + num(r.identities) === 0);
    const other = rows.filter((r) => num(r.sessions_other) > 0);
    const counts = {
      admins: rows.length,
      withoutStrongFactor: weak.length,
      sessionsPasskey: rows.reduce((s, r) => s + num(r.sessions_passkey), 0),
      sessionsOidc: rows.reduce((s, r) => s + num(r.sessions_oidc), 0),
      sessionsOther: rows.reduce((s, r) => s + num(r.sessions_other), 0),
    };
    const samples = [...new Set([...weak, ...other])].slice(0, SAMPLE_LIMIT).map((r) => ({
      userId: r.user_id, passkeys: num(r.passkeys), identities: num(r.identities), sessionsOther: num(r.sessions_other),
    }));
    const query = 'admins of the organization with their passkeys, provider identities and the sessions they started in the period by method';
    if (rows.length === 0) return result('unknown', 'The organization has no admin.', query, counts);
    if (weak.length > 0 || other.length > 0) {
      return result('fail', `${weak.length} admin(s) have neither a passkey nor a provider identity; ${counts.sessionsOther} admin session(s) started another way.`, query, counts, samples);
    }
    return result('pass', `All ${rows.length} admins sign in with a passkey or a provider.`, query, counts, samples);
  },
};
