'use client';

import { NOTIFICATION_DELIVERIES, type NotificationDelivery, type NotificationKind, type NotificationPreferencesJson } from '@aim/contracts';
import { useEffect, useState, type FormEvent } from 'react';
import { errorMessage, request } from '@/api/client';
import { NoticeLine, type Notice } from '@/components/organization-parts';
import { Resource } from '@/components/resource-list';
import { useCan } from '@/components/session';
import { Button } from '@/components/ui/button';
import { Card, CardDescription, CardTitle } from '@/components/ui/card';
import { Select } from '@/components/ui/input';
import { Label } from '@/components/ui/label';
import { must, useApiQuery } from '@/data/query';

type Preferences = NotificationPreferencesJson;
type Severity = NonNullable<Preferences['preferences'][number]['minSeverity']>;

const PATH = '/api/v1/me/notification-preferences';
const SEVERITIES: Severity[] = ['low', 'medium', 'high', 'critical'];

const KINDS: Record<NotificationKind, { label: string; what: string; who: string }> = {
  approval_requested: {
    label: 'Approval requests',
    what: 'An agent’s action waits for a person to approve or reject it.',
    who: 'they go to those who may approve decisions',
  },
  capability_requested: {
    label: 'Capability requests',
    what: 'An agent asks for a capability it does not hold.',
    who: 'they go to managers and admins, who answer them',
  },
  webhook_disabled: {
    label: 'Webhook endpoint disabled',
    what: 'AIM disabled a webhook endpoint that kept failing.',
    who: 'they go to managers and admins, who manage webhooks',
  },
  alert: { label: 'Alerts', what: 'Alerts about agents and the deployment.', who: 'they go to those who may read alerts' },
};

const DELIVERY_LABEL: Record<NotificationDelivery, string> = {
  immediate: 'Each one by email as it happens',
  digest: 'In the daily digest',
  off: 'Off',
};

/** An hour of UTC as the browser's local time, for the hint next to the digest hour. */
function localTimeOf(hourUtc: number): string {
  const d = new Date();
  d.setUTCHours(hourUtc, 0, 0, 0);
  return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

/** "Your account": which emails AIM sends you, per kind (as they happen, in a daily digest, or none), and when the digest comes. */
export function NotificationPreferences() {
  const query = useApiQuery({
    key: [PATH],
    topics: [],
    fetch: async () => must(await request<Preferences>('GET', PATH)),
  });
  return (
    <Card aria-labelledby="notifications-title">
      <CardTitle id="notifications-title">Email notifications</CardTitle>
      <CardDescription>What AIM emails you about this organization. Kinds your role does not receive are shown, but cannot be turned on.</CardDescription>
      <Resource query={query} what="your notification preferences">
        {(saved) => <PreferencesForm saved={saved} onSaved={query.set} />}
      </Resource>
    </Card>
  );
}

function PreferencesForm({ saved, onSaved }: { saved: Preferences; onSaved: (p: Preferences) => void }) {
  const can = useCan();
  const [draft, setDraft] = useState(saved);
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<Notice>(null);
  // What was saved (here or elsewhere) replaces the draft.
  useEffect(() => setDraft(saved), [saved]);

  const change = (kind: NotificationKind, patch: Partial<Preferences['preferences'][number]>) =>
    setDraft((d) => ({ ...d, preferences: d.preferences.map((p) => (p.kind === kind ? { ...p, ...patch } : p)) }));

  const save = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setNotice(null);
    const body = {
      preferences: draft.preferences
        .filter((p) => p.eligible)
        .map((p) => ({ kind: p.kind, delivery: p.delivery, ...(p.kind === 'alert' && p.minSeverity ? { minSeverity: p.minSeverity } : {}) })),
      digestHourUtc: draft.digestHourUtc,
    };
    const { data, error } = await request<Preferences>('PUT', PATH, body);
    setBusy(false);
    if (!data) return setNotice({ ok: false, text: errorMessage(error) });
    onSaved(data);
    setNotice({ ok: true, text: 'Notification preferences saved.' });
  };

  return (
    <form onSubmit={(e) => void save(e)} noValidate aria-label="Email notifications">
      <ul className="divide-y divide-slate-100">
        {draft.preferences.map((p) => {
          const kind = KINDS[p.kind];
          const why = `${p.kind}-why`;
          return (
            <li key={p.kind} data-notification-kind={p.kind} className="flex flex-wrap items-start gap-3 py-3">
              <div className="min-w-48 flex-1">
                <Label htmlFor={`notify-${p.kind}`} className={p.eligible ? '' : 'text-slate-600'}>
                  {kind.label}
                </Label>
                <p id={why} className="text-xs text-slate-600">
                  {kind.what}
                  {!p.eligible && ` Not sent to your role (${can.role ?? 'none'}): ${kind.who}.`}
                </p>
              </div>
              <div className="flex flex-wrap gap-3">
                <Select
                  id={`notify-${p.kind}`}
                  aria-describedby={why}
                  disabled={!p.eligible}
                  value={p.delivery}
                  onChange={(e) => change(p.kind, { delivery: e.target.value as NotificationDelivery })}
                >
                  {NOTIFICATION_DELIVERIES.map((d) => (
                    <option key={d} value={d}>
                      {DELIVERY_LABEL[d]}
                    </option>
                  ))}
                </Select>
                {p.kind === 'alert' && (
                  <div className="flex min-w-0 items-center gap-2">
                    <Label htmlFor="notify-alert-severity" className="text-xs font-normal">
                      Lowest severity
                    </Label>
                    <Select
                      id="notify-alert-severity"
                      disabled={!p.eligible || p.delivery === 'off'}
                      value={p.minSeverity ?? 'medium'}
                      onChange={(e) => change(p.kind, { minSeverity: e.target.value as Severity })}
                    >
                      {SEVERITIES.map((s) => (
                        <option key={s} value={s}>
                          {s}
                        </option>
                      ))}
                    </Select>
                  </div>
                )}
              </div>
            </li>
          );
        })}
      </ul>
      <div className="mt-2 flex flex-wrap items-end gap-3">
        <div className="flex flex-col gap-1">
          <Label htmlFor="digest-hour">Daily digest at (UTC)</Label>
          <Select id="digest-hour" aria-describedby="digest-hour-hint" value={draft.digestHourUtc} onChange={(e) => setDraft((d) => ({ ...d, digestHourUtc: Number(e.target.value) }))}>
            {Array.from({ length: 24 }, (_, h) => (
              <option key={h} value={h}>
                {String(h).padStart(2, '0')}:00 UTC
              </option>
            ))}
          </Select>
        </div>
        <p id="digest-hour-hint" className="pb-1 text-xs text-slate-600">
          That is {localTimeOf(draft.digestHourUtc)} where you are. The digest gathers what is set to “daily digest”, and is not sent when empty.
        </p>
      </div>
      <div className="mt-3">
        <NoticeLine notice={notice} />
      </div>
      <Button type="submit" disabled={busy}>
        {busy ? 'Saving…' : 'Save notification preferences'}
      </Button>
    </form>
  );
}
