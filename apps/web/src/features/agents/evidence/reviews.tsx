'use client';

import { RISK_LEVELS, createSecurityReviewSchema } from '@aim/contracts';
import { useState } from 'react';
import { useFieldArray } from 'react-hook-form';
import { api } from '@/api/client';
import type { components } from '@/api/schema';
import { Field, FormAlert, blank, failWith, useSchemaForm } from '@/components/form';
import { useCan, useSession } from '@/components/session';
import { Empty, Failed } from '@/components/states';
import { when } from '@/components/ui';
import { Button } from '@/components/ui/button';
import { Input, Select, Textarea } from '@/components/ui/input';
import { Agent, Recorder, Rows, Section, Severity, localTime } from '@/features/agents/evidence/section';

type Review = components['schemas']['SecurityReview'];
// ---- security reviews -----------------------------------------------------------------------------

export function ReviewsSection({
  agent,
  reviews,
  people,
  onEvidence,
  retry,
}: {
  agent: Agent;
  reviews: Rows<Review>;
  people: Map<string, string>;
  onEvidence: () => Promise<void>;
  retry: () => void;
}) {
  const can = useCan();
  const { me } = useSession();
  const owner = !!me && agent.ownerId === me.user.id;
  return (
    <Section id="reviews-title" title="Security reviews">
      {typeof reviews === 'string' ? (
        <Failed message={reviews} retry={retry} />
      ) : reviews.length === 0 ? (
        <Empty>No security reviews yet.</Empty>
      ) : (
        <ul className="divide-y divide-slate-100 text-sm" aria-label="Security reviews">
          {reviews.map((r) => (
            <li key={r.id} data-review-id={r.id} className="py-2">
              <div className="flex flex-wrap items-center gap-2">
                <span className="font-medium">
                  {r.findings.length === 0 ? 'No findings' : `${r.findings.length} finding${r.findings.length === 1 ? '' : 's'}`}
                </span>
                <span className="text-xs text-slate-600">
                  reviewed {when(r.reviewedAt)} by <Recorder by={r.reviewer} people={people} />
                </span>
              </div>
              {r.summary && <p className="mt-1 wrap-anywhere text-slate-700">{r.summary}</p>}
              {r.findings.length > 0 && (
                <ul className="mt-1 space-y-1" aria-label="Findings">
                  {r.findings.map((f, i) => (
                    <li key={i} className="flex flex-wrap items-center gap-2">
                      <Severity level={f.severity} />
                      <span className="min-w-0 wrap-anywhere">{f.title}</span>
                    </li>
                  ))}
                </ul>
              )}
            </li>
          ))}
        </ul>
      )}
      {can.has('trust.review') &&
        (owner ? (
          <p className="mt-3 text-sm text-slate-600" data-testid="owner-review-note">
            You own this agent: its security reviews come from another manager or admin.
          </p>
        ) : (
          <ReviewForm agent={agent} onEvidence={onEvidence} />
        ))}
    </Section>
  );
}

function ReviewForm({ agent, onEvidence }: { agent: Agent; onEvidence: () => Promise<void> }) {
  const form = useSchemaForm(createSecurityReviewSchema, { defaultValues: { findings: [] } });
  const { register, handleSubmit, formState, control } = form;
  const findings = useFieldArray({ control, name: 'findings' });
  const [saved, setSaved] = useState(false);
  const submit = handleSubmit(async (body) => {
    setSaved(false);
    const { error } = await api.POST('/api/v1/agents/{agentId}/security-reviews', { params: { path: { agentId: agent.id } }, body });
    if (error) return failWith(form, error);
    form.reset();
    setSaved(true);
    await onEvidence();
  });
  const errors = formState.errors;
  // Leaving a finding's severity validates the whole finding; its title's error waits until the title
  // was left (or the form submitted), so it does not appear, then vanish under the pointer.
  const titleShown = (i: number) => formState.isSubmitted || !!formState.touchedFields.findings?.[i]?.title;
  return (
    <form onSubmit={(e) => void submit(e)} noValidate aria-labelledby="review-form-title" className="mt-4 border-t border-slate-100 pt-4">
      <h3 id="review-form-title" className="mb-2 font-medium">
        Record a security review
      </h3>
      <div className="grid grid-cols-1 gap-3 sm:grid-cols-2">
        <Field id="review-summary" label="Summary (optional)" error={errors.summary?.message}>
          {(aria) => <Textarea {...aria} rows={2} {...register('summary', blank)} />}
        </Field>
        <Field id="review-at" label="Reviewed at (optional)" hint="Empty: now. Not in the future." error={errors.reviewedAt?.message}>
          {(aria) => <Input {...aria} type="datetime-local" {...register('reviewedAt', localTime)} />}
        </Field>
      </div>
      <fieldset className="mt-3 min-w-0">
        <legend className="text-sm font-medium">Findings</legend>
        {findings.fields.length === 0 && <p className="text-xs text-slate-600">None: a clean review.</p>}
        <ul className="mt-1 space-y-2">
          {findings.fields.map((f, i) => (
            <li key={f.id} className="flex flex-wrap items-end gap-2" data-finding-row={i}>
              <Field id={`finding-${i}-severity`} label={`Finding ${i + 1} severity`} error={errors.findings?.[i]?.severity?.message}>
                {(aria) => (
                  <Select {...aria} {...register(`findings.${i}.severity` as const)}>
                    {RISK_LEVELS.map((l) => (
                      <option key={l} value={l}>
                        {l}
                      </option>
                    ))}
                  </Select>
                )}
              </Field>
              <Field
                id={`finding-${i}-title`}
                label={`Finding ${i + 1} title`}
                error={titleShown(i) ? errors.findings?.[i]?.title?.message : undefined}
                className="min-w-40 flex-1"
              >
                {(aria) => <Input {...aria} {...register(`findings.${i}.title` as const)} />}
              </Field>
              <Button variant="ghost" size="sm" aria-label={`Remove finding ${i + 1}`} onClick={() => findings.remove(i)}>
                Remove
              </Button>
            </li>
          ))}
        </ul>
        {errors.findings?.message && <p className="text-xs text-red-800">{errors.findings.message}</p>}
        <Button variant="outline" size="sm" className="mt-2" onClick={() => findings.append({ severity: 'medium', title: '' })}>
          Add a finding
        </Button>
      </fieldset>
      <div className="mt-3">
        <FormAlert form={form} />
      </div>
      <Button type="submit" className="mt-3" disabled={formState.isSubmitting}>
        {formState.isSubmitting ? 'Recording…' : 'Record review'}
      </Button>
      <p aria-live="polite" className="mt-1 text-xs text-slate-600">
        {saved ? 'Review recorded. The trust score is recalculated within seconds.' : ''}
      </p>
    </form>
  );
}
