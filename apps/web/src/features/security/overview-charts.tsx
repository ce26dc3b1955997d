'use client';

import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { ChartFigure, axisTick, gridStroke } from '@/components/chart-figure';
import { SEVERITIES_DOWN, SEVERITY_STYLE, type SecurityOverview } from '@/features/alerts/alert-api';

/**
 * The security overview's charts (recharts), each with its numbers as a table: alerts raised per day
 * stacked by severity, the agents with the most alerts, decisions per day (the denials trend), and the
 * trust distribution of active agents.
 */

const day = (d: string) => new Date(`${d}T00:00:00Z`).toLocaleDateString(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' });
const legend = { fontSize: 12 };
/** Legend items in the order given (recharts sorts them by name otherwise). */
const inOrder = (names: readonly string[]) => (item: { value?: unknown }) => names.indexOf(String(item.value));
// Least severe at the bottom of each stack, so the critical part sits on top where the eye lands.
const STACK = [...SEVERITIES_DOWN].reverse();

export function AlertsByDayChart({ data }: { data: SecurityOverview['alertsByDay'] }) {
  return (
    <ChartFigure
      id="alerts-by-day"
      title="Alerts over time"
      caption="Alerts raised per day (UTC), stacked by severity."
      columns={['Day', ...SEVERITIES_DOWN]}
      rows={data.map((d) => [day(d.day), ...SEVERITIES_DOWN.map((s) => d[s])])}
    >
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={data} margin={{ top: 8, right: 8, bottom: 4, left: 0 }} accessibilityLayer={false}>
          <CartesianGrid stroke={gridStroke} vertical={false} />
          <XAxis dataKey="day" tickFormatter={day} tick={axisTick} minTickGap={16} />
          <YAxis tick={axisTick} width={36} allowDecimals={false} />
          <Tooltip labelFormatter={(v) => day(String(v))} />
          <Legend wrapperStyle={legend} itemSorter={inOrder(SEVERITIES_DOWN)} />
          {STACK.map((s) => (
            <Bar key={s} dataKey={s} name={s} stackId="severity" fill={SEVERITY_STYLE[s].fill} isAnimationActive={false} />
          ))}
        </BarChart>
      </ResponsiveContainer>
    </ChartFigure>
  );
}

export function TopAgentsChart({ data }: { data: SecurityOverview['topAgents'] }) {
  const rows = data.map((a) => ({ ...a, closed: a.alerts - a.active }));
  return (
    <ChartFigure
      id="top-agents"
      title="Top agents by alerts"
      caption="The agents with the most alerts in the period: still active, and closed since."
      columns={['Agent', 'Alerts', 'Active', 'Highest severity']}
      rows={data.map((a) => [a.name, a.alerts, a.active, a.highest])}
      height={Math.max(160, rows.length * 34 + 60)}
    >
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={rows} layout="vertical" margin={{ top: 4, right: 12, bottom: 4, left: 4 }} accessibilityLayer={false}>
          <CartesianGrid stroke={gridStroke} horizontal={false} />
          <XAxis type="number" tick={axisTick} allowDecimals={false} />
          <YAxis type="category" dataKey="name" tick={axisTick} width={96} tickFormatter={(n: string) => (n.length > 14 ? `${n.slice(0, 13)}…` : n)} />
          <Tooltip />
          <Legend wrapperStyle={legend} itemSorter={inOrder(['Active', 'Closed'])} />
          <Bar dataKey="active" name="Active" stackId="a" fill="#b91c1c" isAnimationActive={false} />
          <Bar dataKey="closed" name="Closed" stackId="a" fill="#94a3b8" isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
    </ChartFigure>
  );
}

export function DecisionsByDayChart({ data }: { data: SecurityOverview['decisionsByDay'] }) {
  const rate = (d: SecurityOverview['decisionsByDay'][number]) => {
    const total = d.allowed + d.denied + d.pending;
    return total ? `${Math.round((d.denied / total) * 100)} %` : '—';
  };
  return (
    <ChartFigure
      id="decisions-by-day"
      title="Denials trend"
      caption="Decisions per day (UTC): denied, waiting for a person, and allowed."
      columns={['Day', 'Denied', 'Pending', 'Allowed', 'Denied share']}
      rows={data.map((d) => [day(d.day), d.denied, d.pending, d.allowed, rate(d)])}
    >
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={data} margin={{ top: 8, right: 8, bottom: 4, left: 0 }} accessibilityLayer={false}>
          <CartesianGrid stroke={gridStroke} vertical={false} />
          <XAxis dataKey="day" tickFormatter={day} tick={axisTick} minTickGap={16} />
          <YAxis tick={axisTick} width={44} allowDecimals={false} />
          <Tooltip labelFormatter={(v) => day(String(v))} />
          <Legend wrapperStyle={legend} itemSorter={inOrder(['Denied', 'Pending', 'Allowed'])} />
          <Bar dataKey="denied" name="Denied" stackId="d" fill="#b91c1c" isAnimationActive={false} />
          <Bar dataKey="pending" name="Pending" stackId="d" fill="#d97706" isAnimationActive={false} />
          <Bar dataKey="allowed" name="Allowed" stackId="d" fill="#059669" isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
    </ChartFigure>
  );
}

export function TrustDistributionChart({ data, unscored }: { data: SecurityOverview['trustDistribution']; unscored: number }) {
  const rows = data.map((b) => ({ ...b, range: `${b.from}–${b.to}` }));
  return (
    <ChartFigure
      id="trust-distribution"
      title="Trust distribution"
      caption={`Active agents by trust score, in buckets of 10 points${unscored ? `; ${unscored} agent${unscored === 1 ? ' has' : 's have'} no score yet` : ''}.`}
      columns={['Score', 'Agents']}
      rows={rows.map((b) => [b.range, b.agents])}
    >
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={rows} margin={{ top: 8, right: 8, bottom: 4, left: 0 }} barCategoryGap={1} accessibilityLayer={false}>
          <CartesianGrid stroke={gridStroke} vertical={false} />
          <XAxis dataKey="range" tick={axisTick} interval="preserveStartEnd" />
          <YAxis tick={axisTick} width={36} allowDecimals={false} />
          <Tooltip />
          <Bar dataKey="agents" name="Agents" fill="#0369a1" isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
    </ChartFigure>
  );
}
