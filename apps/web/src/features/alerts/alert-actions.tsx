'use client';

import { ALERT_SNOOZE_MAX_DAYS } from '@aim/contracts';
import { useState } from 'react';
import { errorMessage } from '@/api/client';
import { Button } from '@/components/ui/button';
import { ConfirmDialog } from '@/components/ui/dialog';
import { Input, Select } from '@/components/ui/input';
import { alerts, type Alert } from './alert-api';

type Answer = Promise<{ data?: { alert: Alert }; error?: unknown }>;

const ACTIVE = new Set<Alert['status']>(['open', 'acknowledged', 'snoozed']);

/** A value for <input type="datetime-local"> (local time, minutes), `hours` from now. */
function localInput(hours: number): string {
  const d = new Date(Date.now() + hours * 3_600_000);
  d.setSeconds(0, 0);
  return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
}

/**
 * What a person who manages alerts may do with this one, by its status: acknowledge (open or
 * snoozed), assign to a member, snooze until a time, resolve or mark a false positive (both behind a
 * confirmation), reopen (any status but open). The API's answer replaces the alert on
 * the page; a refusal shows its message.
 */
export function AlertActions({ alert, members, changed }: { alert: Alert; members: { id: string; name: string }[]; changed: (alert: Alert, notice: string) => void }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [assignee, setAssignee] = useState(alert.assigneeId ?? '');
  const [until, setUntil] = useState(() => localInput(24));
  const active = ACTIVE.has(alert.status);

  const act = async (call: () => Answer, done: string): Promise<string | null> => {
    setBusy(true);
    setError(null);
    try {
      const answer = await call();
      if (!answer.data) {
        const message = errorMessage(answer.error);
        setError(message);
        return message;
      }
      changed(answer.data.alert, done);
      return null;
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="actions-heading" className="rounded border border-slate-200 bg-white p-4 text-sm">
      <h2 id="actions-heading" className="mb-2 font-semibold">
        Actions
      </h2>
      {error && (
        <p role="alert" className="mb-2 rounded border border-red-200 bg-red-50 p-2 text-red-800 wrap-anywhere">
          {error}
        </p>
      )}
      <div className="flex flex-wrap gap-2">
        {(alert.status === 'open' || alert.status === 'snoozed') && (
          <Button disabled={busy} onClick={() => void act(() => alerts.acknowledge(alert.id), 'Alert acknowledged.')}>
            Acknowledge
          </Button>
        )}
        {active && (
          <>
            <ConfirmDialog
              trigger={
                <Button variant="outline" disabled={busy}>
                  Resolve…
                </Button>
              }
              title="Resolve this alert?"
              description="It leaves the active list and stops counting against the agent's trust once resolved. The same finding again raises a new alert."
              confirmLabel="Resolve alert"
              onConfirm={() => act(() => alerts.resolve(alert.id, 'resolved'), 'Alert resolved.')}
            />
            <ConfirmDialog
              trigger={
                <Button variant="outline" disabled={busy}>
                  False positive…
                </Button>
              }
              title="Mark this alert a false positive?"
              description="It was not a problem: the alert closes and never counts against the agent."
              confirmLabel="Mark false positive"
              onConfirm={() => act(() => alerts.resolve(alert.id, 'false_positive'), 'Alert marked a false positive.')}
            />
          </>
        )}
        {alert.status !== 'open' ? (
          <Button variant="outline" disabled={busy} onClick={() => void act(() => alerts.reopen(alert.id), 'Alert reopened.')}>
            Reopen
          </Button>
        ) : null}
      </div>
      {active && (
        <div className="mt-3 grid gap-3 sm:grid-cols-2">
          <form
            aria-label="Assign the alert"
            className="flex flex-wrap items-end gap-2"
            onSubmit={(e) => {
              e.preventDefault();
              void act(() => alerts.assign(alert.id, assignee || null), assignee ? 'Alert assigned.' : 'Alert unassigned.');
            }}
          >
            <label className="flex min-w-0 flex-1 flex-col gap-1">
              Assignee
              <Select value={assignee} onChange={(e) => setAssignee(e.target.value)}>
                <option value="">Nobody</option>
                {members.map((m) => (
                  <option key={m.id} value={m.id}>
                    {m.name}
                  </option>
                ))}
              </Select>
            </label>
            <Button type="submit" variant="outline" disabled={busy}>
              Assign
            </Button>
          </form>
          {alert.status !== 'snoozed' && (
            <form
              noValidate
              aria-label="Snooze the alert"
              className="flex flex-wrap items-end gap-2"
              onSubmit={(e) => {
                e.preventDefault();
                const at = new Date(until);
                if (Number.isNaN(at.getTime())) return setError('Choose the date and time to snooze until.');
                void act(() => alerts.snooze(alert.id, at.toISOString()), `Alert snoozed until ${at.toLocaleString()}.`);
              }}
            >
              <label className="flex min-w-0 flex-1 flex-col gap-1">
                Snooze until
                <Input type="datetime-local" value={until} min={localInput(0)} max={localInput(ALERT_SNOOZE_MAX_DAYS * 24)} onChange={(e) => setUntil(e.target.value)} />
              </label>
              <Button type="submit" variant="outline" disabled={busy}>
                Snooze
              </Button>
            </form>
          )}
        </div>
      )}
    </section>
  );
}
