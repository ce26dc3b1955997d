import { isIP } from 'node:net';
import type { AgentStatus, McpServerStatus, RiskLevel, verifyActionSchema } from '@aim/contracts';
import type { z } from 'zod';
import { AUDIT_EVENT_COLUMNS, auditEventValues } from '../../platform/audit/audit-log.js';
import { orgOf, type Database, type Tx } from '../../platform/db/database.js';
import { outboxInsertFrom, type DomainEvents, type EventDraft } from '../../platform/events/domain-events.js';
import { AppError, notFound } from '../../platform/http/app-error.js';
import type { AgentRequestContext } from '../../platform/http/request-context.js';
import { newId } from '../../platform/ids.js';
import type { SharedStore } from '../../platform/store/shared-store.js';
import { applicablePolicies, evaluate, type CompiledPolicy, type Evaluation, type EvaluationInput } from './policy-engine.js';

/**
 * The decision endpoint (docs/authorization.md §4), in named steps: load the facts, count the rate
 * windows, evaluate, announce (the domain events) and persist — the decision, its violations, its
 * audit event and its domain events in one statement, in one transaction: if the decision cannot be
 * stored, the agent gets an error, never an unrecorded allow.
 */

export interface Facts {
  policy_revision: string;
  agent_status: AgentStatus;
  approval_timeout_seconds: number;
  tags: string[];
  trust_score: string | null;
  trust_confidence: string | null;
  capability_name: string | null;
  risk_level: RiskLevel | null;
  /** For an MCP tool's action (mcp:<slug>/<tool>): its server, the server's status and the tool's pin (null: not pinned). */
  mcp_server_id: string | null;
  mcp_server_status: McpServerStatus | null;
  mcp_pin_state: 'pinned' | 'changed' | 'removed' | null;
  mcp_pin_blocked: boolean | null;
  grants: { id: string; p: string | null; e: string | null }[];
}

/** What a decision is evaluated on, as of now, in one statement: $1 organization, $2 agent, $3 action. */
export const FACTS = `select o.policy_revision, o.approval_timeout_seconds, a.status as agent_status, a.tags, a.trust_score, a.trust_confidence,
                      c.name as capability_name, c.risk_level,
                      c.mcp_server_id, ms.status as mcp_server_status, p.state as mcp_pin_state, p.blocked as mcp_pin_blocked,
                      coalesce((select json_agg(json_build_object('id', g.id, 'p', g.resource_pattern, 'e', g.expires_at))
                                  from capability_grants g
                                 where g.organization_id = o.id and g.agent_id = a.id and g.capability_id = c.id and g.revoked_at is null), '[]') as grants
                 from organizations o
                 join agents a on a.organization_id = o.id and a.id = $2
                 left join capabilities c on c.organization_id = o.id and c.name = $3
                 left join mcp_servers ms on ms.id = c.mcp_server_id
                 left join mcp_tool_pins p on p.mcp_server_id = c.mcp_server_id and p.tool_name = c.mcp_tool
                where o.id = $1`;

/** The decision, its violations, its audit event and its domain events: one round trip, all or nothing. */
const WRITE_SQL = `with decision as (
     insert into verification_events
       (id, organization_id, agent_id, key_id, authenticated_by, action, resource, context, declared_risk, risk,
        initial_decision, decision, status, reasons, flagged, grant_id, policy_revision, trust_score, trust_confidence, created_at, expires_at, client_address)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12, $13, $14, $15, $16, $17, $34, $18, $19, $36::inet)
   ), violation as (
     insert into violations (id, organization_id, agent_id, decision_id, rule, policy_id, policy_version, action, resource, severity)
     select v.id, $2, $3, $1, v.rule, v.policy_id, v.policy_version, $6, $7, $20
       from jsonb_to_recordset($21::jsonb) as v(id text, rule text, policy_id text, policy_version integer)
   ), announced as (
     ${outboxInsertFrom('$35')}
   )
   insert into audit_events (${AUDIT_EVENT_COLUMNS}) values ($22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33)`;

/** The catalog entry the engine evaluates (with its MCP server and pin for a tool's action), or null: not in the catalog. */
export function capabilityFact(facts: Facts): EvaluationInput['capability'] {
  if (!facts.capability_name) return null;
  const capability = { name: facts.capability_name, riskLevel: facts.risk_level! };
  if (facts.mcp_server_id === null) return capability;
  const pin = facts.mcp_pin_state === null ? null : { state: facts.mcp_pin_state, blocked: facts.mcp_pin_blocked === true };
  return { ...capability, mcp: { serverId: facts.mcp_server_id, serverStatus: facts.mcp_server_status!, pin } };
}

export type VerifyActionInput = z.output<typeof verifyActionSchema>;

type PolicySet = { revision: string; policies: CompiledPolicy[] };
type Violation = Evaluation['violations'][number] & { id: string };
interface Request {
  id: string;
  agentId: string;
  input: VerifyActionInput;
  context: Record<string, unknown>;
  now: number;
}

export function createVerifyAction(deps: { db: Database; store: SharedStore; events: DomainEvents; policySet: (tx: Tx, revision: string) => Promise<PolicySet> }) {
  const { db, store, events } = deps;

  /** An agent asks only for itself: another agent of its organization is a mismatch, any other id 404. */
  async function refuseOtherAgent(ctx: AgentRequestContext, agentId: string): Promise<never> {
    const exists = await db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
      const { rowCount } = await tx.query('select 1 from agents where organization_id = $1 and id = $2', [orgOf(tx), agentId]);
      return rowCount === 1;
    });
    if (!exists) throw notFound('The agent');
    throw new AppError('agent_mismatch', `An agent may ask only for itself: you are ${ctx.actor.id}, the path names ${agentId}.`);
  }

  /** The facts as of now and the policy set of the revision they name (the revision recorded is the one read with the policies). */
  async function loadFacts(tx: Tx, req: Request): Promise<{ facts: Facts } & PolicySet> {
    const { rows } = await tx.query<Facts>(FACTS, [orgOf(tx), req.agentId, req.input.action], { name: 'aim.decision.facts' });
    const facts = rows[0];
    if (!facts) throw notFound('The agent');
    return { facts, ...(await deps.policySet(tx, facts.policy_revision)) };
  }

  /** This request counted in the window of every rate limit that applies (shared across instances). */
  async function countRates(req: Request, facts: Facts, policies: CompiledPolicy[], agent: { id: string; tags: string[]; trustScore: number | null }) {
    const rateCounts = new Map<string, number>();
    if (!facts.capability_name) return rateCounts;
    const limits = applicablePolicies(policies, agent, req.input.action).filter((p) => p.type === 'rate_limit');
    const hits = await Promise.all(
      limits.map((p) => {
        const { windowSeconds } = p.config as { windowSeconds: number };
        return store.hit(`decision-rate:${p.id}:${windowSeconds}:${req.agentId}:${req.input.action}`, windowSeconds * 1000);
      }),
    );
    limits.forEach((p, i) => rateCounts.set(p.id, hits[i]!.count));
    return rateCounts;
  }

  async function evaluateRequest(req: Request, facts: Facts, policies: CompiledPolicy[]): Promise<Evaluation> {
    const agent = { id: req.agentId, tags: facts.tags, trustScore: facts.trust_score === null ? null : Number(facts.trust_score) };
    return evaluate({
      agent,
      action: req.input.action,
      resource: req.input.resource ?? null,
      context: req.context,
      capability: capabilityFact(facts),
      declaredRisk: req.input.risk ?? null,
      grants: facts.grants.map((g) => ({ id: g.id, resourcePattern: g.p, expiresAt: g.e === null ? null : Date.parse(g.e) })),
      policies,
      rateCounts: await countRates(req, facts, policies, agent),
      now: req.now,
    });
  }

  /** The domain events of the decision: `decision.created`, and one `violation.recorded` per violation. */
  function announce(req: Request, evaluation: Evaluation, violations: Violation[]): EventDraft[] {
    const { id: decisionId, agentId } = req;
    return [
      { type: 'decision.created', data: { decisionId, agentId, action: req.input.action, decision: evaluation.decision, flagged: evaluation.flagged } },
      ...violations.map(
        (v): EventDraft => ({
          type: 'violation.recorded',
          data: { violationId: v.id, decisionId, agentId, rule: v.rule, policyId: v.policyId, severity: evaluation.risk ?? 'high' },
        }),
      ),
    ];
  }

  async function persist(
    tx: Tx,
    ctx: AgentRequestContext,
    req: Request,
    auth: { keyId: string; by: 'signature' | 'token' },
    decided: { facts: Facts; revision: string; evaluation: Evaluation; violations: Violation[]; expiresAt: Date | null },
  ): Promise<void> {
    const { facts, revision, evaluation, violations, expiresAt } = decided;
    const status = evaluation.decision === 'allow' ? 'allowed' : evaluation.decision === 'deny' ? 'denied' : 'pending';
    const audit = auditEventValues(tx, ctx, {
      action: `decision.${evaluation.decision}`,
      target: { type: 'decision', id: req.id },
      // The agent's request was refused: the log says so, as it does for a person refused.
      ...(evaluation.decision === 'deny' ? { outcome: 'denied' as const } : {}),
      details: {
        agentId: req.agentId,
        action: req.input.action,
        resource: req.input.resource ?? null,
        risk: evaluation.risk,
        flagged: evaluation.flagged,
        policyRevision: Number(revision),
        rules: evaluation.reasons.filter((r) => r.effect !== 'pass').map((r) => ({ rule: r.rule, effect: r.effect, policyId: r.policyId, policyVersion: r.policyVersion })),
      },
    });
    await tx.query(
      WRITE_SQL,
      [
        req.id,
        orgOf(tx),
        req.agentId,
        auth.keyId,
        auth.by,
        req.input.action,
        req.input.resource ?? null,
        req.context,
        req.input.risk ?? null,
        evaluation.risk,
        evaluation.decision,
        status,
        JSON.stringify(evaluation.reasons),
        evaluation.flagged,
        evaluation.grantId,
        revision,
        facts.trust_score,
        new Date(req.now),
        expiresAt,
        evaluation.risk ?? 'high',
        JSON.stringify(violations.map((v) => ({ id: v.id, rule: v.rule, policy_id: v.policyId, policy_version: v.policyVersion }))),
        ...audit.values,
        facts.trust_confidence,
        events.stage(tx, announce(req, evaluation, violations)),
        // The monitoring's network detector reads it; anything that is not an address is left out
        // rather than failing the decision.
        ctx.clientIp !== null && isIP(ctx.clientIp) !== 0 ? ctx.clientIp : null,
      ],
      { name: 'aim.decision.write' },
    );
  }

  return async function verifyAction(ctx: AgentRequestContext, agentId: string, input: VerifyActionInput, auth: { keyId: string; by: 'signature' | 'token' }) {
    if (agentId !== ctx.actor.id) await refuseOtherAgent(ctx, agentId);
    const now = Date.now();
    const req: Request = { id: newId('dec', now), agentId, input, context: input.context ?? {}, now };
    const stored = await db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
      const { facts, revision, policies } = await loadFacts(tx, req);
      const evaluation = await evaluateRequest(req, facts, policies);
      const expiresAt = evaluation.decision === 'pending' ? new Date(now + facts.approval_timeout_seconds * 1000) : null;
      const violations = evaluation.violations.map((v) => ({ id: newId('vio'), ...v }));
      await persist(tx, ctx, req, auth, { facts, revision, evaluation, violations, expiresAt });
      return { evaluation, expiresAt };
    });
    return {
      decisionId: req.id,
      decision: stored.evaluation.decision,
      reasons: stored.evaluation.reasons,
      risk: stored.evaluation.risk,
      evaluatedAt: new Date(now).toISOString(),
      expiresAt: stored.expiresAt?.toISOString() ?? null,
    };
  };
}
