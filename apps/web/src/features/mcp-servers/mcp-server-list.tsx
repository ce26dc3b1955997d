'use client';

import { MCP_SERVER_STATUSES, MCP_TRANSPORTS, tagSchema } from '@aim/contracts';
import Link from 'next/link';
import { useState } from 'react';
import { api } from '@/api/client';
import { ChoiceFilter } from '@/components/filters';
import { Cell, StackedTable, stacked } from '@/components/organization-parts';
import { KeysetList } from '@/components/resource-list';
import { useCan } from '@/components/session';
import { Input } from '@/components/ui/input';
import { must, useApiQuery, useListQuery } from '@/data/query';
import { MCP_TOPICS, TRANSPORT_LABEL, mcp, serverHref, type McpServer, type McpServerStatus } from './mcp-api';
import { ConfidenceScore, StatusBadge } from './mcp-parts';
import { RegisterMcpServer } from './register-form';

type Transport = (typeof MCP_TRANSPORTS)[number];

/** How many pages of open findings the list reads for its counts. */
const OPEN_FINDING_PAGES = 5;

/**
 * The organization's MCP servers: search, filters (status, transport, tag), status, confidence and
 * open findings per server, keyset pages; "Register an MCP server" for members and up.
 */
export function McpServerList() {
  const can = useCan();
  const [q, setQ] = useState('');
  const [status, setStatus] = useState<McpServerStatus | ''>('');
  const [transport, setTransport] = useState<Transport | ''>('');
  const [tag, setTag] = useState('');
  const validTag = tagSchema.safeParse(tag.trim()).success;
  const [pages, setPages] = useState<string[]>([]);
  const cursor = pages.at(-1);
  const restart = () => setPages([]);

  const list = useListQuery({
    name: '/api/v1/mcp-servers',
    topics: MCP_TOPICS,
    debounceMs: 200,
    params: {
      limit: 25,
      ...(q.trim() ? { q: q.trim() } : {}),
      ...(status ? { status } : {}),
      ...(transport ? { transport } : {}),
      ...(tag.trim() && validTag ? { tag: tag.trim() } : {}),
      ...(cursor ? { cursor } : {}),
    },
    fetch: async (query) => {
      const data = must(await api.GET('/api/v1/mcp-servers', { params: { query } }));
      return { rows: data.mcpServers, next: data.nextCursor };
    },
  });
  // Open findings per server, from the organization's open findings (pages of 200, at most
  // OPEN_FINDING_PAGES of them; the column shows "—" when they cannot be read, "n+" beyond).
  const open = useApiQuery({
    key: ['/api/v1/mcp-findings', 'open-counts'],
    topics: ['mcp_finding'],
    fetch: async () => {
      const counts = new Map<string, number>();
      let cursor: string | undefined;
      for (let page = 0; page < OPEN_FINDING_PAGES; page++) {
        const { findings, nextCursor } = must(await mcp.openFindings(cursor));
        for (const f of findings) counts.set(f.mcpServerId, (counts.get(f.mcpServerId) ?? 0) + 1);
        if (!nextCursor) return { counts, complete: true };
        cursor = nextCursor;
      }
      return { counts, complete: false };
    },
  });
  const filtered = Boolean(q || status || transport || tag);

  return (
    <section aria-labelledby="mcp-servers-title">
      <div className="mb-4 flex flex-wrap items-end gap-3">
        <h1 id="mcp-servers-title" className="mr-auto text-2xl font-semibold">
          MCP servers
        </h1>
        <label className="flex min-w-0 flex-col text-sm">
          Search
          <Input type="search" value={q} onChange={(e) => (setQ(e.target.value), restart())} maxLength={100} placeholder="Name, description or publisher" />
        </label>
        <ChoiceFilter label="Status" value={status} choices={MCP_SERVER_STATUSES} onChange={(v) => (setStatus(v), restart())} />
        <ChoiceFilter
          label="Transport"
          value={transport}
          choices={MCP_TRANSPORTS.map((t) => ({ value: t, label: TRANSPORT_LABEL[t] }))}
          onChange={(v) => (setTransport(v), restart())}
        />
        <label className="flex flex-col text-sm">
          Tag
          <Input
            value={tag}
            onChange={(e) => (setTag(e.target.value), restart())}
            maxLength={50}
            placeholder="engineering"
            aria-invalid={tag.trim() !== '' && !validTag}
            className="w-32"
          />
        </label>
      </div>
      {can.has('mcp_server.create') && <RegisterMcpServer />}
      <KeysetList
        list={list}
        what="MCP servers"
        empty={filtered ? 'No MCP server matches.' : 'No MCP servers yet. Register the servers your agents use.'}
        pages={pages}
        setPages={setPages}
      >
        {(rows) => (
          <div className="rounded border border-slate-200 bg-white px-3">
            <StackedTable columns={['Name', 'Status', 'Transport', 'Confidence', 'Open findings']}>
              {rows.map((s) => (
                <Row key={s.id} server={s} openFindings={open.data ? (open.data.counts.get(s.id) ?? 0) : null} complete={open.data?.complete ?? true} />
              ))}
            </StackedTable>
          </div>
        )}
      </KeysetList>
    </section>
  );
}

function Row({ server: s, openFindings, complete }: { server: McpServer; openFindings: number | null; complete: boolean }) {
  return (
    <tr className={stacked.row} data-mcp-server-id={s.id}>
      <Cell label="Name">
        <Link href={serverHref(s.id)} className="font-medium underline-offset-2 hover:underline">
          {s.name}
        </Link>
        <div className="text-xs text-slate-600">
          <span className="font-mono">{s.slug}</span>
          {s.publisher && ` · ${s.publisher}`}
          {s.tags.length > 0 && ` · ${s.tags.join(', ')}`}
        </div>
      </Cell>
      <Cell label="Status">
        <StatusBadge status={s.status} />
      </Cell>
      <Cell label="Transport" className="text-slate-700">
        {TRANSPORT_LABEL[s.transport.type]}
      </Cell>
      <Cell label="Confidence">
        <ConfidenceScore score={s.confidenceScore} />
      </Cell>
      <Cell label="Open findings">
        {openFindings === null ? (
          '—'
        ) : (
          <span data-open-findings={openFindings}>
            {openFindings}
            {complete ? '' : '+'}
          </span>
        )}
      </Cell>
    </tr>
  );
}
