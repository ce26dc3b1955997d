'use client';

import { useState } from 'react';
import { Cell, StackedTable, stacked } from '@/components/organization-parts';
import { Badge, Pager, button, when } from '@/components/ui';
import { must, useApiQuery } from '@/data/query';
import { mcp, type McpScan, type McpServer } from './mcp-api';
import type { ScansQuery } from './identity-section';
import { PartFailed, Section } from './mcp-parts';
import { ToolDiffList } from './tool-diff';

/**
 * Every scan, newest first: status, the failure reason, what it counted, and the drift from the pins.
 * "Changes" opens what that scan saw against the scan before it, field by field.
 */
export function ScansSection({ server, scans }: { server: McpServer; scans: ScansQuery }) {
  const [pages, setPages] = useState<string[]>([]);
  const cursor = pages.at(-1);
  const older = useApiQuery({
    key: ['mcp-scans', server.id, cursor ?? null],
    topics: [],
    enabled: cursor !== undefined,
    fetch: async () => must(await mcp.scans(server.id, cursor)),
  });
  const page = cursor === undefined ? scans : older;
  const [open, setOpen] = useState<string | null>(null);

  const body = () => {
    if (page.error) return <PartFailed message={page.error} retry={page.retry} />;
    if (!page.data) return <p className="text-sm text-slate-600">Loading the scans…</p>;
    if (page.data.scans.length === 0) return <p className="text-sm text-slate-700">Not scanned yet.</p>;
    return (
      <>
        <StackedTable columns={['Started', 'Status', 'Found', 'Drift from the pins']} actions>
          {page.data.scans.map((s) => (
            <ScanRow key={s.id} scan={s} open={open === s.id} toggle={() => setOpen(open === s.id ? null : s.id)} />
          ))}
        </StackedTable>
        {open && page.data.scans.some((s) => s.id === open) && <ScanChanges server={server} scanId={open} />}
        <Pager pages={pages} next={page.data.nextCursor} setPages={setPages} />
      </>
    );
  };
  return (
    <Section id="mcp-scans-title" title="Scan history">
      {body()}
    </Section>
  );
}

function ScanRow({ scan: s, open, toggle }: { scan: McpScan; open: boolean; toggle: () => void }) {
  return (
    <tr className={stacked.row} data-scan-id={s.id}>
      <Cell label="Started">
        {when(s.startedAt)}
        <div className="text-xs text-slate-600">
          {s.trigger}
          {s.durationMs !== null && ` · ${s.durationMs} ms`}
          {s.protocolVersion && ` · protocol ${s.protocolVersion}`}
        </div>
      </Cell>
      <Cell label="Status">
        <Badge>{s.status}</Badge>
        {s.failure && (
          <p className="text-xs text-red-800" data-failure-reason={s.failure.reason}>
            <span className="font-mono">{s.failure.reason}</span>: {s.failure.message}
          </p>
        )}
      </Cell>
      <Cell label="Found">
        {s.status === 'succeeded' ? `${s.counts.tools} tools · ${s.counts.resources} resources · ${s.counts.prompts} prompts` : '—'}
      </Cell>
      <Cell label="Drift">{s.drift ? <span data-drift={`${s.drift.added}/${s.drift.removed}/${s.drift.changed}`}>{`${s.drift.added} added · ${s.drift.removed} removed · ${s.drift.changed} changed`}</span> : '—'}</Cell>
      <Cell>
        {s.status === 'succeeded' && (
          <button type="button" className={button} aria-expanded={open} onClick={toggle} aria-label={`${open ? 'Hide changes' : 'Changes'} of the scan of ${when(s.startedAt)}`}>
            {open ? 'Hide changes' : 'Changes'}
          </button>
        )}
      </Cell>
    </tr>
  );
}

function ScanChanges({ server, scanId }: { server: McpServer; scanId: string }) {
  const diff = useApiQuery({
    key: ['mcp-scan-diff', server.id, scanId, 'previous'],
    topics: [],
    fetch: async () => must(await mcp.scanDiff(server.id, scanId)),
  });
  const first = diff.data?.against?.kind === 'none';
  return (
    <div className="mt-3 rounded border border-slate-200 bg-slate-50 p-3" aria-live="polite" data-testid="scan-changes">
      <h3 className="mb-2 font-medium">{first ? 'The first successful scan: every tool is new' : 'Against the successful scan before it'}</h3>
      {diff.error ? (
        <PartFailed message={diff.error} retry={diff.retry} />
      ) : !diff.data ? (
        <p className="text-sm text-slate-600">Loading the changes…</p>
      ) : (
        <ToolDiffList diff={diff.data.diff} empty="The same tools as the scan before it." />
      )}
    </div>
  );
}
