'use client';

import Link from 'next/link';
import { useSearchParams } from 'next/navigation';
import { Suspense, useEffect, useState } from 'react';
import { api } from '@/api/client';
import type { components } from '@/api/schema';
import { KeysetList } from '@/components/resource-list';
import { must, useApiQuery, useListQuery } from '@/data/query';
import { useAgentChoices, useAgentNames } from '@/components/agent-names';
import { ApprovalContext, ContextBlock, ResolveDecision, decisionHref } from '@/features/decisions/decision-parts';
import { Cell, StackedTable, stacked } from '@/components/organization-parts';
import { Empty, Failed, Loading } from '@/components/states';
import { Badge, PageTitle, input, when } from '@/components/ui';

type Decision = components['schemas']['Decision'];
type Answer = Decision['decision'];
type Status = Decision['status'];

const ANSWERS: Answer[] = ['allow', 'deny', 'pending'];
const STATUSES: Status[] = ['allowed', 'denied', 'pending', 'approved', 'rejected', 'invalidated', 'expired', 'withdrawn'];

/** Seconds left until `iso`, ticking every second. */
function useNow(): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  return now;
}

function countdown(ms: number): string {
  if (ms <= 0) return 'expired';
  const s = Math.floor(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number) => String(n).padStart(2, '0');
  return h ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}

/** Decisions: the open approvals (managers and admins answer them), then the history with filters. */
export function DecisionsView() {
  return (
    <Suspense fallback={<Loading what="decisions" />}>
      <Decisions />
    </Suspense>
  );
}

function Decisions() {
  const agents = useAgentChoices();
  // ?agentId=… (the agent page links here) starts the history filtered to that agent.
  const linked = useSearchParams().get('agentId') ?? '';
  const [agentId, setAgentId] = useState(/^agt_[0-9a-z]{26}$/.test(linked) ? linked : '');
  const [answer, setAnswer] = useState<Answer | ''>('');
  const [status, setStatus] = useState<Status | ''>('');
  const [pages, setPages] = useState<string[]>([]);
  // A failed approval's message outlives its row (the decision may have left the open list meanwhile).
  const [notice, setNotice] = useState<string | null>(null);
  const cursor = pages.at(-1);

  const history = useListQuery({
    name: '/api/v1/decisions',
    topics: ['decision'],
    params: {
      limit: 25,
      ...(agentId ? { agentId } : {}),
      ...(answer ? { decision: answer } : {}),
      ...(status ? { status } : {}),
      ...(cursor ? { cursor } : {}),
    },
    fetch: async (query) => {
      const data = must(await api.GET('/api/v1/decisions', { params: { query } }));
      return { rows: data.decisions, next: data.nextCursor };
    },
  });
  const { rows, next, error, retry } = history;
  const open = useApiQuery({
    key: ['/api/v1/decisions', 'open'],
    topics: ['decision'],
    fetch: async () => must(await api.GET('/api/v1/decisions', { params: { query: { status: 'pending', limit: 100 } } })).decisions,
  });
  const pending = open.data;
  const pendingError = open.error;
  const names = useAgentNames([...(rows ?? []), ...(pending ?? [])].map((d) => d.agentId).concat(agentId ? [agentId] : []));
  const refresh = async () => {
    void open.refresh();
    await history.refresh();
  };

  const reset = () => setPages([]);
  return (
    <section aria-labelledby="decisions-title">
      <PageTitle id="decisions-title">Decisions</PageTitle>

      <h2 className="mb-2 text-lg font-semibold">Waiting for approval</h2>
      {notice && (
        <div role="alert" className="mb-3 flex flex-wrap items-start gap-2 rounded border border-red-200 bg-red-50 p-3 text-sm text-red-800">
          <p className="min-w-0 flex-1 wrap-anywhere">{notice}</p>
          <button type="button" className="underline" onClick={() => setNotice(null)}>
            Dismiss
          </button>
        </div>
      )}
      {pendingError ? (
        <Failed message={pendingError} retry={open.retry} />
      ) : pending === null ? (
        <Loading what="open approvals" />
      ) : pending.length === 0 ? (
        <Empty>No action waits for a person.</Empty>
      ) : (
        <ul className="space-y-2">
          {pending.map((d) => (
            <PendingRow
              key={d.id}
              decision={d}
              agentName={names.get(d.agentId)}
              changed={(failed) => {
                setNotice(failed ?? null);
                void refresh();
              }}
            />
          ))}
        </ul>
      )}

      <div className="mb-2 mt-8 flex flex-wrap items-end gap-3">
        <h2 className="mr-auto w-full text-lg font-semibold sm:w-auto">History</h2>
        <div className="flex flex-col text-sm">
          <label htmlFor="filter-agent">Agent</label>
          <select
            id="filter-agent"
            value={agentId}
            onChange={(e) => {
              setAgentId(e.target.value);
              reset();
            }}
            className={`${input} max-w-[12rem]`}
          >
            <option value="">Any</option>
            {/* The chosen agent, also when it is not among the newest the list offers. */}
            {agentId && !agents.some((a) => a.id === agentId) && <option value={agentId}>{names.get(agentId) ?? agentId}</option>}
            {agents.map((a) => (
              <option key={a.id} value={a.id}>
                {a.name}
              </option>
            ))}
          </select>
        </div>
        <div className="flex flex-col text-sm">
          <label htmlFor="filter-decision">Decision</label>
          <select
            id="filter-decision"
            value={answer}
            onChange={(e) => {
              setAnswer(e.target.value as Answer | '');
              reset();
            }}
            className={input}
          >
            <option value="">Any</option>
            {ANSWERS.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </div>
        <div className="flex flex-col text-sm">
          <label htmlFor="filter-status">Status</label>
          <select
            id="filter-status"
            value={status}
            onChange={(e) => {
              setStatus(e.target.value as Status | '');
              reset();
            }}
            className={input}
          >
            <option value="">Any</option>
            {STATUSES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </div>
      </div>
      <KeysetList
        list={{ rows, next, error, retry }}
        what="decisions"
        empty={agentId || answer || status ? 'No decision matches.' : 'No decisions yet: agents ask AIM with verifyAction before they act.'}
        pages={pages}
        setPages={setPages}
      >
        {(rows) => (
          <div className="rounded border border-slate-200 bg-white px-3">
            <StackedTable columns={['Action', 'Decision', 'Why', 'When']}>
                {rows.map((d) => (
                  <tr key={d.id} data-decision-id={d.id} className={stacked.row}>
                    <Cell label="Action">
                      <Link href={decisionHref(d.id)} className="font-mono underline-offset-2 hover:underline">
                        {d.action}
                      </Link>
                      <div className="text-xs text-slate-500">
                        <span title={d.agentId}>{names.get(d.agentId) ?? d.agentId}</span>
                        {d.resource ? ` · ${d.resource}` : ''}
                      </div>
                    </Cell>
                    <Cell label="Decision">
                      <Badge>{d.decision}</Badge> <span className="text-xs text-slate-600">{d.status}</span>
                      {d.flagged && <span className="ml-1 text-xs text-amber-800">flagged</span>}
                    </Cell>
                    <Cell label="Why" className="text-xs text-slate-600 md:max-w-md">
                      {d.reasons
                        .filter((r) => r.effect !== 'pass')
                        .map((r) => r.message)
                        .join(' · ') || '—'}
                    </Cell>
                    <Cell label="When" className="text-slate-600">
                      {when(d.createdAt)}
                    </Cell>
                  </tr>
                ))}
              </StackedTable>
          </div>
        )}
      </KeysetList>
    </section>
  );
}

function PendingRow({ decision: d, agentName, changed }: { decision: Decision; agentName?: string; changed: (error?: string) => void }) {
  const now = useNow();
  const left = d.expiresAt ? new Date(d.expiresAt).getTime() - now : null;
  const label = `${d.action} by ${agentName ?? d.agentId}`;

  return (
    <li data-pending-decision-id={d.id} className="rounded border border-amber-200 bg-white p-3 text-sm">
      <div className="flex flex-wrap items-start gap-x-3 gap-y-1">
        <div className="min-w-0 flex-1">
          <Link href={decisionHref(d.id)} className="font-mono font-medium wrap-anywhere underline-offset-2 hover:underline">
            {d.action}
          </Link>
          <div className="text-xs wrap-anywhere text-slate-600">
            {d.resource ? `${d.resource} · ` : ''}asked {when(d.createdAt)}
          </div>
          <div className="text-xs text-slate-600">
            {d.reasons
              .filter((r) => r.effect !== 'pass')
              .map((r) => r.message)
              .join(' · ')}
          </div>
        </div>
        {left !== null && (
          <span className="font-mono text-xs text-amber-900" aria-label={`Expires in ${countdown(left)}`} role="timer">
            {left > 0 ? `expires in ${countdown(left)}` : 'expired'}
          </span>
        )}
      </div>
      <ApprovalContext decision={d} agentName={agentName} />
      <div className="mt-2">
        <ContextBlock context={d.context} id={d.id} />
      </div>
      {(left === null || left > 0) && <ResolveDecision decision={d} label={label} done={changed} />}
    </li>
  );
}
