import type { AlertSeverity, AlertStatus, Detector } from '@aim/contracts';
import { newId } from '../platform/ids.js';
import type { TestApp } from './test-app.js';

/**
 * Alerts as the detection engine writes them (modules/monitoring/detection): the row and its
 * `alert.raised` in one transaction, through the app's own database role and domain events, so the
 * subscriptions that react to alerts (trust, notifications, automatic suspension) run as they do in
 * production. For tests of those reactions, which should not depend on driving a detector.
 */
export interface RaiseAlertInput {
  type?: Detector;
  severity: AlertSeverity;
  subject: { type: 'agent' | 'mcp_server' | 'user' | 'organization'; id: string };
  title?: string;
  summary?: string;
  dedupKey?: string;
  /** When it was first and last seen (default now). */
  seenAt?: Date;
}

const evidence = (seenAt: Date) => ({
  observed: 12,
  baseline: null,
  threshold: 5,
  unit: 'failures in 10 minutes',
  window: { from: new Date(seenAt.getTime() - 600_000).toISOString(), to: seenAt.toISOString() },
  method: 'a fixed threshold (test)',
  baselineSnapshot: null,
  series: [],
  decisionIds: [],
  auditEventIds: [],
  details: { invalid_signature: 9, replayed_request: 3 },
});

/** Raise an alert: the row and its `alert.raised`, committed together. Answers the alert id. */
export async function raiseAlert(t: TestApp, organizationId: string, input: RaiseAlertInput): Promise<string> {
  const id = newId('alr');
  const seenAt = input.seenAt ?? new Date();
  const type = input.type ?? 'key_misuse';
  const title = input.title ?? 'Possible key theft';
  const summary = input.summary ?? '12 refused requests named the agent’s key in 10 minutes (threshold 5): 9 bad signatures, 3 replays.';
  const dedupKey = input.dedupKey ?? `${type}:${input.subject.id}:${id}`;
  await t.platform.db.transaction({ organizationId }, async (tx) => {
    await tx.query(
      `insert into alerts (id, organization_id, type, severity, subject_type, subject_id, title, summary, dedup_key, first_seen_at, last_seen_at, evidence)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11)`,
      [id, organizationId, type, input.severity, input.subject.type, input.subject.id, title, summary, dedupKey, seenAt, JSON.stringify(evidence(seenAt))],
    );
    await t.platform.domainEvents.record(tx, 'alert.raised', { alertId: id, type, severity: input.severity, subject: input.subject, title, summary, dedupKey });
  });
  return id;
}

/** Move an alert to a status (as a person would through the alerts API), with its `alert.status_changed`. */
export async function setAlertStatus(t: TestApp, organizationId: string, alertId: string, status: AlertStatus, by = { type: 'system' as const, id: null }): Promise<void> {
  await t.platform.db.transaction({ organizationId }, async (tx) => {
    const { rows } = await tx.query<{ type: Detector; severity: AlertSeverity; subject_type: 'agent'; subject_id: string; status: AlertStatus }>(
      `select type, severity, subject_type, subject_id, status from alerts where organization_id = $1 and id = $2 for update`,
      [organizationId, alertId],
    );
    const before = rows[0]!;
    const closed = status === 'resolved' || status === 'false_positive';
    await tx.query(
      `update alerts set status = $3, updated_at = now(), resolved_at = case when $4 then now() end,
              resolved_by_type = case when $4 then $5 end, resolved_by_id = case when $4 then $6 end,
              snoozed_until = case when $3 = 'snoozed' then now() + interval '1 day' end
        where organization_id = $1 and id = $2`,
      [organizationId, alertId, status, closed, by.type, by.id],
    );
    await t.platform.domainEvents.record(tx, 'alert.status_changed', {
      alertId,
      type: before.type,
      severity: before.severity,
      subject: { type: before.subject_type, id: before.subject_id },
      status,
      previousStatus: before.status,
      changedBy: by,
    });
  });
}
