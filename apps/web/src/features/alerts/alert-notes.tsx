'use client';

import { addAlertNoteSchema } from '@aim/contracts';
import { Field, FormAlert, failWith, useSchemaForm } from '@/components/form';
import { when } from '@/components/ui';
import { Button } from '@/components/ui/button';
import { Textarea } from '@/components/ui/input';
import { alerts, type AlertNote } from './alert-api';

/** The alert's notes, oldest first, and (for those who manage alerts) a form to add one. */
export function AlertNotes({
  alertId,
  notes,
  canAdd,
  authorName,
  added,
}: {
  alertId: string;
  notes: AlertNote[];
  canAdd: boolean;
  authorName: (author: AlertNote['author']) => string;
  added: () => void;
}) {
  const form = useSchemaForm(addAlertNoteSchema, { defaultValues: { body: '' } });
  const { register, handleSubmit, formState, reset } = form;
  const submit = handleSubmit(async (body) => {
    const answer = await alerts.addNote(alertId, body.body);
    if (!answer.data) return failWith(form, answer.error);
    reset({ body: '' });
    added();
  });
  return (
    <section aria-labelledby="notes-heading" className="rounded border border-slate-200 bg-white p-4 text-sm">
      <h2 id="notes-heading" className="mb-2 font-semibold">
        Notes
      </h2>
      {notes.length === 0 ? (
        <p className="text-slate-600">No notes yet.</p>
      ) : (
        <ol className="space-y-2">
          {notes.map((n) => (
            <li key={n.id} data-note-id={n.id} className="border-l-2 border-slate-200 pl-3">
              <p className="text-xs text-slate-600">
                {authorName(n.author)} · {when(n.createdAt)}
              </p>
              <p className="whitespace-pre-wrap wrap-anywhere">{n.body}</p>
            </li>
          ))}
        </ol>
      )}
      {canAdd && (
        <form noValidate onSubmit={(e) => void submit(e)} aria-label="New note" className="mt-3 flex flex-col gap-2">
          <Field id="alert-note" label="Add a note" error={formState.errors.body?.message}>
            {(aria) => <Textarea {...aria} {...register('body')} rows={3} />}
          </Field>
          <FormAlert form={form} />
          <div>
            <Button type="submit" disabled={formState.isSubmitting}>
              {formState.isSubmitting ? 'Adding…' : 'Add note'}
            </Button>
          </div>
        </form>
      )}
    </section>
  );
}
