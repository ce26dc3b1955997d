'use client';

import Link from 'next/link';
import type { components } from '@/api/schema';
import { useAgentNames } from '@/components/agent-names';
import { Empty, Failed } from '@/components/states';
import { when } from '@/components/ui';
import { Rows, Section } from '@/features/agents/evidence/section';

type Attestation = components['schemas']['Attestation'];
// ---- attestations ---------------------------------------------------------------------------------

export function AttestationsSection({ attestations, retry }: { attestations: Rows<Attestation>; retry: () => void }) {
  const names = useAgentNames(typeof attestations === 'string' ? [] : attestations.map((a) => a.attesterId));
  return (
    <Section id="attestations-title" title="Attestations by other agents">
      {typeof attestations === 'string' ? (
        <Failed message={attestations} retry={retry} />
      ) : attestations.length === 0 ? (
        <Empty>No agent has attested to this one. Agents attest to each other through the SDK.</Empty>
      ) : (
        <ul className="divide-y divide-slate-100 text-sm" aria-label="Attestations">
          {attestations.map((a) => (
            <li key={a.id} data-attestation-id={a.id} data-attester-id={a.attesterId} className="py-2">
              <div className="flex flex-wrap items-center gap-2">
                <span className={`rounded px-2 py-0.5 text-xs ${a.verdict === 'trusted' ? 'bg-emerald-100 text-emerald-900' : 'bg-red-100 text-red-900'}`}>
                  {a.verdict}
                </span>
                <Link href={`/agents/detail/?id=${a.attesterId}`} className="min-w-0 break-all font-medium underline">
                  {names.get(a.attesterId) ?? a.attesterId}
                </Link>
                <span className="text-xs text-slate-600">{a.updatedAt === a.createdAt ? `said ${when(a.createdAt)}` : `changed ${when(a.updatedAt)}`}</span>
              </div>
              {a.statement && <p className="mt-1 wrap-anywhere text-slate-700">{a.statement}</p>}
            </li>
          ))}
        </ul>
      )}
      <p className="mt-3 text-xs text-slate-600">Attestations are made by agents, never by people; this list is read-only.</p>
    </Section>
  );
}
