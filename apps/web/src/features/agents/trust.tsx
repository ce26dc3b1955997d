'use client';

import Link from 'next/link';
import { useState } from 'react';
import { api, errorMessage } from '@/api/client';
import type { components } from '@/api/schema';
import { useCan } from '@/components/session';
import { Empty } from '@/components/states';
import { Badge, button, when } from '@/components/ui';
import { Card } from '@/features/agents/identity';

type Agent = components['schemas']['Agent'];
type Trust = components['schemas']['TrustScore'];
type HistoryEntry = components['schemas']['TrustHistoryEntry'];
type Decision = components['schemas']['Decision'];

export function TrustSection({
  agent,
  trust,
  history,
  onChange,
}: {
  agent: Agent;
  trust: Trust | null;
  history: HistoryEntry[];
  onChange: () => Promise<void>;
}) {
  const can = useCan();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const recalculate = async () => {
    setBusy(true);
    setError(null);
    const { error: e } = await api.POST('/api/v1/agents/{agentId}/recalculate-trust', { params: { path: { agentId: agent.id } } });
    setBusy(false);
    if (e) return setError(errorMessage(e));
    await onChange();
  };

  return (
    <Card id="trust-title" title="Trust">
      {!trust ? (
        <Empty>Not scored yet.</Empty>
      ) : (
        <>
          <div className="flex flex-wrap items-baseline gap-x-4 gap-y-1">
            <span className="text-3xl font-semibold" data-testid="trust-score">
              {trust.score === null ? '—' : trust.score.toFixed(2)}
            </span>
            <Badge>{trust.tier}</Badge>
            <span className="text-sm text-slate-600">rests on {Math.round(trust.confidence * 100)}% of the weight</span>
            <span className="text-xs text-slate-500">
              algorithm {trust.algorithmVersion} · {trust.trigger} · {when(trust.computedAt)}
            </span>
          </div>
          {can.manage && (
            <button type="button" className={`${button} mt-2`} disabled={busy} onClick={() => void recalculate()}>
              Recalculate
            </button>
          )}
          {error && (
            <p role="alert" className="mt-2 text-sm text-red-700">
              {error}
            </p>
          )}
          <ul className="mt-4 space-y-3" aria-label="Trust factors">
            {trust.factors.map((f) => (
              <li key={f.key} data-factor={f.key} className="text-sm">
                <div className="flex flex-wrap justify-between gap-x-3">
                  <span className="font-medium">{f.label}</span>
                  <span className="text-xs text-slate-600">
                    weight {Math.round(f.weight * 100)}% · {f.value === null ? 'unknown' : `value ${f.value.toFixed(2)} · +${f.contribution.toFixed(2)} points`}
                  </span>
                </div>
                {f.value === null ? (
                  <div className="mt-1 h-2 rounded border border-dashed border-slate-300" aria-hidden="true" />
                ) : (
                  <div
                    className="mt-1 h-2 overflow-hidden rounded bg-slate-100"
                    role="meter"
                    aria-label={f.label}
                    aria-valuemin={0}
                    aria-valuemax={1}
                    aria-valuenow={f.value}
                  >
                    <div className="h-full bg-slate-700" style={{ width: `${f.value * 100}%` }} />
                  </div>
                )}
                <p className="mt-1 text-xs text-slate-600">{f.value === null ? `unknown — ${f.explanation}` : f.explanation}</p>
              </li>
            ))}
          </ul>
        </>
      )}
      <h3 className="mb-2 mt-4 font-medium">Score over time</h3>
      <TrustChart history={history} />
    </Card>
  );
}

function TrustChart({ history }: { history: HistoryEntry[] }) {
  const points = history.filter((h) => h.score !== null).sort((a, b) => a.computedAt.localeCompare(b.computedAt));
  if (points.length === 0) return <p className="text-sm text-slate-600">No scores yet.</p>;
  const W = 300;
  const H = 80;
  const t0 = new Date(points[0]!.computedAt).getTime();
  const t1 = new Date(points.at(-1)!.computedAt).getTime();
  const x = (iso: string) => (t1 === t0 ? W / 2 : ((new Date(iso).getTime() - t0) / (t1 - t0)) * (W - 8) + 4);
  const y = (s: number) => H - 4 - (s / 100) * (H - 8);
  const path = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.computedAt).toFixed(1)},${y(p.score!).toFixed(1)}`).join(' ');
  const last = points.at(-1)!;
  return (
    <svg
      viewBox={`0 0 ${W} ${H}`}
      className="h-24 w-full max-w-md"
      role="img"
      aria-label={`Trust score over time: ${points.length} scores, latest ${last.score!.toFixed(1)}`}
    >
      <line x1="0" x2={W} y1={y(50)} y2={y(50)} className="stroke-slate-200" strokeDasharray="3 3" />
      <rect x="0" y="0" width={W} height={H} fill="none" className="stroke-slate-200" />
      <path d={path} fill="none" className="stroke-slate-800" strokeWidth="2" />
      {points.map((p) => (
        <circle key={p.id} cx={x(p.computedAt)} cy={y(p.score!)} r="3" className="fill-slate-800">
          <title>{`${p.score!.toFixed(1)} (${p.trigger}) ${when(p.computedAt)}`}</title>
        </circle>
      ))}
    </svg>
  );
}

export function Decisions({ agent, decisions }: { agent: Agent; decisions: Decision[] }) {
  return (
    <Card id="decisions-title" title="Recent decisions">
      {decisions.length === 0 ? (
        <Empty>No decisions yet.</Empty>
      ) : (
        <ul className="divide-y divide-slate-100 text-sm">
          {decisions.map((d) => (
            <li key={d.id} className="flex flex-wrap items-center gap-2 py-2">
              <Badge>{d.status}</Badge>
              <span className="break-all font-medium">{d.action}</span>
              {d.resource && <code className="break-all text-xs">{d.resource}</code>}
              <span className="ml-auto text-xs text-slate-600">{when(d.createdAt)}</span>
            </li>
          ))}
        </ul>
      )}
      <Link href={`/decisions/?agentId=${encodeURIComponent(agent.id)}`} className="mt-2 inline-block text-sm underline">
        All of this agent’s decisions
      </Link>{' '}
      <Link href={`/alerts/?agentId=${encodeURIComponent(agent.id)}`} className="mt-2 ml-3 inline-block text-sm underline">
        Alerts about this agent
      </Link>
    </Card>
  );
}
