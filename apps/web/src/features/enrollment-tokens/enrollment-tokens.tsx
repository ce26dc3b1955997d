'use client';

import Link from 'next/link';
import { useState } from 'react';
import { api, errorMessage } from '@/api/client';
import type { components } from '@/api/schema';
import { Resource } from '@/components/resource-list';
import { must, useApiQuery } from '@/data/query';
import { useAgentNames } from '@/components/agent-names';
import { useCan, useSession } from '@/components/session';
import { Badge, PageTitle, button, danger, when } from '@/components/ui';
import { CreateToken } from '@/features/enrollment-tokens/create-token';
import { ShownOnce, stateOf } from '@/features/enrollment-tokens/shown-once';

type Created = components['schemas']['CreatedEnrollmentToken'];

/** One-time enrollment tokens: agents that register themselves use one. Members create their own; managers and admins see all. */
export function EnrollmentTokens() {
  const can = useCan();
  const { me } = useSession();
  const [created, setCreated] = useState<Created | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);

  const {
    data: rows,
    error,
    retry,
    refresh,
  } = useApiQuery({
    key: ['/api/v1/enrollment-tokens'],
    topics: ['enrollment_token', 'agent'],
    enabled: can.create,
    fetch: async () => [...must(await api.GET('/api/v1/enrollment-tokens')).enrollmentTokens].sort((a, b) => b.createdAt.localeCompare(a.createdAt)),
  });
  const agentNames = useAgentNames((rows ?? []).flatMap((t) => (t.agentId ? [t.agentId] : [])));

  if (!can.create) {
    return (
      <section aria-labelledby="tokens-title">
        <PageTitle id="tokens-title">Enrollment tokens</PageTitle>
        <p role="note" className="rounded border border-slate-200 bg-white p-4 text-sm text-slate-700">
          Enrollment tokens are created and listed by members, managers and admins. Your role ({can.role ?? 'none'}) cannot see or create them.
        </p>
      </section>
    );
  }

  const revoke = async (id: string) => {
    setActionError(null);
    const { error: e } = await api.DELETE('/api/v1/enrollment-tokens/{enrollmentTokenId}', { params: { path: { enrollmentTokenId: id } } });
    setConfirming(null);
    if (e) return setActionError(errorMessage(e));
    await refresh();
  };

  return (
    <section aria-labelledby="tokens-title">
      <PageTitle id="tokens-title">Enrollment tokens</PageTitle>
      <CreateToken
        onCreated={(token) => {
          setCreated(token);
          void refresh();
        }}
      />
      {created && <ShownOnce created={created} current={rows?.find((t) => t.id === created.enrollmentToken.id)} dismiss={() => setCreated(null)} />}
      {actionError && (
        <p role="alert" className="mb-3 rounded border border-red-200 bg-red-50 p-3 text-sm text-red-800">
          {actionError}
        </p>
      )}
      <h2 className="mb-2 mt-6 text-lg font-semibold">{can.manage ? 'All tokens' : 'Your tokens'}</h2>
      <Resource
        query={{ data: rows, error, retry }}
        what="enrollment tokens"
        empty={<>No enrollment tokens yet. Create one above and hand it to the agent’s process.</>}
      >
        {(rows) => (
          <ul className="divide-y divide-slate-100 rounded border border-slate-200 bg-white">
            {rows.map((t) => {
              const state = stateOf(t);
              const mayRevoke = state === 'active' && (can.manage || t.createdBy === me?.user.id);
              return (
                <li key={t.id} data-token-id={t.id} className="flex flex-wrap items-center gap-x-4 gap-y-2 px-3 py-2 text-sm">
                  <div className="min-w-0 flex-1">
                    <div className="font-medium wrap-anywhere">{t.name ?? 'Unnamed token'}</div>
                    <div className="text-xs wrap-anywhere text-slate-500">
                      {t.capabilities.length ? t.capabilities.join(', ') : 'No capabilities declared'} · created {when(t.createdAt)} ·{' '}
                      {state === 'used' ? `used ${when(t.usedAt)}` : `expires ${when(t.expiresAt)}`}
                      {t.agentId && (
                        <>
                          {' · enrolled '}
                          <Link href={`/agents/detail/?id=${encodeURIComponent(t.agentId)}`} className="underline" title={t.agentId}>
                            {agentNames.get(t.agentId) ?? t.agentId}
                          </Link>
                        </>
                      )}
                    </div>
                  </div>
                  <Badge>{state}</Badge>
                  {mayRevoke &&
                    (confirming === t.id ? (
                      <span className="flex flex-wrap items-center gap-2" role="group" aria-label={`Confirm revoking ${t.name ?? t.id}`}>
                        <span>Revoke this token?</span>
                        <button type="button" className={danger} onClick={() => void revoke(t.id)}>
                          Yes, revoke
                        </button>
                        <button type="button" autoFocus className={button} onClick={() => setConfirming(null)}>
                          Cancel
                        </button>
                      </span>
                    ) : (
                      <button type="button" className={button} onClick={() => setConfirming(t.id)} aria-label={`Revoke ${t.name ?? t.id}`}>
                        Revoke
                      </button>
                    ))}
                </li>
              );
            })}
          </ul>
        )}
      </Resource>
    </section>
  );
}
