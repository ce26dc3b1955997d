'use client';

import { useState } from 'react';
import { errorMessage } from '@/api/client';
import { SeverityBadge } from '@/features/alerts/alert-parts';
import { alertHref } from '@/features/alerts/alert-api';
import { Badge, button, danger, when } from '@/components/ui';
import { Textarea } from '@/components/ui/input';
import { must, useApiQuery } from '@/data/query';
import { MCP_TOPICS, mcp, type McpFinding, type McpServer, type McpTool } from './mcp-api';
import type { ScansQuery } from './identity-section';
import { PartFailed, Section, useMcpPermissions } from './mcp-parts';
import { useLatestTools } from './tools-section';

const KIND_LABEL: Record<McpFinding['kind'], string> = {
  drift: 'Drift',
  poisoning: 'Poisoning',
  attestation_mismatch: 'Attestation mismatch',
  tls_certificate_changed: 'TLS certificate changed',
  server_card_invalid: 'Server card invalid',
};

/**
 * What AIM found about the server: each finding's kind, severity, heuristic, and the exact text that
 * matched, highlighted where it stands in the tool's definition. Managers and admins dismiss a
 * finding with a note (and reopen it).
 */
export function FindingsSection({ server, scans }: { server: McpServer; scans: ScansQuery }) {
  const may = useMcpPermissions(server);
  const findings = useApiQuery({
    key: ['mcp-findings', server.id],
    topics: MCP_TOPICS,
    fetch: async () => must(await mcp.findings(server.id)).findings,
  });
  const { tools } = useLatestTools(server, scans);
  const open = findings.data?.filter((f) => f.status === 'open').length;
  return (
    <Section id="mcp-findings-title" title="Findings" aside={open !== undefined ? <span className="text-sm text-slate-700">{open} open</span> : undefined}>
      {findings.error ? (
        <PartFailed message={findings.error} retry={findings.retry} />
      ) : !findings.data ? (
        <p className="text-sm text-slate-600">Loading the findings…</p>
      ) : findings.data.length === 0 ? (
        <p className="text-sm text-slate-700">No findings.</p>
      ) : (
        <ul className="space-y-3">
          {findings.data.map((f) => (
            <FindingItem key={f.id} finding={f} tools={tools.data ?? []} mayManage={may.manage} onChange={findings.refresh} />
          ))}
        </ul>
      )}
    </Section>
  );
}

function FindingItem({ finding: f, tools, mayManage, onChange }: { finding: McpFinding; tools: McpTool[]; mayManage: boolean; onChange: () => Promise<void> }) {
  const e = f.evidence;
  return (
    <li className="min-w-0 rounded border border-slate-200 p-3 text-sm" data-finding-id={f.id}>
      <div className="flex flex-wrap items-center gap-2">
        <SeverityBadge severity={f.severity} />
        <Badge>{f.status}</Badge>
        <span className="text-xs text-slate-700">{KIND_LABEL[f.kind]}</span>
        {e.heuristic && <code className="text-xs text-slate-700">{e.heuristic}</code>}
        {f.occurrences > 1 && <span className="text-xs text-slate-600">seen {f.occurrences} times</span>}
      </div>
      <h3 className="mt-1 font-medium">{f.title}</h3>
      <p className="text-slate-700">{f.summary}</p>
      {e.text !== undefined && <MatchedText finding={f} tools={tools} />}
      <p className="mt-1 text-xs text-slate-600">
        First seen {when(f.firstSeenAt)} · last seen {when(f.lastSeenAt)}
        {f.alertId && (
          <>
            {' · '}
            <a href={alertHref(f.alertId)} className="underline">
              the alert
            </a>
          </>
        )}
      </p>
      {f.dismissed && (
        <p className="mt-1 text-xs text-slate-700">
          Dismissed {when(f.dismissed.at)}: “{f.dismissed.note}”
        </p>
      )}
      {mayManage && <FindingActions finding={f} onChange={onChange} />}
    </li>
  );
}

/** The text that matched, in place in the definition field it came from when that is known, else alone. */
function MatchedText({ finding: f, tools }: { finding: McpFinding; tools: McpTool[] }) {
  const { text, toolName, path } = f.evidence;
  const field = toolName && path ? valueAt(tools.find((t) => t.name === toolName)?.definition, path) : undefined;
  const at = typeof field === 'string' && text ? field.indexOf(text) : -1;
  return (
    <div className="mt-2 min-w-0">
      <p className="text-xs text-slate-600">
        {toolName ? <span className="font-mono">{toolName}</span> : 'The server'}
        {path && (
          <>
            {' at '}
            <span className="font-mono">{path}</span>
          </>
        )}
      </p>
      <p className="whitespace-pre-wrap break-words rounded bg-slate-50 p-2 font-mono text-xs" data-testid="finding-text">
        {at >= 0 && typeof field === 'string' ? (
          <>
            {field.slice(0, at)}
            <mark className="bg-amber-200 text-slate-900">{text}</mark>
            {field.slice(at + text!.length)}
          </>
        ) : (
          <mark className="bg-amber-200 text-slate-900">{text}</mark>
        )}
      </p>
    </div>
  );
}

/** The value at a JSON Pointer (RFC 6901) in a definition, or undefined. */
function valueAt(root: unknown, pointer: string): unknown {
  if (pointer === '') return root;
  let at: unknown = root;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (at === null || typeof at !== 'object') return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return at;
}

function FindingActions({ finding: f, onChange }: { finding: McpFinding; onChange: () => Promise<void> }) {
  const [dismissing, setDismissing] = useState(false);
  const [note, setNote] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const run = async (call: () => Promise<{ error?: unknown }>) => {
    setBusy(true);
    setError(null);
    const { error: failed } = await call();
    setBusy(false);
    if (failed) return setError(errorMessage(failed));
    setDismissing(false);
    setNote('');
    await onChange();
  };
  const noteId = `dismiss-note-${f.id}`;
  return (
    <div className="mt-2">
      {error && (
        <p role="alert" className="mb-2 text-sm text-red-800">
          {error}
        </p>
      )}
      {f.status === 'dismissed' ? (
        <button type="button" className={button} disabled={busy} onClick={() => void run(() => mcp.reopen(f.id))}>
          Reopen
        </button>
      ) : f.status === 'open' && !dismissing ? (
        <button type="button" className={button} onClick={() => setDismissing(true)}>
          Dismiss…
        </button>
      ) : f.status === 'open' ? (
        <form
          className="space-y-2"
          onSubmit={(e) => {
            e.preventDefault();
            void run(() => mcp.dismiss(f.id, note.trim()));
          }}
        >
          <label htmlFor={noteId} className="block text-sm">
            Why is this not a problem? (kept with the finding)
          </label>
          <Textarea id={noteId} value={note} onChange={(e) => setNote(e.target.value)} maxLength={1000} required className="w-full" />
          <div className="flex flex-wrap gap-2">
            <button type="submit" className={danger} disabled={busy || note.trim() === ''}>
              Dismiss with this note
            </button>
            <button type="button" className={button} onClick={() => setDismissing(false)}>
              Cancel
            </button>
          </div>
        </form>
      ) : null}
    </div>
  );
}
