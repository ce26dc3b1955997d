'use client';

import type { components } from '@/api/schema';

type AuditEvent = components['schemas']['AuditEvent'];

/**
 * What the event's outcome means for a person: a decision event says what the agent was told (a
 * pending one waits for a person; a denied one was refused, also when recorded before the log said so).
 */
export function outcomeLabel(e: Pick<AuditEvent, 'action' | 'outcome'>): string {
  if (e.action === 'decision.pending') return 'pending';
  if (e.action === 'decision.deny') return 'denied';
  return e.outcome;
}

/** A name with its id on hover and for copying; the id alone when the thing has no name (or is gone). */
export function Named({ id, names, kind }: { id: string | null; names: Record<string, string>; kind?: string }) {
  if (!id) return <span className="text-slate-500">{kind === 'system' ? 'AIM (system)' : '—'}</span>;
  const name = names[id];
  return name ? (
    <span title={id}>
      <span className="font-medium text-slate-800">{name}</span> <span className="font-mono text-[0.7rem] break-all text-slate-500">{id}</span>
    </span>
  ) : (
    <span className="font-mono break-all">{id}</span>
  );
}
