'use client';

import { Check, Copy } from 'lucide-react';
import { useState, type ReactNode } from 'react';
import { useCan, useSession } from '@/components/session';
import { STATUS_STYLE, shortFingerprint, type McpServer, type McpServerStatus } from './mcp-api';

/** Pieces the MCP server pages share: the status badge, the confidence score, a fingerprint with Copy, who may change what. */

export function StatusBadge({ status }: { status: McpServerStatus }) {
  return (
    <span className={`inline-block rounded px-2 py-0.5 text-xs font-medium ${STATUS_STYLE[status]}`} data-status={status}>
      {status}
    </span>
  );
}

/** The server's confidence score (0–100) as last computed, "unknown" when there is no evidence. */
export function ConfidenceScore({ score }: { score: number | null }) {
  return score === null ? <span className="text-slate-700">unknown</span> : <span data-confidence={score}>{Math.round(score)}</span>;
}

/** A SHA-256 fingerprint shortened, the whole one in its title, and a button that copies it. */
export function Fingerprint({ value, label }: { value: string; label: string }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setCopied(true);
      setTimeout(() => setCopied(false), 2000);
    } catch {
      setCopied(false);
    }
  };
  return (
    <span className="inline-flex items-center gap-1">
      <code className="font-mono text-xs" title={value} data-fingerprint={value}>
        {shortFingerprint(value)}
      </code>
      <button type="button" onClick={() => void copy()} className="rounded p-1 text-slate-700 hover:bg-slate-100" aria-label={`Copy the fingerprint of ${label}`}>
        {copied ? <Check className="size-3.5" aria-hidden /> : <Copy className="size-3.5" aria-hidden />}
      </button>
      <span aria-live="polite" className="sr-only">
        {copied ? 'Copied' : ''}
      </span>
    </span>
  );
}

/**
 * What the signed-in person may do with a server (the server checks every request; this only decides
 * which controls show): `change` (scan, suspend, reactivate, revoke) its owner, managers and admins;
 * `manage` (approve, dismiss findings) managers and admins.
 */
export function useMcpPermissions(server: Pick<McpServer, 'ownerId'> | null): { change: boolean; manage: boolean } {
  const can = useCan();
  const { me } = useSession();
  const manage = can.has('mcp_server.manage');
  const own = Boolean(server && me && server.ownerId === me.user.id && can.has('mcp_server.update'));
  return { change: manage || own, manage };
}

export function Section({ id, title, children, aside }: { id: string; title: string; children: ReactNode; aside?: ReactNode }) {
  return (
    <section aria-labelledby={id} className="min-w-0 rounded border border-slate-200 bg-white p-4">
      <div className="mb-3 flex flex-wrap items-center gap-2">
        <h2 id={id} className="mr-auto text-lg font-semibold">
          {title}
        </h2>
        {aside}
      </div>
      {children}
    </section>
  );
}

export function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="min-w-0">
      <dt className="text-xs uppercase tracking-wide text-slate-600">{label}</dt>
      <dd className="break-words">{children}</dd>
    </div>
  );
}

/** A part of the page that could not be read: its message inline, the rest of the page stays. */
export function PartFailed({ message, retry }: { message: string; retry: () => void }) {
  return (
    <div role="alert" className="rounded border border-red-200 bg-red-50 p-3 text-sm text-red-800">
      <p>{message}</p>
      <button type="button" onClick={retry} className="mt-1 underline">
        Try again
      </button>
    </div>
  );
}
