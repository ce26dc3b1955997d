'use client';

import { CartesianGrid, ComposedChart, Legend, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { ChartFigure, axisTick, gridStroke } from '@/components/chart-figure';
import type { Alert } from './alert-api';

type Point = Alert['evidence']['series'][number];

/** A bucket's start as a short label: the time of day when the series spans a day or less, else the date too. */
function labeller(series: readonly Point[]): (iso: string) => string {
  const first = series[0] ? new Date(series[0].at).getTime() : 0;
  const last = series.at(-1) ? new Date(series.at(-1)!.at).getTime() : 0;
  const short = last - first <= 86_400_000;
  return (iso) =>
    new Date(iso).toLocaleString(undefined, short ? { hour: '2-digit', minute: '2-digit' } : { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

const num = (n: number | null) => (n === null ? '—' : Number.isInteger(n) ? String(n) : n.toFixed(2));

/**
 * The evidence of an alert as a chart: what was observed in each bucket against what the baseline
 * expected and where the detector fires, drawn with recharts; the same numbers as a table below it.
 */
export function EvidenceChart({ evidence }: { evidence: Alert['evidence'] }) {
  const series = evidence.series;
  if (series.length === 0)
    return <p className="rounded border border-dashed border-slate-300 p-4 text-sm text-slate-600">This detector keeps no series for a chart: the numbers above are the whole evidence.</p>;
  const label = labeller(series);
  const hasExpected = series.some((p) => p.expected !== null);
  const hasThreshold = series.some((p) => p.threshold !== null);
  return (
    <ChartFigure
      id="evidence-chart"
      title="Observed against the baseline"
      caption={`${evidence.unit}, ${series.length} buckets from ${new Date(series[0]!.at).toLocaleString()}: observed${hasExpected ? ', what the baseline expected' : ''}${hasThreshold ? ' and the threshold' : ''}.`}
      columns={['Bucket', 'Observed', 'Expected', 'Threshold']}
      rows={series.map((p) => [new Date(p.at).toLocaleString(), num(p.observed), num(p.expected), num(p.threshold)])}
      height={280}
    >
      <ResponsiveContainer width="100%" height="100%">
        <ComposedChart data={series} margin={{ top: 8, right: 8, bottom: 4, left: 0 }} accessibilityLayer={false}>
          <CartesianGrid stroke={gridStroke} vertical={false} />
          <XAxis dataKey="at" tickFormatter={label} tick={axisTick} minTickGap={24} />
          <YAxis tick={axisTick} width={44} allowDecimals />
          <Tooltip labelFormatter={(v) => label(String(v))} />
          <Legend wrapperStyle={{ fontSize: 12 }} itemSorter={(item) => ['Observed', 'Expected (baseline)', 'Threshold'].indexOf(String(item.value))} />
          <Line type="linear" dataKey="observed" name="Observed" stroke="#b91c1c" strokeWidth={2} dot={{ r: 2 }} isAnimationActive={false} />
          {hasExpected && (
            <Line type="linear" dataKey="expected" name="Expected (baseline)" stroke="#0369a1" strokeWidth={2} strokeDasharray="5 3" dot={false} connectNulls isAnimationActive={false} />
          )}
          {hasThreshold && (
            <Line type="stepAfter" dataKey="threshold" name="Threshold" stroke="#475569" strokeWidth={1.5} strokeDasharray="2 2" dot={false} connectNulls isAnimationActive={false} />
          )}
        </ComposedChart>
      </ResponsiveContainer>
    </ChartFigure>
  );
}
