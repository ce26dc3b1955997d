'use client';

import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import { api, setCsrfToken } from '@/api/client';
import type { components } from '@/api/schema';

export type Me = components['schemas']['Me'];

interface SessionState {
  me: Me | null;
  loading: boolean;
  reload: () => Promise<void>;
}

const SessionContext = createContext<SessionState>({ me: null, loading: true, reload: async () => {} });

/** Who is signed in (GET /api/v1/me), shared by every page; null when nobody is. */
export function SessionProvider({ children }: { children: ReactNode }) {
  const [me, setMe] = useState<Me | null>(null);
  const [loading, setLoading] = useState(true);
  const reload = useCallback(async () => {
    const { data } = await api.GET('/api/v1/me');
    setMe(data ?? null);
    setCsrfToken(data?.csrfToken ?? null);
    setLoading(false);
  }, []);
  useEffect(() => {
    void reload();
  }, [reload]);
  return <SessionContext.Provider value={{ me, loading, reload }}>{children}</SessionContext.Provider>;
}

export const useSession = () => useContext(SessionContext);

/** What the signed-in person's role lets them do (the server enforces the same rules). */
export function useCan() {
  const { me } = useSession();
  const role = me?.role ?? null;
  return {
    role,
    manage: role === 'admin' || role === 'manager',
    create: role === 'admin' || role === 'manager' || role === 'member',
    /** audit.read: managers and admins. */
    audit: role === 'admin' || role === 'manager',
  };
}
