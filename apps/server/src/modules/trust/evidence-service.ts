import type { TrustEvidenceKind } from '@aim/contracts';
import { recordAuditEvent } from '../../platform/audit/audit-log.js';
import { orgOf, type Database, type Tx } from '../../platform/db/database.js';
import { AppError, notFound } from '../../platform/http/app-error.js';
import type { createIncidentSchema, createRatingSchema, createSecurityReviewSchema, putAttestationSchema, updateRatingSchema } from '@aim/contracts';
import type { z } from 'zod';
import type { AgentRequestContext, RequestContext } from '../../platform/http/request-context.js';
import type { OrgContext } from '../../platform/http/operation.js';
import { newId } from '../../platform/ids.js';
import type { Severity } from './trust-method.js';

/**
 * The trust evidence people and agents add: ratings by members (one per member per agent), security
 * reviews and incidents recorded by managers, attestations by other agents, and heartbeats. Every
 * change except a heartbeat commits with its audit event; each announces new evidence afterwards,
 * so the agent's score is recalculated (heartbeats count in the scheduled pass).
 */

interface RatingRow {
  id: string;
  agent_id: string;
  user_id: string;
  rating: number;
  comment: string | null;
  created_at: Date;
  updated_at: Date;
}
interface ReviewRow {
  id: string;
  agent_id: string;
  reviewer_type: 'user' | 'api_key';
  reviewer_id: string;
  reviewed_at: Date;
  summary: string | null;
  findings: { severity: Severity; title: string }[];
  created_at: Date;
}
interface IncidentRow {
  id: string;
  agent_id: string;
  severity: Severity;
  title: string;
  description: string | null;
  occurred_at: Date;
  resolved_at: Date | null;
  reported_by_type: 'user' | 'api_key';
  reported_by_id: string;
  created_at: Date;
}
interface AttestationRow {
  id: string;
  agent_id: string;
  attester_id: string;
  verdict: 'trusted' | 'distrusted';
  statement: string | null;
  created_at: Date;
  updated_at: Date;
}

const iso = (d: Date | null) => (d === null ? null : d.toISOString());
const ratingJson = (r: RatingRow) => ({
  id: r.id,
  agentId: r.agent_id,
  userId: r.user_id,
  rating: r.rating,
  comment: r.comment,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});
const reviewJson = (r: ReviewRow) => ({
  id: r.id,
  agentId: r.agent_id,
  reviewer: { type: r.reviewer_type, id: r.reviewer_id },
  reviewedAt: r.reviewed_at.toISOString(),
  summary: r.summary,
  findings: r.findings,
  createdAt: r.created_at.toISOString(),
});
const incidentJson = (r: IncidentRow) => ({
  id: r.id,
  agentId: r.agent_id,
  severity: r.severity,
  title: r.title,
  description: r.description,
  occurredAt: r.occurred_at.toISOString(),
  resolvedAt: iso(r.resolved_at),
  reportedBy: { type: r.reported_by_type, id: r.reported_by_id },
  createdAt: r.created_at.toISOString(),
});
const attestationJson = (r: AttestationRow) => ({
  id: r.id,
  agentId: r.agent_id,
  attesterId: r.attester_id,
  verdict: r.verdict,
  statement: r.statement,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

/** A time a person gives for something that happened: not in the future (a minute of clock skew allowed). */
function pastTime(field: string, value: string | undefined): Date {
  if (value === undefined) return new Date();
  const at = new Date(value);
  if (at.getTime() > Date.now() + 60_000) throw new AppError('validation_failed', `${field}: must not be in the future.`);
  return at;
}

/** People record evidence as themselves or through an API key; agents never do here. */
function recorder(ctx: RequestContext): { type: 'user' | 'api_key'; id: string } {
  if ((ctx.actor.type === 'user' || ctx.actor.type === 'api_key') && ctx.actor.id) return { type: ctx.actor.type, id: ctx.actor.id };
  throw new AppError('forbidden', 'Only people and API keys record trust evidence here.');
}

export function createTrustEvidenceService(deps: { db: Database; evidenceAdded: (tx: Tx, agentId: string, kind: TrustEvidenceKind) => Promise<void> }) {
  const { db, evidenceAdded } = deps;

  async function agentOf(tx: Tx, agentId: string): Promise<{ id: string; owner_id: string | null; status: string }> {
    const { rows } = await tx.query<{ id: string; owner_id: string | null; status: string }>(
      'select id, owner_id, status from agents where organization_id = $1 and id = $2',
      [orgOf(tx), agentId],
    );
    if (!rows[0]) throw notFound('The agent');
    return rows[0];
  }

  return {
    // ---- ratings ------------------------------------------------------------------------------

    async ratings(ctx: OrgContext, agentId: string) {
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        await agentOf(tx, agentId);
        const { rows } = await tx.query<RatingRow>('select * from agent_ratings where organization_id = $1 and agent_id = $2 order by id desc', [orgOf(tx), agentId]);
        return { ratings: rows.map(ratingJson) };
      });
    },

    async rate(ctx: OrgContext, agentId: string, input: z.output<typeof createRatingSchema>) {
      const person = ctx.personId;
      if (!person) throw new AppError('forbidden', 'Ratings are given by members; this credential acts for no person.');
      const row = await db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const agent = await agentOf(tx, agentId);
        if (agent.owner_id === person) throw new AppError('forbidden', 'You own this agent; its ratings come from other members.');
        const { rows } = await tx.query<RatingRow>(
          `insert into agent_ratings (id, organization_id, agent_id, user_id, rating, comment) values ($1, $2, $3, $4, $5, $6)
           on conflict (agent_id, user_id) do nothing returning *`,
          [newId('rat'), orgOf(tx), agentId, person, input.rating, input.comment || null],
        );
        if (!rows[0]) throw new AppError('rating_exists', 'You have already rated this agent; change your rating with PATCH instead.');
        await recordAuditEvent(tx, ctx, { action: 'agent.rate', target: { type: 'agent', id: agentId }, details: { ratingId: rows[0].id, rating: input.rating } });
        await evidenceAdded(tx, agentId, 'rating');
        return rows[0];
      });
      return ratingJson(row);
    },

    async updateRating(ctx: OrgContext, agentId: string, ratingId: string, input: z.output<typeof updateRatingSchema>) {
      const row = await db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const { rows } = await tx.query<RatingRow>(
          `update agent_ratings set rating = coalesce($4, rating), comment = case when $5 then $6 else comment end, updated_at = now()
            where organization_id = $1 and agent_id = $2 and id = $3 and user_id = $7 returning *`,
          [orgOf(tx), agentId, ratingId, input.rating ?? null, input.comment !== undefined, input.comment || null, ctx.personId],
        );
        // Another member's rating is not yours to change: it answers as if it did not exist.
        if (!rows[0]) throw notFound('Your rating');
        await recordAuditEvent(tx, ctx, {
          action: 'agent.rating_update',
          target: { type: 'agent', id: agentId },
          details: { ratingId, changed: Object.keys(input), rating: rows[0].rating },
        });
        await evidenceAdded(tx, agentId, 'rating');
        return rows[0];
      });
      return ratingJson(row);
    },

    async removeRating(ctx: OrgContext, agentId: string, ratingId: string) {
      const row = await db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const { rows } = await tx.query<RatingRow>(
          'delete from agent_ratings where organization_id = $1 and agent_id = $2 and id = $3 and user_id = $4 returning *',
          [orgOf(tx), agentId, ratingId, ctx.personId],
        );
        if (!rows[0]) throw notFound('Your rating');
        await recordAuditEvent(tx, ctx, { action: 'agent.rating_remove', target: { type: 'agent', id: agentId }, details: { ratingId } });
        await evidenceAdded(tx, agentId, 'rating');
        return rows[0];
      });
      return ratingJson(row);
    },

    // ---- security reviews ---------------------------------------------------------------------

    async reviews(ctx: OrgContext, agentId: string) {
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        await agentOf(tx, agentId);
        const { rows } = await tx.query<ReviewRow>(
          'select * from security_reviews where organization_id = $1 and agent_id = $2 order by reviewed_at desc, id desc',
          [orgOf(tx), agentId],
        );
        return { reviews: rows.map(reviewJson) };
      });
    },

    async addReview(ctx: OrgContext, agentId: string, input: z.output<typeof createSecurityReviewSchema>) {
      const by = recorder(ctx);
      const reviewedAt = pastTime('reviewedAt', input.reviewedAt);
      const row = await db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const agent = await agentOf(tx, agentId);
        if (agent.owner_id !== null && agent.owner_id === ctx.personId) {
          throw new AppError('forbidden', 'You own this agent; its security reviews come from another manager or admin.');
        }
        const { rows } = await tx.query<ReviewRow>(
          `insert into security_reviews (id, organization_id, agent_id, reviewer_type, reviewer_id, reviewed_at, summary, findings)
           values ($1, $2, $3, $4, $5, $6, $7, $8) returning *`,
          [newId('srv'), orgOf(tx), agentId, by.type, by.id, reviewedAt, input.summary || null, JSON.stringify(input.findings)],
        );
        const count = (s: Severity) => input.findings.filter((f) => f.severity === s).length;
        await recordAuditEvent(tx, ctx, {
          action: 'agent.security_review',
          target: { type: 'agent', id: agentId },
          details: { reviewId: rows[0]!.id, reviewedAt: reviewedAt.toISOString(), findings: { critical: count('critical'), high: count('high'), medium: count('medium'), low: count('low') } },
        });
        await evidenceAdded(tx, agentId, 'security_review');
        return rows[0]!;
      });
      return reviewJson(row);
    },

    // ---- incidents ----------------------------------------------------------------------------

    async incidents(ctx: OrgContext, agentId: string) {
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        await agentOf(tx, agentId);
        const { rows } = await tx.query<IncidentRow>(
          'select * from agent_incidents where organization_id = $1 and agent_id = $2 order by occurred_at desc, id desc',
          [orgOf(tx), agentId],
        );
        return { incidents: rows.map(incidentJson) };
      });
    },

    async addIncident(ctx: OrgContext, agentId: string, input: z.output<typeof createIncidentSchema>) {
      const by = recorder(ctx);
      const occurredAt = pastTime('occurredAt', input.occurredAt);
      const row = await db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        await agentOf(tx, agentId);
        const { rows } = await tx.query<IncidentRow>(
          `insert into agent_incidents (id, organization_id, agent_id, severity, title, description, occurred_at, reported_by_type, reported_by_id)
           values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning *`,
          [newId('inc'), orgOf(tx), agentId, input.severity, input.title, input.description || null, occurredAt, by.type, by.id],
        );
        await recordAuditEvent(tx, ctx, {
          action: 'agent.incident',
          target: { type: 'agent', id: agentId },
          details: { incidentId: rows[0]!.id, severity: input.severity, title: input.title, occurredAt: occurredAt.toISOString() },
        });
        await evidenceAdded(tx, agentId, 'incident');
        return rows[0]!;
      });
      return incidentJson(row);
    },

    async resolveIncident(ctx: OrgContext, agentId: string, incidentId: string) {
      const row = await db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const { rows } = await tx.query<IncidentRow>(
          'select * from agent_incidents where organization_id = $1 and agent_id = $2 and id = $3 for update',
          [orgOf(tx), agentId, incidentId],
        );
        if (!rows[0]) throw notFound('The incident');
        if (rows[0].resolved_at) throw new AppError('conflict', `The incident was already resolved at ${rows[0].resolved_at.toISOString()}.`);
        const updated = await tx.query<IncidentRow>(
          'update agent_incidents set resolved_at = now() where organization_id = $1 and id = $2 returning *',
          [orgOf(tx), incidentId],
        );
        await recordAuditEvent(tx, ctx, { action: 'agent.incident_resolve', target: { type: 'agent', id: agentId }, details: { incidentId } });
        await evidenceAdded(tx, agentId, 'incident');
        return updated.rows[0]!;
      });
      return incidentJson(row);
    },

    // ---- attestations -------------------------------------------------------------------------

    async attestations(ctx: OrgContext, agentId: string) {
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        await agentOf(tx, agentId);
        const { rows } = await tx.query<AttestationRow>(
          'select * from agent_attestations where organization_id = $1 and agent_id = $2 order by id desc',
          [orgOf(tx), agentId],
        );
        return { attestations: rows.map(attestationJson) };
      });
    },

    /** The calling agent says whether it trusts another agent of its organization (replacing what it said before). */
    async attest(ctx: AgentRequestContext, agentId: string, input: z.output<typeof putAttestationSchema>) {
      if (agentId === ctx.actor.id) throw new AppError('self_attestation', 'An agent cannot attest to itself; attestations come from other agents.');
      const row = await db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        await agentOf(tx, agentId);
        const { rows } = await tx.query<AttestationRow>(
          `insert into agent_attestations (id, organization_id, agent_id, attester_id, verdict, statement) values ($1, $2, $3, $4, $5, $6)
           on conflict (agent_id, attester_id) do update set verdict = excluded.verdict, statement = excluded.statement, updated_at = now()
           returning *`,
          [newId('att'), orgOf(tx), agentId, ctx.actor.id, input.verdict, input.statement || null],
        );
        await recordAuditEvent(tx, ctx, {
          action: 'agent.attest',
          target: { type: 'agent', id: agentId },
          details: { attestationId: rows[0]!.id, verdict: input.verdict },
        });
        await evidenceAdded(tx, agentId, 'attestation');
        return rows[0]!;
      });
      return attestationJson(row);
    },

    async withdrawAttestation(ctx: AgentRequestContext, agentId: string) {
      const row = await db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const { rows } = await tx.query<AttestationRow>(
          'delete from agent_attestations where organization_id = $1 and agent_id = $2 and attester_id = $3 returning *',
          [orgOf(tx), agentId, ctx.actor.id],
        );
        if (!rows[0]) throw notFound('Your attestation of this agent');
        await recordAuditEvent(tx, ctx, { action: 'agent.attestation_withdraw', target: { type: 'agent', id: agentId }, details: { attestationId: rows[0].id } });
        await evidenceAdded(tx, agentId, 'attestation');
        return rows[0];
      });
      return attestationJson(row);
    },

    // ---- heartbeats ---------------------------------------------------------------------------

    /**
     * The calling agent is up. Sets this minute's bit in the agent's hour row: repeated heartbeats in a
     * minute count once. Telemetry, not a change: it is not audited (the access log has each request).
     */
    async heartbeat(ctx: AgentRequestContext) {
      const now = new Date();
      const hour = new Date(Math.floor(now.getTime() / 3_600_000) * 3_600_000);
      const minute = now.getUTCMinutes();
      await db.transaction({ organizationId: ctx.organizationId }, (tx) =>
        tx.query(
          `insert into agent_uptime_hours (organization_id, agent_id, hour, minutes) values ($1, $2, $3, $4)
           on conflict (agent_id, hour) do update set minutes = agent_uptime_hours.minutes | excluded.minutes, heartbeats = agent_uptime_hours.heartbeats + 1`,
          [orgOf(tx), ctx.actor.id, hour, (1n << BigInt(minute)).toString()],
          { name: 'aim.trust.heartbeat' },
        ),
      );
      return { receivedAt: now.toISOString(), minute: new Date(hour.getTime() + minute * 60_000).toISOString() };
    },
  };
}

export type TrustEvidenceService = ReturnType<typeof createTrustEvidenceService>;
