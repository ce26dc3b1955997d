'use client';

import { useSearchParams } from 'next/navigation';
import { Suspense, useMemo, useState } from 'react';
import { api, errorMessage } from '@/api/client';
import type { components } from '@/api/schema';
import { KeysetList } from '@/components/resource-list';
import { ChoiceFilter } from '@/components/filters';
import { must, useListQuery } from '@/data/query';
import { useCan } from '@/components/session';
import { Loading } from '@/components/states';
import { Named, outcomeLabel } from '@/components/named';
import { Cell, StackedTable, stacked } from '@/components/organization-parts';
import { Badge, PageTitle, button, input, when } from '@/components/ui';

type AuditEvent = components['schemas']['AuditEvent'];
type Verification = components['schemas']['AuditVerification'];
type Outcome = AuditEvent['outcome'];
type ActorType = AuditEvent['actor']['type'];

const OUTCOMES: Outcome[] = ['success', 'failure', 'denied'];
const ACTORS: ActorType[] = ['user', 'agent', 'api_key', 'system'];

/** The organization's audit log (audit.read: managers and admins): filters, export, and a check of the hash chain. */
export function AuditPage() {
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
  return (
    <Suspense fallback={<Loading what="audit events" />}>
      <AuditLog />
    </Suspense>
  );
}

const KIND: Record<string, string> = { user: 'person', api_key: 'API key', agent: 'agent' };

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
  // ?q=… (a decision's page links here) starts the search with it.
  const linked = useSearchParams().get('q')?.slice(0, 200) ?? '';
  const [q, setQ] = useState(linked);
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

  const { rows, next, error, retry, data } = useListQuery({
    name: '/api/v1/audit-logs',
    // Every change of the organization is an audit event; an older page stays as it is.
    topics: cursor
      ? []
      : ['agent', 'capability', 'capability_request', 'capability_grant', 'enrollment_token', 'decision', 'policy', 'member', 'api_key', 'organization'],
    debounceMs: 200,
    params: {
      limit: 50,
      ...(q.trim() ? { q: q.trim() } : {}),
      ...(action.trim() && validAction ? { action: action.trim() } : {}),
      ...(actorType ? { actorType } : {}),
      ...(outcome ? { outcome } : {}),
      ...period,
      ...(cursor ? { cursor } : {}),
    },
    fetch: async (query) => {
      const page = must(await api.GET('/api/v1/audit-logs', { params: { query } }));
      return { rows: page.events, next: page.nextCursor, names: page.names };
    },
  });
  const names = data?.names ?? {};

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
        An export holds every event of the chosen period ({fromDay || 'the beginning'} to {toDay || 'now'}), unfiltered by the other fields, so that its hash
        chain can be checked with <code>aim-audit-verify</code>.
      </p>
      <VerifyChain />
      <div className="mb-3 mt-6 flex flex-wrap items-end gap-3">
        <label className="flex min-w-0 basis-full flex-col text-sm sm:basis-auto sm:flex-1">
          Search
          <input
            type="search"
            value={q}
            onChange={(e) => (setQ(e.target.value), setPages([]))}
            maxLength={200}
            placeholder="Action, target, actor or details"
            className={input}
          />
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
        <ChoiceFilter label="Actor" value={actorType} choices={ACTORS} onChange={(v) => (setActorType(v), setPages([]))} />
        <label className="flex flex-col text-sm">
          From
          <input type="date" value={fromDay} max={toDay || undefined} onChange={(e) => (setFromDay(e.target.value), setPages([]))} className={input} />
        </label>
        <label className="flex flex-col text-sm">
          To
          <input type="date" value={toDay} min={fromDay || undefined} onChange={(e) => (setToDay(e.target.value), setPages([]))} className={input} />
        </label>
        <ChoiceFilter label="Outcome" value={outcome} choices={OUTCOMES} onChange={(v) => (setOutcome(v), setPages([]))} />
      </div>
      <p id="action-help" className={`-mt-2 mb-3 text-xs ${action.trim() !== '' && !validAction ? 'text-red-800' : 'text-slate-500'}`}>
        Action: an exact action such as <code>agent.create</code>, or a prefix such as <code>agent.*</code>.
      </p>
      <KeysetList
        list={{ rows, next, error, retry }}
        what="audit events"
        empty={filtered ? 'No event matches.' : 'No audit events yet.'}
        pages={pages}
        setPages={setPages}
      >
        {(rows) => (
          <div className="rounded border border-slate-200 bg-white px-3">
            <StackedTable columns={['Event', 'Outcome', 'Actor', 'When']}>
                {rows.map((e) => {
                  const agentId = typeof e.details.agentId === 'string' ? e.details.agentId : null;
                  return (
                    <tr key={e.id} data-audit-id={e.id} className={stacked.row}>
                      <Cell label="Event">
                        <div className="font-mono">{e.action}</div>
                        <div className="text-xs text-slate-600" data-audit-target>
                          {e.target ? (
                            <>
                              {e.target.type.replaceAll('_', ' ')} <Named id={e.target.id} names={names} />
                            </>
                          ) : (
                            '—'
                          )}
                          {agentId && agentId !== e.target?.id && agentId !== e.actor.id && (
                            <>
                              {' · agent '}
                              <Named id={agentId} names={names} />
                            </>
                          )}
                          {e.seq !== null ? ` · #${e.seq}` : ''}
                        </div>
                      </Cell>
                      <Cell label="Outcome">
                        <Badge>{outcomeLabel(e)}</Badge>
                      </Cell>
                      <Cell label="Actor" className="text-xs text-slate-600">
                        <span data-audit-actor>
                          {e.actor.type === 'system' ? (
                            'AIM (system)'
                          ) : (
                            <>
                              {KIND[e.actor.type] ?? e.actor.type} <Named id={e.actor.id} names={names} kind={e.actor.type} />
                            </>
                          )}
                        </span>
                      </Cell>
                      <Cell label="When" className="text-slate-600">
                        {when(e.occurredAt)}
                      </Cell>
                    </tr>
                  );
                })}
              </StackedTable>
          </div>
        )}
      </KeysetList>
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
