'use client';

import { useCallback, useMemo, useState } from 'react';
import { api, errorMessage } from '@/api/client';
import type { components } from '@/api/schema';
import { useListPage, type ListPage } from '@/components/latest';
import { useLive } from '@/components/live';
import { useCan } from '@/components/session';
import { Empty, Failed, Loading } from '@/components/states';
import { Badge, PageTitle, Pager, button, input, when } from '@/components/ui';

type AuditEvent = components['schemas']['AuditEvent'];
type Verification = components['schemas']['AuditVerification'];
type Outcome = AuditEvent['outcome'];
type ActorType = AuditEvent['actor']['type'];
const OUTCOMES: Outcome[] = ['success', 'failure', 'denied'];
const ACTORS: ActorType[] = ['user', 'agent', 'api_key', 'system'];

/** The organization's audit log (audit.read: managers and admins): filters, export, and a check of the hash chain. */
export default function Audit() {
  const can = useCan();
  if (!can.audit) {
    return (
      <section aria-labelledby="audit-title">
        <PageTitle id="audit-title">Audit log</PageTitle>
        <p role="note" className="rounded border border-slate-200 bg-white p-4 text-sm text-slate-700">
          The audit log is available to managers and admins. Your role ({can.role ?? 'none'}) cannot read it; ask an admin if you need an export.
        </p>
      </section>
    );
  }
  return <AuditLog />;
}

/** The API's `from` (inclusive) and `to` (exclusive) for whole local days; empty days leave the period open. */
function periodOf(fromDay: string, toDay: string): { from?: string; to?: string } {
  const startOf = (day: string) => new Date(`${day}T00:00:00`);
  const out: { from?: string; to?: string } = {};
  if (fromDay) out.from = startOf(fromDay).toISOString();
  if (toDay) {
    const end = startOf(toDay);
    end.setDate(end.getDate() + 1);
    out.to = end.toISOString();
  }
  return out;
}

function AuditLog() {
  const [q, setQ] = useState('');
  const [action, setAction] = useState('');
  const [actorType, setActorType] = useState<ActorType | ''>('');
  const [outcome, setOutcome] = useState<Outcome | ''>('');
  // A period, in the browser's days: from the start of `fromDay` to the end of `toDay`.
  const [fromDay, setFromDay] = useState('');
  const [toDay, setToDay] = useState('');
  const period = useMemo(() => periodOf(fromDay, toDay), [fromDay, toDay]);
  const [pages, setPages] = useState<string[]>([]);
  const cursor = pages.at(-1);
  const validAction = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*(\.\*)?$/.test(action.trim());

  const fetchPage = useCallback(
    async (): Promise<ListPage<AuditEvent>> => {
      const { data, error } = await api.GET('/api/v1/audit-logs', {
        params: {
          query: {
            limit: 50,
            ...(q.trim() ? { q: q.trim() } : {}),
            ...(action.trim() && validAction ? { action: action.trim() } : {}),
            ...(actorType ? { actorType } : {}),
            ...(outcome ? { outcome } : {}),
            ...period,
            ...(cursor ? { cursor } : {}),
          },
        },
      });
      return data ? { rows: data.events, next: data.nextCursor } : { error: errorMessage(error) };
    },
    [q, action, validAction, actorType, outcome, period, cursor],
  );
  const { rows, next, error, load, refresh } = useListPage(fetchPage, 200);
  // Every change of the organization is an audit event.
  useLive(['agent', 'capability', 'capability_request', 'capability_grant', 'enrollment_token', 'decision', 'policy', 'member', 'api_key', 'organization'], () => {
    if (!cursor) void refresh(); // an older page stays as it is
  });

  const filtered = Boolean(q || action || actorType || outcome || fromDay || toDay);
  const exportHref = (format: 'ndjson' | 'csv') => `/api/v1/audit-logs/export?${new URLSearchParams({ format, ...period })}`;
  return (
    <section aria-labelledby="audit-title">
      <PageTitle
        id="audit-title"
        aside={
          <div className="flex flex-wrap gap-2 text-sm">
            <a href={exportHref('ndjson')} download className={button} aria-describedby="export-help">
              Export NDJSON
            </a>
            <a href={exportHref('csv')} download className={button} aria-describedby="export-help">
              Export CSV
            </a>
          </div>
        }
      >
        Audit log
      </PageTitle>
      <p id="export-help" className="-mt-2 mb-3 text-xs text-slate-600">
        An export holds every event of the chosen period ({fromDay || 'the beginning'} to {toDay || 'now'}), unfiltered by the other fields, so that
        its hash chain can be checked with <code>aim-audit-verify</code>.
      </p>
      <VerifyChain />
      <div className="mb-3 mt-6 flex flex-wrap items-end gap-3">
        <label className="flex min-w-0 basis-full flex-col text-sm sm:basis-auto sm:flex-1">
          Search
          <input type="search" value={q} onChange={(e) => (setQ(e.target.value), setPages([]))} maxLength={200} placeholder="Action, target, actor or details" className={input} />
        </label>
        <label className="flex flex-col text-sm">
          Action
          <input
            value={action}
            onChange={(e) => (setAction(e.target.value), setPages([]))}
            placeholder="agent.*"
            aria-invalid={action.trim() !== '' && !validAction}
            aria-describedby="action-help"
            className={`${input} w-36`}
          />
        </label>
        <label className="flex flex-col text-sm">
          Actor
          <select value={actorType} onChange={(e) => (setActorType(e.target.value as ActorType | ''), setPages([]))} className={input}>
            <option value="">Any</option>
            {ACTORS.map((a) => (
              <option key={a}>{a}</option>
            ))}
          </select>
        </label>
        <label className="flex flex-col text-sm">
          From
          <input type="date" value={fromDay} max={toDay || undefined} onChange={(e) => (setFromDay(e.target.value), setPages([]))} className={input} />
        </label>
        <label className="flex flex-col text-sm">
          To
          <input type="date" value={toDay} min={fromDay || undefined} onChange={(e) => (setToDay(e.target.value), setPages([]))} className={input} />
        </label>
        <label className="flex flex-col text-sm">
          Outcome
          <select value={outcome} onChange={(e) => (setOutcome(e.target.value as Outcome | ''), setPages([]))} className={input}>
            <option value="">Any</option>
            {OUTCOMES.map((o) => (
              <option key={o}>{o}</option>
            ))}
          </select>
        </label>
      </div>
      <p id="action-help" className={`-mt-2 mb-3 text-xs ${action.trim() !== '' && !validAction ? 'text-red-800' : 'text-slate-500'}`}>
        Action: an exact action such as <code>agent.create</code>, or a prefix such as <code>agent.*</code>.
      </p>
      {error ? (
        <Failed message={error} retry={() => void load()} />
      ) : rows === null ? (
        <Loading what="audit events" />
      ) : rows.length === 0 ? (
        <Empty>{filtered ? 'No event matches.' : 'No audit events yet.'}</Empty>
      ) : (
        <div className="overflow-x-auto rounded border border-slate-200 bg-white">
          <table className="w-full text-left text-sm">
            <thead className="bg-slate-100 text-slate-700">
              <tr>
                <th scope="col" className="px-3 py-2">Event</th>
                <th scope="col" className="px-3 py-2">Outcome</th>
                <th scope="col" className="hidden px-3 py-2 sm:table-cell">Actor</th>
                <th scope="col" className="hidden px-3 py-2 md:table-cell">When</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((e) => (
                <tr key={e.id} data-audit-id={e.id} className="border-t border-slate-100 align-top">
                  <td className="px-3 py-2">
                    <div className="font-mono wrap-anywhere">{e.action}</div>
                    <div className="text-xs wrap-anywhere text-slate-500">
                      {e.target ? `${e.target.type} ${e.target.id ?? ''}` : '—'}
                      {e.seq !== null ? ` · #${e.seq}` : ''}
                    </div>
                    <div className="text-xs text-slate-500 md:hidden">{when(e.occurredAt)}</div>
                  </td>
                  <td className="px-3 py-2">
                    <Badge>{e.outcome}</Badge>
                  </td>
                  <td className="hidden px-3 py-2 text-xs wrap-anywhere text-slate-600 sm:table-cell">
                    {e.actor.type} {e.actor.id ?? ''}
                  </td>
                  <td className="hidden px-3 py-2 text-slate-600 md:table-cell">{when(e.occurredAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager pages={pages} next={next} setPages={setPages} />
    </section>
  );
}

function VerifyChain() {
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<Verification | null>(null);
  const [error, setError] = useState<string | null>(null);
  const verify = async () => {
    setBusy(true);
    setError(null);
    setResult(null);
    const { data, error: e } = await api.GET('/api/v1/audit-logs/verify');
    setBusy(false);
    if (!data) return setError(errorMessage(e));
    setResult(data);
  };
  return (
    <div className="flex flex-wrap items-center gap-3 rounded border border-slate-200 bg-white p-3 text-sm">
      <button type="button" onClick={() => void verify()} disabled={busy} className={button}>
        {busy ? 'Verifying…' : 'Verify chain'}
      </button>
      <div role="status" aria-live="polite" className="min-w-0 flex-1">
        {error ? (
          <span className="text-red-800">{error}</span>
        ) : result?.status === 'intact' ? (
          <span className="text-emerald-900">
            Chain intact: {result.checked} events verified (up to #{result.lastSeq ?? result.headSeq}), {result.checkpoints} signed checkpoints checked.
          </span>
        ) : result ? (
          <span className="text-red-800">
            Chain broken at event #{result.brokenAt}
            {result.reason ? `: ${result.reason}` : ''}. {result.checked} events verified before it.
          </span>
        ) : (
          <span className="text-slate-600">Re-walk the hash chain to check that no event was changed or removed.</span>
        )}
      </div>
    </div>
  );
}
