'use client';

import Link from 'next/link';
import { Cell, StackedTable, stacked } from '@/components/organization-parts';
import { useAgentNames } from '@/components/agent-names';
import { Badge, when } from '@/components/ui';
import { must, useApiQuery } from '@/data/query';
import { mcp, shortFingerprint, type McpServer } from './mcp-api';
import { PartFailed, Section } from './mcp-parts';

/**
 * The agents that attested what this server showed them (signed with their keys): the agent, whether
 * its tools matched AIM's scan and the other agents, the tool-set fingerprint, and when it looked.
 */
export function AttestationsSection({ server }: { server: McpServer }) {
  const attestations = useApiQuery({
    key: ['mcp-attestations', server.id],
    topics: ['mcp_attestation', 'mcp_server'],
    fetch: async () => must(await mcp.attestations(server.id)).attestations,
  });
  const names = useAgentNames((attestations.data ?? []).map((a) => a.agentId));
  return (
    <Section id="mcp-attestations-title" title="Attesting agents">
      {attestations.error ? (
        <PartFailed message={attestations.error} retry={attestations.retry} />
      ) : !attestations.data ? (
        <p className="text-sm text-slate-600">Loading the attestations…</p>
      ) : attestations.data.length === 0 ? (
        <p className="text-sm text-slate-700">No agent has attested this server yet.</p>
      ) : (
        <StackedTable columns={['Agent', 'Comparison', 'Tools seen', 'Observed']}>
          {attestations.data.map((a) => (
            <tr key={a.id} className={stacked.row} data-attestation-id={a.id}>
              <Cell label="Agent">
                <Link href={`/agents/detail/?id=${encodeURIComponent(a.agentId)}`} className="underline underline-offset-2" title={a.agentId}>
                  {names.get(a.agentId) ?? a.agentId}
                </Link>
              </Cell>
              <Cell label="Comparison">
                <span data-comparison={a.comparison}>
                  <Badge>{a.comparison === 'no_reference' ? 'nothing to compare' : a.comparison}</Badge>
                </span>
              </Cell>
              <Cell label="Tools seen">
                {a.tools.length} · <code className="text-xs" title={a.toolSetFingerprint}>{shortFingerprint(a.toolSetFingerprint)}</code>
              </Cell>
              <Cell label="Observed">
                {when(a.observedAt)}
                <div className="text-xs text-slate-600">received {when(a.receivedAt)}</div>
              </Cell>
            </tr>
          ))}
        </StackedTable>
      )}
    </Section>
  );
}
