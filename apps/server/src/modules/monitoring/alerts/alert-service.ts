import type { alertListQuerySchema, bulkAlertActionSchema } from '@aim/contracts';
import type { z } from 'zod';
import type { Database, Tx } from '../../../platform/db/database.js';
import type { DomainEvents } from '../../../platform/events/domain-events.js';
import { AppError } from '../../../platform/http/app-error.js';
import type { OrgContext } from '../../../platform/http/operation.js';
import type { RequestContext } from '../../../platform/http/request-context.js';
import { addNote, alertNotFound, applyChange, assigneeCheck, type AlertChange } from './alert-actions.js';
import { alertJson, alertNoteJson, alertRepository, type AlertRow } from './alert-repository.js';

/**
 * An organization's alerts: the list and detail, the lifecycle actions one by one and in bulk, notes,
 * and the end of snoozes (the monitoring sweep). Every change commits with its audit event and, for
 * a status change, its `alert.status_changed` event (alert-actions.ts).
 */
export type AlertListQuery = z.output<typeof alertListQuerySchema>;
export type BulkAlertAction = z.output<typeof bulkAlertActionSchema>;

/** Snoozes ended per organization and statement in the sweep (the next run takes the rest). */
const SNOOZE_BATCH = 500;

export function createAlertService(deps: { db: Database; events: DomainEvents; now?: () => Date }) {
  const { db, events } = deps;
  const now = deps.now ?? (() => new Date());

  async function load(tx: Tx, id: string): Promise<AlertRow> {
    const row = await alertRepository.find(tx, id, { forUpdate: true });
    if (!row) throw alertNotFound();
    return row;
  }

  /** One action on one alert, in its own transaction. */
  const single = (ctx: OrgContext, id: string, change: AlertChange) =>
    db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
      const row = await load(tx, id);
      return { alert: alertJson(await applyChange(tx, ctx, row, change, { events, checkAssignee: assigneeCheck(), now: now() })) };
    });

  return {
    async list(ctx: OrgContext, query: AlertListQuery) {
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const page = await alertRepository.list(tx, query);
        return { alerts: page.rows.map(alertJson), nextCursor: page.nextCursor };
      });
    },

    async get(ctx: OrgContext, id: string) {
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const row = await alertRepository.find(tx, id);
        if (!row) throw alertNotFound();
        return { alert: alertJson(row), notes: (await alertRepository.notes(tx, id)).map(alertNoteJson) };
      });
    },

    acknowledge: (ctx: OrgContext, id: string, body: { note?: string | undefined }) => single(ctx, id, { action: 'acknowledge', note: body.note }),
    assign: (ctx: OrgContext, id: string, body: { assigneeId: string | null; note?: string | undefined }) =>
      single(ctx, id, { action: 'assign', assigneeId: body.assigneeId, note: body.note }),
    snooze: (ctx: OrgContext, id: string, body: { until: string; note?: string | undefined }) => single(ctx, id, { action: 'snooze', until: new Date(body.until), note: body.note }),
    resolve: (ctx: OrgContext, id: string, body: { resolution: 'resolved' | 'false_positive'; note?: string | undefined }) =>
      single(ctx, id, { action: body.resolution === 'false_positive' ? 'false_positive' : 'resolve', note: body.note }),
    reopen: (ctx: OrgContext, id: string, body: { note?: string | undefined }) => single(ctx, id, { action: 'reopen', note: body.note }),

    async addNote(ctx: OrgContext, id: string, body: string) {
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => ({ note: alertNoteJson(await addNote(tx, ctx, await load(tx, id), body)) }));
    },

    /**
     * One action on up to ALERT_BULK_MAX alerts, in one transaction: each alert in a savepoint of its
     * own, so one that is refused (with the code and message it would get alone) leaves the others'
     * changes and audit events to commit together.
     */
    async bulk(ctx: OrgContext, input: BulkAlertAction) {
      const change = bulkChange(input);
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const rows = await alertRepository.lockMany(tx, input.alertIds);
        const apply = { events, checkAssignee: assigneeCheck(), now: now() };
        const results = [];
        for (const alertId of input.alertIds) {
          const row = rows.get(alertId);
          if (!row) {
            const e = alertNotFound();
            results.push({ alertId, ok: false, alert: null, error: { code: e.code, message: e.message } });
            continue;
          }
          await tx.query('savepoint alert_bulk');
          try {
            const updated = await applyChange(tx, ctx, row, change, apply);
            await tx.query('release savepoint alert_bulk');
            results.push({ alertId, ok: true, alert: alertJson(updated), error: null });
          } catch (error) {
            await tx.query('rollback to savepoint alert_bulk');
            if (!(error instanceof AppError)) throw error;
            results.push({ alertId, ok: false, alert: null, error: { code: error.code, message: error.message } });
          }
        }
        return { results };
      });
    },

    /**
     * Snoozed alerts of the organization whose snoozedUntil has passed, opened again by AIM (audited as
     * the system, with `alert.status_changed`); how many. `at` is the time that counts as now.
     */
    async reopenEndedSnoozes(ctx: RequestContext, organizationId: string, at: Date = now()): Promise<number> {
      const system = { ...ctx, actor: { type: 'system' as const, id: null }, organizationId };
      return db.transaction({ organizationId }, async (tx) => {
        const due = await alertRepository.snoozeEnded(tx, at, SNOOZE_BATCH);
        const apply = { events, checkAssignee: assigneeCheck(), now: at };
        for (const row of due) await applyChange(tx, system, row, { action: 'reopen' }, apply);
        return due.length;
      });
    },
  };
}

/** The single action a bulk request names, with what it needs (validation_failed when that is missing). */
function bulkChange(input: BulkAlertAction): AlertChange {
  const note = input.note;
  switch (input.action) {
    case 'snooze':
      if (!input.until) throw new AppError('validation_failed', 'until: required for the snooze action (when the alerts open again).');
      return { action: 'snooze', until: new Date(input.until), note };
    case 'assign':
      if (input.assigneeId === undefined) throw new AppError('validation_failed', 'assigneeId: required for the assign action (a member id, or null to unassign).');
      return { action: 'assign', assigneeId: input.assigneeId, note };
    case 'resolve':
    case 'false_positive':
    case 'acknowledge':
    case 'reopen':
      return { action: input.action, note };
  }
}

export type AlertService = ReturnType<typeof createAlertService>;
