'use client';

import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { api, errorMessage } from '@/api/client';
import type { components } from '@/api/schema';
import { useAgentNames } from '@/components/agent-names';
import { useLatest } from '@/components/latest';
import { useLive } from '@/components/live';
import { useCan } from '@/components/session';
import { Empty, Failed, Loading } from '@/components/states';
import { Badge, EXPIRIES, PageTitle, Pager, button, danger, input, primary, when } from '@/components/ui';

type Request = components['schemas']['CapabilityRequest'];
type Status = Request['status'];
const STATUSES: Status[] = ['pending', 'approved', 'rejected', 'expired', 'cancelled'];

/** Capability requests: the open ones first; managers and admins approve (optionally narrower, for a while) or reject with a note. */
export default function CapabilityRequests() {
  const can = useCan();
  const [status, setStatus] = useState<Status | ''>('pending');
  const [pages, setPages] = useState<string[]>([]);
  const [rows, setRows] = useState<Request[] | null>(null);
  const names = useAgentNames((rows ?? []).map((r) => r.agentId));
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const cursor = pages.at(-1);

  const fetchPage = useCallback(async () => {
    const { data, error: e } = await api.GET('/api/v1/capability-requests', {
      params: { query: { limit: 50, ...(status ? { status } : {}), ...(cursor ? { cursor } : {}) } },
    });
    if (!data) return { error: errorMessage(e) };
    // Open requests first, then the newest.
    const sorted = [...data.requests].sort((a, b) => Number(b.status === 'pending') - Number(a.status === 'pending'));
    return { rows: sorted, next: data.nextCursor };
  }, [status, cursor]);

  const ticket = useLatest();
  const load = useCallback(async () => {
    const current = ticket();
    setError(null);
    setRows(null);
    const r = await fetchPage();
    if (!current()) return;
    if (r.error) return setError(r.error);
    setRows(r.rows!);
    setNext(r.next!);
  }, [fetchPage, ticket]);
  useEffect(() => void load(), [load]);
  const refresh = useCallback(async () => {
    const current = ticket();
    const r = await fetchPage();
    if (current() && r.rows) {
      setRows(r.rows);
      setNext(r.next!);
    }
  }, [fetchPage, ticket]);
  useLive(['capability_request'], () => void refresh());

  return (
    <section aria-labelledby="requests-title">
      <PageTitle
        id="requests-title"
        aside={
          <label className="flex flex-col text-sm">
            Status
            <select
              value={status}
              onChange={(e) => {
                setStatus(e.target.value as Status | '');
                setPages([]);
              }}
              className={input}
            >
              <option value="">Any</option>
              {STATUSES.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </label>
        }
      >
        Capability requests
      </PageTitle>
      {error ? (
        <Failed message={error} retry={() => void load()} />
      ) : rows === null ? (
        <Loading what="capability requests" />
      ) : rows.length === 0 ? (
        <Empty>{status === 'pending' ? 'No open requests: nothing waits for an answer.' : 'No request matches.'}</Empty>
      ) : (
        <ul className="space-y-2">
          {rows.map((r) => (
            <RequestRow key={r.id} request={r} agentName={names.get(r.agentId)} manage={can.manage} changed={() => void refresh()} />
          ))}
        </ul>
      )}
      <Pager pages={pages} next={next} setPages={setPages} />
    </section>
  );
}

function RequestRow({ request: r, agentName, manage, changed }: { request: Request; agentName?: string; manage: boolean; changed: () => void }) {
  const [mode, setMode] = useState<'approve' | 'reject' | null>(null);
  const [pattern, setPattern] = useState(r.resourcePattern ?? '');
  const [expires, setExpires] = useState(0);
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const label = `${r.capability} for ${agentName ?? r.agentId}`;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const path = { params: { path: { requestId: r.id } } };
    const result =
      mode === 'approve'
        ? await api.POST('/api/v1/capability-requests/{requestId}/approve', {
            ...path,
            body: {
              ...(pattern.trim() ? { resourcePattern: pattern.trim() } : {}),
              ...(expires ? { expiresInSeconds: expires } : {}),
              ...(note.trim() ? { note: note.trim() } : {}),
            },
          })
        : await api.POST('/api/v1/capability-requests/{requestId}/reject', { ...path, body: { note: note.trim() } });
    setBusy(false);
    if (result.error) return setError(errorMessage(result.error));
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
          <button type="button" className={primary} onClick={() => setMode('approve')} aria-label={`Approve ${label}`}>
            Approve…
          </button>
          <button type="button" className={button} onClick={() => setMode('reject')} aria-label={`Reject ${label}`}>
            Reject…
          </button>
        </div>
      )}
      {manage && r.status === 'pending' && mode !== null && (
        <form onSubmit={(e) => void submit(e)} className="mt-3 flex flex-wrap items-end gap-3 border-t border-slate-100 pt-3" aria-label={`${mode === 'approve' ? 'Approve' : 'Reject'} ${label}`}>
          {mode === 'approve' && (
            <>
              <label className="flex min-w-0 flex-1 flex-col">
                Resource pattern (optional, narrower)
                <input autoFocus value={pattern} onChange={(e) => setPattern(e.target.value)} maxLength={500} placeholder="customers/eu/*" className={input} />
              </label>
              <label className="flex flex-col">
                Grant expires
                <select value={expires} onChange={(e) => setExpires(Number(e.target.value))} className={input}>
                  <option value={0}>Never</option>
                  {EXPIRIES.map((x) => (
                    <option key={x.seconds} value={x.seconds}>
                      after {x.label}
                    </option>
                  ))}
                </select>
              </label>
            </>
          )}
          <label className="flex w-full flex-col">
            {mode === 'approve' ? 'Note (optional)' : 'Reason for rejecting (required)'}
            <textarea autoFocus={mode === 'reject'} value={note} onChange={(e) => setNote(e.target.value)} required={mode === 'reject'} maxLength={1000} rows={2} className={input} />
          </label>
          {error && (
            <p role="alert" className="w-full text-red-800">
              {error}
            </p>
          )}
          <div className="flex gap-2">
            <button type="submit" disabled={busy || (mode === 'reject' && !note.trim())} className={mode === 'approve' ? primary : danger}>
              {mode === 'approve' ? 'Approve' : 'Reject'}
            </button>
            <button type="button" className={button} onClick={() => setMode(null)}>
              Cancel
            </button>
          </div>
        </form>
      )}
    </li>
  );
}
