import { checkAgainstChain, checkSignatures, type Checkpoint } from '@aim/audit-verify';
import type { Tx } from '../../../platform/db/database.js';
import { hasRelation, iso, num, result, SAMPLE_LIMIT, type CheckDefinition, type CheckEnvironment } from './check-types.js';

/** Record-keeping checks: decisions and changes recorded, the chain intact, checkpoints covering the period. */

const DECISION_ACTIONS = `('decision.allow', 'decision.deny', 'decision.pending')`;

export const decisionsRecorded: CheckDefinition = {
  id: 'decisions_recorded',
  title: 'Every decision is recorded in the audit log',
  description:
    'Decisions of the period (verification_events) and, for each, the audit event decision.allow, decision.deny or decision.pending whose target is that decision. Pass: at least one decision and none without its event; fail: any without; unknown: no decision in the period.',
  async run({ tx, period }) {
    const where = `v.organization_id = $1 and v.created_at >= $2 and v.created_at < $3`;
    const missing = `not exists (select 1 from audit_events e where e.organization_id = v.organization_id and e.target_type = 'decision' and e.target_id = v.id
                       and e.action in ${DECISION_ACTIONS} and e.occurred_at >= $2::timestamptz - interval '1 hour' and e.occurred_at < $3::timestamptz + interval '1 hour')`;
    const params = [tx.organizationId, period.from, period.to];
    // Counted over an outer join, which PostgreSQL runs as one hash join of the period's decisions
    // with their events, read from the partial index audit_events_decision_events alone (migration
    // 0028; a probe per decision, as `not exists` is planned, took three times as long at a million).
    // A decision with two events is never counted among the unrecorded.
    const { rows } = await tx.query<{ decisions: string; unrecorded: string }>(
      `select (select count(*) from verification_events v where ${where}) as decisions,
              (select count(*) filter (where e.target_id is null) from verification_events v
                 left join audit_events e on e.organization_id = v.organization_id and e.target_type = 'decision' and e.target_id = v.id
                  and e.action in ${DECISION_ACTIONS} and e.occurred_at >= $2::timestamptz - interval '1 hour' and e.occurred_at < $3::timestamptz + interval '1 hour'
                where ${where}) as unrecorded`,
      params,
    );
    const counts = { decisions: num(rows[0]?.decisions), withoutAuditEvent: num(rows[0]?.unrecorded) };
    const query = 'decisions of the period, and those without their decision.* audit event';
    if (counts.decisions === 0) return result('unknown', 'No decision was taken in the period.', query, counts);
    if (counts.withoutAuditEvent === 0) return result('pass', `All ${counts.decisions} decisions have their audit event.`, query, counts);
    const { rows: samples } = await tx.query<{ id: string; created_at: Date; decision: string }>(
      `select v.id, v.created_at, v.decision from verification_events v where ${where} and ${missing} order by v.created_at limit ${SAMPLE_LIMIT}`,
      params,
    );
    return result('fail', `${counts.withoutAuditEvent} of ${counts.decisions} decisions have no audit event.`, query, counts,
      samples.map((s) => ({ decisionId: s.id, createdAt: iso(s.created_at), decision: s.decision })));
  },
};

export const policyChangesRecorded: CheckDefinition = {
  id: 'policy_changes_recorded',
  title: 'Every policy change is versioned and audited',
  description:
    'Policy versions written in the period (policy_versions) and, for each, an audit event policy.create, policy.update or policy.delete about that policy within a minute of it (the same transaction). Pass: at least one change and none without its event; fail: any without; unknown: no policy change in the period.',
  async run({ tx, period }) {
    const where = `v.organization_id = $1 and v.created_at >= $2 and v.created_at < $3`;
    const missing = `not exists (select 1 from audit_events e where e.organization_id = v.organization_id and e.target_type = 'policy' and e.target_id = v.policy_id
                       and e.action in ('policy.create', 'policy.update', 'policy.delete') and e.occurred_at >= v.created_at and e.occurred_at < v.created_at + interval '1 minute')`;
    const params = [tx.organizationId, period.from, period.to];
    const { rows } = await tx.query<{ changes: string; unrecorded: string }>(
      `select count(*) as changes, count(*) filter (where ${missing}) as unrecorded from policy_versions v where ${where}`,
      params,
    );
    const counts = { policyVersions: num(rows[0]?.changes), withoutAuditEvent: num(rows[0]?.unrecorded) };
    const query = 'policy versions written in the period, and those without a policy.* audit event';
    if (counts.policyVersions === 0) return result('unknown', 'No policy changed in the period.', query, counts);
    const { rows: samples } = await tx.query<{ policy_id: string; version: number; created_at: Date }>(
      `select v.policy_id, v.version, v.created_at from policy_versions v where ${where} ${counts.withoutAuditEvent ? `and ${missing}` : ''} order by v.created_at desc limit ${SAMPLE_LIMIT}`,
      params,
    );
    const shown = samples.map((s) => ({ policyId: s.policy_id, version: s.version, createdAt: iso(s.created_at) }));
    if (counts.withoutAuditEvent > 0) return result('fail', `${counts.withoutAuditEvent} policy change(s) have no audit event.`, query, counts, shown);
    return result('pass', `All ${counts.policyVersions} policy change(s) are versioned and audited.`, query, counts, shown);
  },
};

export const chainIntact: CheckDefinition = {
  id: 'audit_chain_intact',
  readsChain: true,
  title: 'The audit chain verifies over the period',
  description:
    'Every chained audit event of the period re-hashed from its content and the previous hash (the audit verifier’s code), from the stored hash of the event before the period. Pass: intact; fail: the first event that does not follow; unknown: no event in the period.',
  async run({ chain }) {
    const query = 'audit events of the period, walked by seq, each hash recomputed';
    const counts = { fromSeq: chain.fromSeq ?? 0, throughSeq: chain.throughSeq ?? 0, eventsVerified: chain.checked };
    const sample = { fromSeq: chain.fromSeq, throughSeq: chain.throughSeq, throughHash: chain.throughHash, verifiedAt: chain.verifiedAt, brokenAt: chain.brokenAt, reason: chain.reason };
    if (chain.status === 'empty') return result('unknown', 'No audit event in the period.', query, counts);
    if (chain.status === 'broken') return result('fail', `The chain breaks at seq ${chain.brokenAt}: ${chain.reason}.`, query, counts, [sample]);
    return result('pass', `${chain.checked} events (seq ${chain.fromSeq}–${chain.throughSeq}) verify.`, query, counts, [sample]);
  },
};

interface CheckpointRow {
  seq: string;
  hash: Buffer;
  signed_at_text: string;
  kid: string;
  signature: Buffer;
  tsa_status: string;
  event_hash: Buffer | null;
}

export interface CoveringCheckpoint extends Checkpoint {
  tsaStatus: string;
}

/** The first checkpoint at or after the period's last event, with the stored hash at its position. */
export async function coveringCheckpoint(tx: Tx, throughSeq: number): Promise<{ checkpoint: CoveringCheckpoint; eventHash: Buffer | null } | null> {
  const { rows } = await tx.query<CheckpointRow>(
    `select c.seq, c.hash, to_char(c.signed_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as signed_at_text, c.kid, c.signature, c.tsa_status,
            (select e.hash from audit_events e where e.organization_id = c.organization_id and e.seq = c.seq) as event_hash
       from audit_checkpoints c where c.organization_id = $1 and c.seq >= $2 order by c.seq limit 1`,
    [tx.organizationId, throughSeq],
  );
  const r = rows[0];
  if (!r) return null;
  return {
    checkpoint: { organizationId: tx.organizationId!, seq: Number(r.seq), hash: r.hash.toString('hex'), signedAt: r.signed_at_text, kid: r.kid, signature: r.signature.toString('base64url'), tsaStatus: r.tsa_status },
    eventHash: r.event_hash,
  };
}

async function checkpointFor(env: CheckEnvironment) {
  if (env.chain.throughSeq === null) return null;
  return coveringCheckpoint(env.tx, env.chain.throughSeq);
}

export const checkpointCoversPeriod: CheckDefinition = {
  id: 'checkpoint_covers_period',
  readsChain: true,
  title: 'A signed checkpoint covers the end of the period',
  description:
    'The first signed checkpoint (audit_checkpoints) at or after the period’s last audit event: its Ed25519 signature checked against the published checkpoint keys, and its hash against the chain at its position. Pass: such a checkpoint that verifies; fail: none, a bad signature or a different hash; unknown: no event in the period.',
  async run(env) {
    const query = 'the first checkpoint at or after the last audit event of the period, its signature and its hash against the chain';
    const throughSeq = env.chain.throughSeq;
    if (throughSeq === null) return result('unknown', 'No audit event in the period.', query, { lastSeq: 0 });
    const found = await checkpointFor(env);
    if (!found) return result('fail', `No signed checkpoint covers seq ${throughSeq}, the period’s last event.`, query, { lastSeq: throughSeq, checkpointSeq: 0 });
    const { checkpoint, eventHash } = found;
    const problems = [
      ...checkSignatures([checkpoint], (await env.checkpointKeys()) as never),
      ...checkAgainstChain([checkpoint], () => eventHash?.toString('hex'), Number.MAX_SAFE_INTEGER),
    ];
    const counts = { lastSeq: throughSeq, checkpointSeq: checkpoint.seq };
    const sample = { seq: checkpoint.seq, hash: checkpoint.hash, signedAt: checkpoint.signedAt, kid: checkpoint.kid, tsaStatus: checkpoint.tsaStatus, problem: problems[0]?.problem ?? null };
    if (problems.length > 0) return result('fail', `Checkpoint ${checkpoint.seq} does not verify: ${problems[0]!.problem}.`, query, counts, [sample]);
    return result('pass', `Checkpoint ${checkpoint.seq}, signed ${checkpoint.signedAt} by ${checkpoint.kid}, covers the period.`, query, counts, [sample]);
  },
};

export const checkpointTimestamped: CheckDefinition = {
  id: 'checkpoint_timestamped',
  readsChain: true,
  title: 'The covering checkpoint is timestamped by a time-stamping authority',
  description:
    'The tsa_status of the checkpoint that covers the period (see checkpoint_covers_period). Pass: stamped; fail: pending or failed; unknown: no time-stamping authority configured (none), or no covering checkpoint.',
  async run(env) {
    const query = 'the time-stamp status of the covering checkpoint';
    const found = await checkpointFor(env);
    if (!found) return result('unknown', 'No checkpoint covers the period.', query, { checkpointSeq: 0 });
    const { checkpoint } = found;
    const sample = { seq: checkpoint.seq, signedAt: checkpoint.signedAt, tsaStatus: checkpoint.tsaStatus };
    const counts = { checkpointSeq: checkpoint.seq };
    if (checkpoint.tsaStatus === 'stamped') return result('pass', `Checkpoint ${checkpoint.seq} carries a time-stamp token.`, query, counts, [sample]);
    if (checkpoint.tsaStatus === 'pending' || checkpoint.tsaStatus === 'failed') {
      return result('fail', `Checkpoint ${checkpoint.seq} has no time-stamp token (${checkpoint.tsaStatus}).`, query, counts, [sample]);
    }
    return result('unknown', 'No time-stamping authority is configured.', query, counts, [sample]);
  },
};
