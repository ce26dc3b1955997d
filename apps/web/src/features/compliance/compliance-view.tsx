'use client';

import { useState } from 'react';
import { Resource } from '@/components/resource-list';
import { useCan } from '@/components/session';
import { Empty } from '@/components/states';
import { Badge, PageTitle, when } from '@/components/ui';
import { api } from '@/api/client';
import { must, useApiQuery } from '@/data/query';
import { ControlList } from './control-list';
import { ReportList } from './report-list';

const PERIODS = [30, 90, 365] as const;
const DAY = 86_400_000;

/**
 * Per framework (GET /api/v1/compliance/frameworks), the controls' live status over the chosen period
 * with each check's evidence, then the stored reports with generate and download.
 */
export function ComplianceView() {
  const can = useCan();
  const [framework, setFramework] = useState('soc2');
  const [days, setDays] = useState<(typeof PERIODS)[number]>(30);
  const catalogue = useApiQuery({
    key: ['/api/v1/compliance/frameworks'],
    topics: [],
    enabled: can.has('compliance.read'),
    fetch: async () => must(await api.GET('/api/v1/compliance/frameworks')),
  });
  const controls = useApiQuery({
    key: ['/api/v1/compliance/frameworks/{framework}/controls', framework, days],
    topics: ['compliance', 'agent', 'alert', 'policy', 'decision'],
    keepPrevious: true,
    enabled: can.has('compliance.read'),
    fetch: async () => {
      const to = new Date();
      const from = new Date(to.getTime() - days * DAY);
      return must(await api.GET('/api/v1/compliance/frameworks/{framework}/controls', { params: { path: { framework }, query: { from: from.toISOString(), to: to.toISOString() } } }));
    },
  });
  if (!can.has('compliance.read')) return <Empty>Your role cannot read compliance.</Empty>;

  return (
    <section aria-labelledby="compliance-title" className="min-w-0">
      <PageTitle id="compliance-title">Compliance</PageTitle>
      <Resource query={catalogue} what="the frameworks">
        {(c) => (
          <div className="mb-4 flex flex-wrap items-end gap-4 text-sm">
            <label className="flex min-w-0 max-w-full flex-col gap-1">
              <span className="font-medium">Framework</span>
              <select value={framework} onChange={(e) => setFramework(e.target.value)} className="w-full max-w-full rounded border border-slate-300 bg-white px-2 py-1 sm:w-auto">
                {c.frameworks.map((f) => (
                  <option key={f.id} value={f.id}>
                    {f.name}
                  </option>
                ))}
              </select>
            </label>
            <fieldset className="flex flex-wrap items-center gap-1">
              <legend className="mb-1 font-medium">Period</legend>
              {PERIODS.map((p) => (
                <label key={p} className="cursor-pointer rounded border border-slate-300 px-2 py-1 has-[:checked]:border-slate-900 has-[:checked]:bg-slate-900 has-[:checked]:text-white has-[:focus-visible]:ring-2 has-[:focus-visible]:ring-sky-600">
                  <input type="radio" name="compliance-period" className="sr-only" checked={days === p} onChange={() => setDays(p)} />
                  {p === 365 ? 'a year' : `${p} days`}
                </label>
              ))}
            </fieldset>
          </div>
        )}
      </Resource>
      <Resource query={controls} what="the controls">
        {(r) => (
          <div className="grid gap-3">
            <p className="flex flex-wrap items-center gap-2 text-sm" data-summary={r.summary.status}>
              <span className="font-semibold">Overall</span> <Badge>{r.summary.status}</Badge>
              <span>
                {r.summary.pass} pass, {r.summary.fail} fail, {r.summary.unknown} unknown (no evidence) · {when(r.from)} – {when(r.to)}
              </span>
            </p>
            <ControlList controls={r.controls} />
          </div>
        )}
      </Resource>
      <ReportList framework={framework} />
    </section>
  );
}
