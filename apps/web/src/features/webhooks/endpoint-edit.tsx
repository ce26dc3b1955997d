'use client';

import { updateWebhookEndpointSchema } from '@aim/contracts';
import { Field, FormAlert, failWith, useSchemaForm } from '@/components/form';
import { Button } from '@/components/ui/button';
import { Card, CardTitle } from '@/components/ui/card';
import { Input } from '@/components/ui/input';
import { EventTypePicker } from './event-types';
import { webhooks, type Endpoint } from './webhook-api';

/** A blank description clears it (null), as the API takes it. */
const cleared = { setValueAs: (v: unknown) => (v === '' || v === null ? null : v) };

/** Changes an endpoint's address, description and event types; `onDone` gets the saved endpoint (none when cancelled). */
export function EditEndpoint({ endpoint, onDone }: { endpoint: Endpoint; onDone: (updated: Endpoint | null) => void }) {
  const form = useSchemaForm(updateWebhookEndpointSchema, {
    defaultValues: { url: endpoint.url, description: endpoint.description ?? '', eventTypes: endpoint.eventTypes },
  });
  const { register, handleSubmit, formState } = form;
  const submit = handleSubmit(async (body) => {
    const { data, error } = await webhooks.update(endpoint.id, body);
    if (!data) return failWith(form, error);
    onDone(data.webhookEndpoint);
  });
  return (
    <Card aria-labelledby="edit-endpoint-title">
      <form onSubmit={(e) => void submit(e)} noValidate aria-labelledby="edit-endpoint-title">
        <CardTitle id="edit-endpoint-title">Edit the endpoint</CardTitle>
        <div className="flex flex-col gap-3">
          <Field id="edit-url" label="URL" error={formState.errors.url?.message}>
            {(aria) => <Input {...aria} type="url" inputMode="url" autoComplete="off" {...register('url')} />}
          </Field>
          <Field id="edit-description" label="Description" hint="Leave it blank to remove it." error={formState.errors.description?.message}>
            {(aria) => <Input {...aria} autoComplete="off" {...register('description', cleared)} />}
          </Field>
          <EventTypePicker id="edit-events" field={register('eventTypes')} error={formState.errors.eventTypes?.message} />
        </div>
        <div className="mt-3">
          <FormAlert form={form} />
        </div>
        <div className="mt-3 flex flex-wrap gap-2">
          <Button type="submit" disabled={formState.isSubmitting}>
            {formState.isSubmitting ? 'Saving…' : 'Save endpoint'}
          </Button>
          <Button variant="outline" onClick={() => onDone(null)}>
            Cancel
          </Button>
        </div>
      </form>
    </Card>
  );
}
