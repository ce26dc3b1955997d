'use client';

import { useState, type ReactNode } from 'react';
import { api, errorMessage } from '@/api/client';
import type { components } from '@/api/schema';
import { useCan, useSession } from '@/components/session';
import { Empty } from '@/components/states';
import { Badge, button, danger, when } from '@/components/ui';

type Agent = components['schemas']['Agent'];

export function Card({ id, title, children }: { id: string; title: string; children: ReactNode }) {
  return (
    <section aria-labelledby={id} className="min-w-0 rounded border border-slate-200 bg-white p-4">
      <h2 id={id} className="mb-3 text-lg font-semibold">
        {title}
      </h2>
      {children}
    </section>
  );
}

/** Whether the signed-in person may change the agent: managers and admins any, a member their own. */
export function useMayManage(agent: Agent): boolean {
  const { me } = useSession();
  const can = useCan();
  return can.manage || (can.role === 'member' && !!me && me.user.id === agent.ownerId);
}

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="min-w-0">
      <dt className="text-xs uppercase tracking-wide text-slate-500">{label}</dt>
      <dd className="break-words">{children}</dd>
    </div>
  );
}

export function Identity({ agent, people, onChange }: { agent: Agent; people: Map<string, string>; onChange: () => Promise<void> }) {
  const mayManage = useMayManage(agent);
  const { me } = useSession();
  const [confirming, setConfirming] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const owner = agent.ownerId ? (agent.ownerId === me?.user.id ? 'you' : (people.get(agent.ownerId) ?? agent.ownerId)) : 'nobody';

  const revokeKey = async (keyId: string) => {
    setBusy(true);
    setError(null);
    const { error: e } = await api.POST('/api/v1/agents/{agentId}/keys/{keyId}/revoke', { params: { path: { agentId: agent.id, keyId } }, body: null });
    setBusy(false);
    if (e) return setError(errorMessage(e));
    setConfirming(null);
    await onChange();
  };

  return (
    <Card id="identity-title" title="Identity">
      <dl className="grid grid-cols-1 gap-3 text-sm sm:grid-cols-2">
        <Fact label="Purpose">{agent.purpose ?? '—'}</Fact>
        <Fact label="Owner">
          <span data-owner-id={agent.ownerId ?? ''}>{owner}</span>
        </Fact>
        <Fact label="Status">{agent.status}</Fact>
        <Fact label="Data classification">{agent.dataClassification ?? 'not set'}</Fact>
        <Fact label="Tags">{agent.tags.length ? agent.tags.join(', ') : 'none'}</Fact>
        <Fact label="Agent id">
          <code className="break-all text-xs">{agent.id}</code>
        </Fact>
      </dl>
      <h3 className="mb-2 mt-4 font-medium">Keys</h3>
      {error && (
        <p role="alert" className="mb-2 text-sm text-red-700">
          {error}
        </p>
      )}
      {agent.keys.length === 0 ? (
        <Empty>No key registered.</Empty>
      ) : (
        <ul className="space-y-2 text-sm">
          {agent.keys.map((k) => (
            <li key={k.id} className="rounded border border-slate-100 p-2" data-key-id={k.id}>
              <div className="flex flex-wrap items-center gap-2">
                <code className="min-w-0 break-all text-xs" title="JWK thumbprint">
                  {k.id}
                </code>
                <Badge>{k.status}</Badge>
              </div>
              <div className="mt-1 text-xs text-slate-600">
                Created {when(k.createdAt)} · expires {k.expiresAt ? when(k.expiresAt) : 'never'}
                {k.revokedAt && ` · revoked ${when(k.revokedAt)}`}
              </div>
              {mayManage && k.status !== 'revoked' && k.status !== 'expired' && (
                <div className="mt-2 flex flex-wrap gap-2">
                  {confirming === k.id ? (
                    <>
                      <span className="text-xs">Revoke this key? The agent can no longer sign with it.</span>
                      <button type="button" className={danger} disabled={busy} onClick={() => void revokeKey(k.id)}>
                        Confirm revoke key
                      </button>
                      <button type="button" className={button} onClick={() => setConfirming(null)}>
                        Cancel
                      </button>
                    </>
                  ) : (
                    <button type="button" className={button} onClick={() => setConfirming(k.id)} aria-label={`Revoke key ${k.id.slice(0, 8)}…`}>
                      Revoke key
                    </button>
                  )}
                </div>
              )}
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}
