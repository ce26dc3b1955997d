import {
  acknowledgeAlertSchema,
  addAlertNoteSchema,
  ALERT_BULK_MAX,
  ALERT_SNOOZE_MAX_DAYS,
  alertDetailSchema,
  alertEnvelopeSchema,
  alertListQuerySchema,
  alertListSchema,
  alertNoteEnvelopeSchema,
  alertParamsSchema,
  assignAlertSchema,
  bulkAlertActionSchema,
  bulkAlertResultSchema,
  errorEnvelopeSchema,
  learningFindingListQuerySchema,
  learningFindingListSchema,
  reopenAlertSchema,
  resolveAlertSchema,
  snoozeAlertSchema,
} from '@aim/contracts';
import { defineOperation, type Feature } from '../../../platform/http/operation.js';
import type { FeatureJob } from '../../../platform/jobs/feature-jobs.js';
import type { AlertService } from './alert-service.js';
import type { LearningFindingService } from './learning-findings.js';

const tag = 'monitoring';
const read = { auth: 'org', permission: 'alert.read' } as const;
const manage = { auth: 'org', permission: 'alert.manage' } as const;
const base = '/api/v1/alerts';
const one = `${base}/:alertId`;
const NOTE = ' A `note` given with the action is stored as a note of the alert in the same transaction.';
const STATUS_CHANGE = ' Audited, and announced as `alert.status_changed`.';

/** The part of the `aim.monitoring-sweep` job that opens snoozed alerts again when their time has come. */
export function alertJobs(deps: { alerts: Pick<AlertService, 'reopenEndedSnoozes'> }): FeatureJob[] {
  return [
    {
      name: 'aim.monitoring-sweep',
      cron: '* * * * *',
      perOrganization: {
        organizations: 'aim_alerts_snooze_ended_organizations',
        describe: 'reopening alerts whose snooze ended',
        async run(ctx, organizationId) {
          await deps.alerts.reopenEndedSnoozes(ctx, organizationId);
        },
      },
    },
  ];
}

/** Alerts (docs/monitoring.md, "alerts API"): the inbox, the lifecycle, notes, bulk actions and learning findings. */
export function alertFeature(deps: { alerts: AlertService; learningFindings: LearningFindingService; jobs: readonly FeatureJob[] }): Feature {
  const { alerts } = deps;
  return {
    name: 'alerts',
    jobs: deps.jobs,
    operations: [
      defineOperation({
        method: 'GET',
        path: base,
        tag,
        summary: 'Alerts, newest first, with filters (keyset pagination)',
        description:
          'status, severity and type take several values (repeat the parameter); since/until bound lastSeenAt. Pages go by id descending (when the alert was raised); pass nextCursor as cursor.',
        access: read,
        query: alertListQuerySchema,
        responses: { 200: alertListSchema },
        handle: ({ ctx, query }) => alerts.list(ctx, query),
      }),
      defineOperation({
        method: 'GET',
        path: one,
        tag,
        summary: 'An alert with its evidence and notes (oldest first)',
        access: read,
        params: alertParamsSchema,
        responses: { 200: alertDetailSchema },
        handle: ({ ctx, params }) => alerts.get(ctx, params.alertId),
      }),
      defineOperation({
        method: 'POST',
        path: `${one}/acknowledge`,
        tag,
        summary: 'Acknowledge an alert: a person is on it',
        description: `From open or snoozed (a snooze ends).${STATUS_CHANGE}${NOTE}`,
        access: manage,
        params: alertParamsSchema,
        body: acknowledgeAlertSchema,
        responses: { 200: alertEnvelopeSchema, 409: errorEnvelopeSchema },
        handle: ({ ctx, params, body }) => alerts.acknowledge(ctx, params.alertId, body),
      }),
      defineOperation({
        method: 'POST',
        path: `${one}/assign`,
        tag,
        summary: 'Assign an alert to a member, or to nobody (assigneeId null)',
        description: `In any status; the status does not change. The assignee must be a member of the organization (alert_assignee_not_member). Audited as alert.assigned.${NOTE}`,
        access: manage,
        params: alertParamsSchema,
        body: assignAlertSchema,
        responses: { 200: alertEnvelopeSchema },
        handle: ({ ctx, params, body }) => alerts.assign(ctx, params.alertId, body),
      }),
      defineOperation({
        method: 'POST',
        path: `${one}/snooze`,
        tag,
        summary: 'Snooze an alert until a time; it opens again by itself then',
        description: `From open, acknowledged. \`until\` must be in the future and at most ${ALERT_SNOOZE_MAX_DAYS} days ahead (alert_snooze_invalid). A repeat of the finding meanwhile counts on the alert.${STATUS_CHANGE}${NOTE}`,
        access: manage,
        params: alertParamsSchema,
        body: snoozeAlertSchema,
        responses: { 200: alertEnvelopeSchema, 409: errorEnvelopeSchema },
        handle: ({ ctx, params, body }) => alerts.snooze(ctx, params.alertId, body),
      }),
      defineOperation({
        method: 'POST',
        path: `${one}/resolve`,
        tag,
        summary: 'Resolve an alert, or mark it a false positive (resolution)',
        description: `From open, acknowledged or snoozed. The next finding with its key raises a new alert.${STATUS_CHANGE}${NOTE}`,
        access: manage,
        params: alertParamsSchema,
        body: resolveAlertSchema,
        responses: { 200: alertEnvelopeSchema, 409: errorEnvelopeSchema },
        handle: ({ ctx, params, body }) => alerts.resolve(ctx, params.alertId, body),
      }),
      defineOperation({
        method: 'POST',
        path: `${one}/reopen`,
        tag,
        summary: 'Reopen an alert',
        description: `From acknowledged, snoozed, resolved or false_positive. A resolved alert or false positive is reopened only while no other active alert has its deduplication key (alert_reopen_conflict names that one).${STATUS_CHANGE}${NOTE}`,
        access: manage,
        params: alertParamsSchema,
        body: reopenAlertSchema,
        responses: { 200: alertEnvelopeSchema, 409: errorEnvelopeSchema },
        handle: ({ ctx, params, body }) => alerts.reopen(ctx, params.alertId, body),
      }),
      defineOperation({
        method: 'POST',
        path: `${one}/notes`,
        tag,
        summary: 'Add a note to an alert (notes are never changed or deleted)',
        description: 'In any status. Audited as alert.note_added (the note id, not its text).',
        access: manage,
        params: alertParamsSchema,
        body: addAlertNoteSchema,
        responses: { 201: alertNoteEnvelopeSchema },
        status: 201,
        handle: ({ ctx, params, body }) => alerts.addNote(ctx, params.alertId, body.body),
      }),
      defineOperation({
        method: 'POST',
        path: `${base}/bulk`,
        tag,
        summary: `One action on up to ${ALERT_BULK_MAX} alerts, with each alert's own result`,
        description:
          'action: acknowledge, resolve, false_positive, snooze (with until), assign (with assigneeId), reopen. Each alert answers what it would alone: ok with the alert after the change, or the error code and message of the single action (alert_not_found, alert_transition_not_allowed, …). The changes that succeed commit together with their audit events and events, in one transaction; the answer is 200 even when some alerts were refused.',
        access: manage,
        body: bulkAlertActionSchema,
        responses: { 200: bulkAlertResultSchema },
        handle: ({ ctx, body }) => alerts.bulk(ctx, body),
      }),
      defineOperation({
        method: 'GET',
        path: '/api/v1/monitoring/learning-findings',
        tag,
        summary: 'What behavioural detectors would have raised while agents were learning, latest first (keyset pagination)',
        description: 'Never alerts, never notified, never evidence against the agent: a view of what the agent’s first days looked like to the detectors.',
        access: read,
        query: learningFindingListQuerySchema,
        responses: { 200: learningFindingListSchema },
        handle: ({ ctx, query }) => deps.learningFindings.list(ctx, query),
      }),
    ],
  };
}
