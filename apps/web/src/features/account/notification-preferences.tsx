'use client';

import {
  NOTIFICATION_DELIVERIES,
  updateNotificationPreferencesSchema,
  type NotificationDelivery,
  type NotificationKind,
  type NotificationPreferencesJson,
} from '@aim/contracts';
import { useEffect, useState } from 'react';
import { request } from '@/api/client';
import { FormAlert, failWith, useSchemaForm } from '@/components/form';
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

/** The form's values: the kinds the person receives (the others cannot change), and the digest hour. */
function valuesOf(saved: Preferences) {
  return {
    preferences: saved.preferences
      .filter((p) => p.eligible)
      .map((p) => ({ kind: p.kind, delivery: p.delivery, ...(p.kind === 'alert' ? { minSeverity: p.minSeverity ?? 'high' } : {}) })),
    digestHourUtc: saved.digestHourUtc,
  };
}

function PreferencesForm({ saved, onSaved }: { saved: Preferences; onSaved: (p: Preferences) => void }) {
  const can = useCan();
  const form = useSchemaForm(updateNotificationPreferencesSchema, { defaultValues: valuesOf(saved) });
  const { register, handleSubmit, formState, watch, reset } = form;
  const [saved_, setSaved] = useState(false);
  // What was saved (here or elsewhere) replaces the form's values.
  useEffect(() => reset(valuesOf(saved)), [saved, reset]);
  const eligible = saved.preferences.filter((p) => p.eligible).map((p) => p.kind);
  const digestHour = Number(watch('digestHourUtc') ?? saved.digestHourUtc);

  const submit = handleSubmit(async (body) => {
    setSaved(false);
    const { data, error } = await request<Preferences>('PUT', PATH, body);
    if (!data) return failWith(form, error);
    onSaved(data);
    setSaved(true);
  });

  return (
    <form onSubmit={(e) => void submit(e)} noValidate aria-label="Email notifications">
      <ul className="divide-y divide-slate-100">
        {saved.preferences.map((p) => {
          const kind = KINDS[p.kind];
          const why = `${p.kind}-why`;
          const i = eligible.indexOf(p.kind);
          const delivery = i >= 0 ? watch(`preferences.${i}.delivery`) : p.delivery;
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
                  {...(i >= 0 ? register(`preferences.${i}.delivery`) : { disabled: true, value: p.delivery, onChange: () => undefined })}
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
                      {...(i >= 0
                        ? register(`preferences.${i}.minSeverity`, { disabled: delivery === 'off' })
                        : { disabled: true, value: p.minSeverity ?? 'high', onChange: () => undefined })}
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
          <Select id="digest-hour" aria-describedby="digest-hour-hint" {...register('digestHourUtc', { valueAsNumber: true })}>
            {Array.from({ length: 24 }, (_, h) => (
              <option key={h} value={h}>
                {String(h).padStart(2, '0')}:00 UTC
              </option>
            ))}
          </Select>
        </div>
        <p id="digest-hour-hint" className="pb-1 text-xs text-slate-600">
          That is {localTimeOf(digestHour)} where you are. The digest gathers what is set to “daily digest”, and is not sent when empty.
        </p>
      </div>
      <div className="mt-3">
        <FormAlert form={form} />
        {saved_ && (
          <p role="status" className="mb-3 rounded border border-emerald-200 bg-emerald-50 p-3 text-sm text-emerald-900">
            Notification preferences saved.
          </p>
        )}
      </div>
      <Button type="submit" disabled={formState.isSubmitting}>
        {formState.isSubmitting ? 'Saving…' : 'Save notification preferences'}
      </Button>
    </form>
  );
}
