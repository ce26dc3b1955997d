import type { AlertStatus } from '@aim/contracts';
import { recordAuditEvent } from '../../../platform/audit/audit-log.js';
import type { Tx } from '../../../platform/db/database.js';
import type { DomainEvents } from '../../../platform/events/domain-events.js';
import { AppError } from '../../../platform/http/app-error.js';
import type { RequestContext } from '../../../platform/http/request-context.js';
import { newId } from '../../../platform/ids.js';
import { membershipRepository } from '../../members/index.js';
import { checkSnoozeUntil, transition, type AlertAction } from './alert-lifecycle.js';
import { alertRepository, type AlertActorType, type AlertChanges, type AlertRow } from './alert-repository.js';

/**
 * One change to one alert: its checks, then the row, the note given with it, its audit event and (for
 * a status change) `alert.status_changed`, all in the caller's transaction. The single actions, the
 * bulk action and the end of a snooze all go through `applyChange`, so they cannot disagree.
 */
export type AlertChange =
  | { action: Exclude<AlertAction, 'snooze'>; note?: string | undefined }
  | { action: 'snooze'; until: Date; note?: string | undefined }
  | { action: 'assign'; assigneeId: string | null; note?: string | undefined };

const AUDIT_ACTION: Record<AlertStatus, string> = {
  acknowledged: 'alert.acknowledged',
  snoozed: 'alert.snoozed',
  resolved: 'alert.resolved',
  false_positive: 'alert.false_positive',
  open: 'alert.reopened',
};

export const alertNotFound = () => new AppError('alert_not_found', 'No alert of this organization has this id (check the id; alerts of other organizations are not visible).');

/** Who acts, as the alert's columns and notes record it (people and API keys here; AIM when a snooze ends). */
export function actorOf(ctx: RequestContext): { type: AlertActorType; id: string | null } {
  if (ctx.actor.type === 'agent') throw new Error('agents do not work alerts');
  return { type: ctx.actor.type, id: ctx.actor.id };
}

/** Whether a person may be an alert's assignee: a member of the organization. Answers are kept for the request. */
export function assigneeCheck() {
  const known = new Map<string, boolean>();
  return async (tx: Tx, userId: string): Promise<void> => {
    if (!known.has(userId)) known.set(userId, (await membershipRepository.role(tx, userId)) !== null);
    if (!known.get(userId)) throw new AppError('alert_assignee_not_member', `assigneeId: ${userId} is not a member of this organization; assign the alert to a member, or to nobody (null).`);
  };
}

export interface ApplyDeps {
  events: DomainEvents;
  checkAssignee: (tx: Tx, userId: string) => Promise<void>;
  now: Date;
}

/** Checks, then applies, one change; answers the alert after it. Throws AppError before writing anything when refused. */
export async function applyChange(tx: Tx, ctx: RequestContext, row: AlertRow, change: AlertChange, deps: ApplyDeps): Promise<AlertRow> {
  const by = actorOf(ctx);
  if (change.action === 'assign') {
    if (change.assigneeId !== null) await deps.checkAssignee(tx, change.assigneeId);
    // Assigning the current assignee changes nothing; a note given with it is still kept.
    if (change.assigneeId === row.assignee_id) {
      if (change.note) await addNote(tx, ctx, row, change.note);
      return row;
    }
    const noteId = change.note ? (await insertNote(tx, row.id, by, change.note)).id : undefined;
    const updated = await alertRepository.update(tx, row.id, { assignee_id: change.assigneeId });
    await recordAuditEvent(tx, ctx, {
      action: 'alert.assigned',
      target: { type: 'alert', id: row.id },
      details: { from: row.assignee_id, to: change.assigneeId, ...(noteId ? { noteId } : {}) },
    });
    return updated;
  }

  // The body's own values first, then what the alert's status allows (docs/monitoring.md, the order of checks).
  if (change.action === 'snooze') checkSnoozeUntil(change.until, deps.now);
  const to = transition(row.status, change.action);
  if (to === 'open' && (row.status === 'resolved' || row.status === 'false_positive')) {
    const active = await alertRepository.activeWithKey(tx, row.dedup_key, row.id);
    if (active) throw reopenConflict(active);
  }

  const noteId = change.note ? (await insertNote(tx, row.id, by, change.note)).id : undefined;
  const changes: AlertChanges = { status: to, snoozed_until: change.action === 'snooze' ? change.until : null };
  if (to === 'acknowledged') Object.assign(changes, { acknowledged_at: deps.now, acknowledged_by_type: by.type, acknowledged_by_id: by.id });
  if (to === 'resolved' || to === 'false_positive') Object.assign(changes, { resolved_at: deps.now, resolved_by_type: by.type, resolved_by_id: by.id });
  // Reopened, nobody is on it any more: the row shows the current round; the audit log keeps the earlier ones.
  if (to === 'open') Object.assign(changes, { acknowledged_at: null, acknowledged_by_type: null, acknowledged_by_id: null, resolved_at: null, resolved_by_type: null, resolved_by_id: null });
  const updated = await updateCatchingReopen(tx, row, changes);
  await recordAuditEvent(tx, ctx, {
    action: AUDIT_ACTION[to],
    target: { type: 'alert', id: row.id },
    details: {
      from: row.status,
      ...(change.action === 'snooze' ? { until: change.until.toISOString() } : {}),
      ...(ctx.actor.type === 'system' ? { reason: 'snooze_ended' } : {}),
      ...(noteId ? { noteId } : {}),
    },
  });
  await deps.events.record(tx, 'alert.status_changed', {
    alertId: row.id,
    type: row.type,
    severity: row.severity,
    subject: { type: row.subject_type, id: row.subject_id },
    status: to,
    previousStatus: row.status,
    changedBy: by,
  });
  return updated;
}

/** A note on its own (POST …/notes), audited as alert.note_added. */
export async function addNote(tx: Tx, ctx: RequestContext, row: AlertRow, body: string) {
  const note = await insertNote(tx, row.id, actorOf(ctx), body);
  await recordAuditEvent(tx, ctx, { action: 'alert.note_added', target: { type: 'alert', id: row.id }, details: { noteId: note.id } });
  return note;
}

const insertNote = (tx: Tx, alertId: string, by: { type: AlertActorType; id: string | null }, body: string) =>
  alertRepository.insertNote(tx, { id: newId('aln'), alertId, authorType: by.type, authorId: by.id, body });

const reopenConflict = (activeAlertId: string) =>
  new AppError(
    'alert_reopen_conflict',
    `Another active alert (${activeAlertId}) has the same deduplication key and gathers these findings now; work that one instead of reopening this one.`,
    { details: { activeAlertId } },
  );

/**
 * The update, where a reopen may still meet an alert the detection engine raised with the same key
 * since the check (the unique index of active keys refuses it): the same 409 as the check gives.
 */
async function updateCatchingReopen(tx: Tx, row: AlertRow, changes: AlertChanges): Promise<AlertRow> {
  if (changes.status !== 'open' || row.status === 'acknowledged' || row.status === 'snoozed' || row.status === 'open') return alertRepository.update(tx, row.id, changes);
  await tx.query('savepoint alert_reopen');
  try {
    const updated = await alertRepository.update(tx, row.id, changes);
    await tx.query('release savepoint alert_reopen');
    return updated;
  } catch (error) {
    if ((error as { code?: string; constraint?: string }).code !== '23505') throw error;
    await tx.query('rollback to savepoint alert_reopen');
    throw reopenConflict((await alertRepository.activeWithKey(tx, row.dedup_key, row.id)) ?? 'unknown');
  }
}
