'use client';

import type { components } from '@/api/schema';
import { Badge } from '@/components/ui';

type Control = components['schemas']['ComplianceControlResult'];

/** Each control with its status; open one to see its checks, their summaries and the evidence rows. */
export function ControlList({ controls }: { controls: Control[] }) {
  return (
    <ul className="grid gap-2">
      {controls.map((control) => (
        <li key={control.id} data-control={control.id} data-status={control.status} className="rounded border border-slate-200 bg-white">
          <details>
            <summary className="flex cursor-pointer flex-wrap items-center gap-2 p-3 text-sm">
              <span className="font-mono font-semibold">{control.id}</span>
              <span className="mr-auto">{control.title}</span>
              <Badge>{control.status}</Badge>
            </summary>
            <ul className="grid gap-3 border-t border-slate-200 p-3 text-sm">
              {control.checks.map((check) => (
                <li key={check.id} data-check={check.id} className="grid gap-1">
                  <p className="flex flex-wrap items-center gap-2">
                    <Badge>{check.status}</Badge>
                    <span className="font-medium">{check.title}</span>
                  </p>
                  <p>{check.summary}</p>
                  <p className="text-xs text-slate-700">Evidence: {check.evidence.query}</p>
                  {Object.keys(check.evidence.counts).length > 0 && (
                    <dl className="flex flex-wrap gap-x-4 gap-y-1 text-xs">
                      {Object.entries(check.evidence.counts).map(([k, v]) => (
                        <div key={k} className="flex gap-1">
                          <dt className="text-slate-700">{k}</dt>
                          <dd className="font-semibold tabular-nums">{v}</dd>
                        </div>
                      ))}
                    </dl>
                  )}
                  {check.evidence.samples.length > 0 && (
                    <pre className="max-w-full overflow-x-auto whitespace-pre-wrap break-all rounded bg-slate-50 p-2 text-xs">
                      {check.evidence.samples.map((s) => JSON.stringify(s)).join('\n')}
                    </pre>
                  )}
                </li>
              ))}
            </ul>
          </details>
        </li>
      ))}
    </ul>
  );
}
