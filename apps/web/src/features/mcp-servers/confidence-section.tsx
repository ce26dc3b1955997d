'use client';

import { when } from '@/components/ui';
import { must, useApiQuery } from '@/data/query';
import { MCP_TOPICS, mcp, type McpServer } from './mcp-api';
import { PartFailed, Section } from './mcp-parts';

/**
 * How far the organization can rely on what this server says: the score (0–100, "unknown" without
 * evidence), the share of the weight it rests on, and each factor with its explanation.
 */
export function ConfidenceSection({ server }: { server: McpServer }) {
  const confidence = useApiQuery({
    key: ['mcp-confidence', server.id],
    topics: MCP_TOPICS,
    fetch: async () => must(await mcp.confidence(server.id)).confidence,
  });
  const c = confidence.data;
  return (
    <Section id="mcp-confidence-title" title="Confidence">
      {confidence.error ? (
        <PartFailed message={confidence.error} retry={confidence.retry} />
      ) : !c ? (
        <p className="text-sm text-slate-600">Loading the confidence score…</p>
      ) : (
        <>
          <div className="flex flex-wrap items-baseline gap-x-4 gap-y-1">
            <span className="text-3xl font-semibold" data-testid="confidence-score">
              {c.score === null ? 'unknown' : Math.round(c.score)}
            </span>
            <span className="text-sm text-slate-700">rests on {Math.round(c.confidence * 100)}% of the weight</span>
            <span className="text-xs text-slate-600">
              algorithm {c.algorithmVersion} · {when(c.computedAt)}
            </span>
          </div>
          {c.score === null && <p className="mt-1 text-sm text-slate-700">No evidence yet: scan the server, or let agents attest it.</p>}
          <ul className="mt-4 space-y-3" aria-label="Confidence factors">
            {c.factors.map((f) => (
              <li key={f.key} data-factor={f.key} className="text-sm">
                <div className="flex flex-wrap justify-between gap-x-3">
                  <span className="font-medium">{f.label}</span>
                  <span className="text-xs text-slate-700">
                    weight {Math.round(f.weight * 100)}% · {f.value === null ? 'unknown' : `value ${f.value.toFixed(2)} · +${f.contribution.toFixed(1)} points`}
                  </span>
                </div>
                {f.value === null ? (
                  <div className="mt-1 h-2 rounded border border-dashed border-slate-300" aria-hidden="true" />
                ) : (
                  <div className="mt-1 h-2 overflow-hidden rounded bg-slate-100" role="meter" aria-label={f.label} aria-valuemin={0} aria-valuemax={1} aria-valuenow={f.value}>
                    <div className="h-full bg-slate-700" style={{ width: `${f.value * 100}%` }} />
                  </div>
                )}
                <p className="mt-1 text-xs text-slate-700">{f.value === null ? `unknown — ${f.explanation}` : f.explanation}</p>
              </li>
            ))}
          </ul>
        </>
      )}
    </Section>
  );
}
