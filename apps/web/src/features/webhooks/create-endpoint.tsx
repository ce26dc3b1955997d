'use client';

import { createWebhookEndpointSchema } from '@aim/contracts';
import { Plus } from 'lucide-react';
import { Field, FormAlert, blank, failWith, useSchemaForm } from '@/components/form';
import { ShownOnce } from '@/components/organization-parts';
import { Button } from '@/components/ui/button';
import { Card, CardDescription, CardTitle } from '@/components/ui/card';
import { Input } from '@/components/ui/input';
import { EventTypePicker } from './event-types';
import { webhooks, type Endpoint } from './webhook-api';

/** A new endpoint: where AIM posts events, which ones, and a note for people. Its secret is shown after. */
export function CreateEndpoint({ onCreated, onCancel }: { onCreated: (created: { webhookEndpoint: Endpoint; secret: string }) => void; onCancel: () => void }) {
  const form = useSchemaForm(createWebhookEndpointSchema, { defaultValues: { url: '', eventTypes: [] } });
  const { register, handleSubmit, formState } = form;
  const submit = handleSubmit(async (body) => {
    const { data, error } = await webhooks.create(body);
    if (!data) return failWith(form, error);
    form.reset();
    onCreated(data);
  });
  return (
    <Card aria-labelledby="create-endpoint-title">
      <form onSubmit={(e) => void submit(e)} noValidate aria-labelledby="create-endpoint-title">
        <CardTitle id="create-endpoint-title">Add an endpoint</CardTitle>
        <CardDescription>
          AIM posts each chosen event to this address as JSON, signed per the Standard Webhooks specification, and retries failed deliveries for about three
          days.
        </CardDescription>
        <div className="flex flex-col gap-3">
          <Field id="endpoint-url" label="URL" hint="An https address that answers 2xx within a few seconds." error={formState.errors.url?.message}>
            {(aria) => <Input {...aria} type="url" inputMode="url" autoComplete="off" placeholder="https://hooks.example.com/aim" {...register('url')} />}
          </Field>
          <Field id="endpoint-description" label="Description (optional)" error={formState.errors.description?.message}>
            {(aria) => <Input {...aria} autoComplete="off" placeholder="SOAR intake" {...register('description', blank)} />}
          </Field>
          <EventTypePicker id="endpoint-events" field={register('eventTypes')} error={formState.errors.eventTypes?.message} />
        </div>
        <div className="mt-3">
          <FormAlert form={form} />
        </div>
        <div className="mt-3 flex flex-wrap gap-2">
          <Button type="submit" disabled={formState.isSubmitting}>
            <Plus aria-hidden />
            {formState.isSubmitting ? 'Adding…' : 'Add endpoint'}
          </Button>
          <Button variant="outline" onClick={onCancel}>
            Cancel
          </Button>
        </div>
      </form>
    </Card>
  );
}

/** An endpoint's signing secret, right after it was made (created or rotated): the only time AIM shows it. */
export function SecretShownOnce({ title, secret, dismiss }: { title: string; secret: string; dismiss: () => void }) {
  return (
    <ShownOnce
      title={title}
      label="Signing secret"
      value={secret}
      dismiss={dismiss}
      warning="Store it now: this secret will not be shown again. AIM keeps it encrypted, to sign deliveries, and never returns it."
    >
      <p className="mb-2 text-slate-700">
        Your receiver checks the <code className="font-mono">webhook-signature</code> header with it (any Standard Webhooks library takes this{' '}
        <code className="font-mono">whsec_…</code> value as it is).
      </p>
    </ShownOnce>
  );
}
