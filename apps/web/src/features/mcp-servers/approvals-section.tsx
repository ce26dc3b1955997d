'use client';

import { when } from '@/components/ui';
import { must, useApiQuery } from '@/data/query';
import { useMembers } from '@/features/alerts/alert-parts';
import { mcp, shortFingerprint, type McpApproval, type McpServer } from './mcp-api';
import { PartFailed, Section } from './mcp-parts';

/** Who approved which tool set of the server, newest first (the last ten), with their notes. */
export function ApprovalsSection({ server }: { server: McpServer }) {
  const approvals = useApiQuery({
    key: ['mcp-approvals', server.id],
    topics: ['mcp_server'],
    fetch: async () => must(await mcp.approvals(server.id)).approvals,
  });
  const members = useMembers();
  const by = (a: McpApproval) => (a.approvedBy.type === 'user' ? (members.find((m) => m.id === a.approvedBy.id)?.name ?? a.approvedBy.id) : `${a.approvedBy.type} ${a.approvedBy.id ?? ''}`);
  return (
    <Section id="mcp-approvals-title" title="Approvals">
      {approvals.error ? (
        <PartFailed message={approvals.error} retry={approvals.retry} />
      ) : !approvals.data ? (
        <p className="text-sm text-slate-600">Loading the approvals…</p>
      ) : approvals.data.length === 0 ? (
        <p className="text-sm text-slate-700">Never approved: its tools are not pinned, and decisions do not answer for them yet.</p>
      ) : (
        <ul className="space-y-2 text-sm">
          {approvals.data.map((a) => (
            <li key={a.id} className="rounded border border-slate-100 p-2" data-approval-id={a.id}>
              <span className="font-medium">{when(a.approvedAt)}</span> by {by(a)}: {a.tools.length} tools, tool set{' '}
              <code className="text-xs" title={a.toolSetFingerprint}>
                {shortFingerprint(a.toolSetFingerprint)}
              </code>
              {a.note && <p className="text-slate-700">“{a.note}”</p>}
            </li>
          ))}
        </ul>
      )}
    </Section>
  );
}
