'use client';

import { api } from '@/api/client';
import { useApiQuery } from '@/data/query';

const NO_NAMES = new Map<string, string>();

/**
 * Names of the agents a list refers to by id (decisions, requests carry ids only), looked up with
 * GET /api/v1/agents?ids=… (200 at a time) and looked up again when agents change (renames). An id the
 * organization cannot see stays unnamed, and the list shows the id itself. While a new set of ids is
 * looked up, the names already known stay.
 */
export function useAgentNames(ids: readonly string[]): Map<string, string> {
  const key = [...new Set(ids)].sort().join(',');
  const { data } = useApiQuery({
    key: ['agent-names', key],
    topics: ['agent'],
    enabled: key !== '',
    keepPrevious: true,
    fetch: async () => {
      const wanted = key.split(',');
      const found = new Map<string, string>();
      for (let i = 0; i < wanted.length; i += 200) {
        const { data: page } = await api.GET('/api/v1/agents', { params: { query: { ids: wanted.slice(i, i + 200).join(','), limit: 200 } } });
        for (const a of page?.agents ?? []) found.set(a.id, a.name);
      }
      return found;
    },
  });
  return data ?? NO_NAMES;
}

/** The newest 200 agents, for a filter's choices. */
export function useAgentChoices(): { id: string; name: string }[] {
  const { data } = useApiQuery({
    key: ['agent-choices'],
    topics: ['agent'],
    fetch: async () => {
      const { data: page } = await api.GET('/api/v1/agents', { params: { query: { limit: 200 } } });
      return (page?.agents ?? []).map((a) => ({ id: a.id, name: a.name }));
    },
  });
  return data ?? [];
}
