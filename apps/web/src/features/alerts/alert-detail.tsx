'use client';

import Link from 'next/link';
import { useSearchParams } from 'next/navigation';
import { Suspense, useState } from 'react';
import { useAgentNames } from '@/components/agent-names';
import { useCan } from '@/components/session';
import { Empty, Failed, Loading } from '@/components/states';
import { PageTitle, when } from '@/components/ui';
import { must, useApiQuery } from '@/data/query';
import { decisionHref } from '@/features/decisions/decision-parts';
import { AlertActions } from './alert-actions';
import { ALERT_TOPICS, DETECTOR_LABEL, alerts, isAlertId, type Alert, type AlertNote } from './alert-api';
import { AlertNotes } from './alert-notes';
import { SeverityBadge, StatusBadge, Subject, useMembers } from './alert-parts';
import { EvidenceChart } from './evidence-chart';

/** One alert: what fired and why, in numbers and a chart, the decisions behind it, its notes and what may be done. */
export function AlertDetailView() {
  return (
    <Suspense fallback={<Loading what="the alert" />}>
      <AlertDetail />
    </Suspense>
  );
}

const num = (n: number | null) => (n === null ? '—' : Number.isInteger(n) ? n.toLocaleString() : n.toLocaleString(undefined, { maximumFractionDigits: 2 }));

function AlertDetail() {
  const id = useSearchParams().get('id') ?? '';
  const can = useCan();
  const manage = can.has('alert.manage');
  const members = useMembers();
  const [notice, setNotice] = useState<string | null>(null);
  // Repeat findings (occurrences, last seen, the latest evidence) are not audited: read again now and then too.
  const query = useApiQuery({ key: ['alert-page', id], topics: ALERT_TOPICS, enabled: isAlertId(id), refetchIntervalMs: 30_000, fetch: async () => must(await alerts.get(id)) });
  const names = useAgentNames(query.data?.alert.subject.type === 'agent' ? [query.data.alert.subject.id] : []);

  if (!isAlertId(id))
    return (
      <Empty>
        No alert chosen.{' '}
        <Link href="/alerts/" className="underline">
          Back to the alerts
        </Link>
        .
      </Empty>
    );
  if (query.error) return <Failed message={query.error} retry={query.retry} />;
  if (!query.data) return <Loading what="the alert" />;
  const { alert: a, notes } = query.data;
  const memberName = (userId: string | null) => (userId ? (members.find((m) => m.id === userId)?.name ?? userId) : null);
  const actorName = (actor: Alert['acknowledgedBy'] | AlertNote['author']) =>
    !actor ? '—' : actor.type === 'system' ? 'AIM' : actor.type === 'api_key' ? `API key ${actor.id ?? ''}` : (memberName(actor.id) ?? 'someone');
  const e = a.evidence;
  const details = Object.entries(e.details);

  return (
    <section aria-labelledby="alert-title" data-alert={a.id}>
      <p className="mb-2 text-sm">
        <Link href="/alerts/" className="underline">
          Alerts
        </Link>
      </p>
      <PageTitle
        id="alert-title"
        aside={
          <span className="flex items-center gap-2" data-testid="alert-status">
            <SeverityBadge severity={a.severity} /> <StatusBadge status={a.status} />
          </span>
        }
      >
        <span className="wrap-anywhere">{a.title}</span>
      </PageTitle>
      {notice && (
        <p role="status" className="mb-3 rounded border border-emerald-200 bg-emerald-50 p-2 text-sm text-emerald-900">
          {notice}
        </p>
      )}
      <div className="grid gap-4 lg:grid-cols-2">
        <section aria-labelledby="what-heading" className="rounded border border-slate-200 bg-white p-4 text-sm">
          <h2 id="what-heading" className="mb-2 font-semibold">
            What happened
          </h2>
          <p className="mb-3 wrap-anywhere">{a.summary}</p>
          <dl className="grid grid-cols-[8rem_minmax(0,1fr)] gap-x-2 gap-y-1">
            <dt className="text-slate-600">Subject</dt>
            <dd>
              <Subject subject={a.subject} names={names} />
            </dd>
            <dt className="text-slate-600">Detector</dt>
            <dd>{DETECTOR_LABEL[a.type]}</dd>
            <dt className="text-slate-600">Occurrences</dt>
            <dd>{a.occurrences}</dd>
            <dt className="text-slate-600">First seen</dt>
            <dd>{when(a.firstSeenAt)}</dd>
            <dt className="text-slate-600">Last seen</dt>
            <dd>{when(a.lastSeenAt)}</dd>
            <dt className="text-slate-600">Assignee</dt>
            <dd>{memberName(a.assigneeId) ?? 'nobody'}</dd>
            {a.snoozedUntil && (
              <>
                <dt className="text-slate-600">Snoozed until</dt>
                <dd>{when(a.snoozedUntil)}</dd>
              </>
            )}
            {a.acknowledgedAt && (
              <>
                <dt className="text-slate-600">Acknowledged</dt>
                <dd>
                  {when(a.acknowledgedAt)} by {actorName(a.acknowledgedBy)}
                </dd>
              </>
            )}
            {a.resolvedAt && (
              <>
                <dt className="text-slate-600">{a.status === 'false_positive' ? 'False positive' : 'Resolved'}</dt>
                <dd>
                  {when(a.resolvedAt)} by {actorName(a.resolvedBy)}
                </dd>
              </>
            )}
          </dl>
        </section>

        <section aria-labelledby="evidence-heading" className="rounded border border-slate-200 bg-white p-4 text-sm" data-testid="evidence">
          <h2 id="evidence-heading" className="mb-2 font-semibold">
            Evidence
          </h2>
          <dl className="grid grid-cols-[8rem_minmax(0,1fr)] gap-x-2 gap-y-1">
            <dt className="text-slate-600">Observed</dt>
            <dd data-evidence="observed">
              <strong>{num(e.observed)}</strong> {e.unit}
            </dd>
            <dt className="text-slate-600">Baseline</dt>
            <dd data-evidence="baseline">{e.baseline === null ? 'none (a rule)' : `${num(e.baseline)} ${e.unit}`}</dd>
            <dt className="text-slate-600">Threshold</dt>
            <dd data-evidence="threshold">
              {num(e.threshold)} {e.unit}
            </dd>
            <dt className="text-slate-600">Window</dt>
            <dd>
              {when(e.window.from)} – {when(e.window.to)}
            </dd>
            <dt className="text-slate-600">Method</dt>
            <dd className="wrap-anywhere">{e.method}</dd>
          </dl>
          {details.length > 0 && (
            <>
              <h3 className="mt-3 mb-1 text-xs font-semibold text-slate-700">Details</h3>
              <dl className="grid grid-cols-[8rem_minmax(0,1fr)] gap-x-2 gap-y-1">
                {details.map(([k, v]) => (
                  <div key={k} className="contents">
                    <dt className="font-mono text-xs text-slate-600 wrap-anywhere">{k}</dt>
                    <dd className="font-mono text-xs wrap-anywhere">{v === null ? '—' : String(v)}</dd>
                  </div>
                ))}
              </dl>
            </>
          )}
        </section>
      </div>

      <div className="mt-4 grid gap-4">
        <EvidenceChart evidence={e} />

        <section aria-labelledby="behind-heading" className="rounded border border-slate-200 bg-white p-4 text-sm">
          <h2 id="behind-heading" className="mb-2 font-semibold">
            Behind it
          </h2>
          {e.decisionIds.length === 0 ? (
            <p className="text-slate-600">No decision is linked to this finding.</p>
          ) : (
            <>
              <p className="mb-1 text-slate-700">
                {e.decisionIds.length} decision{e.decisionIds.length === 1 ? '' : 's'}:
              </p>
              <ul className="flex flex-wrap gap-x-3 gap-y-1">
                {e.decisionIds.map((d) => (
                  <li key={d}>
                    <Link href={decisionHref(d)} className="font-mono text-xs underline break-all">
                      {d}
                    </Link>
                  </li>
                ))}
              </ul>
            </>
          )}
          {can.audit && (
            <Link href={`/audit/?q=${encodeURIComponent(a.id)}`} className="mt-2 inline-block underline">
              This alert in the audit log
            </Link>
          )}
          {e.auditEventIds.length > 0 && <p className="mt-1 text-xs text-slate-600">{e.auditEventIds.length} audit event(s) are part of the evidence.</p>}
        </section>

        {manage && (
          <AlertActions
            key={`${a.id}-${a.status}-${a.assigneeId ?? ''}`}
            alert={a}
            members={members}
            changed={(next, text) => {
              query.set({ alert: next, notes });
              setNotice(text);
              void query.refresh();
            }}
          />
        )}
        <AlertNotes alertId={a.id} notes={notes} canAdd={manage} authorName={actorName} added={() => void query.refresh()} />
      </div>
    </section>
  );
}
