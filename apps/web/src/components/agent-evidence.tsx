'use client';

import {
  RISK_LEVELS,
  createGrantSchema,
  createIncidentSchema,
  createRatingSchema,
  createSecurityReviewSchema,
  updateRatingSchema,
} from '@aim/contracts';
import Link from 'next/link';
import { useState, type FormEvent, type ReactNode } from 'react';
import { useFieldArray, type UseFormRegisterReturn } from 'react-hook-form';
import { api, errorMessage } from '@/api/client';
import type { components } from '@/api/schema';
import { useCapabilityCatalog } from '@/data/catalog';
import { useAgentNames } from './agent-names';
import { useReturnFocus } from './focus';
import { Field, FormAlert, blank, failWith, useSchemaForm } from './form';
import { useCan, useSession } from './session';
import { Empty, Failed, Loading } from './states';
import { Badge, EXPIRIES, when } from './ui';
import { Button } from './ui/button';
import { ConfirmDialog } from './ui/dialog';
import { Input, Select, Textarea } from './ui/input';

/**
 * The agent page's evidence and authorization sections: capability grants (granted and revoked by
 * `capability.manage` holders), security reviews and incidents (`trust.review`), attestations by
 * other agents (read-only: agents make them through the SDK) and members' ratings (`trust.rate`).
 * Each gets its rows from the page, which reloads them on live events.
 */

type Agent = components['schemas']['Agent'];
type Grant = components['schemas']['CapabilityGrant'];
type Capability = components['schemas']['Capability'];
type Review = components['schemas']['SecurityReview'];
type Incident = components['schemas']['Incident'];
type Attestation = components['schemas']['Attestation'];
type Rating = components['schemas']['Rating'];

/** What a section shows: its rows, or why they could not be read. */
export type Rows<T> = T[] | string;

export function Section({ id, title, children }: { id: string; title: string; children: ReactNode }) {
  return (
    <section aria-labelledby={id} className="min-w-0 rounded border border-slate-200 bg-white p-4">
      <h2 id={id} className="mb-3 text-lg font-semibold">
        {title}
      </h2>
      {children}
    </section>
  );
}

/** A date-time-local control's value as the API's RFC 3339 time (an empty box: not given). */
const localTime = { setValueAs: (v: unknown) => (typeof v === 'string' && v !== '' ? new Date(v).toISOString() : undefined) };

function Recorder({ by, people }: { by: { type: 'user' | 'api_key'; id: string }; people: Map<string, string> }) {
  const { me } = useSession();
  if (by.type === 'api_key') return <>an API key</>;
  return <>{by.id === me?.user.id ? 'you' : (people.get(by.id) ?? by.id)}</>;
}

function Severity({ level }: { level: string }) {
  return <Badge>{level}</Badge>;
}

// ---- grants ---------------------------------------------------------------------------------------

export function GrantsSection({ agent, grants, onChange, retry }: { agent: Agent; grants: Rows<Grant>; onChange: () => Promise<void>; retry: () => void }) {
  const can = useCan();
  const manage = can.has('capability.manage');
  const revoke = async (g: Grant) => {
    const { error } = await api.DELETE('/api/v1/agents/{agentId}/grants/{grantId}', { params: { path: { agentId: agent.id, grantId: g.id } } });
    if (error) return errorMessage(error);
    await onChange();
  };
  return (
    <Section id="grants-title" title="Granted capabilities">
      {typeof grants === 'string' ? (
        <Failed message={grants} retry={retry} />
      ) : grants.length === 0 ? (
        <Empty>No active grants.</Empty>
      ) : (
        <ul className="divide-y divide-slate-100 text-sm" aria-label="Active grants">
          {grants.map((g) => (
            <li key={g.id} data-grant-id={g.id} className="flex flex-wrap items-center gap-2 py-2">
              <code className="break-all">{g.capability}</code>
              <Badge>{g.riskLevel}</Badge>
              <span className="min-w-0 text-xs wrap-anywhere text-slate-600">
                {g.resourcePattern ? `on ${g.resourcePattern}` : 'any resource'} · expires {g.expiresAt ? when(g.expiresAt) : 'never'}
              </span>
              {manage && (
                <span className="ml-auto">
                  <ConfirmDialog
                    trigger={
                      <Button variant="outline" size="sm" aria-label={`Revoke grant ${g.capability}${g.resourcePattern ? ` on ${g.resourcePattern}` : ''}`}>
                        Revoke
                      </Button>
                    }
                    title={`Revoke ${g.capability}?`}
                    description={`The agent loses ${g.capability}${g.resourcePattern ? ` on ${g.resourcePattern}` : ''} from its next decision on.`}
                    confirmLabel="Revoke grant"
                    onConfirm={() => revoke(g)}
                  />
                </span>
              )}
            </li>
          ))}
        </ul>
      )}
      {manage ? (
        agent.status === 'revoked' ? (
          <p className="mt-3 text-sm text-slate-600">A revoked agent cannot be granted capabilities.</p>
        ) : (
          <GrantForm agent={agent} onChange={onChange} />
        )
      ) : (
        <p className="mt-3 text-xs text-slate-600">Managers and admins grant and revoke capabilities.</p>
      )}
    </Section>
  );
}

function GrantForm({ agent, onChange }: { agent: Agent; onChange: () => Promise<void> }) {
  const form = useSchemaForm(createGrantSchema, { defaultValues: { capability: '' } });
  const { register, handleSubmit, formState } = form;
  const { data: catalog, error: catalogError, retry: retryCatalog } = useCapabilityCatalog();

  const submit = handleSubmit(async (body) => {
    const { error } = await api.POST('/api/v1/agents/{agentId}/grants', { params: { path: { agentId: agent.id } }, body });
    if (error) return failWith(form, error);
    form.reset();
    await onChange();
  });

  return (
    <form onSubmit={(e) => void submit(e)} noValidate aria-labelledby="grant-form-title" className="mt-4 border-t border-slate-100 pt-4">
      <h3 id="grant-form-title" className="mb-2 font-medium">
        Grant a capability
      </h3>
      {catalogError ? (
        <Failed message={catalogError} retry={retryCatalog} />
      ) : catalog === null ? (
        <Loading what="the capability catalog" />
      ) : catalog.length === 0 ? (
        <Empty>
          The capability catalog is empty. <Link href="/capabilities/" className="underline">Add capabilities</Link> first.
        </Empty>
      ) : (
        <>
          <div className="grid grid-cols-1 gap-3 sm:grid-cols-3">
            <Field id="grant-capability" label="Capability" error={formState.errors.capability?.message}>
              {(aria) => (
                <Select {...aria} {...register('capability')}>
                  <option value="">Choose…</option>
                  {catalog.map((c) => (
                    <option key={c.id} value={c.name}>
                      {c.name} ({c.riskLevel})
                    </option>
                  ))}
                </Select>
              )}
            </Field>
            <Field
              id="grant-resource"
              label="Resource pattern (optional)"
              hint="Empty: any resource. * within a segment, ** across, e.g. customers/*"
              error={formState.errors.resourcePattern?.message}
            >
              {(aria) => <Input {...aria} {...register('resourcePattern', blank)} placeholder="customers/*" />}
            </Field>
            <Field id="grant-expires" label="Expires" error={formState.errors.expiresInSeconds?.message}>
              {(aria) => (
                <Select {...aria} {...register('expiresInSeconds', { setValueAs: (v: unknown) => (v === '' || v === undefined ? undefined : Number(v)) })}>
                  <option value="">Never</option>
                  {EXPIRIES.map((x) => (
                    <option key={x.seconds} value={x.seconds}>
                      in {x.label}
                    </option>
                  ))}
                </Select>
              )}
            </Field>
          </div>
          <div className="mt-3">
            <FormAlert form={form} />
          </div>
          <Button type="submit" className="mt-3" disabled={formState.isSubmitting}>
            {formState.isSubmitting ? 'Granting…' : 'Grant capability'}
          </Button>
        </>
      )}
    </form>
  );
}

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
                <span className="font-medium">{r.findings.length === 0 ? 'No findings' : `${r.findings.length} finding${r.findings.length === 1 ? '' : 's'}`}</span>
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
              <Field id={`finding-${i}-title`} label={`Finding ${i + 1} title`} error={titleShown(i) ? errors.findings?.[i]?.title?.message : undefined} className="min-w-40 flex-1">
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

// ---- incidents ------------------------------------------------------------------------------------

export function IncidentsSection({
  agent,
  incidents,
  people,
  onEvidence,
  retry,
}: {
  agent: Agent;
  incidents: Rows<Incident>;
  people: Map<string, string>;
  onEvidence: () => Promise<void>;
  retry: () => void;
}) {
  const can = useCan();
  const review = can.has('trust.review');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState<string | null>(null);
  const resolve = async (i: Incident) => {
    setBusy(i.id);
    setErrors((e) => ({ ...e, [i.id]: '' }));
    const { error } = await api.POST('/api/v1/agents/{agentId}/incidents/{incidentId}/resolve', { params: { path: { agentId: agent.id, incidentId: i.id } } });
    setBusy(null);
    if (error) return setErrors((e) => ({ ...e, [i.id]: errorMessage(error) }));
    await onEvidence();
  };
  return (
    <Section id="incidents-title" title="Incidents">
      {typeof incidents === 'string' ? (
        <Failed message={incidents} retry={retry} />
      ) : incidents.length === 0 ? (
        <Empty>No incidents reported.</Empty>
      ) : (
        <ul className="divide-y divide-slate-100 text-sm" aria-label="Incidents">
          {incidents.map((i) => (
            <li key={i.id} data-incident-id={i.id} className="py-2">
              <div className="flex flex-wrap items-center gap-2">
                <Severity level={i.severity} />
                <span className="min-w-0 wrap-anywhere font-medium">{i.title}</span>
                <span className={`rounded px-2 py-0.5 text-xs ${i.resolvedAt ? 'bg-emerald-100 text-emerald-900' : 'bg-amber-100 text-amber-900'}`} data-testid="incident-state">
                  {i.resolvedAt ? 'resolved' : 'open'}
                </span>
              </div>
              {i.description && <p className="mt-1 wrap-anywhere text-slate-700">{i.description}</p>}
              <p className="mt-1 text-xs text-slate-600">
                Occurred {when(i.occurredAt)} · reported by <Recorder by={i.reportedBy} people={people} />
                {i.resolvedAt && ` · resolved ${when(i.resolvedAt)}`}
              </p>
              {review && !i.resolvedAt && (
                <Button variant="outline" size="sm" className="mt-1" disabled={busy === i.id} aria-label={`Mark resolved: ${i.title}`} onClick={() => void resolve(i)}>
                  Mark resolved
                </Button>
              )}
              {errors[i.id] && (
                <p role="alert" className="mt-1 text-sm text-red-800">
                  {errors[i.id]}
                </p>
              )}
            </li>
          ))}
        </ul>
      )}
      {review && <IncidentForm agent={agent} onEvidence={onEvidence} />}
      {!review && <p className="mt-3 text-xs text-slate-600">Managers and admins report and resolve incidents. A resolved incident still counts, less as it ages.</p>}
    </Section>
  );
}

function IncidentForm({ agent, onEvidence }: { agent: Agent; onEvidence: () => Promise<void> }) {
  const form = useSchemaForm(createIncidentSchema, { defaultValues: { severity: 'medium', title: '' } });
  const { register, handleSubmit, formState } = form;
  const submit = handleSubmit(async (body) => {
    const { error } = await api.POST('/api/v1/agents/{agentId}/incidents', { params: { path: { agentId: agent.id } }, body });
    if (error) return failWith(form, error);
    form.reset();
    await onEvidence();
  });
  const errors = formState.errors;
  return (
    <form onSubmit={(e) => void submit(e)} noValidate aria-labelledby="incident-form-title" className="mt-4 border-t border-slate-100 pt-4">
      <h3 id="incident-form-title" className="mb-2 font-medium">
        Report an incident
      </h3>
      <div className="grid grid-cols-1 gap-3 sm:grid-cols-3">
        <Field id="incident-severity" label="Severity" error={errors.severity?.message}>
          {(aria) => (
            <Select {...aria} {...register('severity')}>
              {RISK_LEVELS.map((l) => (
                <option key={l} value={l}>
                  {l}
                </option>
              ))}
            </Select>
          )}
        </Field>
        <Field id="incident-title" label="Title" error={errors.title?.message} className="sm:col-span-2">
          {(aria) => <Input {...aria} {...register('title')} placeholder="Sent a customer list to a wrong address" />}
        </Field>
        <Field id="incident-description" label="Description (optional)" error={errors.description?.message} className="sm:col-span-2">
          {(aria) => <Textarea {...aria} rows={2} {...register('description', blank)} />}
        </Field>
        <Field id="incident-at" label="Occurred at (optional)" hint="Empty: now. Not in the future." error={errors.occurredAt?.message}>
          {(aria) => <Input {...aria} type="datetime-local" {...register('occurredAt', localTime)} />}
        </Field>
      </div>
      <div className="mt-3">
        <FormAlert form={form} />
      </div>
      <Button type="submit" className="mt-3" disabled={formState.isSubmitting}>
        {formState.isSubmitting ? 'Reporting…' : 'Report incident'}
      </Button>
    </form>
  );
}

// ---- attestations ---------------------------------------------------------------------------------

export function AttestationsSection({ attestations, retry }: { attestations: Rows<Attestation>; retry: () => void }) {
  const names = useAgentNames(typeof attestations === 'string' ? [] : attestations.map((a) => a.attesterId));
  return (
    <Section id="attestations-title" title="Attestations by other agents">
      {typeof attestations === 'string' ? (
        <Failed message={attestations} retry={retry} />
      ) : attestations.length === 0 ? (
        <Empty>No agent has attested to this one. Agents attest to each other through the SDK.</Empty>
      ) : (
        <ul className="divide-y divide-slate-100 text-sm" aria-label="Attestations">
          {attestations.map((a) => (
            <li key={a.id} data-attestation-id={a.id} data-attester-id={a.attesterId} className="py-2">
              <div className="flex flex-wrap items-center gap-2">
                <span className={`rounded px-2 py-0.5 text-xs ${a.verdict === 'trusted' ? 'bg-emerald-100 text-emerald-900' : 'bg-red-100 text-red-900'}`}>{a.verdict}</span>
                <Link href={`/agents/detail/?id=${a.attesterId}`} className="min-w-0 break-all font-medium underline">
                  {names.get(a.attesterId) ?? a.attesterId}
                </Link>
                <span className="text-xs text-slate-600">{a.updatedAt === a.createdAt ? `said ${when(a.createdAt)}` : `changed ${when(a.updatedAt)}`}</span>
              </div>
              {a.statement && <p className="mt-1 wrap-anywhere text-slate-700">{a.statement}</p>}
            </li>
          ))}
        </ul>
      )}
      <p className="mt-3 text-xs text-slate-600">Attestations are made by agents, never by people; this list is read-only.</p>
    </Section>
  );
}

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
              <span role="img" aria-label={`${r.rating} out of 5`}>{'★'.repeat(r.rating) + '☆'.repeat(5 - r.rating)}</span>{' '}
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
