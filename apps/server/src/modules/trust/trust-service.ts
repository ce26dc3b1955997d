import type { Logger } from 'pino';
import type { trustHistoryQuerySchema, trustTrendQuerySchema } from '@aim/contracts';
import type { z } from 'zod';
import { recordAuditEvent, recordAuditEvents } from '../../platform/audit/audit-log.js';
import { orgOf, type Database, type Tx } from '../../platform/db/database.js';
import { onLegalHold } from '../../platform/db/legal-hold.js';
import type { TrustEvidenceKind } from '@aim/contracts';
import type { DomainEvents } from '../../platform/events/domain-events.js';
import { AppError, notFound } from '../../platform/http/app-error.js';
import type { RequestContext } from '../../platform/http/request-context.js';
import type { OrgContext } from '../../platform/http/operation.js';
import { idTime, isId, newId } from '../../platform/ids.js';
import type { SharedStore } from '../../platform/store/shared-store.js';
import { gatherEvidence } from './trust-evidence.js';
import { computeTrust, TRUST_CONSTANTS, type FactorResult, type TrustEvidence, type TrustResult } from './trust-method.js';

/**
 * Trust scores: computing them from stored evidence (trust-method.ts, trust-evidence.ts), storing
 * every computation with its evidence, explaining the latest, history and trends, and the three
 * ways a recalculation starts: new evidence (trust-scheduler.ts, debounced per agent across
 * instances), the scheduled pass over every agent (trust-jobs.ts), and a manager's request. A change
 * of score or tier is audited and recorded as `trust.changed` in the same transaction; a drop of more
 * than DROP_ALERT_POINTS within an hour as `trust.dropped`.
 */

export type TrustTrigger = 'registration' | 'event' | 'schedule' | 'manual' | 'backfill';

/** A fall of more than this many points below the highest score of the last hour is announced. */
export const DROP_ALERT_POINTS = 20;
/**
 * A recalculation is audited and announced when the tier changes or the score moves by at least this
 * much; smaller moves (time passing) are in the history only, so a scheduled pass does not write an
 * audit event for every agent.
 */
export const NOTABLE_POINTS = 1;
/** Counters kept beyond the method's windows (7 days of heartbeats, 30 days of requests), with a margin. */
const UPTIME_KEEP_DAYS = TRUST_CONSTANTS.uptimeWindowDays * 5;
const ACTIVITY_KEEP_DAYS = TRUST_CONSTANTS.activityWindowDays * 3;
/** Agents scored per transaction by the scheduled pass (bounded memory; one statement gathers them). */
const BATCH = 200;

export interface TrustScoreJson {
  id: string;
  agentId: string;
  score: number | null;
  tier: TrustResult['tier'];
  confidence: number;
  factors: FactorResult[];
  algorithmVersion: string;
  trigger: TrustTrigger;
  computedAt: string;
}

interface ScoreRow {
  id: string;
  agent_id: string;
  score: string | null;
  tier: TrustResult['tier'];
  confidence: string;
  factors: FactorResult[];
  evidence: TrustEvidence;
  algorithm_version: string;
  trigger: TrustTrigger;
  computed_at: Date;
}

const num = (v: string | null) => (v === null ? null : Number(v));

const scoreJson = (row: ScoreRow): TrustScoreJson => ({
  id: row.id,
  agentId: row.agent_id,
  score: num(row.score),
  tier: row.tier,
  confidence: Number(row.confidence),
  factors: row.factors,
  algorithmVersion: row.algorithm_version,
  trigger: row.trigger,
  computedAt: row.computed_at.toISOString(),
});

export interface Scored {
  agentId: string;
  scoreId: string;
  result: TrustResult;
  previousScore: number | null;
  previousTier: TrustResult['tier'];
  highestInHour: number | null;
  changed: boolean;
  /** The agent's status as scored: only an active agent's fall is announced as a drop. */
  active: boolean;
}

/**
 * Store the computed scores and set each agent's current one, in one statement, and answer each
 * agent's previous score and tier and its highest score of the last hour (all read before the writes).
 */
const WRITE_SQL = `
with input as (
  select * from jsonb_to_recordset($3::jsonb)
    as x(id text, agent_id text, score numeric, tier text, confidence numeric, factors jsonb, evidence jsonb, algorithm_version text, trigger text)
), previous as (
  select a.id as agent_id, a.trust_score, a.trust_tier,
         (select max(s.score) from trust_scores s
           where s.organization_id = $1 and s.agent_id = a.id and s.computed_at > $2::timestamptz - interval '1 hour') as hour_max
    from agents a join input i on i.agent_id = a.id where a.organization_id = $1
), stored as (
  insert into trust_scores (id, organization_id, agent_id, score, tier, confidence, factors, evidence, algorithm_version, trigger, computed_at)
  select i.id, $1, i.agent_id, i.score, i.tier, i.confidence, i.factors, i.evidence, i.algorithm_version, i.trigger, $2 from input i
), current as (
  -- A computation as of an earlier instant that commits later (a slow scheduled batch) does not replace a newer score.
  update agents a set trust_score = i.score, trust_tier = i.tier, trust_confidence = i.confidence, trust_computed_at = $2
    from input i where a.organization_id = $1 and a.id = i.agent_id and (a.trust_computed_at is null or a.trust_computed_at <= $2)
)
select agent_id, trust_score, trust_tier, hour_max from previous`;

export function createTrustService(deps: { db: Database; store: SharedStore; events: DomainEvents; logger: Logger }) {
  const { db, store, events, logger } = deps;

  /**
   * Compute, store and apply the scores of these agents as of `asOf`, inside the caller's transaction;
   * audit the notable changes (`changed`) in it too.
   */
  async function scoreInTx(tx: Tx, ctx: RequestContext, agentIds: readonly string[], trigger: TrustTrigger, asOf = new Date()): Promise<Scored[]> {
    const evidence = await gatherEvidence(tx, agentIds, asOf);
    if (evidence.size === 0) return [];
    const computed = [...evidence].map(([agentId, ev]) => ({ id: newId('tsc', asOf.getTime()), agentId, evidence: ev, result: computeTrust(ev) }));
    const input = computed.map((c) => ({
      id: c.id,
      agent_id: c.agentId,
      score: c.result.score,
      tier: c.result.tier,
      confidence: c.result.confidence,
      factors: c.result.factors,
      evidence: c.evidence,
      algorithm_version: c.result.algorithmVersion,
      trigger,
    }));
    const { rows } = await tx.query<{ agent_id: string; trust_score: string | null; trust_tier: string; hour_max: string | null }>(
      WRITE_SQL,
      [orgOf(tx), asOf, JSON.stringify(input)],
      { name: 'aim.trust.write' },
    );
    const before = new Map(rows.map((r) => [r.agent_id, r]));
    const scored = computed.map((c): Scored => {
      const prev = before.get(c.agentId);
      const previousScore = num(prev?.trust_score ?? null);
      const previousTier = (prev?.trust_tier ?? 'unscored') as TrustResult['tier'];
      const highs = [num(prev?.hour_max ?? null), previousScore].filter((x): x is number => x !== null);
      return {
        agentId: c.agentId,
        scoreId: c.id,
        result: c.result,
        previousScore,
        previousTier,
        highestInHour: highs.length ? Math.max(...highs) : null,
        active: c.evidence.agent.status === 'active',
        changed: previousTier !== c.result.tier || previousScore === null || c.result.score === null || Math.abs(c.result.score - previousScore) >= NOTABLE_POINTS,
      };
    });
    await recordAuditEvents(
      tx,
      ctx,
      scored
        .filter((s) => s.changed)
        .map((s) => ({
          action: 'agent.trust_change',
          target: { type: 'agent', id: s.agentId },
          details: {
            scoreId: s.scoreId,
            trigger,
            score: { from: s.previousScore, to: s.result.score },
            tier: { from: s.previousTier, to: s.result.tier },
            confidence: s.result.confidence,
            algorithmVersion: s.result.algorithmVersion,
          },
        })),
    );
    return scored;
  }

  /** In the scoring transaction: record what changed (`trust.changed`), and a drop (`trust.dropped`). */
  async function announce(tx: Tx, scored: Scored[]): Promise<void> {
    for (const s of scored) {
      if (!s.changed) continue;
      await events.record(tx, 'trust.changed', {
        agentId: s.agentId,
        scoreId: s.scoreId,
        score: s.result.score,
        tier: s.result.tier,
        previousScore: s.previousScore,
        previousTier: s.previousTier,
      });
      const now = s.result.score ?? 0;
      // A suspended or revoked agent's score falls because of its status (verification status is 0), which
      // a person or the automatic suspension chose: that is no drop to alert on.
      if (s.active && s.highestInHour !== null && s.highestInHour - now > DROP_ALERT_POINTS) {
        const drop = { agentId: s.agentId, scoreId: s.scoreId, score: s.result.score, highestInHour: s.highestInHour, drop: Math.round((s.highestInHour - now) * 100) / 100 };
        // Once per agent and hour (on any instance): further changes within the hour are the same drop.
        const first = await store.claimOnce(`trust-dropped:${s.agentId}`, 3_600_000).catch((error: unknown) => {
          logger.warn({ err: error, agentId: s.agentId }, 'could not announce a trust drop');
          return false;
        });
        if (first) await events.record(tx, 'trust.dropped', drop);
      }
    }
  }

  async function recalculate(ctx: RequestContext, organizationId: string, agentIds: readonly string[], trigger: TrustTrigger): Promise<Scored[]> {
    return db.transaction({ organizationId }, async (tx) => {
      const scored = await scoreInTx(tx, ctx, agentIds, trigger);
      await announce(tx, scored);
      return scored;
    });
  }

  async function latest(tx: Tx, agentId: string): Promise<ScoreRow | null> {
    const { rows } = await tx.query<ScoreRow>(
      `select * from trust_scores where organization_id = $1 and agent_id = $2 order by computed_at desc, id desc limit 1`,
      [orgOf(tx), agentId],
    );
    return rows[0] ?? null;
  }

  async function agentExists(tx: Tx, agentId: string): Promise<boolean> {
    const { rowCount } = await tx.query('select 1 from agents where organization_id = $1 and id = $2', [orgOf(tx), agentId]);
    return rowCount === 1;
  }

  return {
    scoreInTx,
    /** In the transaction of a `scoreInTx`: record what changed (and drops). */
    announce,
    recalculate,

    /** Record new evidence, in the transaction that stored it (trust-scheduler.ts recalculates on it). */
    async evidenceAdded(tx: Tx, agentId: string, kind: TrustEvidenceKind): Promise<void> {
      await events.record(tx, 'trust.evidence', { agentId, kind });
    },

    /** The latest score with its breakdown; an agent scored before trust scoring existed gets its first now. */
    async explain(ctx: OrgContext, agentId: string): Promise<TrustScoreJson> {
      const organizationId = ctx.organizationId;
      const found = await db.transaction({ organizationId }, async (tx) => {
        const row = await latest(tx, agentId);
        if (row) return row;
        if (!(await agentExists(tx, agentId))) throw notFound('The agent');
        return null;
      });
      if (found) return scoreJson(found);
      await recalculate({ ...ctx, actor: { type: 'system', id: null } }, organizationId, [agentId], 'backfill');
      return db.transaction({ organizationId }, async (tx) => scoreJson((await latest(tx, agentId))!));
    },

    /** A manager asks for a recalculation now. */
    async recalculateAgent(ctx: OrgContext, agentId: string): Promise<TrustScoreJson> {
      const organizationId = ctx.organizationId;
      const { row } = await db.transaction({ organizationId }, async (tx) => {
        const result = await scoreInTx(tx, ctx, [agentId], 'manual');
        if (result.length === 0) throw notFound('The agent');
        // The request itself is recorded whether or not the score moved (a change is recorded as well).
        await recordAuditEvent(tx, ctx, {
          action: 'agent.trust_recalculate',
          target: { type: 'agent', id: agentId },
          details: { scoreId: result[0]!.scoreId, score: result[0]!.result.score, tier: result[0]!.result.tier, changed: result[0]!.changed },
        });
        await announce(tx, result);
        return { row: (await latest(tx, agentId))! };
      });
      return scoreJson(row);
    },

    /** Stored scores, newest first (keyset on the time-sortable id). */
    async history(ctx: OrgContext, agentId: string, query: z.output<typeof trustHistoryQuerySchema>) {
      if (query.cursor !== undefined && !isId('tsc', query.cursor)) throw new AppError('validation_failed', 'cursor: not a cursor this endpoint gave out.');
      const upper = query.cursor !== undefined ? new Date(idTime(query.cursor)) : query.to !== undefined ? new Date(query.to) : null;
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        if (!(await agentExists(tx, agentId))) throw notFound('The agent');
        const { rows } = await tx.query<ScoreRow>(
          `select id, agent_id, score, tier, confidence, '[]'::jsonb as factors, '{}'::jsonb as evidence, algorithm_version, trigger, computed_at
             from trust_scores
            where organization_id = $1 and agent_id = $2
              and ($3::timestamptz is null or computed_at >= $3)
              and ($4::timestamptz is null or computed_at <= $4)
              and ($5::text is null or id < $5)
              and ($6::timestamptz is null or computed_at <= $6)
            order by computed_at desc, id desc limit $7`,
          [orgOf(tx), agentId, query.from ?? null, upper, query.cursor ?? null, query.to ?? null, query.limit + 1],
        );
        const page = rows.slice(0, query.limit);
        return {
          history: page.map((r) => {
            const { factors: _factors, ...entry } = scoreJson(r);
            return entry;
          }),
          nextCursor: rows.length > query.limit ? page[page.length - 1]!.id : null,
        };
      });
    },

    /** The organization's trends: a daily series, the current distribution by tier, the biggest movers. */
    async trends(ctx: OrgContext, query: z.output<typeof trustTrendQuerySchema>) {
      const now = new Date();
      const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
      const from = new Date(today - (query.days - 1) * 86_400_000);
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const org = orgOf(tx);
        const daily = await tx.query<{ day: string; agents: number; scores: number; average: string | null; min: string | null; max: string | null }>(
          `with scores as (
             select agent_id, score, (computed_at at time zone 'UTC')::date as day, computed_at, id
               from trust_scores where organization_id = $1 and computed_at >= $2
           ), last_of_day as (
             select distinct on (agent_id, day) agent_id, day, score from scores order by agent_id, day, computed_at desc, id desc
           ), counts as (select day, count(*)::int as n from scores group by day)
           select to_char(d.day, 'YYYY-MM-DD') as day, count(l.agent_id)::int as agents, coalesce(c.n, 0)::int as scores,
                  round(avg(l.score), 2) as average, min(l.score) as min, max(l.score) as max
             from generate_series($2::timestamptz at time zone 'UTC', $3::timestamptz at time zone 'UTC', interval '1 day') as d(day)
             left join last_of_day l on l.day = d.day::date
             left join counts c on c.day = d.day::date
            group by d.day, c.n order by d.day`,
          [org, from, new Date(today)],
        );
        const tiers = await tx.query<{ tier: string; n: number }>(
          `select trust_tier as tier, count(*)::int as n from agents where organization_id = $1 and status <> 'revoked' group by trust_tier`,
          [org],
        );
        const movers = await tx.query<{ agent_id: string; name: string; first: string | null; last: string | null }>(
          `select a.id as agent_id, a.name, f.score as first, a.trust_score as last
             from agents a
             cross join lateral (
               select s.score from trust_scores s where s.organization_id = $1 and s.agent_id = a.id and s.computed_at >= $2
                order by s.computed_at, s.id limit 1
             ) f
            where a.organization_id = $1 and a.status <> 'revoked' and f.score is not null and a.trust_score is not null
            order by abs(a.trust_score - f.score) desc, a.id limit $3`,
          [org, from, query.movers],
        );
        const tierCounts = Object.fromEntries(['unscored', 'untrusted', 'low', 'medium', 'high', 'verified'].map((t) => [t, 0])) as Record<string, number>;
        for (const r of tiers.rows) tierCounts[r.tier] = r.n;
        return {
          days: query.days,
          daily: daily.rows.map((r) => ({ day: r.day, agents: r.agents, scores: r.scores, average: num(r.average), min: num(r.min), max: num(r.max) })),
          tiers: tierCounts,
          movers: movers.rows
            .map((r) => ({ agentId: r.agent_id, name: r.name, from: num(r.first), to: num(r.last), change: Math.round((Number(r.last) - Number(r.first)) * 100) / 100 }))
            .filter((m) => m.change !== 0),
        };
      });
    },

    /**
     * Drop counters older than anything the method reads (with a margin), so evidence tables stay
     * bounded: heartbeat hours beyond UPTIME_KEEP_DAYS, request days beyond ACTIVITY_KEEP_DAYS.
     * Every stored score keeps the evidence it was computed from. Nothing while the organization is on legal hold.
     */
    async pruneEvidence(organizationId: string): Promise<{ uptimeHours: number; activityDays: number }> {
      return db.transaction({ organizationId }, async (tx) => {
        if (await onLegalHold(tx, organizationId)) return { uptimeHours: 0, activityDays: 0 };
        const uptime = await tx.query(`delete from agent_uptime_hours where organization_id = $1 and hour < now() - make_interval(days => $2)`, [
          orgOf(tx),
          UPTIME_KEEP_DAYS,
        ]);
        const activity = await tx.query(
          `delete from agent_activity_days where organization_id = $1 and day < (now() at time zone 'UTC')::date - $2::int`,
          [orgOf(tx), ACTIVITY_KEEP_DAYS],
        );
        return { uptimeHours: uptime.rowCount ?? 0, activityDays: activity.rowCount ?? 0 };
      });
    },

    /**
     * The scheduled pass: every agent of the organization that is not revoked, in batches of BATCH
     * per transaction (keyset on id), so memory stays flat however many agents there are.
     */
    async recalculateOrganization(ctx: RequestContext, organizationId: string): Promise<{ agents: number }> {
      let after = '';
      let total = 0;
      for (;;) {
        const { rows } = await db.transaction({ organizationId }, (tx) =>
          tx.query<{ id: string }>(`select id from agents where organization_id = $1 and status <> 'revoked' and id > $2 order by id limit $3`, [
            orgOf(tx),
            after,
            BATCH,
          ]),
        );
        if (rows.length === 0) return { agents: total };
        await recalculate(ctx, organizationId, rows.map((r) => r.id), 'schedule');
        total += rows.length;
        after = rows[rows.length - 1]!.id;
      }
    },
  };
}

export type TrustService = ReturnType<typeof createTrustService>;
