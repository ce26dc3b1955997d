'use client';

import Link from 'next/link';
import { useSearchParams } from 'next/navigation';
import { Suspense, useState } from 'react';
import { api, errorMessage } from '@/api/client';
import type { components } from '@/api/schema';
import { useApiQuery } from '@/data/query';
import { useAgentNames } from '@/components/agent-names';
import { ApprovalContext, ContextBlock, ResolveDecision } from '@/features/decisions/decision-parts';
import { Named, outcomeLabel } from '@/components/named';
import { useCan } from '@/components/session';
import { Empty, Failed, Loading } from '@/components/states';
import { Badge, PageTitle, when } from '@/components/ui';

type Decision = components['schemas']['Decision'];
type AuditEvent = components['schemas']['AuditEvent'];

interface Loaded {
  decision: Decision;
  /** The decision's audit trail, for those who may read the audit log; null otherwise. */
  trail: { events: AuditEvent[]; names: Record<string, string> } | null;
  /** The name of the person or key that answered it, when known. */
  resolver: string | null;
}

const isDecisionId = (id: string) => /^dec_[0-9a-z]{26}$/.test(id);

/** One decision: what was asked, what AIM answered and why, who resolved it, and its audit trail. */
export function DecisionDetailView() {
  return (
    <Suspense fallback={<Loading what="the decision" />}>
      <DecisionDetail />
    </Suspense>
  );
}

function DecisionDetail() {
  const id = useSearchParams().get('id') ?? '';
  const can = useCan();
  const [notice, setNotice] = useState<string | null>(null);

  const fetchAll = async (): Promise<Loaded> => {
    const [decision, audit] = await Promise.all([
      api.GET('/api/v1/decisions/{decisionId}', { params: { path: { decisionId: id } } }),
      can.audit ? api.GET('/api/v1/audit-logs', { params: { query: { targetId: id, limit: 50 } } }) : Promise.resolve(null),
    ]);
    if (!decision.data) throw new Error(errorMessage(decision.error));
    const d = decision.data.decision;
    const trail = audit?.data ? { events: [...audit.data.events].reverse(), names: audit.data.names } : null;
    // Who answered it: named by the audit page when the reader may see it, else from the members list.
    let resolver: string | null = d.resolvedBy?.id ? (trail?.names[d.resolvedBy.id] ?? null) : null;
    if (!resolver && d.resolvedBy?.type === 'user' && d.resolvedBy.id) {
      const members = await api.GET('/api/v1/members');
      resolver = members.data?.members.find((m) => m.user.id === d.resolvedBy!.id)?.user.name ?? null;
    }
    return { decision: d, trail, resolver };
  };
  const { data, error, retry, refresh } = useApiQuery({ key: ['decision-page', id, can.audit], topics: ['decision'], enabled: isDecisionId(id), fetch: fetchAll });
  const names = useAgentNames(data ? [data.decision.agentId] : []);

  if (!isDecisionId(id))
    return (
      <Empty>
        No decision chosen.{' '}
        <Link href="/decisions/" className="underline">
          Back to the decisions
        </Link>
        .
      </Empty>
    );
  if (error) return <Failed message={error} retry={retry} />;
  if (!data) return <Loading what="the decision" />;
  const d = data.decision;
  const agentName = names.get(d.agentId);
  const resolver = data.resolver ?? d.resolvedBy?.id ?? null;

  return (
    <section aria-labelledby="decision-title" data-decision={d.id}>
      <p className="mb-2 text-sm">
        <Link href="/decisions/" className="underline">
          Decisions
        </Link>
      </p>
      <PageTitle
        id="decision-title"
        aside={
          <span className="flex items-center gap-2 text-sm" data-testid="decision-status">
            <Badge>{d.decision}</Badge> <Badge>{d.status}</Badge>
            {d.flagged && <span className="text-xs text-amber-800">flagged by a monitor-mode policy</span>}
          </span>
        }
      >
        <span className="font-mono wrap-anywhere">{d.action}</span>
      </PageTitle>
      {notice && (
        <div role="alert" className="mb-3 flex flex-wrap items-start gap-2 rounded border border-red-200 bg-red-50 p-3 text-sm text-red-800">
          <p className="min-w-0 flex-1 wrap-anywhere">{notice}</p>
          <button type="button" className="underline" onClick={() => setNotice(null)}>
            Dismiss
          </button>
        </div>
      )}
      <div className="grid gap-4">
        <section aria-labelledby="asked-heading" className="rounded border border-slate-200 bg-white p-4 text-sm">
          <h2 id="asked-heading" className="mb-2 font-semibold">
            What the agent asked
          </h2>
          <dl className="grid grid-cols-[7rem_minmax(0,1fr)] gap-x-2 gap-y-1 text-sm">
            <dt className="text-slate-500">Resource</dt>
            <dd className="font-mono wrap-anywhere">{d.resource ?? '—'}</dd>
            <dt className="text-slate-500">Asked</dt>
            <dd>{when(d.createdAt)}</dd>
            {d.expiresAt && (
              <>
                <dt className="text-slate-500">Answer by</dt>
                <dd>{when(d.expiresAt)}</dd>
              </>
            )}
            <dt className="text-slate-500">Decision id</dt>
            <dd className="font-mono text-xs break-all">{d.id}</dd>
          </dl>
          <ApprovalContext decision={d} agentName={agentName} />
          <h3 className="mt-3 mb-1 text-xs font-medium text-slate-600">Context</h3>
          <ContextBlock context={d.context} id={d.id} />
          {d.status === 'pending' && (
            <ResolveDecision
              decision={d}
              label={`${d.action} by ${agentName ?? d.agentId}`}
              done={(failed) => {
                setNotice(failed ?? null);
                void refresh();
              }}
            />
          )}
        </section>

        <section aria-labelledby="why-heading" className="rounded border border-slate-200 bg-white p-4 text-sm">
          <h2 id="why-heading" className="mb-2 font-semibold">
            Why
          </h2>
          <p className="mb-2 text-xs text-slate-600">Each rule and policy that was checked; a rule that denied is recorded as a violation.</p>
          <ul className="space-y-1">
            {d.reasons.map((r, i) => (
              <li key={i} className="flex min-w-0 flex-wrap items-baseline gap-x-2" data-reason={r.rule}>
                <Badge>{r.effect === 'deny' ? 'violation' : r.effect}</Badge>
                <span className="font-mono text-xs">{r.rule}</span>
                <span className="min-w-0 wrap-anywhere">{r.message}</span>
                {r.policyId && (
                  <Link href={`/policies/detail/?id=${encodeURIComponent(r.policyId)}`} className="text-xs underline">
                    policy v{r.policyVersion}
                    {r.mode === 'monitor' ? ' (monitor)' : ''}
                  </Link>
                )}
              </li>
            ))}
          </ul>
          {d.approvalReasons && (
            <div className="mt-3" data-testid="approval-reasons">
              <h3 className="mb-1 font-semibold">{d.status === 'invalidated' ? 'Re-checked at approval: no longer allowed' : 'Re-checked at approval'}</h3>
              <ul className="space-y-1">
                {d.approvalReasons.map((r, i) => (
                  <li key={i} className="flex min-w-0 flex-wrap items-baseline gap-x-2" data-approval-reason={r.rule}>
                    <Badge>{r.effect === 'deny' ? 'deny' : r.effect}</Badge>
                    <span className="font-mono text-xs">{r.rule}</span>
                    <span className="min-w-0 wrap-anywhere">{r.message}</span>
                  </li>
                ))}
              </ul>
            </div>
          )}
          {(d.resolvedAt || d.note) && (
            <p className="mt-3 text-sm" data-testid="resolution">
              {d.status} {when(d.resolvedAt)}
              {d.resolvedBy && (
                <>
                  {' by '}
                  {d.resolvedBy.type === 'system' ? 'AIM (no one answered in time)' : (resolver ?? d.resolvedBy.type)}
                </>
              )}
              {d.note && <span className="block text-slate-700">Note: {d.note}</span>}
            </p>
          )}
          {d.result && (
            <p className="mt-2 text-sm">
              The agent reported: <Badge>{d.result.status}</Badge>
              {d.result.durationMs !== null ? ` in ${d.result.durationMs} ms` : ''}
              {d.result.detail ? ` — ${d.result.detail}` : ''}
            </p>
          )}
        </section>

        {data.trail && (
          <section aria-labelledby="trail-heading" className="rounded border border-slate-200 bg-white p-4 text-sm">
            <h2 id="trail-heading" className="mb-2 font-semibold">
              Audit trail
            </h2>
            {data.trail.events.length === 0 ? (
              <p className="text-slate-600">No event recorded yet.</p>
            ) : (
              <ol className="space-y-1">
                {data.trail.events.map((e) => (
                  <li key={e.id} className="flex min-w-0 flex-wrap items-baseline gap-x-2" data-audit-id={e.id}>
                    <span className="font-mono">{e.action}</span>
                    <Badge>{outcomeLabel(e)}</Badge>
                    <span className="min-w-0 text-xs text-slate-600 wrap-anywhere">
                      by <Named id={e.actor.id} names={data.trail!.names} kind={e.actor.type} />
                    </span>
                    <span className="text-xs text-slate-500">{when(e.occurredAt)}</span>
                  </li>
                ))}
              </ol>
            )}
            <Link href={`/audit/?q=${encodeURIComponent(d.id)}`} className="mt-2 inline-block underline">
              Open in the audit log
            </Link>
          </section>
        )}
      </div>
    </section>
  );
}
