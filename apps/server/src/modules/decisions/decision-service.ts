import type { DecisionJson, DecisionReason, decisionListQuerySchema, decisionResultSchema, RiskLevel, violationListQuerySchema } from '@aim/contracts';
import type { z } from 'zod';
import { recordAuditEvent } from '../../platform/audit/audit-log.js';
import { orgOf, type Database, type Tx } from '../../platform/db/database.js';
import type { DomainEvents } from '../../platform/events/domain-events.js';
import { AppError, notFound } from '../../platform/http/app-error.js';
import type { AgentRequestContext, RequestContext } from '../../platform/http/request-context.js';
import type { OrgContext, TenantContext } from '../../platform/http/operation.js';
import { idTime, isId } from '../../platform/ids.js';
import type { SharedStore } from '../../platform/store/shared-store.js';
import { loadPolicySet } from '../policies/index.js';
import { evaluateApproval, type CompiledPolicy, type Evaluation } from './policy-engine.js';
import { capabilityFact, createVerifyAction, FACTS, type Facts, type VerifyActionInput } from './verify-action.js';

export type { VerifyActionInput } from './verify-action.js';

/**
 * The decision endpoint and what follows a decision (docs/authorization.md §4): evaluate, store the
 * decision with its reasons and the policy versions they came from, record violations and the audit
 * event, all in one transaction: if the decision cannot be stored, the agent gets an error, never an
 * unrecorded allow. Pending decisions wait for a person (approve/reject) until they expire as deny;
 * agents poll or long-poll them and report the outcome of what they were allowed to do.
 */

interface EventRow {
  id: string;
  agent_id: string;
  action: string;
  resource: string | null;
  context: Record<string, unknown>;
  declared_risk: RiskLevel | null;
  risk: RiskLevel | null;
  decision: 'allow' | 'deny' | 'pending';
  status: DecisionJson['status'];
  reasons: DecisionReason[];
  approval_reasons: DecisionReason[] | null;
  flagged: boolean;
  trust_score: string | null;
  trust_confidence: string | null;
  created_at: Date;
  expires_at: Date | null;
  resolved_at: Date | null;
  resolved_by_type: string | null;
  resolved_by_id: string | null;
  note: string | null;
  result_status: 'success' | 'failure' | 'error' | null;
  result_duration_ms: number | null;
  result_detail: string | null;
  result_reported_at: Date | null;
}

const iso = (d: Date | null) => d?.toISOString() ?? null;

/** A pending decision past its expiry that nobody has closed yet is reported as what it is: an expired deny. */
export const decisionJson = (row: EventRow): DecisionJson => {
  const r: EventRow = row.status === 'pending' && row.expires_at!.getTime() <= Date.now() ? { ...row, decision: 'deny', status: 'expired' } : row;
  return rowJson(r);
};

const rowJson = (r: EventRow): DecisionJson => ({
  id: r.id,
  agentId: r.agent_id,
  action: r.action,
  resource: r.resource,
  context: r.context,
  risk: r.risk,
  declaredRisk: r.declared_risk,
  decision: r.decision,
  status: r.status,
  reasons: r.reasons,
  approvalReasons: r.approval_reasons ?? null,
  flagged: r.flagged,
  trust: { score: r.trust_score === null ? null : Number(r.trust_score), confidence: r.trust_confidence === null ? null : Number(r.trust_confidence) },
  createdAt: r.created_at.toISOString(),
  expiresAt: iso(r.expires_at),
  resolvedAt: iso(r.resolved_at),
  resolvedBy: r.resolved_by_type ? { type: r.resolved_by_type, id: r.resolved_by_id } : null,
  note: r.note,
  result: r.result_status
    ? { status: r.result_status, durationMs: r.result_duration_ms, detail: r.result_detail, reportedAt: r.result_reported_at!.toISOString() }
    : null,
});

const POLICY_CACHE_MAX = 1_000;
const MAX_WAIT_MS = 60_000;
/** Long-polls one instance holds at once; more are answered at once (the client asks again). */
const MAX_WAITERS = 10_000;

export function createDecisionService(deps: { db: Database; store: SharedStore; events: DomainEvents }) {
  const { db, store, events } = deps;
  /** Long-polls waiting on this instance, by decision id; woken by `decision.resolved` from any instance. */
  const waiters = new Map<string, Set<() => void>>();
  let waiting = 0;
  let listening: Promise<void> | null = null;
  function listenForResolutions(): Promise<void> {
    listening ??= events
      .listen((event) => {
        if (event.type !== 'decision.resolved') return;
        for (const wake of [...(waiters.get(event.data.decisionId) ?? [])]) wake();
      })
      .then(
        () => undefined,
        (error: unknown) => {
          listening = null;
          throw error;
        },
      );
    return listening;
  }

  /** Compiled policy sets by organization, valid for one policy revision (read in every decision). */
  const policyCache = new Map<string, { revision: string; policies: CompiledPolicy[] }>();

  /** The policy set of the revision the facts named, from the cache; on a miss, read (with its own revision) and kept. */
  async function policySet(tx: Tx, revision: string): Promise<{ revision: string; policies: CompiledPolicy[] }> {
    const organizationId = orgOf(tx);
    const cached = policyCache.get(organizationId);
    if (cached?.revision === revision) return cached;
    const loaded = await loadPolicySet(tx);
    if (policyCache.size >= POLICY_CACHE_MAX) policyCache.delete(policyCache.keys().next().value!);
    policyCache.set(organizationId, loaded);
    return loaded;
  }

  async function load(tx: Tx, id: string, forUpdate = false): Promise<EventRow | null> {
    if (!isId('dec', id)) return null;
    const { rows } = await tx.query<EventRow>(
      `select * from verification_events where organization_id = $1 and id = $2 and created_at = $3${forUpdate ? ' for update' : ''}`,
      [orgOf(tx), id, new Date(idTime(id))],
    );
    return rows[0] ?? null;
  }

  /**
   * A pending decision past its expiry turns into deny, recorded like a person's answer. `changed` is
   * false when someone else (the job, another reader) expired it first: then the row is read again.
   */
  async function expireInTx(tx: Tx, ctx: RequestContext, row: EventRow): Promise<{ row: EventRow; changed: boolean }> {
    const { rows } = await tx.query<EventRow>(
      `update verification_events set decision = 'deny', status = 'expired', resolved_at = now(), resolved_by_type = 'system'
        where organization_id = $1 and id = $2 and created_at = $3 and status = 'pending' returning *`,
      [orgOf(tx), row.id, row.created_at],
    );
    if (!rows[0]) return { row: (await load(tx, row.id)) ?? row, changed: false };
    await recordAuditEvent(tx, { ...ctx, actor: { type: 'system', id: null } }, {
      action: 'decision.expire',
      target: { type: 'decision', id: row.id },
      details: { agentId: row.agent_id, action: row.action, resource: row.resource },
    });
    await announceResolved(tx, rows[0]);
    return { row: rows[0], changed: true };
  }

  /** In the transaction that resolved it: `decision.resolved` (long-polls on every instance wake on it). */
  async function announceResolved(tx: Tx, row: EventRow): Promise<void> {
    await events.record(tx, 'decision.resolved', {
      decisionId: row.id,
      agentId: row.agent_id,
      decision: row.decision as 'allow' | 'deny',
      status: row.status as 'approved' | 'rejected' | 'expired' | 'withdrawn' | 'invalidated',
    });
  }

  /** Read a decision: its agent, or people who may read decisions. Another agent's or organization's: 404. */
  async function read(ctx: TenantContext, id: string): Promise<EventRow> {
    const organizationId = ctx.organizationId;
    return db.transaction({ organizationId }, async (tx) => {
      const current = await load(tx, id);
      if (!current || (ctx.actor.type === 'agent' && current.agent_id !== ctx.actor.id)) throw notFound('The decision');
      if (current.status === 'pending' && current.expires_at!.getTime() <= Date.now()) return (await expireInTx(tx, ctx, current)).row;
      return current;
    });
  }

  /** Write a pending decision's resolution by a person (approve, reject, or an approval the re-evaluation refused). */
  async function setResolution(
    tx: Tx,
    current: EventRow,
    decision: 'allow' | 'deny',
    status: 'approved' | 'rejected' | 'invalidated',
    byType: 'user' | 'api_key',
    byId: string | null,
    note: string | undefined,
    approvalReasons: DecisionReason[] | null,
  ): Promise<EventRow> {
    const { rows } = await tx.query<EventRow>(
      `update verification_events set decision = $4, status = $5, resolved_at = now(), resolved_by_type = $6, resolved_by_id = $7, note = $8, approval_reasons = $9
        where organization_id = $1 and id = $2 and created_at = $3 returning *`,
      [orgOf(tx), current.id, current.created_at, decision, status, byType, byId, note ?? null, approvalReasons === null ? null : JSON.stringify(approvalReasons)],
    );
    await announceResolved(tx, rows[0]!);
    return rows[0]!;
  }

  /**
   * Re-evaluate a pending decision as a person approves it (docs/authorization.md §5): the facts as of
   * now — the agent row locked against a concurrent status change until this transaction ends —, the
   * policies of the current revision, the clock. See evaluateApproval for what the approval answers.
   */
  async function reevaluate(tx: Tx, row: EventRow): Promise<{ evaluation: Evaluation & { decision: 'allow' | 'deny' }; revision: string }> {
    const { rows } = await tx.query<Facts>(`${FACTS} for share of a`, [orgOf(tx), row.agent_id, row.action]);
    const facts = rows[0];
    if (!facts) throw notFound('The agent');
    const { revision, policies } = await policySet(tx, facts.policy_revision);
    const evaluation = evaluateApproval({
      agent: { id: row.agent_id, tags: facts.tags, trustScore: facts.trust_score === null ? null : Number(facts.trust_score), status: facts.agent_status },
      action: row.action,
      resource: row.resource,
      context: row.context,
      capability: capabilityFact(facts),
      declaredRisk: row.declared_risk,
      grants: facts.grants.map((g) => ({ id: g.id, resourcePattern: g.p, expiresAt: g.e === null ? null : Date.parse(g.e) })),
      policies,
      now: Date.now(),
    });
    return { evaluation, revision };
  }

  const verifyAction = createVerifyAction({ db, store, events, policySet });

  const deciding = (evaluation: Evaluation) =>
    evaluation.reasons.filter((r) => r.effect !== 'pass' && r.effect !== 'info').map((r) => ({ rule: r.rule, effect: r.effect, policyId: r.policyId, policyVersion: r.policyVersion }));

  return {
    /** The decision endpoint, in named steps (verify-action.ts). */
    async verifyAction(ctx: AgentRequestContext, agentId: string, input: VerifyActionInput, auth: { keyId: string; by: 'signature' | 'token' }) {
      return verifyAction(ctx, agentId, input, auth);
    },

    /**
     * One decision; with `waitSeconds`, a pending one is answered when it is resolved (on any instance),
     * when the wait or the decision's expiry ends, or when `signal` aborts (the client went away).
     * At most MAX_WAITERS requests wait per instance; beyond that the answer comes at once.
     */
    async get(ctx: TenantContext, id: string, waitSeconds = 0, signal?: AbortSignal): Promise<DecisionJson> {
      const row = await read(ctx, id);
      if (row.status !== 'pending' || waitSeconds <= 0 || waiting >= MAX_WAITERS || signal?.aborted) return decisionJson(row);
      const deadline = Math.min(Date.now() + Math.min(waitSeconds * 1000, MAX_WAIT_MS), row.expires_at!.getTime() + 50);
      waiting += 1;
      try {
        await new Promise<void>((resolve) => {
          const set = waiters.get(id) ?? new Set<() => void>();
          waiters.set(id, set);
          const wake = () => {
            clearTimeout(timer);
            signal?.removeEventListener('abort', wake);
            set.delete(wake);
            if (set.size === 0 && waiters.get(id) === set) waiters.delete(id);
            resolve();
          };
          const timer = setTimeout(wake, Math.max(0, deadline - Date.now()));
          set.add(wake);
          signal?.addEventListener('abort', wake, { once: true });
          listenForResolutions().then(async () => {
            // Resolved between the read and the subscription: do not wait for an event already gone.
            const again = await read(ctx, id).catch(() => null);
            if (!again || again.status !== 'pending') wake();
          }, wake);
        });
      } finally {
        waiting -= 1;
      }
      return signal?.aborted ? decisionJson(row) : decisionJson(await read(ctx, id));
    },

    async list(ctx: OrgContext, filter: z.output<typeof decisionListQuerySchema>) {
      if (filter.cursor && !isId('dec', filter.cursor)) throw new AppError('validation_failed', 'cursor: must be a nextCursor from a previous page.');
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const { rows } = await tx.query<EventRow>(
          `select * from verification_events
            where organization_id = $1
              and ($2::text is null or agent_id = $2)
              and ($3::text is null
                   or ($3 = 'pending' and decision = 'pending' and expires_at > now())
                   or ($3 = 'deny' and (decision = 'deny' or (decision = 'pending' and expires_at <= now())))
                   or ($3 = 'allow' and decision = 'allow'))
              and ($4::text is null
                   or ($4 = 'pending' and status = 'pending' and expires_at > now())
                   or ($4 = 'expired' and (status = 'expired' or (status = 'pending' and expires_at <= now())))
                   or ($4 not in ('pending', 'expired') and status = $4))
              and ($5::text is null or action = $5)
              and ($6::boolean is null or flagged = $6)
              and ($7::timestamptz is null or created_at >= $7)
              and ($8::timestamptz is null or created_at < $8)
              and ($9::text is null or (created_at <= $10 and (created_at, id) < ($10, $9)))
            order by created_at desc, id desc limit $11`,
          [
            orgOf(tx),
            filter.agentId ?? null,
            filter.decision ?? null,
            filter.status ?? null,
            filter.action ?? null,
            filter.flagged ?? null,
            filter.from ?? null,
            filter.to ?? null,
            filter.cursor ?? null,
            filter.cursor ? new Date(idTime(filter.cursor)) : null,
            filter.limit + 1,
          ],
        );
        const more = rows.length > filter.limit;
        const page = more ? rows.slice(0, filter.limit) : rows;
        return { decisions: page.map(decisionJson), nextCursor: more ? page[page.length - 1]!.id : null };
      });
    },

    /**
     * A manager or admin answers a pending decision. An approval re-evaluates the decision first: when
     * it would now be denied, the decision becomes denied (`invalidated`, with the re-evaluation's
     * reasons, the approver and the note recorded; no violation) and the approver gets 409
     * `decision_no_longer_allowed`, which names the rules.
     */
    async resolve(ctx: OrgContext, id: string, answer: 'approve' | 'reject', note: string | undefined) {
      const organizationId = ctx.organizationId;
      type Outcome = { kind: 'expired' } | { kind: 'resolved'; row: EventRow } | { kind: 'invalidated'; row: EventRow; evaluation: Evaluation };
      const outcome = await db.transaction({ organizationId }, async (tx): Promise<Outcome> => {
        const current = await load(tx, id, true);
        if (!current) throw notFound('The decision');
        if (current.status === 'pending' && current.expires_at!.getTime() <= Date.now()) {
          const { changed } = await expireInTx(tx, ctx, current);
          if (!changed) throw new AppError('decision_not_pending', 'The decision expired before it was answered; it is now a deny.');
          return { kind: 'expired' };
        }
        if (current.status !== 'pending') {
          throw new AppError('decision_not_pending', `The decision is already ${current.status}; only a pending decision can be answered.`);
        }
        const by = ctx.actor.type === 'api_key' ? 'api_key' : 'user';
        const base = { agentId: current.agent_id, action: current.action, resource: current.resource, note: note ?? null };
        if (answer === 'reject') {
          const row = await setResolution(tx, current, 'deny', 'rejected', by, ctx.actor.id, note, null);
          await recordAuditEvent(tx, ctx, { action: 'decision.reject', target: { type: 'decision', id }, details: { ...base, risk: current.risk } });
          return { kind: 'resolved', row };
        }
        const { evaluation, revision } = await reevaluate(tx, current);
        const details = { ...base, risk: evaluation.risk, policyRevision: Number(revision), rules: deciding(evaluation) };
        if (evaluation.decision === 'allow') {
          const row = await setResolution(tx, current, 'allow', 'approved', by, ctx.actor.id, note, evaluation.reasons);
          await recordAuditEvent(tx, ctx, { action: 'decision.approve', target: { type: 'decision', id }, details });
          return { kind: 'resolved', row };
        }
        const row = await setResolution(tx, current, 'deny', 'invalidated', by, ctx.actor.id, note, evaluation.reasons);
        // No violation is recorded: the agent asked within the rules; what changed since (a grant, a policy,
        // its status, its score) was done by people or by trust scoring, and must not count against it.
        await recordAuditEvent(tx, ctx, { action: 'decision.invalidate', target: { type: 'decision', id }, details });
        return { kind: 'invalidated', row, evaluation };
      });
      if (outcome.kind === 'expired') throw new AppError('decision_not_pending', 'The decision expired before it was answered; it is now a deny.');
      if (outcome.kind === 'resolved') return decisionJson(outcome.row);
      const denials = outcome.evaluation.reasons.filter((r) => r.effect === 'deny');
      throw new AppError(
        'decision_no_longer_allowed',
        `The approval was refused: as of now the decision would be denied (${denials.map((r) => `${r.rule}: ${r.message}`).join('; ')}). It is now denied; GET /api/v1/decisions/${id} shows the reasons.`,
        { details: { decisionId: id, rules: [...new Set(denials.map((r) => r.rule))].join(',') } },
      );
    },

    /**
     * The agent withdraws a decision it no longer waits for (it gave up, or no longer needs the
     * action): it becomes a deny, so a late approval cannot turn it into an allow nobody acts on.
     */
    async withdraw(ctx: AgentRequestContext, id: string) {
      const organizationId = ctx.organizationId;
      const row = await db.transaction({ organizationId }, async (tx) => {
        const current = await load(tx, id, true);
        if (!current || current.agent_id !== ctx.actor.id) throw notFound('The decision');
        if (current.status !== 'pending') {
          throw new AppError('decision_not_pending', `The decision is already ${current.status}; only a pending decision can be withdrawn.`);
        }
        const { rows } = await tx.query<EventRow>(
          `update verification_events set decision = 'deny', status = 'withdrawn', resolved_at = now(), resolved_by_type = 'agent', resolved_by_id = $4
            where organization_id = $1 and id = $2 and created_at = $3 returning *`,
          [orgOf(tx), id, current.created_at, ctx.actor.id],
        );
        await recordAuditEvent(tx, ctx, {
          action: 'decision.withdraw',
          target: { type: 'decision', id },
          details: { action: current.action, resource: current.resource },
        });
        await announceResolved(tx, rows[0]!);
        return rows[0]!;
      });
      return decisionJson(row);
    },

    /** The agent reports what happened when it acted on an allow: once per decision. */
    async reportResult(ctx: AgentRequestContext, id: string, input: z.output<typeof decisionResultSchema>) {
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const current = await load(tx, id, true);
        if (!current || current.agent_id !== ctx.actor.id) throw notFound('The decision');
        if (current.decision !== 'allow') {
          throw new AppError('result_not_expected', `The decision is ${current.status}: report an outcome only for an action AIM allowed.`);
        }
        if (current.result_status) throw new AppError('result_not_expected', 'An outcome was already reported for this decision.');
        const { rows } = await tx.query<EventRow>(
          `update verification_events set result_status = $4, result_duration_ms = $5, result_detail = $6, result_reported_at = now()
            where organization_id = $1 and id = $2 and created_at = $3 returning *`,
          [orgOf(tx), id, current.created_at, input.status, input.durationMs ?? null, input.detail ?? null],
        );
        await recordAuditEvent(tx, ctx, {
          action: 'decision.result',
          target: { type: 'decision', id },
          details: { action: current.action, resource: current.resource, status: input.status, durationMs: input.durationMs ?? null },
        });
        return decisionJson(rows[0]!);
      });
    },

    async violations(ctx: OrgContext, filter: z.output<typeof violationListQuerySchema>) {
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const { rows } = await tx.query<{
          id: string;
          agent_id: string;
          decision_id: string;
          rule: string;
          policy_id: string | null;
          policy_version: number | null;
          action: string;
          resource: string | null;
          severity: RiskLevel;
          created_at: Date;
        }>(
          `select * from violations where organization_id = $1 and ($2::text is null or agent_id = $2) and ($3::text is null or id < $3)
            order by id desc limit $4`,
          [orgOf(tx), filter.agentId ?? null, filter.cursor ?? null, filter.limit + 1],
        );
        const more = rows.length > filter.limit;
        const page = more ? rows.slice(0, filter.limit) : rows;
        return {
          violations: page.map((v) => ({
            id: v.id,
            agentId: v.agent_id,
            decisionId: v.decision_id,
            rule: v.rule as DecisionReason['rule'],
            policyId: v.policy_id,
            policyVersion: v.policy_version,
            action: v.action,
            resource: v.resource,
            severity: v.severity,
            createdAt: v.created_at.toISOString(),
          })),
          nextCursor: more ? page[page.length - 1]!.id : null,
        };
      });
    },

    /** The job's pass: pending decisions nobody answered in time become deny. */
    async expirePending(ctx: RequestContext, organizationId: string): Promise<number> {
      const expired = await db.transaction({ organizationId }, async (tx) => {
        const { rows } = await tx.query<EventRow>(
          `select * from verification_events where organization_id = $1 and status = 'pending' and expires_at <= now()
            order by expires_at limit 1000 for update skip locked`,
          [organizationId],
        );
        const done: EventRow[] = [];
        for (const row of rows) {
          const expired = await expireInTx(tx, { ...ctx, organizationId }, row);
          if (expired.changed) done.push(expired.row);
        }
        return done;
      });
      return expired.length;
    },
  };
}

export type DecisionService = ReturnType<typeof createDecisionService>;
