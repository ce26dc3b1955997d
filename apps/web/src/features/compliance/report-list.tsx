'use client';

import { FileDown } from 'lucide-react';
import { createComplianceReportSchema } from '@aim/contracts';
import { api } from '@/api/client';
import { FormAlert, failWith, useSchemaForm } from '@/components/form';
import { Resource } from '@/components/resource-list';
import { useCan } from '@/components/session';
import { Empty } from '@/components/states';
import { Badge, when } from '@/components/ui';
import { Button } from '@/components/ui/button';
import { must, useApiQuery } from '@/data/query';

const DAY = 86_400_000;
const PERIODS = [
  { days: 30, label: 'Last 30 days' },
  { days: 90, label: 'Last 90 days' },
  { days: 365, label: 'Last year' },
] as const;

/** The stored reports of the framework (newest first) with their downloads, and generating a new one. */
export function ReportList({ framework }: { framework: string }) {
  const can = useCan();
  const reports = useApiQuery({
    key: ['/api/v1/compliance/reports', framework],
    topics: ['compliance'],
    fetch: async () => must(await api.GET('/api/v1/compliance/reports', { params: { query: { framework, limit: 50 } } })),
  });
  const form = useSchemaForm(createComplianceReportSchema);
  const generate = (days: number) => async () => {
    form.clearErrors();
    const to = new Date();
    const body = { framework, from: new Date(to.getTime() - days * DAY).toISOString(), to: to.toISOString() };
    const { data, error } = await api.POST('/api/v1/compliance/reports', { body });
    if (!data) return failWith(form, error);
    await reports.refresh();
  };

  return (
    <section aria-labelledby="reports-heading" className="mt-6">
      <h2 id="reports-heading" className="mb-2 text-lg font-semibold">
        Reports
      </h2>
      {can.has('compliance.report') && (
        <div className="mb-3 grid gap-2">
          <p className="text-sm text-slate-700">Generate a signed report of this framework for:</p>
          <div className="flex flex-wrap gap-2">
            {PERIODS.map((p) => (
              <Button key={p.days} type="button" variant="outline" onClick={generate(p.days)} disabled={form.formState.isSubmitting}>
                {p.label}
              </Button>
            ))}
          </div>
          <FormAlert form={form} />
        </div>
      )}
      <Resource query={reports} what="the reports">
        {(r) =>
          r.reports.length === 0 ? (
            <Empty>No report of this framework yet.</Empty>
          ) : (
            <ul className="grid gap-2">
              {r.reports.map((report) => (
                <li key={report.id} data-report={report.id} className="flex flex-wrap items-center gap-2 rounded border border-slate-200 bg-white p-3 text-sm">
                  <Badge>{report.status}</Badge>
                  <span className="mr-auto min-w-0 break-words">
                    {when(report.from)} – {when(report.to)}
                    <span className="block text-xs text-slate-700">
                      {report.controls.pass} pass, {report.controls.fail} fail, {report.controls.unknown} unknown · generated {when(report.generatedAt)}
                      {report.origin === 'schedule' ? ' (monthly)' : ''}
                    </span>
                  </span>
                  {(['pdf', 'csv', 'json'] as const).map((format) => (
                    <a key={format} href={`/api/v1/compliance/reports/${report.id}/download?format=${format}`} className="inline-flex items-center gap-1 rounded border border-slate-300 px-2 py-1 underline-offset-2 hover:underline" download>
                      <FileDown aria-hidden className="size-4" />
                      {format.toUpperCase()}
                      <span className="sr-only"> of the report {report.id}</span>
                    </a>
                  ))}
                </li>
              ))}
            </ul>
          )
        }
      </Resource>
    </section>
  );
}
