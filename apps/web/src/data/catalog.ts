import { api } from '@/api/client';
import { must, useApiQuery } from './query';

/** The capability catalog by name (one cached read for the catalog page and the grant and enrollment forms). */
export function useCapabilityCatalog() {
  return useApiQuery({
    key: ['/api/v1/capabilities'],
    topics: ['capability'],
    fetch: async () => [...must(await api.GET('/api/v1/capabilities')).capabilities].sort((a, b) => a.name.localeCompare(b.name)),
  });
}
