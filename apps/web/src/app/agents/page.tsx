'use client';

import { AgentList } from '@/features/agents/agent-list';

/** The organization's agents: search, filters (status, trust tier, tag, owner), keyset pages. */
export default function Page() {
  return <AgentList />;
}
