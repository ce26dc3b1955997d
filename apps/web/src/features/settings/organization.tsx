'use client';

import { updateOrganizationSchema } from '@aim/contracts';
import { Plus, X } from 'lucide-react';
import { useState, type FormEvent } from 'react';
import { api } from '@/api/client';
import { Resource } from '@/components/resource-list';
import { must, useApiQuery } from '@/data/query';
import type { components } from '@/api/schema';
import { Field, FormAlert, failWith, useSchemaForm } from '@/components/form';
import { ReadOnlyNote } from '@/components/organization-parts';
import { useCan, useSession } from '@/components/session';
import { when } from '@/components/ui';
import { Button } from '@/components/ui/button';
import { Card, CardTitle } from '@/components/ui/card';
import { Input } from '@/components/ui/input';

type Organization = components['schemas']['Organization'];

export function OrganizationSettings() {
  const can = useCan();
  const query = useApiQuery({ key: ['/api/v1/organization'], topics: ['organization'], fetch: async () => must(await api.GET('/api/v1/organization')) });
  const [saved, setSaved] = useState(false);

  return (
    <Card aria-labelledby="org-title">
      <CardTitle id="org-title">Organization</CardTitle>
      <Resource query={query} what="the organization">
        {(org) =>
          can.has('organization.update') ? (
            <OrganizationForm
              key={JSON.stringify(org)}
              org={org}
              saved={saved}
              onSaved={(next) => {
                setSaved(true);
                query.set(next);
              }}
              onEdit={() => setSaved(false)}
            />
          ) : (
            <>
              <ReadOnlyNote>Only admins change these settings.</ReadOnlyNote>
              <dl className="grid gap-x-4 gap-y-2 text-sm sm:grid-cols-[auto_1fr]">
                <dt className="font-medium text-slate-700">Name</dt>
                <dd className="break-words">{org.name}</dd>
                <dt className="font-medium text-slate-700">Audit retention</dt>
                <dd>{org.auditRetentionDays === null ? 'Kept forever' : `${org.auditRetentionDays} days`}</dd>
                <dt className="font-medium text-slate-700">Approval timeout</dt>
                <dd>{duration(org.approvalTimeoutSeconds)}</dd>
                <dt className="font-medium text-slate-700">Low-risk capabilities</dt>
                <dd>{org.autoApproveLowRiskCapabilities ? 'Granted at self-registration without a person' : 'Wait for a person'}</dd>
                <dt className="font-medium text-slate-700">Agent token audiences</dt>
                <dd className="break-all">{org.agentTokenAudiences.length ? org.agentTokenAudiences.join(', ') : 'None besides AIM'}</dd>
                <dt className="font-medium text-slate-700">Created</dt>
                <dd>{when(org.createdAt)}</dd>
              </dl>
            </>
          )
        }
      </Resource>
    </Card>
  );
}

function duration(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

/**
 * Rebuilt (by its key) whenever the organization changes, here or by another admin, so it always
 * starts from the current settings; `saved` lives outside it for that reason.
 */
function OrganizationForm({ org, saved, onSaved, onEdit }: { org: Organization; saved: boolean; onSaved: (o: Organization) => void; onEdit: () => void }) {
  const { reload } = useSession();
  const form = useSchemaForm(updateOrganizationSchema, {
    defaultValues: {
      name: org.name,
      auditRetentionDays: org.auditRetentionDays,
      approvalTimeoutSeconds: org.approvalTimeoutSeconds,
      autoApproveLowRiskCapabilities: org.autoApproveLowRiskCapabilities,
      agentTokenAudiences: org.agentTokenAudiences,
    },
  });
  const { register, handleSubmit, formState, setValue } = form;
  const [forever, setForever] = useState(org.auditRetentionDays === null);
  const [days, setDays] = useState(String(org.auditRetentionDays ?? 365));
  const [audiences, setAudiences] = useState<string[]>(org.agentTokenAudiences);
  const errors = formState.errors;
  const audienceErrors = errors.agentTokenAudiences as unknown as (Record<number, { message?: string }> & { message?: string }) | undefined;

  const submit = handleSubmit(async (values) => {
    onEdit();
    // Only what this person changed: a setting another admin changed meanwhile stays as they left it.
    const body = Object.fromEntries(
      Object.entries(values).filter(([key, value]) => JSON.stringify(value) !== JSON.stringify(org[key as keyof Organization])),
    ) as typeof values;
    if (Object.keys(body).length === 0) return onSaved(org);
    const { data, error } = await api.PATCH('/api/v1/organization', { body });
    if (!data) return failWith(form, error);
    onSaved(data);
    await reload();
  });
  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    setValue('auditRetentionDays', forever ? null : days.trim() === '' ? Number.NaN : Number(days));
    setValue('agentTokenAudiences', audiences);
    void submit(e);
  };

  return (
    <form onSubmit={onSubmit} noValidate aria-label="Organization settings" className="flex flex-col gap-4">
      <Field id="org-name" label="Name" error={errors.name?.message} className="max-w-md">
        {(aria) => <Input {...aria} {...register('name')} />}
      </Field>

      <fieldset className="flex flex-col gap-2">
        <legend className="mb-1 text-sm font-medium text-slate-800">Audit retention</legend>
        <label className="flex items-center gap-2 text-sm">
          <input type="checkbox" checked={forever} onChange={(e) => setForever(e.target.checked)} />
          Keep audit events forever
        </label>
        {!forever && (
          <Field
            id="org-retention"
            label="Keep audit events for (days)"
            hint="From 30 to 36500 days; older events are deleted."
            error={errors.auditRetentionDays?.message}
            className="max-w-xs"
          >
            {(aria) => <Input {...aria} type="number" inputMode="numeric" min={30} max={36500} value={days} onChange={(e) => setDays(e.target.value)} />}
          </Field>
        )}
      </fieldset>

      <Field
        id="org-approval-timeout"
        label="Approval timeout (seconds)"
        hint="How long a pending decision waits for a person before it turns into deny (30 to 86400)."
        error={errors.approvalTimeoutSeconds?.message}
        className="max-w-xs"
      >
        {(aria) => <Input {...aria} type="number" inputMode="numeric" min={30} max={86400} {...register('approvalTimeoutSeconds', { valueAsNumber: true })} />}
      </Field>

      <label className="flex items-start gap-2 text-sm">
        <input type="checkbox" className="mt-1" {...register('autoApproveLowRiskCapabilities')} />
        <span>
          Grant low-risk capabilities at self-registration without a person
          <span className="block text-xs text-slate-600">Capabilities of higher risk always wait for an approval.</span>
        </span>
      </label>

      <fieldset className="flex max-w-xl flex-col gap-2">
        <legend className="mb-1 text-sm font-medium text-slate-800">Agent token audiences</legend>
        <p className="text-xs text-slate-600">Services, besides AIM itself, that your agents may ask tokens for. None means AIM only.</p>
        {audiences.length === 0 && <p className="text-sm text-slate-600">No audiences besides AIM.</p>}
        {audiences.map((a, i) => (
          <div key={i} className="flex flex-col gap-1">
            <div className="flex gap-2">
              <label htmlFor={`audience-${i}`} className="sr-only">
                Audience {i + 1}
              </label>
              <Input
                id={`audience-${i}`}
                value={a}
                aria-invalid={Boolean(audienceErrors?.[i]?.message)}
                placeholder="https://api.example.com"
                className="flex-1"
                onChange={(e) => setAudiences((list) => list.map((x, j) => (j === i ? e.target.value : x)))}
              />
              <Button
                variant="outline"
                size="icon"
                aria-label={`Remove audience ${a || i + 1}`}
                onClick={() => setAudiences((list) => list.filter((_, j) => j !== i))}
              >
                <X aria-hidden />
              </Button>
            </div>
            {audienceErrors?.[i]?.message && <p className="text-xs text-red-800">{audienceErrors[i].message}</p>}
          </div>
        ))}
        {audienceErrors?.message && (
          <p role="alert" className="text-xs text-red-800">
            {audienceErrors.message}
          </p>
        )}
        <Button variant="outline" className="self-start" onClick={() => setAudiences((list) => [...list, ''])}>
          <Plus aria-hidden />
          Add an audience
        </Button>
      </fieldset>

      <FormAlert form={form} />
      {saved && (
        <p role="status" className="text-sm text-emerald-800">
          Saved.
        </p>
      )}
      <Button type="submit" className="self-start" disabled={formState.isSubmitting}>
        {formState.isSubmitting ? 'Saving…' : 'Save settings'}
      </Button>
    </form>
  );
}
