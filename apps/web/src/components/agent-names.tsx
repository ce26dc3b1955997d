'use client';

import { useCallback, useEffect, useState } from 'react';
import { api } from '@/api/client';
import { useLive } from './live';

/** Names of the organization's agents by id (the newest 200), for lists that only carry an agent's id. */
export function useAgentNames(): { names: Map<string, string>; agents: { id: string; name: string }[] } {
  const [agents, setAgents] = useState<{ id: string; name: string }[]>([]);
  const load = useCallback(async () => {
    const { data } = await api.GET('/api/v1/agents', { params: { query: { limit: 200 } } });
    if (data) setAgents(data.agents.map((a) => ({ id: a.id, name: a.name })));
  }, []);
  useEffect(() => void load(), [load]);
  useLive(['agent'], () => void load());
  return { names: new Map(agents.map((a) => [a.id, a.name])), agents };
}
