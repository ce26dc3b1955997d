'use client';

import { createRatingSchema, updateRatingSchema } from '@aim/contracts';
import { useState, type FormEvent, type ReactNode } from 'react';
import { type UseFormRegisterReturn } from 'react-hook-form';
import { api, errorMessage } from '@/api/client';
import type { components } from '@/api/schema';
import { useReturnFocus } from '@/components/focus';
import { Field, FormAlert, blank, failWith, useSchemaForm } from '@/components/form';
import { useCan, useSession } from '@/components/session';
import { Empty, Failed } from '@/components/states';
import { when } from '@/components/ui';
import { Button } from '@/components/ui/button';
import { ConfirmDialog } from '@/components/ui/dialog';
import { Select, Textarea } from '@/components/ui/input';
import { Agent, Rows, Section } from '@/features/agents/evidence/section';

type Rating = components['schemas']['Rating'];
// ---- ratings --------------------------------------------------------------------------------------

export function RatingsSection({
  agent,
  ratings,
  people,
  onEvidence,
  retry,
}: {
  agent: Agent;
  ratings: Rows<Rating>;
  people: Map<string, string>;
  onEvidence: () => Promise<void>;
  retry: () => void;
}) {
  const { me } = useSession();
  const can = useCan();
  const list = typeof ratings === 'string' ? [] : ratings;
  const mine = list.find((r) => r.userId === me?.user.id) ?? null;
  const mayRate = can.has('trust.rate') && !!me && agent.ownerId !== me.user.id;
  const [editing, setEditing] = useState(false);
  const rateButton = useReturnFocus(editing);

  const remove = async (r: Rating) => {
    const { error } = await api.DELETE('/api/v1/agents/{agentId}/ratings/{ratingId}', { params: { path: { agentId: agent.id, ratingId: r.id } } });
    if (error) return errorMessage(error);
    setEditing(false);
    await onEvidence();
  };
  const saved = async () => {
    setEditing(false);
    await onEvidence();
  };

  return (
    <Section id="ratings-title" title="Ratings">
      {typeof ratings === 'string' ? (
        <Failed message={ratings} retry={retry} />
      ) : ratings.length === 0 ? (
        <Empty>No ratings yet.</Empty>
      ) : (
        <ul className="divide-y divide-slate-100 text-sm">
          {ratings.map((r) => (
            <li key={r.id} className="py-2" data-rating-user={r.userId}>
              <span role="img" aria-label={`${r.rating} out of 5`}>
                {'★'.repeat(r.rating) + '☆'.repeat(5 - r.rating)}
              </span>{' '}
              <span className="text-xs text-slate-600">
                {r.userId === me?.user.id ? 'you' : (people.get(r.userId) ?? r.userId)} · {when(r.updatedAt)}
              </span>
              {r.comment && <p className="break-words text-slate-700">{r.comment}</p>}
            </li>
          ))}
        </ul>
      )}
      {mayRate &&
        (editing ? (
          mine ? (
            <EditRating agent={agent} rating={mine} done={saved} cancel={() => setEditing(false)} />
          ) : (
            <CreateRating agent={agent} done={saved} cancel={() => setEditing(false)} />
          )
        ) : (
          <div className="mt-3 flex flex-wrap gap-2">
            <Button ref={rateButton} variant="outline" onClick={() => setEditing(true)}>
              {mine ? 'Edit your rating' : 'Rate this agent'}
            </Button>
            {mine && (
              <ConfirmDialog
                trigger={<Button variant="outline">Delete your rating</Button>}
                title="Delete your rating?"
                description="Your rating and comment are removed; the trust score no longer counts them."
                confirmLabel="Delete rating"
                onConfirm={() => remove(mine)}
              />
            )}
          </div>
        ))}
    </Section>
  );
}

const STARS = [1, 2, 3, 4, 5];

function CreateRating({ agent, done, cancel }: { agent: Agent; done: () => Promise<void>; cancel: () => void }) {
  const form = useSchemaForm(createRatingSchema, { defaultValues: { rating: 5 } });
  const { register, handleSubmit, formState } = form;
  const submit = handleSubmit(async (body) => {
    const { error } = await api.POST('/api/v1/agents/{agentId}/ratings', { params: { path: { agentId: agent.id } }, body });
    if (error) return failWith(form, error);
    await done();
  });
  return (
    <RatingFormBody
      submit={submit}
      rating={register('rating', { valueAsNumber: true })}
      comment={register('comment', blank)}
      errors={{ rating: formState.errors.rating?.message, comment: formState.errors.comment?.message }}
      alert={<FormAlert form={form} />}
      submitting={formState.isSubmitting}
      cancel={cancel}
    />
  );
}

function EditRating({ agent, rating, done, cancel }: { agent: Agent; rating: Rating; done: () => Promise<void>; cancel: () => void }) {
  const form = useSchemaForm(updateRatingSchema, { defaultValues: { rating: rating.rating, comment: rating.comment } });
  const { register, handleSubmit, formState } = form;
  const submit = handleSubmit(async (body) => {
    const { error } = await api.PATCH('/api/v1/agents/{agentId}/ratings/{ratingId}', { params: { path: { agentId: agent.id, ratingId: rating.id } }, body });
    if (error) return failWith(form, error);
    await done();
  });
  return (
    <RatingFormBody
      submit={submit}
      rating={register('rating', { valueAsNumber: true })}
      // An emptied box clears the comment (null), it is not "unchanged".
      comment={register('comment', { setValueAs: (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? v : null) })}
      commentHint="Empty: no comment."
      errors={{ rating: formState.errors.rating?.message, comment: formState.errors.comment?.message }}
      alert={<FormAlert form={form} />}
      submitting={formState.isSubmitting}
      cancel={cancel}
    />
  );
}

/** The fields and buttons of a rating, new or changed (each form brings its schema and request). */
function RatingFormBody(props: {
  submit: (e: FormEvent<HTMLFormElement>) => Promise<void>;
  rating: UseFormRegisterReturn;
  comment: UseFormRegisterReturn;
  commentHint?: string;
  errors: { rating?: string | undefined; comment?: string | undefined };
  alert: ReactNode;
  submitting: boolean;
  cancel: () => void;
}) {
  return (
    <form onSubmit={(e) => void props.submit(e)} noValidate aria-label="Rating form" className="mt-3 space-y-2">
      <Field id="rating-value" label="Your rating" error={props.errors.rating}>
        {(aria) => (
          <Select {...aria} {...props.rating} className="w-24">
            {STARS.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </Select>
        )}
      </Field>
      <Field id="rating-comment" label="Comment (optional)" hint={props.commentHint} error={props.errors.comment}>
        {(aria) => <Textarea {...aria} rows={2} {...props.comment} />}
      </Field>
      {props.alert}
      <div className="flex gap-2">
        <Button type="submit" disabled={props.submitting}>
          Save rating
        </Button>
        <Button variant="outline" onClick={props.cancel}>
          Cancel
        </Button>
      </div>
    </form>
  );
}
