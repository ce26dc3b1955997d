import { isBehaviouralDetector, type MonitoringSettings } from '@aim/contracts';
import { recordAuditEvent } from '../../../platform/audit/audit-log.js';
import { orgOf, type Tx } from '../../../platform/db/database.js';
import type { DomainEvents } from '../../../platform/events/domain-events.js';
import { SYSTEM_CONTEXT, type RequestContext } from '../../../platform/http/request-context.js';
import type { Finding } from './model.js';

/**
 * The alert writer, used by every detection path (the ingestion, the sweep): a finding becomes an
 * alert, counts on the active alert with its key, or, for a behavioural detector looking at an agent
 * in its learning period, a learning finding (docs/monitoring.md, "learning mode").
 *
 * Several instances may find the same thing at once (two sweeps, a sweep and the ingestion): the
 * unique index alerts_active_dedup admits one active alert per key, and the insert's ON CONFLICT turns
 * the loser into an occurrence of the winner's alert. Only an insert writes the `alert.raised` audit
 * event and domain event, in the same transaction, so each alert is announced once. A repeat keeps
 * the alert's severity: the severity is what was announced and what the email and automatic
 * suspension acted on.
 */

/** How a repeat of an active alert's finding counts. */
export type Repeat =
  /** A new occurrence (a new burst, a new first use): occurrences + 1. */
  | 'count'
  /** The same condition still holding (an agent still silent, a key still old): last seen and evidence only. */
  | 'ongoing';

export interface WriteResult {
  raised: string[];
  counted: number;
  learning: number;
}

const SEVERITY_RANK = `array_position(array['info','low','medium','high','critical']::text[], $S)`;
const rank = (column: string) => SEVERITY_RANK.replace('$S', column);

const UPSERT_ALERT = (repeat: Repeat) => `
insert into alerts as a (id, organization_id, type, severity, subject_type, subject_id, title, summary, dedup_key, first_seen_at, last_seen_at, evidence)
values (aim_new_id('alr'), $1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10)
on conflict (organization_id, dedup_key) where status in ('open', 'acknowledged', 'snoozed') do update set
  occurrences = a.occurrences + ${repeat === 'count' ? 1 : 0},
  first_seen_at = least(a.first_seen_at, excluded.first_seen_at),
  last_seen_at = greatest(a.last_seen_at, excluded.last_seen_at),
  -- The latest occurrence's evidence, title and summary; an older one replayed late keeps the newer.
  evidence = case when excluded.last_seen_at >= a.last_seen_at then excluded.evidence else a.evidence end,
  title = case when excluded.last_seen_at >= a.last_seen_at then excluded.title else a.title end,
  summary = case when excluded.last_seen_at >= a.last_seen_at then excluded.summary else a.summary end,
  -- The severity stays the one the alert was raised (announced, emailed, acted on) with: a repeat
  -- found under a detector severity an admin changed since does not escalate it silently.
  updated_at = now()
returning id, (xmax = 0) as inserted`;

const UPSERT_LEARNING = `
insert into alert_learning_findings as f (organization_id, dedup_key, agent_id, type, severity, title, summary, first_seen_at, last_seen_at, evidence)
values ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9)
on conflict (organization_id, dedup_key) do update set
  occurrences = f.occurrences + 1,
  first_seen_at = least(f.first_seen_at, excluded.first_seen_at),
  last_seen_at = greatest(f.last_seen_at, excluded.last_seen_at),
  evidence = case when excluded.last_seen_at >= f.last_seen_at then excluded.evidence else f.evidence end,
  title = case when excluded.last_seen_at >= f.last_seen_at then excluded.title else f.title end,
  summary = case when excluded.last_seen_at >= f.last_seen_at then excluded.summary else f.summary end,
  severity = case when ${rank('excluded.severity')} > ${rank('f.severity')} then excluded.severity else f.severity end`;

/** The engine's actor in the audit log: the system, with a request id naming the path that found it. */
export const detectionContext = (path: string): RequestContext => ({ ...SYSTEM_CONTEXT, requestId: `monitoring:${path}` });

/** Whether an agent created at `createdAt` is still learning at `at`. */
export const isLearning = (createdAt: Date, at: Date, settings: Pick<MonitoringSettings, 'learningDays'>): boolean =>
  at.getTime() < createdAt.getTime() + settings.learningDays * 86_400_000;

const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

export async function writeFindings(
  tx: Tx,
  deps: { events: Pick<DomainEvents, 'record'> },
  input: {
    ctx: RequestContext;
    findings: readonly Finding[];
    /** Creation time of the agents the findings are about (learning periods). */
    agents: ReadonlyMap<string, Date>;
    settings: MonitoringSettings;
    repeat?: Repeat;
  },
): Promise<WriteResult> {
  const organizationId = orgOf(tx);
  const result: WriteResult = { raised: [], counted: 0, learning: 0 };
  for (const f of input.findings) {
    const title = clip(f.title, 200);
    const summary = clip(f.summary, 2000);
    // Within the contract's bounds whatever a detector gathered (a refused write would block the batch).
    const evidence = JSON.stringify({
      ...f.evidence,
      decisionIds: f.evidence.decisionIds.slice(0, 100),
      auditEventIds: (f.evidence.auditEventIds ?? []).slice(0, 100),
      series: f.evidence.series.slice(-400),
    });
    const createdAt = f.subject.type === 'agent' ? input.agents.get(f.subject.id) : undefined;
    if (isBehaviouralDetector(f.detector) && createdAt && isLearning(createdAt, f.at, input.settings)) {
      await tx.query(UPSERT_LEARNING, [organizationId, f.dedupKey, f.subject.id, f.detector, f.severity, title, summary, f.at, evidence], {
        name: 'aim.monitoring.learning-finding',
      });
      result.learning += 1;
      continue;
    }
    const { rows } = await tx.query<{ id: string; inserted: boolean }>(
      UPSERT_ALERT(input.repeat ?? 'count'),
      [organizationId, f.detector, f.severity, f.subject.type, f.subject.id, title, summary, f.dedupKey, f.at, evidence],
      { name: `aim.monitoring.alert-${input.repeat ?? 'count'}` },
    );
    const row = rows[0]!;
    if (!row.inserted) {
      result.counted += 1;
      continue;
    }
    result.raised.push(row.id);
    await recordAuditEvent(tx, input.ctx, {
      action: 'alert.raised',
      target: { type: 'alert', id: row.id },
      details: { type: f.detector, severity: f.severity, subject: f.subject, dedupKey: f.dedupKey, title },
    });
    await deps.events.record(tx, 'alert.raised', {
      alertId: row.id,
      type: f.detector,
      severity: f.severity,
      subject: f.subject,
      title,
      summary,
      dedupKey: f.dedupKey,
    });
  }
  return result;
}
