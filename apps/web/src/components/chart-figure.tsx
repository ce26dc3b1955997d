'use client';

import type { ReactNode } from 'react';

/**
 * A chart with its accessible alternative: the chart (recharts, drawn for sighted mouse and keyboard
 * users) is described by its caption, and the same numbers follow as a table behind "Show the numbers"
 * (a screen reader reads the table; a phone user can read exact values). `rows` are already formatted.
 */
export function ChartFigure({
  id,
  title,
  caption,
  columns,
  rows,
  height = 260,
  children,
}: {
  id: string;
  title: string;
  caption: ReactNode;
  columns: readonly string[];
  rows: readonly (readonly ReactNode[])[];
  height?: number;
  children: ReactNode;
}) {
  return (
    <figure aria-labelledby={`${id}-title`} className="min-w-0 rounded border border-slate-200 bg-white p-4 text-sm" data-chart={id}>
      <h2 id={`${id}-title`} className="mb-1 font-semibold">
        {title}
      </h2>
      <figcaption id={`${id}-caption`} className="mb-2 text-xs text-slate-600">
        {caption}
      </figcaption>
      {/* The drawing repeats the table below; assistive technology reads the table instead. Clipped: until
          recharts has measured a new width (a rotated phone), a drawing of the old width must not widen the page. */}
      <div aria-hidden className="w-full min-w-0 overflow-hidden" style={{ height }}>
        {children}
      </div>
      <details className="mt-2">
        <summary className="cursor-pointer text-xs text-slate-700 underline">Show the numbers</summary>
        <div className="mt-2 max-w-full overflow-x-auto">
          <table className="w-full text-left text-xs" aria-describedby={`${id}-caption`}>
            <caption className="sr-only">{title}</caption>
            <thead>
              <tr className="border-b border-slate-200">
                {columns.map((c) => (
                  <th key={c} scope="col" className="py-1 pr-3 font-semibold">
                    {c}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.map((r, i) => (
                <tr key={i} className="border-b border-slate-100">
                  {r.map((cell, j) =>
                    j === 0 ? (
                      <th key={j} scope="row" className="py-1 pr-3 font-normal">
                        {cell}
                      </th>
                    ) : (
                      <td key={j} className="py-1 pr-3 tabular-nums">
                        {cell}
                      </td>
                    ),
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}

/** Shared look of every chart's axes and grid: readable small text, light grid. */
export const axisTick = { fontSize: 11, fill: '#334155' };
export const gridStroke = '#e2e8f0';
