import { hasRelation, iso, num, result, SAMPLE_LIMIT, type CheckDefinition } from './check-types.js';

/** Keys and personal data: rotation, per-person encryption, retention, privacy requests. */

export const agentKeysRotated: CheckDefinition = {
  id: 'agent_keys_rotated',
  title: 'Agent keys are rotated within policy',
  description:
    'Agent keys valid at the end of the period (created before it, not revoked or expired by then, of an agent not revoked) and their age then, against agentKeyMaxAgeDays. Pass: keys and none older; fail: any older; unknown: no valid key.',
  async run({ tx, period, settings }) {
    const scope = `from agent_keys k join agents a on a.id = k.agent_id and a.organization_id = k.organization_id
      where k.organization_id = $1 and k.created_at < $2 and (k.revoked_at is null or k.revoked_at >= $2::timestamptz) and (k.expires_at is null or k.expires_at > $2::timestamptz)
        and not (a.status = 'revoked' and a.status_changed_at < $2)`;
    const params = [tx.organizationId, period.to, `${settings.agentKeyMaxAgeDays} days`];
    const { rows } = await tx.query<{ keys: string; stale: string; oldest: Date | null }>(
      `select count(*) as keys, count(*) filter (where k.created_at < $2::timestamptz - $3::interval) as stale, min(k.created_at) as oldest ${scope}`,
      params,
    );
    const counts = { validKeys: num(rows[0]?.keys), olderThanPolicy: num(rows[0]?.stale), maxAgeDays: settings.agentKeyMaxAgeDays };
    const query = 'agent keys valid at the end of the period and those older than the policy allows';
    if (counts.validKeys === 0) return result('unknown', 'No agent key was valid at the end of the period.', query, counts);
    const { rows: samples } = await tx.query<{ id: string; agent_id: string; created_at: Date }>(
      `select k.id, k.agent_id, k.created_at ${scope} ${counts.olderThanPolicy ? 'and k.created_at < $2::timestamptz - $3::interval' : 'and $3::interval is not null'} order by k.created_at limit ${SAMPLE_LIMIT}`,
      params,
    );
    const shown = samples.map((k) => ({ keyId: k.id, agentId: k.agent_id, createdAt: iso(k.created_at) }));
    if (counts.olderThanPolicy > 0) return result('fail', `${counts.olderThanPolicy} of ${counts.validKeys} agent keys are older than ${settings.agentKeyMaxAgeDays} days.`, query, counts, shown);
    return result('pass', `All ${counts.validKeys} agent keys are younger than ${settings.agentKeyMaxAgeDays} days (oldest ${iso(rows[0]?.oldest)}).`, query, counts, shown);
  },
};

export const signingKeysRotated: CheckDefinition = {
  id: 'signing_keys_rotated',
  title: 'AIM’s signing keys are rotated within policy',
  description:
    'For each purpose (session, agent_token, audit_checkpoint) the newest signing key activated before the end of the period and its age then, against the deployment’s rotation period for it (plus one day for the daily rotation job). Pass: each purpose has a key within its period; fail: a purpose whose newest key is older; unknown: no signing key.',
  async run({ tx, period, settings }) {
    const { rows } = await tx.query<{ kid: string; purpose: 'session' | 'agent_token' | 'audit_checkpoint'; activated_at: Date }>(
      'select kid, purpose, activated_at from aim_compliance_signing_keys() where activated_at < $1',
      [period.to],
    );
    const newest = new Map<string, { kid: string; activatedAt: Date }>();
    for (const r of rows) if (!newest.has(r.purpose) || newest.get(r.purpose)!.activatedAt < r.activated_at) newest.set(r.purpose, { kid: r.kid, activatedAt: r.activated_at });
    const samples = [...newest.entries()].map(([purpose, k]) => {
      const ageDays = (period.to.getTime() - k.activatedAt.getTime()) / 86_400_000;
      const limit = settings.signingKeyMaxAgeDays[purpose as keyof typeof settings.signingKeyMaxAgeDays] ?? 365;
      return { purpose, kid: k.kid, activatedAt: iso(k.activatedAt), ageDays: Math.floor(ageDays), maxAgeDays: limit, withinPolicy: ageDays <= limit + 1 };
    });
    const stale = samples.filter((s) => !s.withinPolicy);
    const query = 'the newest signing key of each purpose activated before the end of the period, and its age then';
    const counts = { purposes: samples.length, olderThanPolicy: stale.length };
    if (samples.length === 0) return result('unknown', 'No signing key was active in the period.', query, counts);
    if (stale.length > 0) return result('fail', `Signing keys for ${stale.map((s) => s.purpose).join(', ')} were not rotated within policy.`, query, counts, samples);
    return result('pass', `The newest key of each of ${samples.length} purposes is within its rotation period.`, query, counts, samples);
  },
};

export const personalDataEncrypted: CheckDefinition = {
  id: 'personal_data_encrypted',
  title: 'Personal data is encrypted under per-person keys',
  description:
    'Members of the organization and their per-person keys (person_keys): each member must have a key that is not destroyed, and their email and name must be sealed under it (users.email_encrypted and name_encrypted in the `pd1.` format, not the deployment key alone). Pass: members, each with a live key and sealed data; fail: any without a live key or with data not sealed under it; unknown: per-person keys not installed, or no member.',
  async run({ tx }) {
    const query = 'members of the organization and their live (not destroyed) per-person keys';
    if (!(await hasRelation(tx, 'person_keys'))) return result('unknown', 'Per-person keys are not available in this deployment.', query, { members: 0 });
    const { rows } = await tx.query<{ user_id: string; live_keys: string; destroyed_keys: string; sealed: boolean }>('select * from aim_compliance_member_keys()');
    const without = rows.filter((r) => num(r.live_keys) === 0);
    const unsealed = rows.filter((r) => num(r.live_keys) > 0 && !r.sealed);
    const counts = { members: rows.length, withoutLiveKey: without.length, notSealed: unsealed.length };
    const samples = [...without, ...unsealed].slice(0, SAMPLE_LIMIT).map((r) => ({ userId: r.user_id, destroyedKeys: num(r.destroyed_keys), sealed: r.sealed }));
    if (rows.length === 0) return result('unknown', 'The organization has no member.', query, counts);
    if (without.length > 0 || unsealed.length > 0) {
      return result('fail', `${without.length} of ${rows.length} members have no live per-person key; ${unsealed.length} have data not yet sealed under theirs.`, query, counts, samples);
    }
    return result('pass', `All ${rows.length} members have a live per-person key with their email and name sealed under it.`, query, counts);
  },
};

export const retentionConfigured: CheckDefinition = {
  id: 'retention_configured',
  title: 'Retention is configured, or a legal hold suspends it',
  description:
    'The organization’s audit retention (audit_retention_days), decision retention (decision_retention_days) and legal hold (legal_hold_at, legal_hold_reason). Pass: both retentions set, or a legal hold with its reason; fail: a retention left unlimited without a hold; unknown: decision retention not installed.',
  async run({ tx }) {
    const query = 'the organization’s retention periods and legal hold';
    if (!(await hasRelation(tx, 'organizations', 'decision_retention_days')) || !(await hasRelation(tx, 'organizations', 'legal_hold_at'))) {
      return result('unknown', 'Decision retention and legal hold are not available in this deployment.', query, {});
    }
    const { rows } = await tx.query<{ audit_retention_days: number | null; decision_retention_days: number | null; legal_hold_at: Date | null; legal_hold_reason: string | null }>(
      'select audit_retention_days, decision_retention_days, legal_hold_at, legal_hold_reason from organizations where id = $1',
      [tx.organizationId],
    );
    const o = rows[0]!;
    const sample = { auditRetentionDays: o.audit_retention_days, decisionRetentionDays: o.decision_retention_days, legalHoldAt: iso(o.legal_hold_at), legalHoldReason: o.legal_hold_reason };
    const counts = { auditRetentionDays: o.audit_retention_days ?? 0, decisionRetentionDays: o.decision_retention_days ?? 0, legalHold: o.legal_hold_at ? 1 : 0 };
    if (o.legal_hold_at && o.legal_hold_reason) return result('pass', `A legal hold since ${iso(o.legal_hold_at)} suspends deletion.`, query, counts, [sample]);
    if (o.audit_retention_days !== null && o.decision_retention_days !== null) {
      return result('pass', `Audit events are kept ${o.audit_retention_days} days and decisions ${o.decision_retention_days} days.`, query, counts, [sample]);
    }
    return result('fail', 'A retention period is unlimited and no legal hold explains it.', query, counts, [sample]);
  },
};

export const privacyRequestsAnswered: CheckDefinition = {
  id: 'privacy_requests_answered',
  title: 'Data subject requests are answered within 30 days',
  description:
    'Export and erasure requests (privacy_requests) made in the period, and those answered later than 30 days after they were made or still open more than 30 days before the end of the period. Pass: requests and none late; fail: any late; unknown: no request, or privacy requests not installed.',
  async run({ tx, period }) {
    const query = 'privacy requests of the period and those answered after 30 days or still open past 30 days';
    if (!(await hasRelation(tx, 'privacy_requests'))) return result('unknown', 'Privacy requests are not available in this deployment.', query, { requests: 0 });
    const late = `(completed_at is not null and completed_at > created_at + interval '30 days') or (completed_at is null and created_at + interval '30 days' < $3)`;
    const params = [tx.organizationId, period.from, period.to];
    const where = 'organization_id = $1 and created_at >= $2 and created_at < $3';
    const { rows } = await tx.query<{ requests: string; late: string }>(`select count(*) as requests, count(*) filter (where ${late}) as late from privacy_requests where ${where}`, params);
    const counts = { requests: num(rows[0]?.requests), late: num(rows[0]?.late) };
    if (counts.requests === 0) return result('unknown', 'No privacy request was made in the period.', query, counts);
    const { rows: samples } = await tx.query<{ id: string; kind: string; created_at: Date; completed_at: Date | null }>(
      `select id, kind, created_at, completed_at from privacy_requests where ${where} ${counts.late ? `and (${late})` : ''} order by created_at limit ${SAMPLE_LIMIT}`,
      params,
    );
    const shown = samples.map((s) => ({ requestId: s.id, kind: s.kind, createdAt: iso(s.created_at), completedAt: iso(s.completed_at) }));
    if (counts.late > 0) return result('fail', `${counts.late} of ${counts.requests} privacy requests were not answered within 30 days.`, query, counts, shown);
    return result('pass', `All ${counts.requests} privacy requests were answered within 30 days.`, query, counts, shown);
  },
};
