'use client';

import { decideAccessReviewItemSchema } from '@aim/contracts';
import { useState, type FormEvent } from 'react';
import { api } from '@/api/client';
import { Field, FormAlert, failWith, useSchemaForm } from '@/components/form';
import { Button } from '@/components/ui/button';
import { Input, Select, Textarea } from '@/components/ui/input';
import type { AccessReviewItem } from './review-api';

type Choice = 'certify' | 'revoke' | 'change';
const CHOICES: { value: Choice; label: string }[] = [
  { value: 'certify', label: 'Certify: still needed' },
  { value: 'revoke', label: 'Revoke now' },
  { value: 'change', label: 'Change' },
];

/**
 * One item's decision: certify, revoke (done at once) or change, with a note (required to revoke or
 * change). A grant's or key's change can bring its expiry forward; an agent's is recorded with the note.
 */
export function DecideItem({ item, onDecided }: { item: AccessReviewItem; onDecided: (item: AccessReviewItem) => void }) {
  const form = useSchemaForm(decideAccessReviewItemSchema, { defaultValues: { decision: 'certify', note: '' } });
  const { register, handleSubmit, formState, watch, setValue, setError, clearErrors } = form;
  const decision = watch('decision') as Choice;
  const [date, setDate] = useState('');
  const expires = item.subjectType !== 'agent';
  const prefix = `decide-${item.id}`;
  const submit = handleSubmit(async (body) => {
    const { data, error } = await api.POST('/api/v1/access-reviews/{reviewId}/items/{itemId}/decision', {
      params: { path: { reviewId: item.reviewId, itemId: item.id } },
      body,
    });
    if (!data) return failWith(form, error);
    onDecided(data.item);
  });
  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    clearErrors('root');
    if (decision === 'change' && expires && date) {
      const end = new Date(`${date}T23:59:59`);
      if (Number.isNaN(end.getTime()) || end.getTime() <= Date.now()) {
        e.preventDefault();
        setError('root.server', { message: 'The new expiry must be a day from today on.' });
        return;
      }
      setValue('expiresAt' as never, end.toISOString() as never);
    } else setValue('expiresAt' as never, undefined as never);
    void submit(e);
  };
  const noteError = (formState.errors as { note?: { message?: string } }).note?.message;

  return (
    <form onSubmit={onSubmit} noValidate aria-label={`Decide on ${item.snapshot.name}`} className="flex flex-col gap-2" data-decide={item.id}>
      <div className="flex flex-wrap items-start gap-2">
        <Field id={`${prefix}-decision`} label="Decision">
          {(aria) => (
            <Select {...aria} {...register('decision')}>
              {CHOICES.map((c) => (
                <option key={c.value} value={c.value}>
                  {c.label}
                </option>
              ))}
            </Select>
          )}
        </Field>
        {decision === 'change' && expires && (
          <Field id={`${prefix}-expiry`} label="New expiry" hint="Optional: the end of that day.">
            {(aria) => <Input {...aria} type="date" min={new Date().toISOString().slice(0, 10)} value={date} onChange={(e) => setDate(e.target.value)} />}
          </Field>
        )}
      </div>
      <Field id={`${prefix}-note`} label={decision === 'certify' ? 'Note (optional)' : 'Note'} error={noteError}>
        {(aria) => <Textarea {...aria} rows={2} placeholder={decision === 'revoke' ? 'Why it goes' : decision === 'change' ? 'What should change' : ''} {...register('note')} />}
      </Field>
      <FormAlert form={form} />
      <div>
        <Button type="submit" size="sm" variant={decision === 'revoke' ? 'destructive' : 'default'} disabled={formState.isSubmitting}>
          {formState.isSubmitting ? 'Saving…' : decision === 'revoke' ? 'Revoke' : decision === 'change' ? 'Record change' : 'Certify'}
        </Button>
      </div>
    </form>
  );
}
