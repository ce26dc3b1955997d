'use client';

import { api } from '@/api/client';
import { useApiQuery } from '@/data/query';

/** The organization's people by id (names beside ids); empty when the caller may not list members. */
export function useMemberNames() {
  const query = useApiQuery({
    key: ['/api/v1/members', 'names'],
    topics: ['membership', 'user'],
    fetch: async () => {
      const { data } = await api.GET('/api/v1/members');
      return (data?.members ?? []).map((m) => ({ id: m.user.id, name: m.user.name, role: m.role }));
    },
  });
  const members = query.data ?? [];
  return { members, names: new Map(members.map((m) => [m.id, m.name])) };
}
