'use client';

import type { McpToolDefinition } from '@aim/contracts';
import { Empty } from '@/components/states';
import { shortFingerprint, type McpToolDiff } from './mcp-api';
import { textDiff } from './text-diff';

/**
 * Tool diffs as a person reviews them (the re-approval view and a scan's changes): per tool added,
 * removed or changed, with each changed field's JSON Pointer, the value before and after, and for two
 * texts (a description) the words removed and added in place. `definitions` (the current scan's tools
 * by name) shows what an added tool says.
 */
const CHANGE_STYLE: Record<McpToolDiff['change'], string> = {
  added: 'bg-sky-100 text-sky-900 ring-1 ring-sky-300',
  removed: 'bg-red-100 text-red-900 ring-1 ring-red-300',
  changed: 'bg-orange-100 text-orange-900 ring-1 ring-orange-300',
};

export function ToolDiffList({ diff, definitions, empty }: { diff: McpToolDiff[]; definitions?: Map<string, McpToolDefinition>; empty: string }) {
  if (diff.length === 0) return <Empty>{empty}</Empty>;
  const counts = (['added', 'removed', 'changed'] as const).map((c) => `${diff.filter((d) => d.change === c).length} ${c}`);
  return (
    <div className="space-y-3">
      <p className="text-sm text-slate-700" data-testid="diff-summary">
        {counts.join(' · ')}
      </p>
      <ul className="space-y-3">
        {diff.map((d) => (
          <li key={`${d.change}-${d.name}`} className="min-w-0 rounded border border-slate-200 bg-white p-3" data-tool-diff={d.name}>
            <div className="flex flex-wrap items-center gap-2">
              <h3 className="break-all font-mono text-sm font-semibold">{d.name}</h3>
              <span className={`rounded px-2 py-0.5 text-xs ${CHANGE_STYLE[d.change]}`}>{d.change}</span>
              <span className="text-xs text-slate-600">
                {d.pinnedFingerprint ? <span title={d.pinnedFingerprint}>{shortFingerprint(d.pinnedFingerprint)}</span> : 'none'} →{' '}
                {d.currentFingerprint ? <span title={d.currentFingerprint}>{shortFingerprint(d.currentFingerprint)}</span> : 'gone'}
              </span>
            </div>
            {d.change === 'changed' && <FieldChanges fields={d.fields} />}
            {d.change === 'added' && definitions?.get(d.name) && <Definition definition={definitions.get(d.name)!} />}
          </li>
        ))}
      </ul>
    </div>
  );
}

function FieldChanges({ fields }: { fields: McpToolDiff['fields'] }) {
  return (
    <dl className="mt-2 space-y-2 text-sm">
      {fields.map((f) => (
        <div key={f.path} className="min-w-0" data-field-path={f.path}>
          <dt className="font-mono text-xs text-slate-700">{f.path}</dt>
          <dd className="min-w-0">
            {typeof f.from === 'string' && typeof f.to === 'string' ? (
              <TextChange before={f.from} after={f.to} />
            ) : (
              <div className="grid gap-2 sm:grid-cols-2">
                <Value label="Before" value={f.from} />
                <Value label="After" value={f.to} />
              </div>
            )}
          </dd>
        </div>
      ))}
    </dl>
  );
}

/** Two texts as one, the removed words struck through and the added ones underlined, each also named for screen readers. */
export function TextChange({ before, after }: { before: string; after: string }) {
  return (
    <p className="whitespace-pre-wrap break-words rounded bg-slate-50 p-2 text-sm" data-testid="text-diff">
      {textDiff(before, after).map((run, i) =>
        run.kind === 'same' ? (
          <span key={i} data-run="same">
            {run.text}
          </span>
        ) : run.kind === 'removed' ? (
          <del key={i} className="bg-red-100 text-red-900">
            <span className="sr-only">[removed: </span>
            <span data-run="removed">{run.text}</span>
            <span className="sr-only">]</span>
          </del>
        ) : (
          <ins key={i} className="bg-emerald-100 text-emerald-900">
            <span className="sr-only">[added: </span>
            <span data-run="added">{run.text}</span>
            <span className="sr-only">]</span>
          </ins>
        ),
      )}
    </p>
  );
}

function Value({ label, value }: { label: string; value: unknown }) {
  return (
    <div className="min-w-0">
      <p className="text-xs text-slate-600">{label}</p>
      <pre className="max-h-64 overflow-auto whitespace-pre-wrap break-all rounded bg-slate-50 p-2 text-xs">{value === undefined ? '(absent)' : JSON.stringify(value, null, 2)}</pre>
    </div>
  );
}

function Definition({ definition }: { definition: McpToolDefinition }) {
  return (
    <div className="mt-2 space-y-2 text-sm">
      {definition.description !== undefined && <p className="whitespace-pre-wrap break-words rounded bg-slate-50 p-2">{definition.description}</p>}
      <Value label="Input schema" value={definition.inputSchema} />
    </div>
  );
}
