'use client';

import type { Permission } from '@aim/contracts';
import { useEffect, type ReactNode } from 'react';
import { create } from 'zustand';
import { useShallow } from 'zustand/react/shallow';
import { api, setCsrfToken } from '@/api/client';
import type { components } from '@/api/schema';

export type Me = components['schemas']['Me'];

interface SessionState {
  me: Me | null;
  loading: boolean;
  reload: () => Promise<void>;
}

/** Who is signed in (GET /api/v1/me), one store for every page; `me` is null when nobody is. */
export const useSessionStore = create<SessionState>((set) => ({
  me: null,
  loading: true,
  reload: async () => {
    const { data } = await api.GET('/api/v1/me');
    setCsrfToken(data?.csrfToken ?? null);
    set({ me: data ?? null, loading: false });
  },
}));

/** Loads the session once when the dashboard opens. */
export function SessionProvider({ children }: { children: ReactNode }) {
  useEffect(() => {
    void useSessionStore.getState().reload();
  }, []);
  return <>{children}</>;
}

export const useSession = () => useSessionStore(useShallow((s) => ({ me: s.me, loading: s.loading, reload: s.reload })));

/**
 * What the signed-in person may do, from the permissions the server reports for their role (the one
 * table, docs/permissions.md). It only decides which controls show: the server checks every request.
 */
export function useCan() {
  const me = useSessionStore((s) => s.me);
  const granted = new Set<string>(me?.permissions ?? []);
  const has = (permission: Permission) => granted.has(permission);
  return {
    role: me?.role ?? null,
    has,
    /** Manages every agent, the catalog, policies and approvals: managers and admins. */
    manage: has('agent.manage_all'),
    /** Registers agents and manages their own: members and up. */
    create: has('agent.create'),
    audit: has('audit.read'),
    /** Reads the organization's webhook endpoints and their deliveries: managers and admins. */
    webhooks: has('webhook.read'),
    /** Creates, changes, tests and redelivers webhook endpoints: managers and admins. */
    manageWebhooks: has('webhook.manage'),
  };
}
