import { ALERT_SNOOZE_MAX_DAYS, type AlertStatus } from '@aim/contracts';
import { AppError } from '../../../platform/http/app-error.js';

/**
 * The alert lifecycle in one place (docs/monitoring.md, "alerts API"): which status each action leads
 * to, and from which statuses it may be taken. Everything else is refused with
 * alert_transition_not_allowed, naming the current status and what is allowed from it.
 */
export type AlertAction = 'acknowledge' | 'snooze' | 'resolve' | 'false_positive' | 'reopen';

/** The status each action leads to. */
export const ACTION_TARGET: Record<AlertAction, AlertStatus> = {
  acknowledge: 'acknowledged',
  snooze: 'snoozed',
  resolve: 'resolved',
  false_positive: 'false_positive',
  reopen: 'open',
};

/**
 * From each status, the statuses it may go to. Reopening a resolved alert or a false positive is
 * allowed only while no other active alert has its deduplication key (checked by the service: the
 * table says what the status alone allows). A snoozed alert also goes back to open by itself when
 * its snoozedUntil passes (the monitoring sweep).
 */
export const TRANSITIONS: Record<AlertStatus, readonly AlertStatus[]> = {
  open: ['acknowledged', 'snoozed', 'resolved', 'false_positive'],
  acknowledged: ['snoozed', 'resolved', 'false_positive', 'open'],
  snoozed: ['open', 'acknowledged', 'resolved', 'false_positive'],
  resolved: ['open'],
  false_positive: ['open'],
};

const ACTION_OF: Record<AlertStatus, AlertAction> = {
  acknowledged: 'acknowledge',
  snoozed: 'snooze',
  resolved: 'resolve',
  false_positive: 'false_positive',
  open: 'reopen',
};

/** The actions that may be taken from `status`, in words for a message ("acknowledge, snooze, …"). */
export const allowedActions = (status: AlertStatus): string =>
  TRANSITIONS[status].map((to) => (to === 'false_positive' ? 'resolve as false_positive' : ACTION_OF[to])).join(', ');

/** The status `action` leads to from `from`, or alert_transition_not_allowed. */
export function transition(from: AlertStatus, action: AlertAction): AlertStatus {
  const to = ACTION_TARGET[action];
  if (!TRANSITIONS[from].includes(to)) {
    const verb = action === 'false_positive' ? 'marked a false positive' : action === 'reopen' ? 'reopened' : `${ACTION_TARGET[action].replace('_', ' ')}`;
    throw new AppError('alert_transition_not_allowed', `The alert is ${from.replace('_', ' ')} and cannot be ${verb}; from ${from} it can be: ${allowedActions(from)}.`, {
      details: { status: from, requested: to, allowed: TRANSITIONS[from].join(',') },
    });
  }
  return to;
}

/** A snooze's end: in the future, at most ALERT_SNOOZE_MAX_DAYS ahead of `now`. */
export function checkSnoozeUntil(until: Date, now: Date): void {
  if (until.getTime() <= now.getTime()) {
    throw new AppError('alert_snooze_invalid', `until: ${until.toISOString()} is not in the future; give a time after ${now.toISOString()}.`);
  }
  const latest = new Date(now.getTime() + ALERT_SNOOZE_MAX_DAYS * 86_400_000);
  if (until.getTime() > latest.getTime()) {
    throw new AppError('alert_snooze_invalid', `until: at most ${ALERT_SNOOZE_MAX_DAYS} days ahead (no later than ${latest.toISOString()}).`);
  }
}
