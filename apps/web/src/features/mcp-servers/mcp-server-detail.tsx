'use client';

import Link from 'next/link';
import { useSearchParams } from 'next/navigation';
import { Suspense } from 'react';
import { api } from '@/api/client';
import { Empty, Failed, Loading } from '@/components/states';
import { useSession } from '@/components/session';
import { must, useApiQuery } from '@/data/query';
import { useMembers } from '@/features/alerts/alert-parts';
import { ApprovalsSection } from './approvals-section';
import { AttestationsSection } from './attestations-section';
import { ConfidenceSection } from './confidence-section';
import { FindingsSection } from './findings-section';
import { IdentitySection } from './identity-section';
import { MCP_TOPICS, TRANSPORT_LABEL, mcp, type McpServer } from './mcp-api';
import { Fact, StatusBadge } from './mcp-parts';
import { ScansSection } from './scans-section';
import { ServerActions } from './server-actions';
import { ToolsSection } from './tools-section';

/**
 * One MCP server: who owns it and how it is reached, the actions the person may take, then identity,
 * tools with their pins, approvals, scan history with each scan's changes, findings, attesting agents and the
 * confidence score. Each part loads on its own: one that cannot be read says so, the rest still shows.
 */
export function McpServerDetailView() {
  return (
    <Suspense fallback={<Loading what="the MCP server" />}>
      <McpServerDetail />
    </Suspense>
  );
}

function McpServerDetail() {
  const id = useSearchParams().get('id') ?? '';
  const server = useApiQuery({
    key: ['mcp-server', id],
    topics: MCP_TOPICS,
    enabled: id !== '',
    fetch: async () => must(await api.GET('/api/v1/mcp-servers/{mcpServerId}', { params: { path: { mcpServerId: id } } })).mcpServer,
  });
  // The scans feed several parts: the last scan's identity facts, the latest successful scan's tools, the history.
  const scans = useApiQuery({
    key: ['mcp-scans', id],
    topics: MCP_TOPICS,
    enabled: id !== '',
    fetch: async () => must(await mcp.scans(id)),
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
  if (server.error) return <Failed message={server.error} retry={server.retry} />;
  if (!server.data) return <Loading what="the MCP server" />;
  const s = server.data;
  const refresh = async () => {
    await Promise.all([server.refresh(), scans.refresh()]);
  };

  return (
    <section aria-labelledby="mcp-server-title" className="min-w-0 space-y-6">
      <Header server={s} />
      <ServerActions server={s} onChange={refresh} />
      <IdentitySection server={s} scans={scans} />
      <ToolsSection server={s} scans={scans} />
      <ApprovalsSection server={s} />
      <ScansSection server={s} scans={scans} />
      <FindingsSection server={s} scans={scans} />
      <AttestationsSection server={s} />
      <ConfidenceSection server={s} />
    </section>
  );
}

function Header({ server: s }: { server: McpServer }) {
  const { me } = useSession();
  const members = useMembers();
  const owner = s.ownerId === null ? 'nobody (the owner left)' : s.ownerId === me?.user.id ? 'you' : (members.find((m) => m.id === s.ownerId)?.name ?? s.ownerId);
  return (
    <div>
      <Link href="/mcp-servers/" className="text-sm text-slate-700 underline">
        ← MCP servers
      </Link>
      <div className="mt-1 flex flex-wrap items-center gap-3">
        <h1 id="mcp-server-title" className="mr-auto break-all text-2xl font-semibold">
          {s.name}
        </h1>
        <span data-testid="mcp-server-status">
          <StatusBadge status={s.status} />
        </span>
      </div>
      {s.description && <p className="mt-1 text-sm text-slate-700">{s.description}</p>}
      <dl className="mt-3 grid grid-cols-1 gap-3 rounded border border-slate-200 bg-white p-4 text-sm sm:grid-cols-3">
        <Fact label="Slug">
          <code className="text-xs">{s.slug}</code>
        </Fact>
        <Fact label="Owner">
          <span data-owner-id={s.ownerId ?? ''}>{owner}</span>
        </Fact>
        <Fact label="Publisher">{s.publisher ?? '—'}</Fact>
        <Fact label="Transport">{TRANSPORT_LABEL[s.transport.type]}</Fact>
        <Fact label={s.transport.type === 'stdio' ? 'Launch command' : 'Endpoint'}>
          <code className="break-all text-xs">{s.transport.type === 'stdio' ? s.transport.command : s.transport.url}</code>
        </Fact>
        <Fact label="Tags">{s.tags.length ? s.tags.join(', ') : 'none'}</Fact>
        {s.statusReason && <Fact label="Status reason">{s.statusReason}</Fact>}
        <Fact label="Server id">
          <code className="break-all text-xs">{s.id}</code>
        </Fact>
      </dl>
    </div>
  );
}
