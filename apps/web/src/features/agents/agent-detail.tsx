'use client';

import Link from 'next/link';
import { useSearchParams } from 'next/navigation';
import { Suspense, useCallback, useEffect, useRef } from 'react';
import { api, errorMessage } from '@/api/client';
import type { components } from '@/api/schema';
import { useApiQuery } from '@/data/query';
import { AttestationsSection } from '@/features/agents/evidence/attestations';
import { GrantsSection } from '@/features/agents/evidence/grants';
import { IncidentsSection } from '@/features/agents/evidence/incidents';
import { RatingsSection } from '@/features/agents/evidence/ratings';
import { ReviewsSection } from '@/features/agents/evidence/reviews';
import type { Rows } from '@/features/agents/evidence/section';
import { Empty, Failed, Loading } from '@/components/states';
import { Badge } from '@/components/ui';
import { Identity } from '@/features/agents/identity';
import { Lifecycle } from '@/features/agents/lifecycle';
import { Decisions, TrustSection } from '@/features/agents/trust';

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

  if (!id)
    return (
      <Empty>
        No agent chosen.{' '}
        <Link href="/agents/" className="underline">
          Back to the agents
        </Link>
        .
      </Empty>
    );
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
