'use client';

import { useCallback, useEffect, useState } from 'react';
import { api } from '@/api/client';
import { useLive } from './live';

/**
 * Names of the agents a list refers to by id (decisions, requests carry ids only): the ids not yet
 * known are looked up with GET /api/v1/agents?ids=… (200 at a time). An id the organization cannot
 * see stays unnamed, and the list shows the id itself.
 */
export function useAgentNames(ids: readonly string[]): Map<string, string> {
  const [names, setNames] = useState<Map<string, string>>(new Map());
  const lookUp = useCallback(async (wanted: readonly string[]) => {
    const found = new Map<string, string>();
    for (let i = 0; i < wanted.length; i += 200) {
      const { data } = await api.GET('/api/v1/agents', { params: { query: { ids: wanted.slice(i, i + 200).join(','), limit: 200 } } });
      for (const a of data?.agents ?? []) found.set(a.id, a.name);
    }
    if (found.size > 0) setNames((old) => new Map([...old, ...found]));
  }, []);
  const key = [...new Set(ids)].sort().join(',');
  useEffect(() => {
    const missing = key ? key.split(',').filter((id) => !names.has(id)) : [];
    if (missing.length > 0) void lookUp(missing);
    // Only a new set of ids starts a lookup; names arriving do not.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, lookUp]);
  // Renames: look the shown ones up again.
  useLive(['agent'], () => key && void lookUp(key.split(',')));
  return names;
}

/** The newest 200 agents, for a filter's choices. */
export function useAgentChoices(): { id: string; name: string }[] {
  const [agents, setAgents] = useState<{ id: string; name: string }[]>([]);
  const load = useCallback(async () => {
    const { data } = await api.GET('/api/v1/agents', { params: { query: { limit: 200 } } });
    if (data) setAgents(data.agents.map((a) => ({ id: a.id, name: a.name })));
  }, []);
  useEffect(() => void load(), [load]);
  useLive(['agent'], () => void load());
  return agents;
}
