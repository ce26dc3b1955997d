'use client';

import { agentLifecycleSchema } from '@aim/contracts';
import Link from 'next/link';
import { useSearchParams } from 'next/navigation';
import { Suspense, useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { api, errorMessage } from '@/api/client';
import type { components } from '@/api/schema';
import { useApiQuery } from '@/data/query';
import { AttestationsSection, GrantsSection, IncidentsSection, RatingsSection, ReviewsSection, type Rows } from '@/components/agent-evidence';
import { Field, FormAlert, blank, failWith, useSchemaForm } from '@/components/form';
import { Input } from '@/components/ui/input';
import { useCan, useSession } from '@/components/session';
import { Empty, Failed, Loading } from '@/components/states';
import { Badge, button, danger, primary, when } from '@/components/ui';

type Agent = components['schemas']['Agent'];
type Detail = components['schemas']['AgentDetail'];
type Trust = components['schemas']['TrustScore'];
type HistoryEntry = components['schemas']['TrustHistoryEntry'];
type Grant = components['schemas']['CapabilityGrant'];
type Rating = components['schemas']['Rating'];
type Decision = components['schemas']['Decision'];
type Review = components['schemas']['SecurityReview'];
type Incident = components['schemas']['Incident'];
type Attestation = components['schemas']['Attestation'];

interface Loaded {
  detail: Detail;
  trust: Trust | null;
  history: HistoryEntry[];
  grants: Rows<Grant>;
  ratings: Rows<Rating>;
  decisions: Decision[];
  reviews: Rows<Review>;
  incidents: Rows<Incident>;
  attestations: Rows<Attestation>;
  /** People's names by user id (the members list), for the owner and the ratings; ids when it cannot be read. */
  people: Map<string, string>;
}

/**
 * One agent: identity and keys, lifecycle, trust and its factors, grants, security reviews, incidents,
 * attestations, recent decisions, ratings.
 */
export function AgentDetailView() {
  return (
    <Suspense fallback={<Loading what="the agent" />}>
      <AgentDetail />
    </Suspense>
  );
}

function AgentDetail() {
  const id = useSearchParams().get('id') ?? '';

  const fetchAll = async (): Promise<Loaded> => {
    const path = { params: { path: { agentId: id } } };
    const [detail, trust, history, grants, ratings, decisions, members, reviews, incidents, attestations] = await Promise.all([
      api.GET('/api/v1/agents/{agentId}', path),
      api.GET('/api/v1/agents/{agentId}/trust', path),
      api.GET('/api/v1/agents/{agentId}/trust-history', path),
      api.GET('/api/v1/agents/{agentId}/grants', path),
      api.GET('/api/v1/agents/{agentId}/ratings', path),
      api.GET('/api/v1/decisions', { params: { query: { agentId: id, limit: 5 } } }),
      api.GET('/api/v1/members'),
      api.GET('/api/v1/agents/{agentId}/security-reviews', path),
      api.GET('/api/v1/agents/{agentId}/incidents', path),
      api.GET('/api/v1/agents/{agentId}/attestations', path),
    ]);
    if (!detail.data) throw new Error(errorMessage(detail.error));
    return {
      detail: detail.data,
      trust: trust.data?.trust ?? null,
      history: history.data?.history ?? [],
      grants: grants.data ? grants.data.grants.filter((g) => g.status === 'active') : errorMessage(grants.error),
      ratings: ratings.data ? ratings.data.ratings : errorMessage(ratings.error),
      reviews: reviews.data ? reviews.data.reviews : errorMessage(reviews.error),
      incidents: incidents.data ? incidents.data.incidents : errorMessage(incidents.error),
      attestations: attestations.data ? attestations.data.attestations : errorMessage(attestations.error),
      people: new Map((members.data?.members ?? []).map((m) => [m.user.id, m.user.name])),
      decisions: [...(decisions.data?.decisions ?? [])].sort((a, b) => b.createdAt.localeCompare(a.createdAt)).slice(0, 5),
    };
  };

  // Live: a burst of changes (a review, then the score it moved) reloads once (the stream coalesces them).
  const { data, error, retry, refresh } = useApiQuery({
    key: ['agent-page', id],
    topics: ['agent', 'decision', 'capability_grant'],
    enabled: id !== '',
    fetch: fetchAll,
  });

  /**
   * After new trust evidence (a review, an incident, a rating): the server recalculates the score a
   * few seconds later (and announces notable changes live). Until a newer score than the one shown
   * is stored, ask again, then show it: the page follows the API's score even for a small change.
   */
  const shownAt = useRef<string | null>(null);
  shownAt.current = data?.trust?.computedAt ?? null;
  const alive = useRef(true);
  useEffect(() => {
    alive.current = true;
    return () => {
      alive.current = false;
    };
  }, []);
  const followTrust = useCallback(async () => {
    const before = shownAt.current;
    await refresh();
    // In the background: the form that added the evidence is done.
    void (async () => {
      for (let i = 0; i < 15 && alive.current && shownAt.current === before; i++) {
        await new Promise((r) => setTimeout(r, 1000));
        const { data: latest } = await api.GET('/api/v1/agents/{agentId}/trust', { params: { path: { agentId: id } } });
        if (latest && latest.trust.computedAt !== before) return refresh();
      }
    })();
  }, [id, refresh]);

  if (!id) return <Empty>No agent chosen. <Link href="/agents/" className="underline">Back to the agents</Link>.</Empty>;
  if (error) return <Failed message={error} retry={retry} />;
  if (!data) return <Loading what="the agent" />;
  const agent = data.detail.agent;

  return (
    <section aria-labelledby="agent-title" className="min-w-0 space-y-6">
      <div>
        <Link href="/agents/" className="text-sm text-slate-600 underline">
          ← Agents
        </Link>
        <div className="mt-1 flex flex-wrap items-center gap-3">
          <h1 id="agent-title" className="mr-auto break-all text-2xl font-semibold">
            {agent.name}
          </h1>
          <span data-testid="agent-status">
            <Badge>{agent.status}</Badge>
          </span>
        </div>
      </div>
      <Identity agent={agent} people={data.people} onChange={refresh} />
      <Lifecycle agent={agent} onChange={refresh} />
      <TrustSection agent={agent} trust={data.trust} history={data.history} onChange={refresh} />
      <GrantsSection agent={agent} grants={data.grants} onChange={refresh} retry={() => void refresh()} />
      <ReviewsSection agent={agent} reviews={data.reviews} people={data.people} onEvidence={followTrust} retry={() => void refresh()} />
      <IncidentsSection agent={agent} incidents={data.incidents} people={data.people} onEvidence={followTrust} retry={() => void refresh()} />
      <AttestationsSection attestations={data.attestations} retry={() => void refresh()} />
      <Decisions agent={data.detail.agent} decisions={data.decisions} />
      <RatingsSection agent={agent} ratings={data.ratings} people={data.people} onEvidence={followTrust} retry={() => void refresh()} />
    </section>
  );
}

function Card({ id, title, children }: { id: string; title: string; children: ReactNode }) {
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
function useMayManage(agent: Agent): boolean {
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

function Identity({ agent, people, onChange }: { agent: Agent; people: Map<string, string>; onChange: () => Promise<void> }) {
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

type Action = 'suspend' | 'reactivate' | 'revoke';
const ACTION_LABEL: Record<Action, string> = { suspend: 'Suspend', reactivate: 'Reactivate', revoke: 'Revoke' };

function Lifecycle({ agent, onChange }: { agent: Agent; onChange: () => Promise<void> }) {
  const mayManage = useMayManage(agent);
  const [action, setAction] = useState<Action | null>(null);
  const form = useSchemaForm(agentLifecycleSchema);
  const { register, formState } = form;
  if (!mayManage) return null;
  const available: Action[] = agent.status === 'active' ? ['suspend', 'revoke'] : agent.status === 'suspended' ? ['reactivate', 'revoke'] : [];

  const run = form.handleSubmit(async (body) => {
    if (!action) return;
    const params = { params: { path: { agentId: agent.id } }, body };
    const { error } =
      action === 'suspend'
        ? await api.POST('/api/v1/agents/{agentId}/suspend', params)
        : action === 'reactivate'
          ? await api.POST('/api/v1/agents/{agentId}/reactivate', params)
          : await api.POST('/api/v1/agents/{agentId}/revoke', params);
    if (error) return failWith(form, error);
    setAction(null);
    form.reset();
    await onChange();
  });

  return (
    <Card id="lifecycle-title" title="Lifecycle">
      {available.length === 0 ? (
        <p className="text-sm text-slate-600">This agent is revoked; revocation is final.</p>
      ) : action === null ? (
        <div className="flex flex-wrap gap-2">
          {available.map((a) => (
            <button key={a} type="button" className={a === 'reactivate' ? primary : a === 'revoke' ? danger : button} onClick={() => setAction(a)}>
              {ACTION_LABEL[a]}
            </button>
          ))}
        </div>
      ) : (
        <form className="space-y-2" noValidate onSubmit={(e) => void run(e)}>
          <p className="text-sm">
            {action === 'revoke'
              ? 'Revoke this agent? Revocation is final.'
              : action === 'suspend'
                ? 'Suspend this agent? Its requests are refused until it is reactivated.'
                : 'Reactivate this agent?'}
          </p>
          <Field id="lifecycle-reason" label="Reason (optional)" error={formState.errors.reason?.message}>
            {(aria) => <Input {...aria} {...register('reason', blank)} />}
          </Field>
          <FormAlert form={form} />
          <div className="flex flex-wrap gap-2">
            <button type="submit" disabled={formState.isSubmitting} className={action === 'reactivate' ? primary : danger}>
              Confirm {ACTION_LABEL[action].toLowerCase()}
            </button>
            <button
              type="button"
              className={button}
              onClick={() => {
                setAction(null);
                form.reset();
              }}
            >
              Cancel
            </button>
          </div>
        </form>
      )}
    </Card>
  );
}

function TrustSection({ agent, trust, history, onChange }: { agent: Agent; trust: Trust | null; history: HistoryEntry[]; onChange: () => Promise<void> }) {
  const can = useCan();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const recalculate = async () => {
    setBusy(true);
    setError(null);
    const { error: e } = await api.POST('/api/v1/agents/{agentId}/recalculate-trust', { params: { path: { agentId: agent.id } } });
    setBusy(false);
    if (e) return setError(errorMessage(e));
    await onChange();
  };

  return (
    <Card id="trust-title" title="Trust">
      {!trust ? (
        <Empty>Not scored yet.</Empty>
      ) : (
        <>
          <div className="flex flex-wrap items-baseline gap-x-4 gap-y-1">
            <span className="text-3xl font-semibold" data-testid="trust-score">
              {trust.score === null ? '—' : trust.score.toFixed(2)}
            </span>
            <Badge>{trust.tier}</Badge>
            <span className="text-sm text-slate-600">rests on {Math.round(trust.confidence * 100)}% of the weight</span>
            <span className="text-xs text-slate-500">
              algorithm {trust.algorithmVersion} · {trust.trigger} · {when(trust.computedAt)}
            </span>
          </div>
          {can.manage && (
            <button type="button" className={`${button} mt-2`} disabled={busy} onClick={() => void recalculate()}>
              Recalculate
            </button>
          )}
          {error && (
            <p role="alert" className="mt-2 text-sm text-red-700">
              {error}
            </p>
          )}
          <ul className="mt-4 space-y-3" aria-label="Trust factors">
            {trust.factors.map((f) => (
              <li key={f.key} data-factor={f.key} className="text-sm">
                <div className="flex flex-wrap justify-between gap-x-3">
                  <span className="font-medium">{f.label}</span>
                  <span className="text-xs text-slate-600">
                    weight {Math.round(f.weight * 100)}% · {f.value === null ? 'unknown' : `value ${f.value.toFixed(2)} · +${f.contribution.toFixed(2)} points`}
                  </span>
                </div>
                {f.value === null ? (
                  <div className="mt-1 h-2 rounded border border-dashed border-slate-300" aria-hidden="true" />
                ) : (
                  <div
                    className="mt-1 h-2 overflow-hidden rounded bg-slate-100"
                    role="meter"
                    aria-label={f.label}
                    aria-valuemin={0}
                    aria-valuemax={1}
                    aria-valuenow={f.value}
                  >
                    <div className="h-full bg-slate-700" style={{ width: `${f.value * 100}%` }} />
                  </div>
                )}
                <p className="mt-1 text-xs text-slate-600">{f.value === null ? `unknown — ${f.explanation}` : f.explanation}</p>
              </li>
            ))}
          </ul>
        </>
      )}
      <h3 className="mb-2 mt-4 font-medium">Score over time</h3>
      <TrustChart history={history} />
    </Card>
  );
}

function TrustChart({ history }: { history: HistoryEntry[] }) {
  const points = history.filter((h) => h.score !== null).sort((a, b) => a.computedAt.localeCompare(b.computedAt));
  if (points.length === 0) return <p className="text-sm text-slate-600">No scores yet.</p>;
  const W = 300;
  const H = 80;
  const t0 = new Date(points[0]!.computedAt).getTime();
  const t1 = new Date(points.at(-1)!.computedAt).getTime();
  const x = (iso: string) => (t1 === t0 ? W / 2 : ((new Date(iso).getTime() - t0) / (t1 - t0)) * (W - 8) + 4);
  const y = (s: number) => H - 4 - (s / 100) * (H - 8);
  const path = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.computedAt).toFixed(1)},${y(p.score!).toFixed(1)}`).join(' ');
  const last = points.at(-1)!;
  return (
    <svg viewBox={`0 0 ${W} ${H}`} className="h-24 w-full max-w-md" role="img" aria-label={`Trust score over time: ${points.length} scores, latest ${last.score!.toFixed(1)}`}>
      <line x1="0" x2={W} y1={y(50)} y2={y(50)} className="stroke-slate-200" strokeDasharray="3 3" />
      <rect x="0" y="0" width={W} height={H} fill="none" className="stroke-slate-200" />
      <path d={path} fill="none" className="stroke-slate-800" strokeWidth="2" />
      {points.map((p) => (
        <circle key={p.id} cx={x(p.computedAt)} cy={y(p.score!)} r="3" className="fill-slate-800">
          <title>{`${p.score!.toFixed(1)} (${p.trigger}) ${when(p.computedAt)}`}</title>
        </circle>
      ))}
    </svg>
  );
}

function Decisions({ agent, decisions }: { agent: Agent; decisions: Decision[] }) {
  return (
    <Card id="decisions-title" title="Recent decisions">
      {decisions.length === 0 ? (
        <Empty>No decisions yet.</Empty>
      ) : (
        <ul className="divide-y divide-slate-100 text-sm">
          {decisions.map((d) => (
            <li key={d.id} className="flex flex-wrap items-center gap-2 py-2">
              <Badge>{d.status}</Badge>
              <span className="break-all font-medium">{d.action}</span>
              {d.resource && <code className="break-all text-xs">{d.resource}</code>}
              <span className="ml-auto text-xs text-slate-600">{when(d.createdAt)}</span>
            </li>
          ))}
        </ul>
      )}
      <Link href={`/decisions/?agentId=${encodeURIComponent(agent.id)}`} className="mt-2 inline-block text-sm underline">
        All of this agent’s decisions
      </Link>
    </Card>
  );
}
