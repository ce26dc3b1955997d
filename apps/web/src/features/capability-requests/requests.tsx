'use client';

import { approveCapabilityRequestSchema, rejectCapabilityRequestSchema } from '@aim/contracts';
import { useState } from 'react';
import { api } from '@/api/client';
import type { components } from '@/api/schema';
import { KeysetList } from '@/components/resource-list';
import { ChoiceFilter } from '@/components/filters';
import { must, useListQuery } from '@/data/query';
import { useAgentNames } from '@/components/agent-names';
import { useCan } from '@/components/session';
import { Field, FormAlert, blank, failWith, useSchemaForm } from '@/components/form';
import { Button } from '@/components/ui/button';
import { Input, Select, Textarea } from '@/components/ui/input';
import { Badge, EXPIRIES, PageTitle, when } from '@/components/ui';

type Request = components['schemas']['CapabilityRequest'];
type Status = Request['status'];

const STATUSES: Status[] = ['pending', 'approved', 'rejected', 'expired', 'cancelled'];

/** Capability requests: the open ones first; managers and admins approve (optionally narrower, for a while) or reject with a note. */
export function CapabilityRequests() {
  const can = useCan();
  const [status, setStatus] = useState<Status | ''>('pending');
  const [pages, setPages] = useState<string[]>([]);
  const cursor = pages.at(-1);

  const { rows, next, error, retry, refresh } = useListQuery({
    name: '/api/v1/capability-requests',
    topics: ['capability_request'],
    params: { limit: 50, ...(status ? { status } : {}), ...(cursor ? { cursor } : {}) },
    fetch: async (query) => {
      const data = must(await api.GET('/api/v1/capability-requests', { params: { query } }));
      // Open requests first, then the newest.
      const sorted = [...data.requests].sort((a, b) => Number(b.status === 'pending') - Number(a.status === 'pending'));
      return { rows: sorted, next: data.nextCursor };
    },
  });
  const names = useAgentNames((rows ?? []).map((r) => r.agentId));

  return (
    <section aria-labelledby="requests-title">
      <PageTitle id="requests-title" aside={<ChoiceFilter label="Status" value={status} choices={STATUSES} onChange={(v) => (setStatus(v), setPages([]))} />}>
        Capability requests
      </PageTitle>
      <KeysetList
        list={{ rows, next, error, retry }}
        what="capability requests"
        empty={status === 'pending' ? 'No open requests: nothing waits for an answer.' : 'No request matches.'}
        pages={pages}
        setPages={setPages}
      >
        {(rows) => (
          <ul className="space-y-2">
            {rows.map((r) => (
              <RequestRow key={r.id} request={r} agentName={names.get(r.agentId)} manage={can.manage} changed={() => void refresh()} />
            ))}
          </ul>
        )}
      </KeysetList>
    </section>
  );
}

function RequestRow({ request: r, agentName, manage, changed }: { request: Request; agentName?: string; manage: boolean; changed: () => void }) {
  const [mode, setMode] = useState<'approve' | 'reject' | null>(null);
  const label = `${r.capability} for ${agentName ?? r.agentId}`;
  const done = () => {
    setMode(null);
    changed();
  };

  return (
    <li data-request-id={r.id} className="rounded border border-slate-200 bg-white p-3 text-sm">
      <div className="flex flex-wrap items-start gap-x-3 gap-y-1">
        <div className="min-w-0 flex-1">
          <div className="font-medium wrap-anywhere">
            <span className="font-mono">{r.capability}</span> <Badge>{r.riskLevel}</Badge>
          </div>
          <div className="text-xs wrap-anywhere text-slate-600">
            Agent {agentName ?? r.agentId} · resources {r.resourcePattern ?? 'any'} · asked {when(r.createdAt)} by {r.requestedBy.type}
            {r.status === 'pending' ? ` · expires ${when(r.expiresAt)}` : r.decidedAt ? ` · decided ${when(r.decidedAt)}` : ''}
          </div>
          {r.reason && <p className="mt-1 wrap-anywhere text-slate-700">“{r.reason}”</p>}
          {r.note && <p className="mt-1 wrap-anywhere text-slate-700">Note: {r.note}</p>}
        </div>
        <Badge>{r.status}</Badge>
      </div>
      {manage && r.status === 'pending' && mode === null && (
        <div className="mt-2 flex gap-2">
          <Button onClick={() => setMode('approve')} aria-label={`Approve ${label}`}>
            Approve…
          </Button>
          <Button variant="outline" onClick={() => setMode('reject')} aria-label={`Reject ${label}`}>
            Reject…
          </Button>
        </div>
      )}
      {manage && r.status === 'pending' && mode === 'approve' && <ApproveForm request={r} label={label} done={done} cancel={() => setMode(null)} />}
      {manage && r.status === 'pending' && mode === 'reject' && <RejectForm request={r} label={label} done={done} cancel={() => setMode(null)} />}
    </li>
  );
}

interface AnswerProps {
  request: Request;
  label: string;
  done: () => void;
  cancel: () => void;
}

const answerForm = 'mt-3 flex flex-wrap items-end gap-3 border-t border-slate-100 pt-3';

/** Approve, optionally narrower (a resource pattern) and for a while (an expiry). */
function ApproveForm({ request: r, label, done, cancel }: AnswerProps) {
  const form = useSchemaForm(approveCapabilityRequestSchema, { defaultValues: { resourcePattern: r.resourcePattern ?? undefined } });
  const { register, formState } = form;
  const submit = form.handleSubmit(async (body) => {
    const { error } = await api.POST('/api/v1/capability-requests/{requestId}/approve', { params: { path: { requestId: r.id } }, body });
    if (error) return failWith(form, error);
    done();
  });
  return (
    <form onSubmit={(e) => void submit(e)} noValidate className={answerForm} aria-label={`Approve ${label}`}>
      <Field id={`pattern-${r.id}`} label="Resource pattern (optional, narrower)" error={formState.errors.resourcePattern?.message} className="flex-1">
        {(aria) => <Input {...aria} autoFocus {...register('resourcePattern', blank)} placeholder="customers/eu/*" />}
      </Field>
      <Field id={`expires-${r.id}`} label="Grant expires">
        {(aria) => (
          <Select {...aria} {...register('expiresInSeconds', { setValueAs: (v: string) => (v === '' ? undefined : Number(v)) })}>
            <option value="">Never</option>
            {EXPIRIES.map((x) => (
              <option key={x.seconds} value={x.seconds}>
                after {x.label}
              </option>
            ))}
          </Select>
        )}
      </Field>
      <Field id={`note-${r.id}`} label="Note (optional)" error={formState.errors.note?.message} className="w-full">
        {(aria) => <Textarea {...aria} rows={2} {...register('note', blank)} />}
      </Field>
      <div className="w-full">
        <FormAlert form={form} />
      </div>
      <div className="flex gap-2">
        <Button type="submit" disabled={formState.isSubmitting}>
          Approve
        </Button>
        <Button variant="outline" onClick={cancel}>
          Cancel
        </Button>
      </div>
    </form>
  );
}

/** Reject, saying why (the agent's owner reads the note). */
function RejectForm({ request: r, label, done, cancel }: AnswerProps) {
  const form = useSchemaForm(rejectCapabilityRequestSchema, { defaultValues: { note: '' } });
  const { register, formState } = form;
  const submit = form.handleSubmit(async (body) => {
    const { error } = await api.POST('/api/v1/capability-requests/{requestId}/reject', { params: { path: { requestId: r.id } }, body });
    if (error) return failWith(form, error);
    done();
  });
  return (
    <form onSubmit={(e) => void submit(e)} noValidate className={answerForm} aria-label={`Reject ${label}`}>
      <Field id={`reject-note-${r.id}`} label="Reason for rejecting (required)" error={formState.errors.note?.message} className="w-full">
        {(aria) => <Textarea {...aria} autoFocus rows={2} {...register('note')} />}
      </Field>
      <div className="w-full">
        <FormAlert form={form} />
      </div>
      <div className="flex gap-2">
        <Button type="submit" variant="destructive" disabled={formState.isSubmitting}>
          Reject
        </Button>
        <Button variant="outline" onClick={cancel}>
          Cancel
        </Button>
      </div>
    </form>
  );
}
