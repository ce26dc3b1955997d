'use client';

import { RULE_DETECTORS, BEHAVIOURAL_DETECTORS, monitoringSettingsSchema, type MonitoringSettings } from '@aim/contracts';
import { useState } from 'react';
import { Field, FormAlert, failWith, useSchemaForm } from '@/components/form';
import { Resource } from '@/components/resource-list';
import { useCan } from '@/components/session';
import { Empty } from '@/components/states';
import { PageTitle, when } from '@/components/ui';
import { Button } from '@/components/ui/button';
import { Input } from '@/components/ui/input';
import { must, useApiQuery } from '@/data/query';
import { SETTINGS_TOPICS, alerts } from '@/features/alerts/alert-api';
import { DetectorFields } from './detector-fields';
import { LearningFindings } from './learning-findings';
import { McpSettingsPanel } from '@/features/mcp-servers/mcp-settings';

/**
 * Monitoring settings (admins, `monitoring.manage`): the learning period of new agents, automatic
 * suspension on critical alerts, and each detector's switch, severity and parameters, checked by the
 * contract's own schema before they are sent; then what detectors found while agents were learning.
 */
export function MonitoringSettingsView() {
  const can = useCan();
  const allowed = can.has('monitoring.manage');
  const settings = useApiQuery({
    key: ['/api/v1/monitoring/settings'],
    topics: SETTINGS_TOPICS,
    enabled: allowed,
    fetch: async () => must(await alerts.settings()),
  });
  return (
    <section aria-labelledby="monitoring-title">
      <PageTitle id="monitoring-title">Monitoring</PageTitle>
      {!allowed ? (
        <Empty>Monitoring settings are changed by admins. Your role ({can.role ?? 'none'}) cannot change them.</Empty>
      ) : (
        <>
          {/* The form is not keyed by updatedAt: a save (or another admin's, arriving live) must not wipe what is being edited or the saved notice. */}
          <Resource query={settings} what="the monitoring settings">
            {(s) => <SettingsForm settings={s.settings} updatedAt={s.updatedAt} saved={(next) => settings.set(next)} />}
          </Resource>
          <McpSettingsPanel />
          <LearningFindings />
        </>
      )}
    </section>
  );
}

function SettingsForm({ settings, updatedAt, saved }: { settings: MonitoringSettings; updatedAt: string | null; saved: (s: { settings: MonitoringSettings; updatedAt: string | null }) => void }) {
  const form = useSchemaForm(monitoringSettingsSchema, { defaultValues: settings });
  const { register, handleSubmit, formState, watch } = form;
  const [notice, setNotice] = useState<string | null>(null);
  const suspend = watch('autoSuspendOnCritical');
  const submit = handleSubmit(async (value) => {
    setNotice(null);
    const answer = await alerts.saveSettings(value);
    if (!answer.data) return failWith(form, answer.error);
    form.reset(answer.data.settings);
    setNotice('Monitoring settings saved. They apply from the next event.');
    saved(answer.data);
  });
  return (
    <form noValidate aria-label="Monitoring settings" onSubmit={(e) => void submit(e)} className="grid gap-4 text-sm">
      <section aria-labelledby="general-heading" className="rounded border border-slate-200 bg-white p-4">
        <h2 id="general-heading" className="mb-1 font-semibold">
          General
        </h2>
        <p className="mb-3 text-xs text-slate-600">{updatedAt ? `Last changed ${when(updatedAt)}.` : 'The defaults: never changed.'}</p>
        <Field
          id="learning-days"
          label="Learning days"
          hint="A new agent's first days build its baseline: behavioural detectors only record what they would raise (listed below). Rules alert from the first request. 0–90."
          error={formState.errors.learningDays?.message}
          className="max-w-md"
        >
          {(aria) => <Input {...aria} type="number" inputMode="numeric" className="w-28" {...register('learningDays', { valueAsNumber: true })} />}
        </Field>
        <label className="mt-4 flex items-start gap-2">
          <input type="checkbox" className="mt-0.5 size-4" aria-describedby="suspend-warning" {...register('autoSuspendOnCritical')} />
          <span>Suspend an agent automatically when a critical alert about it is raised</span>
        </label>
        <p id="suspend-warning" className={`mt-2 rounded border p-2 text-xs ${suspend ? 'border-amber-400 bg-amber-50 text-amber-950' : 'border-slate-200 text-slate-700'}`}>
          <strong>Warning:</strong> a suspended agent is refused on every request until a person reactivates it, so a false alarm stops real
          work. Each suspension is recorded in the audit log and can be undone from the agent&apos;s page.
        </p>
      </section>
      <section aria-labelledby="rules-heading" className="grid gap-3">
        <h2 id="rules-heading" className="font-semibold">
          Rules
        </h2>
        {RULE_DETECTORS.map((d) => (
          <DetectorFields key={d} detector={d} form={form} />
        ))}
      </section>
      <section aria-labelledby="behaviour-heading" className="grid gap-3">
        <h2 id="behaviour-heading" className="font-semibold">
          Behaviour against each agent&apos;s baseline
        </h2>
        {BEHAVIOURAL_DETECTORS.map((d) => (
          <DetectorFields key={d} detector={d} form={form} />
        ))}
      </section>
      <div className="flex flex-wrap items-center gap-3 border-t border-slate-200 py-3">
        <Button type="submit" disabled={formState.isSubmitting}>
          {formState.isSubmitting ? 'Saving…' : 'Save settings'}
        </Button>
        {Object.keys(formState.errors).filter((k) => k !== 'root').length > 0 && (
          <p role="alert" className="text-red-800">
            Some values are out of range: see the fields marked above.
          </p>
        )}
        {notice && (
          <p role="status" className="text-emerald-800">
            {notice}
          </p>
        )}
        <div className="w-full">
          <FormAlert form={form} />
        </div>
      </div>
    </form>
  );
}
