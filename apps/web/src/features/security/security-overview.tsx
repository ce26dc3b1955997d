'use client';

import Link from 'next/link';
import { useState } from 'react';
import { Resource } from '@/components/resource-list';
import { useCan } from '@/components/session';
import { Empty } from '@/components/states';
import { PageTitle, when } from '@/components/ui';
import { must, useApiQuery } from '@/data/query';
import { SEVERITIES_DOWN, SEVERITY_STYLE, alerts } from '@/features/alerts/alert-api';
import { AlertsByDayChart, DecisionsByDayChart, TopAgentsChart, TrustDistributionChart } from './overview-charts';

const PERIODS = [7, 14, 30] as const;

/**
 * The security overview (GET /api/v1/monitoring/overview): active alerts by severity now, then for
 * the chosen period alerts per day by severity, the agents with the most alerts, the denials trend and
 * the trust distribution. It refreshes when alerts, decisions or agents change.
 */
export function SecurityOverviewView() {
  const can = useCan();
  const [days, setDays] = useState<(typeof PERIODS)[number]>(14);
  const overview = useApiQuery({
    key: ['/api/v1/monitoring/overview', days],
    topics: ['alert', 'decision', 'agent', 'trust_score'],
    keepPrevious: true,
    enabled: can.has('alert.read'),
    fetch: async () => must(await alerts.overview(days)),
  });
  if (!can.has('alert.read')) return <Empty>Your role cannot read alerts.</Empty>;

  return (
    <section aria-labelledby="security-title">
      <PageTitle
        id="security-title"
        aside={
          <fieldset className="flex items-center gap-1 text-sm">
            <legend className="sr-only">Period</legend>
            <span aria-hidden className="mr-1 text-slate-600">
              Period
            </span>
            {PERIODS.map((p) => (
              <label key={p} className="cursor-pointer rounded border border-slate-300 px-2 py-1 has-[:checked]:border-slate-900 has-[:checked]:bg-slate-900 has-[:checked]:text-white has-[:focus-visible]:ring-2 has-[:focus-visible]:ring-sky-600">
                <input type="radio" name="period" className="sr-only" checked={days === p} onChange={() => setDays(p)} />
                {p} days
              </label>
            ))}
          </fieldset>
        }
      >
        Security
      </PageTitle>
      <Resource query={overview} what="the security overview">
        {(o) => {
          const active = SEVERITIES_DOWN.reduce((n, s) => n + (o.openBySeverity[s] ?? 0), 0);
          return (
            <div className="grid gap-4">
              <section aria-labelledby="active-heading" className="rounded border border-slate-200 bg-white p-4 text-sm">
                <div className="mb-2 flex flex-wrap items-baseline gap-2">
                  <h2 id="active-heading" className="mr-auto font-semibold">
                    Active alerts by severity
                  </h2>
                  <Link href="/alerts/" className="underline">
                    {active} active alert{active === 1 ? '' : 's'}: open the inbox
                  </Link>
                </div>
                <ul className="grid grid-cols-2 gap-2 sm:grid-cols-5">
                  {SEVERITIES_DOWN.map((s) => (
                    <li key={s} data-active-severity={s} className="flex flex-col rounded border border-slate-200 p-2">
                      <span className="flex items-center gap-1 text-xs capitalize text-slate-700">
                        <span aria-hidden className="inline-block size-2.5 rounded-full" style={{ background: SEVERITY_STYLE[s].fill }} />
                        {s}
                      </span>
                      <span className="text-2xl font-semibold tabular-nums">{o.openBySeverity[s] ?? 0}</span>
                    </li>
                  ))}
                </ul>
                <p className="mt-2 text-xs text-slate-600">
                  Period shown below: {when(o.from)} – {when(o.to)}.
                </p>
              </section>
              <div className="grid min-w-0 gap-4 lg:grid-cols-2">
                <AlertsByDayChart data={o.alertsByDay} />
                {o.topAgents.length > 0 ? (
                  <TopAgentsChart data={o.topAgents} />
                ) : (
                  <section aria-labelledby="top-agents-empty" className="rounded border border-slate-200 bg-white p-4 text-sm">
                    <h2 id="top-agents-empty" className="mb-2 font-semibold">
                      Top agents by alerts
                    </h2>
                    <p className="text-slate-600">No agent had an alert in the period.</p>
                  </section>
                )}
                <DecisionsByDayChart data={o.decisionsByDay} />
                <TrustDistributionChart data={o.trustDistribution} unscored={o.unscoredAgents} />
              </div>
            </div>
          );
        }}
      </Resource>
    </section>
  );
}
