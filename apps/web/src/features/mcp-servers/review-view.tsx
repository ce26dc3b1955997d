'use client';

import type { McpToolDefinition } from '@aim/contracts';
import Link from 'next/link';
import { useSearchParams } from 'next/navigation';
import { Suspense, useState } from 'react';
import { api, errorMessage } from '@/api/client';
import { NoticeLine, type Notice } from '@/components/organization-parts';
import { Empty, Failed, Loading } from '@/components/states';
import { when } from '@/components/ui';
import { Button } from '@/components/ui/button';
import { Textarea } from '@/components/ui/input';
import { must, useApiQuery } from '@/data/query';
import { mcp, serverHref, shortFingerprint, type McpScan, type McpServer, type McpToolDiff } from './mcp-api';
import { StatusBadge, useMcpPermissions } from './mcp-parts';
import { ToolDiffList } from './tool-diff';

/**
 * The re-approval view: the latest successful scan against the approved pins (GET …/drift), tool by
 * tool and field by field, then "Approve these definitions", which sends the scan and the tool-set
 * fingerprint of exactly what is on screen. When the tools changed meanwhile AIM answers 409: the
 * page says so and shows the new diff, to be reviewed again.
 */
export function ReviewView() {
  return (
    <Suspense fallback={<Loading what="the changes" />}>
      <Review />
    </Suspense>
  );
}

interface Loaded {
  server: McpServer;
  /** The latest successful scan; null when there is none (nothing to approve). */
  scan: McpScan | null;
  /** Against the pins; for a server never approved, every tool of the scan as added. */
  diff: McpToolDiff[];
  pinned: boolean;
  definitions: Map<string, McpToolDefinition>;
}

function Review() {
  const id = useSearchParams().get('id') ?? '';
  const [notice, setNotice] = useState<Notice>(null);
  const review = useApiQuery({
    key: ['mcp-review', id],
    // Not live: what is on screen is what gets approved, so it changes only when the person reloads it.
    topics: [],
    enabled: id !== '',
    fetch: async (): Promise<Loaded> => {
      const [server, drift] = await Promise.all([api.GET('/api/v1/mcp-servers/{mcpServerId}', { params: { path: { mcpServerId: id } } }), mcp.drift(id)]);
      const s = must(server).mcpServer;
      const d = must(drift);
      if (!d.scan) return { server: s, scan: null, diff: [], pinned: d.pinned, definitions: new Map() };
      const tools = must(await mcp.scan(id, d.scan.id)).tools;
      // Never approved: what the person approves is every tool of the scan, each shown as added.
      const diff = d.pinned ? d.diff : tools.map((t): McpToolDiff => ({ name: t.name, change: 'added', pinnedFingerprint: null, currentFingerprint: t.fingerprint, fields: [] }));
      return { server: s, scan: d.scan, diff, pinned: d.pinned, definitions: new Map(tools.map((t) => [t.name, t.definition])) };
    },
  });

  if (!id)
    return (
      <Empty>
        No MCP server chosen.{' '}
        <Link href="/mcp-servers/" className="underline">
          Back to the MCP servers
        </Link>
        .
      </Empty>
    );
  return (
    <section aria-labelledby="review-title" className="min-w-0 space-y-4">
      <div>
        <Link href={serverHref(id)} className="text-sm text-slate-700 underline">
          ← {review.data?.server.name ?? 'The MCP server'}
        </Link>
        <h1 id="review-title" className="mt-1 text-2xl font-semibold">
          Review the tools{review.data ? ` of ${review.data.server.name}` : ''}
        </h1>
      </div>
      <NoticeLine notice={notice} />
      {review.error ? (
        <Failed message={review.error} retry={review.retry} />
      ) : !review.data ? (
        <Loading what="the changes" />
      ) : (
        <Loaded data={review.data} setNotice={setNotice} reload={review.refresh} />
      )}
    </section>
  );
}

function Loaded({ data, setNotice, reload }: { data: Loaded; setNotice: (n: Notice) => void; reload: () => Promise<void> }) {
  const { server, scan, diff, pinned, definitions } = data;
  const may = useMcpPermissions(server);
  if (!scan) return <Empty>No successful scan yet: there is nothing to review. Scan the server first.</Empty>;
  return (
    <>
      <div className="flex flex-wrap items-center gap-3 rounded border border-slate-200 bg-white p-4 text-sm">
        <StatusBadge status={server.status} />
        <span>
          The scan of {when(scan.finishedAt ?? scan.startedAt)} ({scan.counts.tools} tools), {pinned ? 'against the approved tools' : 'never approved before: every tool is new'}.
        </span>
        {scan.toolSetFingerprint && (
          <span className="text-xs text-slate-700">
            Tool set <code title={scan.toolSetFingerprint} data-tool-set-fingerprint={scan.toolSetFingerprint}>{shortFingerprint(scan.toolSetFingerprint)}</code>
          </span>
        )}
      </div>
      <ToolDiffList diff={diff} definitions={definitions} empty="The latest scan matches the approved tools: nothing to review." />
      {may.manage ? (
        <ApproveForm server={server} scan={scan} hasChanges={diff.length > 0} setNotice={setNotice} reload={reload} />
      ) : (
        <p className="text-sm text-slate-700">Managers and admins approve tool definitions. Your role can read this diff but not approve it.</p>
      )}
    </>
  );
}

function ApproveForm({ server, scan, hasChanges, setNotice, reload }: { server: McpServer; scan: McpScan; hasChanges: boolean; setNotice: (n: Notice) => void; reload: () => Promise<void> }) {
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const approved = server.status === 'approved' && !hasChanges;
  if (approved || !scan.toolSetFingerprint) return null;
  const approve = async () => {
    setBusy(true);
    setNotice(null);
    const answer = await mcp.approve(server.id, { scanId: scan.id, toolSetFingerprint: scan.toolSetFingerprint!, ...(note.trim() ? { note: note.trim() } : {}) });
    setBusy(false);
    if (answer.data) {
      const unnamed = answer.data.toolsWithoutAction ?? [];
      setNotice({
        ok: true,
        text: `Approved: ${answer.data.approval.tools.length} tools of ${server.name} are pinned.${unnamed.length ? ` No decision action can name ${unnamed.join(', ')}: grants and policies cannot cover them.` : ''}`,
      });
      setNote('');
      await reload();
      return;
    }
    // Refused: most likely stale (409: the tools changed since this diff was read). Whatever the
    // reason, the diff is read again, so what is on screen is what AIM would approve now.
    setNotice({ ok: false, text: `Not approved: ${errorMessage(answer.error)} The diff below has been read again: review it before approving.` });
    await reload();
  };
  return (
    <form
      aria-labelledby="approve-title"
      className="space-y-2 rounded border border-slate-200 bg-white p-4"
      onSubmit={(e) => {
        e.preventDefault();
        void approve();
      }}
    >
      <h2 id="approve-title" className="font-semibold">
        Approve these definitions
      </h2>
      <p className="text-sm text-slate-700">
        Pins the {scan.counts.tools} tools exactly as shown above. Decisions for them are answered again; a later change is drift.
      </p>
      <label htmlFor="approve-note" className="block text-sm">
        Note (optional)
      </label>
      <Textarea id="approve-note" value={note} onChange={(e) => setNote(e.target.value)} maxLength={1000} className="w-full" />
      <Button type="submit" disabled={busy}>
        {busy ? 'Approving…' : 'Approve these definitions'}
      </Button>
    </form>
  );
}
