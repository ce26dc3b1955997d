'use client';

import { RETENTION_LIMITS } from '@aim/contracts';
import { useState } from 'react';
import { z } from 'zod';
import { Field, FormAlert, failWith, useSchemaForm } from '@/components/form';
import { Resource } from '@/components/resource-list';
import { useCan } from '@/components/session';
import { Empty } from '@/components/states';
import { PageTitle } from '@/components/ui';
import { Button } from '@/components/ui/button';
import { Input } from '@/components/ui/input';
import { must, useApiQuery } from '@/data/query';
import { LegalHoldPanel } from './legal-hold';
import { RETENTION_TOPICS, retention, type RetentionSettings } from './retention-api';

/** Whole days within the limits, or empty (forever for audit events, the deployment default for decisions). */
const days = ({ min, max }: { min: number; max: number }, empty: string) =>
  z
    .string()
    .trim()
    .refine((v) => v === '' || (/^\d+$/.test(v) && Number(v) >= min && Number(v) <= max), { message: `Whole days from ${min} to ${max}, or empty for ${empty}.` });
const formSchema = z.object({
  auditEventDays: days(RETENTION_LIMITS.auditEventDays, 'forever'),
  decisionDays: days(RETENTION_LIMITS.decisionDays, 'the deployment default'),
});
const asDays = (v: string) => (v.trim() === '' ? null : Number(v));

/**
 * Compliance → Retention: how long the organization's audit events and decisions are kept (admins change
 * them), what the deployment keeps for everyone (read-only), and the legal hold.
 */
export function RetentionView() {
  const can = useCan();
  const allowed = can.has('compliance.read');
  const settings = useApiQuery({ key: ['/api/v1/compliance/retention'], topics: RETENTION_TOPICS, enabled: allowed, fetch: async () => must(await retention.get()) });
  return (
    <section aria-labelledby="retention-title">
      <PageTitle id="retention-title">Retention</PageTitle>
      {!allowed ? (
        <Empty>Retention is shown to admins and managers. Your role ({can.role ?? 'none'}) cannot see it.</Empty>
      ) : (
        <Resource query={settings} what="the retention settings">
          {(s) => (
            <div className="grid gap-4">
              <RetentionForm settings={s} manage={can.has('compliance.manage')} saved={(next) => settings.set(next)} />
              <Deployment settings={s} />
              <LegalHoldPanel hold={s.legalHold} manage={can.has('compliance.manage')} changed={(legalHold) => settings.set({ ...s, legalHold })} />
            </div>
          )}
        </Resource>
      )}
    </section>
  );
}

function RetentionForm({ settings, manage, saved }: { settings: RetentionSettings; manage: boolean; saved: (s: RetentionSettings) => void }) {
  const form = useSchemaForm(formSchema, {
    defaultValues: { auditEventDays: settings.auditEventDays?.toString() ?? '', decisionDays: settings.decisionDays?.toString() ?? '' },
  });
  const { register, handleSubmit, formState } = form;
  const [notice, setNotice] = useState<string | null>(null);
  const submit = handleSubmit(async (value) => {
    setNotice(null);
    const answer = await retention.save({ auditEventDays: asDays(value.auditEventDays), decisionDays: asDays(value.decisionDays) });
    if (!answer.data) return failWith(form, answer.error);
    form.reset({ auditEventDays: answer.data.auditEventDays?.toString() ?? '', decisionDays: answer.data.decisionDays?.toString() ?? '' });
    setNotice(
      answer.data.legalHold.enabled ? 'Retention saved. Nothing is removed while the legal hold is placed.' : 'Retention saved. It applies at the next daily run.',
    );
    saved(answer.data);
  });
  return (
    <form noValidate aria-label="Retention" onSubmit={(e) => void submit(e)} className="grid gap-4 rounded border border-slate-200 bg-white p-4 text-sm">
      <h2 className="font-semibold">The organization&apos;s data</h2>
      <Field
        id="audit-days"
        label="Audit events, days"
        hint={`Empty keeps audit events forever. ${RETENTION_LIMITS.auditEventDays.min} to ${RETENTION_LIMITS.auditEventDays.max} days; removed events leave the chain verifiable from its new start.`}
        error={formState.errors.auditEventDays?.message}
        className="max-w-md"
      >
        {(aria) => <Input {...aria} inputMode="numeric" className="w-32" disabled={!manage} {...register('auditEventDays')} />}
      </Field>
      <Field
        id="decision-days"
        label="Decisions and their violations, days"
        hint={`Empty takes the deployment default (${settings.deployment.decisionDefaultDays} days); now ${settings.effectiveDecisionDays} days. ${RETENTION_LIMITS.decisionDays.min} to ${RETENTION_LIMITS.decisionDays.max}. Pending decisions are never removed.`}
        error={formState.errors.decisionDays?.message}
        className="max-w-md"
      >
        {(aria) => <Input {...aria} inputMode="numeric" className="w-32" disabled={!manage} {...register('decisionDays')} />}
      </Field>
      {manage ? (
        <div className="flex flex-wrap items-center gap-3">
          <Button type="submit" disabled={formState.isSubmitting}>
            {formState.isSubmitting ? 'Saving…' : 'Save retention'}
          </Button>
          {notice && (
            <p role="status" className="text-emerald-800">
              {notice}
            </p>
          )}
          <div className="w-full">
            <FormAlert form={form} />
          </div>
        </div>
      ) : (
        <p className="text-xs text-slate-600">Only admins change the retention.</p>
      )}
    </form>
  );
}

function Deployment({ settings }: { settings: RetentionSettings }) {
  const rows: [string, string][] = [
    ['Decisions of organizations without their own retention', `${settings.deployment.decisionDefaultDays} days`],
    ['Trust score history', `${settings.deployment.trustHistoryMonths} months`],
    ['Webhook events, deliveries and attempts', `${settings.deployment.webhookDays} days`],
  ];
  return (
    <section aria-labelledby="deployment-heading" className="rounded border border-slate-200 bg-white p-4 text-sm">
      <h2 id="deployment-heading" className="mb-1 font-semibold">
        Set for every organization
      </h2>
      <p className="mb-3 text-xs text-slate-600">The operator sets these in the server&apos;s configuration; they cannot be changed here.</p>
      <dl className="grid gap-2 sm:grid-cols-[auto_1fr] sm:gap-x-6">
        {rows.map(([what, value]) => (
          <div key={what} className="contents">
            <dt className="text-slate-700">{what}</dt>
            <dd className="font-medium">{value}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}
