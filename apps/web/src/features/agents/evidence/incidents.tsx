'use client';

import { RISK_LEVELS, createIncidentSchema } from '@aim/contracts';
import { useState } from 'react';
import { api, errorMessage } from '@/api/client';
import type { components } from '@/api/schema';
import { Field, FormAlert, blank, failWith, useSchemaForm } from '@/components/form';
import { useCan } from '@/components/session';
import { Empty, Failed } from '@/components/states';
import { when } from '@/components/ui';
import { Button } from '@/components/ui/button';
import { Input, Select, Textarea } from '@/components/ui/input';
import { Agent, Recorder, Rows, Section, Severity, localTime } from '@/features/agents/evidence/section';

type Incident = components['schemas']['Incident'];
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
                <span
                  className={`rounded px-2 py-0.5 text-xs ${i.resolvedAt ? 'bg-emerald-100 text-emerald-900' : 'bg-amber-100 text-amber-900'}`}
                  data-testid="incident-state"
                >
                  {i.resolvedAt ? 'resolved' : 'open'}
                </span>
              </div>
              {i.description && <p className="mt-1 wrap-anywhere text-slate-700">{i.description}</p>}
              <p className="mt-1 text-xs text-slate-600">
                Occurred {when(i.occurredAt)} · reported by <Recorder by={i.reportedBy} people={people} />
                {i.resolvedAt && ` · resolved ${when(i.resolvedAt)}`}
              </p>
              {review && !i.resolvedAt && (
                <Button
                  variant="outline"
                  size="sm"
                  className="mt-1"
                  disabled={busy === i.id}
                  aria-label={`Mark resolved: ${i.title}`}
                  onClick={() => void resolve(i)}
                >
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
      {!review && (
        <p className="mt-3 text-xs text-slate-600">Managers and admins report and resolve incidents. A resolved incident still counts, less as it ages.</p>
      )}
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
