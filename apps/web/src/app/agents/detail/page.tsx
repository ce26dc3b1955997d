'use client';

import { AgentDetailView } from '@/features/agents/agent-detail';

/**
 * One agent: identity and keys, lifecycle, trust and its factors, grants, security reviews, incidents,
 * attestations, recent decisions, ratings.
 */
export default function Page() {
  return <AgentDetailView />;
}
