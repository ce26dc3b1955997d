'use client';

import { createEnrollmentTokenSchema } from '@aim/contracts';
import { api } from '@/api/client';
import type { components } from '@/api/schema';
import { useCapabilityCatalog } from '@/data/catalog';
import { Failed, Loading } from '@/components/states';
import { Field, FormAlert, blank, failWith, useSchemaForm } from '@/components/form';
import { Button } from '@/components/ui/button';
import { Input, Select } from '@/components/ui/input';
import { Badge, EXPIRIES } from '@/components/ui';

type Created = components['schemas']['CreatedEnrollmentToken'];

export function CreateToken({ onCreated }: { onCreated: (created: Created) => void }) {
  const form = useSchemaForm(createEnrollmentTokenSchema, { defaultValues: { capabilities: [], expiresInSeconds: EXPIRIES[1]!.seconds } });
  const { register, handleSubmit, formState } = form;

  const { data: catalog, error: catalogError, retry: retryCatalog } = useCapabilityCatalog();

  const submit = handleSubmit(async (body) => {
    const { data, error } = await api.POST('/api/v1/enrollment-tokens', { body });
    if (!data) return failWith(form, error);
    form.reset();
    onCreated(data);
  });

  return (
    <form onSubmit={(e) => void submit(e)} noValidate aria-labelledby="create-token-title" className="rounded border border-slate-200 bg-white p-4">
      <h2 id="create-token-title" className="mb-3 text-lg font-semibold">
        Create a token
      </h2>
      <div className="flex flex-wrap gap-4">
        <Field id="token-name" label="Agent name" error={formState.errors.name?.message} className="flex-1">
          {(aria) => <Input {...aria} {...register('name', blank)} placeholder="invoice-bot" />}
        </Field>
        <Field id="token-expires" label="Expires in">
          {(aria) => (
            <Select {...aria} {...register('expiresInSeconds', { valueAsNumber: true })}>
              {EXPIRIES.map((x) => (
                <option key={x.seconds} value={x.seconds}>
                  {x.label}
                </option>
              ))}
            </Select>
          )}
        </Field>
      </div>
      <fieldset className="mt-3">
        <legend className="text-sm">Capabilities the agent will request</legend>
        {catalogError ? (
          <Failed message={catalogError} retry={retryCatalog} />
        ) : catalog === null ? (
          <Loading what="capabilities" />
        ) : catalog.length === 0 ? (
          <p className="text-sm text-slate-600">The capability catalog is empty: the agent can enroll without requesting any.</p>
        ) : (
          <div className="mt-1 flex flex-wrap gap-x-4 gap-y-1">
            {catalog.map((c) => (
              <label key={c.id} className="flex items-center gap-1 text-sm">
                <input type="checkbox" value={c.name} {...register('capabilities')} />
                {c.name} <Badge>{c.riskLevel}</Badge>
              </label>
            ))}
          </div>
        )}
      </fieldset>
      <div className="mt-3">
        <FormAlert form={form} />
      </div>
      <Button type="submit" disabled={formState.isSubmitting} className="mt-4">
        {formState.isSubmitting ? 'Creating…' : 'Create token'}
      </Button>
    </form>
  );
}
