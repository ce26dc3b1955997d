'use client';

import Link from 'next/link';
import { api } from '@/api/client';
import type { components } from '@/api/schema';
import { must, useApiQuery } from '@/data/query';
import { useCan } from '@/components/session';
import { Failed, Loading } from '@/components/states';

type Overview = components['schemas']['Overview'];
type AuditEvent = components['schemas']['AuditEvent'];

const TIERS = ['verified', 'high', 'medium', 'low', 'untrusted', 'unscored'] as const;
const tierColor: Record<string, string> = {
  verified: 'bg-emerald-500',
  high: 'bg-green-500',
  medium: 'bg-amber-400',
  low: 'bg-orange-500',
  untrusted: 'bg-red-600',
  unscored: 'bg-slate-400',
};

/** Decisions per hour as stacked bars (allow, pending, deny), with the figures in a table for screen readers. */
function DecisionChart({ hours }: { hours: Overview['decisionsPerHour'] }) {
  const max = Math.max(1, ...hours.map((h) => h.allow + h.deny + h.pending));
  const width = 100 / hours.length;
  return (
    <figure>
      <svg viewBox="0 0 100 40" preserveAspectRatio="none" className="h-40 w-full" role="img" aria-label="Decisions per hour: allowed, pending and denied">
        {hours.map((h, i) => {
          let y = 40;
          return (['allow', 'pending', 'deny'] as const).map((k) => {
            const height = (h[k] / max) * 38;
            y -= height;
            return <rect key={`${h.hour}-${k}`} x={i * width + width * 0.1} y={y} width={width * 0.8} height={height} className={k === 'allow' ? 'fill-emerald-500' : k === 'pending' ? 'fill-amber-400' : 'fill-red-600'} />;
          });
        })}
      </svg>
      <figcaption className="mt-1 flex flex-wrap gap-3 text-xs text-slate-600">
        <span><span className="mr-1 inline-block h-2 w-2 bg-emerald-500" />allowed</span>
        <span><span className="mr-1 inline-block h-2 w-2 bg-amber-400" />needed approval</span>
        <span><span className="mr-1 inline-block h-2 w-2 bg-red-600" />denied</span>
        <span className="ml-auto">
          {new Date(hours[0]!.hour).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })} – now
        </span>
      </figcaption>
      <div className="sr-only">
      <table>
        <caption>Decisions per hour</caption>
        <thead>
          <tr><th>Hour</th><th>Allowed</th><th>Needed approval</th><th>Denied</th></tr>
        </thead>
        <tbody>
          {hours.map((h) => (
            <tr key={h.hour}><td>{h.hour}</td><td>{h.allow}</td><td>{h.pending}</td><td>{h.deny}</td></tr>
          ))}
        </tbody>
      </table>
      </div>
    </figure>
  );
}

type Steps = Overview['gettingStarted'];

const STEPS: { key: keyof Steps; title: string; how: string; href: string; link: string }[] = [
  { key: 'capability', title: 'Add a capability', how: 'Name an action agents may ask to do, with its risk (db:read, payments:refund).', href: '/capabilities/', link: 'Capabilities' },
  { key: 'enrollmentToken', title: 'Create an enrollment token', how: 'A one-time token the agent uses to register itself; the page shows the code to paste.', href: '/enrollment-tokens/', link: 'Enrollment tokens' },
  { key: 'agent', title: 'Run an agent', how: 'The agent calls secure() with the token: it makes its key pair and enrolls.', href: '/agents/', link: 'Agents' },
  { key: 'grant', title: 'Grant it a capability', how: 'Approve the capability it asked for, or grant one on its page.', href: '/capability-requests/', link: 'Capability requests' },
  { key: 'decision', title: 'See its first decision', how: 'The agent asks AIM with verifyAction before it acts; every answer is recorded.', href: '/decisions/', link: 'Decisions' },
];

/** The first steps of a new organization, each done or not from the server's own counts. */
function GettingStarted({ steps }: { steps: Steps }) {
  const done = STEPS.filter((s) => steps[s.key]).length;
  if (done === STEPS.length) return null;
  return (
    <section aria-labelledby="start-heading" className="rounded border border-sky-200 bg-white p-4 md:col-span-2">
      <h2 id="start-heading" className="font-semibold">
        Getting started
      </h2>
      <p className="mb-2 text-sm text-slate-600">
        {done} of {STEPS.length} steps done.
      </p>
      <ol className="space-y-2 text-sm">
        {STEPS.map((s, i) => {
          const isDone = steps[s.key];
          return (
            <li key={s.key} data-step={s.key} data-done={isDone} className="flex gap-3">
              <span
                aria-hidden="true"
                className={`mt-0.5 inline-flex h-5 w-5 shrink-0 items-center justify-center rounded-full text-xs ${isDone ? 'bg-emerald-600 text-white' : 'border border-slate-400 text-slate-600'}`}
              >
                {isDone ? '✓' : i + 1}
              </span>
              <div className="min-w-0">
                <span className={isDone ? 'text-slate-500 line-through' : 'font-medium'}>{s.title}</span>
                <span className="sr-only">{isDone ? ' (done)' : ' (to do)'}</span>{' '}
                <span className={`text-xs ${isDone ? 'text-emerald-800' : 'text-slate-500'}`}>{isDone ? 'done' : ''}</span>
                {!isDone && (
                  <p className="text-slate-600">
                    {s.how}{' '}
                    <Link href={s.href} className="underline">
                      {s.link}
                    </Link>
                  </p>
                )}
              </div>
            </li>
          );
        })}
      </ol>
    </section>
  );
}

/** The organization at a glance, live. */
export function Home() {
  const can = useCan();
  const { data, error, retry } = useApiQuery({
    key: ['home', can.audit],
    topics: ['agent', 'decision', 'capability', 'capability_request', 'capability_grant', 'enrollment_token'],
    fetch: async () => {
      const overview = must(await api.GET('/api/v1/overview', { params: { query: { hours: 24 } } }));
      if (!can.audit) return { overview, events: null, names: {} };
      const audit = await api.GET('/api/v1/audit-logs', { params: { query: { limit: 8 } } });
      return { overview, events: audit.data?.events ?? [], names: audit.data?.names ?? {} };
    },
  });
  const overview = data?.overview ?? null;
  const events: AuditEvent[] | null = data?.events ?? null;
  const names: Record<string, string> = data?.names ?? {};

  if (error) return <Failed message={error} retry={retry} />;
  if (!overview) return <Loading what="the overview" />;
  const { agents } = overview;
  const active = agents.byStatus.active;
  const totals = overview.decisionsPerHour.reduce((s, h) => ({ allow: s.allow + h.allow, deny: s.deny + h.deny, pending: s.pending + h.pending }), { allow: 0, deny: 0, pending: 0 });
  const scored = TIERS.reduce((s, t) => s + agents.byTier[t], 0);

  return (
    <div className="grid gap-4 md:grid-cols-2">
      <h1 className="text-2xl font-semibold md:col-span-2">Overview</h1>
      <GettingStarted steps={overview.gettingStarted} />
      <section aria-labelledby="agents-heading" className="rounded border border-slate-200 bg-white p-4">
        <h2 id="agents-heading" className="mb-2 font-semibold">Agents</h2>
        <p className="mb-3 text-sm text-slate-700">
          <Link href="/agents/" className="underline">{active} active</Link>, {agents.byStatus.suspended} suspended, {agents.byStatus.revoked} revoked
        </p>
        {scored === 0 ? (
          <p className="text-sm text-slate-500">No agents yet.</p>
        ) : (
          <>
            <div className="flex h-3 overflow-hidden rounded" aria-hidden="true">
              {TIERS.map((t) => (agents.byTier[t] > 0 ? <div key={t} className={tierColor[t]} style={{ width: `${(agents.byTier[t] / scored) * 100}%` }} /> : null))}
            </div>
            <ul className="mt-2 grid grid-cols-2 gap-x-4 text-sm sm:grid-cols-3">
              {TIERS.map((t) => (
                <li key={t}>
                  <span className={`mr-1 inline-block h-2 w-2 ${tierColor[t]}`} />
                  {t}: {agents.byTier[t]}
                </li>
              ))}
            </ul>
          </>
        )}
      </section>
      <section aria-labelledby="waiting-heading" className="rounded border border-slate-200 bg-white p-4">
        <h2 id="waiting-heading" className="mb-2 font-semibold">Waiting for a person</h2>
        <ul className="space-y-1 text-sm">
          <li>
            <Link href="/decisions/" className="underline">{overview.pendingApprovals} {overview.pendingApprovals === 1 ? 'approval' : 'approvals'}</Link> of actions
          </li>
          <li>
            <Link href="/capability-requests/" className="underline">{overview.pendingCapabilityRequests} capability {overview.pendingCapabilityRequests === 1 ? 'request' : 'requests'}</Link>
          </li>
        </ul>
      </section>
      <section aria-labelledby="decisions-heading" className="rounded border border-slate-200 bg-white p-4 md:col-span-2">
        <h2 id="decisions-heading" className="mb-1 font-semibold">Decisions, last 24 hours</h2>
        <p className="mb-2 text-sm text-slate-600">
          {totals.allow} allowed, {totals.pending} needed approval, {totals.deny} denied
        </p>
        <DecisionChart hours={overview.decisionsPerHour} />
      </section>
      {can.audit && (
        <section aria-labelledby="recent-heading" className="rounded border border-slate-200 bg-white p-4 md:col-span-2">
          <h2 id="recent-heading" className="mb-2 font-semibold">Recent activity</h2>
          {events === null ? (
            <Loading what="recent activity" />
          ) : events.length === 0 ? (
            <p className="text-sm text-slate-500">Nothing recorded yet.</p>
          ) : (
            <ul className="divide-y divide-slate-100 text-sm">
              {events.map((e) => (
                <li key={e.id} className="flex flex-wrap justify-between gap-2 py-1">
                  <span className="min-w-0">
                    <span className="font-mono break-all">{e.action}</span>
                    {e.actor.id && (
                      <span className="text-slate-500 wrap-anywhere" title={e.actor.id}>
                        {' '}
                        by {names[e.actor.id] ?? e.actor.id}
                      </span>
                    )}
                  </span>
                  <span className="text-slate-500">{new Date(e.occurredAt).toLocaleString()}</span>
                </li>
              ))}
            </ul>
          )}
          <Link href="/audit/" className="mt-2 inline-block text-sm underline">The audit log</Link>
        </section>
      )}
    </div>
  );
}
