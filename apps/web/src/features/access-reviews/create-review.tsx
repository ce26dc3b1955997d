'use client';

import { createAccessReviewSchema } from '@aim/contracts';
import { ClipboardCheck } from 'lucide-react';
import { useState, type FormEvent } from 'react';
import { api } from '@/api/client';
import { Field, FormAlert, failWith, useSchemaForm } from '@/components/form';
import { Button } from '@/components/ui/button';
import { Card, CardDescription, CardTitle } from '@/components/ui/card';
import { Input, Select } from '@/components/ui/input';
import { SCOPE_LABEL, type AccessReview, type Scope } from './review-api';

const DAY = 86_400_000;

/** Start a campaign: a name, what it covers, its deadline and what happens to items nobody reviewed. */
export function CreateReview({ members, onCreated }: { members: { id: string; name: string }[]; onCreated: (review: AccessReview) => void }) {
  const form = useSchemaForm(createAccessReviewSchema, { defaultValues: { name: '', scope: { kind: 'all_agents' }, autoRevoke: false } });
  const { register, handleSubmit, formState, setValue, setError, clearErrors, watch } = form;
  const kind = watch('scope.kind') as Scope['kind'];
  const [date, setDate] = useState(() => new Date(Date.now() + 14 * DAY).toISOString().slice(0, 10));
  const today = new Date().toISOString().slice(0, 10);
  const submit = handleSubmit(async (body) => {
    const { data, error } = await api.POST('/api/v1/access-reviews', { body });
    if (!data) return failWith(form, error);
    form.reset({ name: '', scope: { kind: 'all_agents' }, autoRevoke: false });
    onCreated(data.accessReview);
  });

  /** The deadline day as the RFC 3339 instant the API takes: the end of that day, here. */
  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    clearErrors('deadline');
    const end = date ? new Date(`${date}T23:59:59`) : null;
    if (!end || Number.isNaN(end.getTime()) || end.getTime() <= Date.now()) {
      e.preventDefault();
      setError('deadline', { message: 'choose a day from today on' });
      return;
    }
    setValue('deadline', end.toISOString());
    if (kind !== 'owner_agents') setValue('scope', { kind } as Scope);
    void submit(e);
  };
  const scopeErrors = formState.errors.scope as { ownerUserId?: { message?: string }; message?: string } | undefined;

  return (
    <Card aria-labelledby="create-review-title">
      <form onSubmit={onSubmit} noValidate aria-labelledby="create-review-title">
        <CardTitle id="create-review-title">Start a campaign</CardTitle>
        <CardDescription>
          Items are taken now from what the scope covers; each goes to its owner, or to a manager when the owner is gone or the item is their own
          access.
        </CardDescription>
        <div className="flex flex-wrap items-start gap-3">
          <Field id="review-name" label="Name" error={formState.errors.name?.message} className="min-w-48 flex-1">
            {(aria) => <Input {...aria} placeholder="Q1 agent review" autoComplete="off" {...register('name')} />}
          </Field>
          <Field id="review-scope" label="Scope" error={scopeErrors?.message}>
            {(aria) => (
              <Select {...aria} {...register('scope.kind')}>
                {Object.entries(SCOPE_LABEL).map(([value, label]) => (
                  <option key={value} value={value}>
                    {label}
                  </option>
                ))}
              </Select>
            )}
          </Field>
          {kind === 'owner_agents' && (
            <Field id="review-owner" label="Owner" error={scopeErrors?.ownerUserId?.message}>
              {(aria) => (
                <Select {...aria} {...register('scope.ownerUserId')}>
                  <option value="">Choose a person…</option>
                  {members.map((m) => (
                    <option key={m.id} value={m.id}>
                      {m.name}
                    </option>
                  ))}
                </Select>
              )}
            </Field>
          )}
          <Field id="review-deadline" label="Deadline" hint="The end of that day." error={formState.errors.deadline?.message}>
            {(aria) => <Input {...aria} type="date" min={today} value={date} onChange={(e) => setDate(e.target.value)} />}
          </Field>
        </div>
        <label className="mt-3 flex items-start gap-2 text-sm">
          <input type="checkbox" className="mt-1" {...register('autoRevoke')} />
          <span>Revoke what nobody reviewed by the deadline (otherwise it is reported as not reviewed)</span>
        </label>
        <div className="mt-3">
          <FormAlert form={form} />
        </div>
        <Button type="submit" className="mt-3" disabled={formState.isSubmitting}>
          <ClipboardCheck aria-hidden />
          {formState.isSubmitting ? 'Starting…' : 'Start campaign'}
        </Button>
      </form>
    </Card>
  );
}
