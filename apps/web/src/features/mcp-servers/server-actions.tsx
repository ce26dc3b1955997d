'use client';

import Link from 'next/link';
import { useState } from 'react';
import { api, errorMessage } from '@/api/client';
import { NoticeLine, type Notice } from '@/components/organization-parts';
import { button, primary } from '@/components/ui';
import { Button } from '@/components/ui/button';
import { ConfirmDialog } from '@/components/ui/dialog';
import { Input } from '@/components/ui/input';
import { mcp, reviewHref, type McpServer } from './mcp-api';
import { useMcpPermissions } from './mcp-parts';

type Transition = 'suspend' | 'reactivate' | 'revoke';

const TRANSITION: Record<Transition, { label: string; title: string; description: string }> = {
  suspend: { label: 'Suspend', title: 'Suspend this MCP server?', description: 'Scans stop and its tools are refused in decisions until it is reactivated.' },
  reactivate: { label: 'Reactivate', title: 'Reactivate this MCP server?', description: 'It starts over as pending: scan it and approve its tools again.' },
  revoke: { label: 'Revoke', title: 'Revoke this MCP server?', description: 'Revocation is final: its tools are refused in decisions for good.' },
};

/**
 * What the person may do with the server, and nothing else: scan now, suspend, reactivate and revoke
 * (its owner, managers and admins); approve or re-approve its tools (managers and admins, on the
 * review page, after seeing the diff). A viewer sees no control.
 */
export function ServerActions({ server: s, onChange }: { server: McpServer; onChange: () => Promise<void> }) {
  const may = useMcpPermissions(s);
  const [notice, setNotice] = useState<Notice>(null);
  const [scanning, setScanning] = useState(false);
  if (!may.change && !may.manage) return null;
  const live = s.status !== 'suspended' && s.status !== 'revoked';
  const transitions: Transition[] = s.status === 'revoked' ? [] : s.status === 'suspended' ? ['reactivate', 'revoke'] : ['suspend', 'revoke'];

  const scanNow = async () => {
    setScanning(true);
    setNotice(null);
    const { data, error } = await mcp.scanNow(s.id);
    setScanning(false);
    if (!data) return setNotice({ ok: false, text: errorMessage(error) });
    const scan = data.scan;
    setNotice(
      scan.status === 'succeeded'
        ? { ok: true, text: `Scan finished: ${scan.counts.tools} tools, ${scan.counts.resources} resources, ${scan.counts.prompts} prompts.` }
        : { ok: false, text: `The scan failed (${scan.failure?.reason ?? 'unknown'}): ${scan.failure?.message ?? 'no reason given'}` },
    );
    await onChange();
  };

  return (
    <section aria-labelledby="mcp-actions-title" className="rounded border border-slate-200 bg-white p-4">
      <h2 id="mcp-actions-title" className="sr-only">
        Actions
      </h2>
      <NoticeLine notice={notice} />
      <div className="flex flex-wrap gap-2">
        {may.change && live && s.transport.type === 'streamable_http' && (
          <Button onClick={() => void scanNow()} disabled={scanning}>
            {scanning ? 'Scanning…' : 'Scan now'}
          </Button>
        )}
        {may.manage && (s.status === 'verified' || s.status === 'drifted') && (
          <Link href={reviewHref(s.id)} className={primary}>
            {s.status === 'drifted' ? 'Review the changes and re-approve' : 'Review and approve the tools'}
          </Link>
        )}
        {may.manage && s.status === 'approved' && (
          <Link href={reviewHref(s.id)} className={button}>
            Review the approved tools
          </Link>
        )}
        {may.change && transitions.map((t) => <TransitionButton key={t} server={s} transition={t} onDone={onChange} setNotice={setNotice} />)}
      </div>
      {may.change && s.transport.type === 'stdio' && <p className="mt-2 text-xs text-slate-600">AIM never runs a stdio server: agents attest its tools.</p>}
    </section>
  );
}

function TransitionButton({ server, transition, onDone, setNotice }: { server: McpServer; transition: Transition; onDone: () => Promise<void>; setNotice: (n: Notice) => void }) {
  const [reason, setReason] = useState('');
  const t = TRANSITION[transition];
  const run = async () => {
    const params = { params: { path: { mcpServerId: server.id } }, body: reason.trim() ? { reason: reason.trim() } : {} };
    const { error } =
      transition === 'suspend'
        ? await api.POST('/api/v1/mcp-servers/{mcpServerId}/suspend', params)
        : transition === 'reactivate'
          ? await api.POST('/api/v1/mcp-servers/{mcpServerId}/reactivate', params)
          : await api.POST('/api/v1/mcp-servers/{mcpServerId}/revoke', params);
    if (error) return errorMessage(error);
    setNotice({ ok: true, text: `${server.name}: ${transition === 'reactivate' ? 'reactivated' : `${transition}d`}.` });
    setReason('');
    await onDone();
  };
  return (
    <ConfirmDialog
      trigger={
        <button type="button" className={button}>
          {t.label}…
        </button>
      }
      title={t.title}
      description={t.description}
      confirmLabel={t.label}
      onConfirm={run}
    >
      <label className="mb-3 flex flex-col gap-1 text-sm">
        Reason (optional)
        <Input value={reason} onChange={(e) => setReason(e.target.value)} maxLength={500} />
      </label>
    </ConfirmDialog>
  );
}
