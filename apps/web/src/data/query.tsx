'use client';

import { QueryClient, QueryClientProvider, keepPreviousData, useQuery, useQueryClient, type QueryKey } from '@tanstack/react-query';
import { useEffect, useRef, useState, type ReactNode } from 'react';
import { errorMessage } from '@/api/client';
import { useSessionStore } from '@/components/session';
import { openLiveStream, subscribe } from './live';

/**
 * The dashboard's one data layer: every read is a TanStack Query query, cached by its key, and tagged
 * with the live topics it depends on (`meta.topics`). The live stream (./live) invalidates the queries
 * of the topics that changed, so what is on screen is fetched again quietly: the rows stay until the
 * new ones arrive, and a failed refresh keeps them. A page's first load (or a new key: new filters,
 * another page) shows the loading state, then the data or the error.
 */
declare module '@tanstack/react-query' {
  interface Register {
    queryMeta: { topics?: readonly string[] };
  }
}

function newQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      // A failed read shows its message and a "Try again" at once; focus and reconnects do not refetch
      // (the live stream does when something changed).
      queries: { retry: false, refetchOnWindowFocus: false, refetchOnReconnect: false },
    },
  });
}

/**
 * Invalidates the queries whose topics changed, while someone is signed in (the stream needs a
 * session). When the person or the organization changes (sign-out, another organization), every
 * query starts over: nothing read for the previous one may show (the first sign-in has nothing to drop).
 */
function LiveInvalidation() {
  const client = useQueryClient();
  const signedIn = useSessionStore((s) => s.me !== null);
  const identity = useSessionStore((s) => (s.me ? `${s.me.user.id} ${s.me.organization?.id ?? ''}` : null));
  const previous = useRef(identity);
  useEffect(() => {
    const before = previous.current;
    previous.current = identity;
    if (before !== null && before !== identity) void client.resetQueries();
  }, [client, identity]);
  useEffect(() => {
    if (!signedIn) return;
    const close = openLiveStream();
    const unsubscribe = subscribe((changed) => {
      void client.invalidateQueries({ predicate: (q) => q.meta?.topics?.some((t) => changed.has(t)) ?? false });
    });
    return () => {
      unsubscribe();
      close();
    };
  }, [client, signedIn]);
  return null;
}

export function QueryProvider({ children }: { children: ReactNode }) {
  const [client] = useState(newQueryClient);
  return (
    <QueryClientProvider client={client}>
      <LiveInvalidation />
      {children}
    </QueryClientProvider>
  );
}

/** An openapi-fetch answer's data, or its error's message for a person (thrown, so the query fails with it). */
export function must<T>(answer: { data?: T; error?: unknown }): T {
  if (answer.data === undefined) throw new Error(errorMessage(answer.error));
  return answer.data;
}

export interface ApiQuery<T> {
  /** The data, null until it first arrives (and while a new key loads). */
  data: T | null;
  /** Why the data could not be read, only while there is none to show. */
  error: string | null;
  /** Reads again, showing the loading state (the "Try again" of a failed read). */
  retry: () => void;
  /** Reads again quietly (after a change made on the page); resolves when done. */
  refresh: () => Promise<void>;
  /** Shows `data` (a change's answer) without reading again. */
  set: (data: T) => void;
}

/**
 * One read: `key` names it in the cache, `topics` are the live topics that make it stale, `fetch`
 * gives the data (or throws the message to show, see `must`). `enabled: false` waits (no request).
 * `keepPrevious`: a new key shows the previous key's data until its own arrives (no loading state).
 */
export function useApiQuery<T>(options: {
  key: QueryKey;
  topics: readonly string[];
  fetch: () => Promise<T>;
  enabled?: boolean;
  keepPrevious?: boolean;
  /** Reads again quietly every this many milliseconds (for what the live stream does not announce). */
  refetchIntervalMs?: number;
}): ApiQuery<T> {
  const client = useQueryClient();
  const query = useQuery({
    queryKey: options.key,
    queryFn: options.fetch,
    meta: { topics: options.topics },
    enabled: options.enabled ?? true,
    ...(options.refetchIntervalMs ? { refetchInterval: options.refetchIntervalMs } : {}),
    ...(options.keepPrevious ? { placeholderData: keepPreviousData } : {}),
  });
  const data = query.data ?? null;
  return {
    data,
    error: data === null && query.error ? query.error.message : null,
    retry: () => void client.resetQueries({ queryKey: options.key, exact: true }),
    refresh: async () => {
      await query.refetch();
    },
    set: (next) => client.setQueryData(options.key, next),
  };
}

/** `value`, once it stopped changing for `ms` (typed filters wait for the typing to pause). */
export function useDebounced<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  const key = JSON.stringify(value);
  const latest = useRef(value);
  latest.current = value;
  useEffect(() => {
    if (ms === 0) return setSettled(latest.current);
    const timer = setTimeout(() => setSettled(latest.current), ms);
    return () => clearTimeout(timer);
  }, [key, ms]);
  return ms === 0 ? value : settled;
}

/** One page of a keyset list: its rows and the cursor of the next (older) page. */
export interface KeysetPage<T> {
  rows: T[];
  next: string | null;
}

/**
 * A keyset list's current page (its rows, the next cursor, and whatever else the fetch returns with
 * them): `params` (filters and cursor) are part of its key, and a change to
 * them loads again after `debounceMs` (typed filters). Live changes of `topics` refresh it quietly.
 */
export function useListQuery<Page extends KeysetPage<unknown>, P>(options: {
  name: string;
  params: P;
  topics: readonly string[];
  fetch: (params: P) => Promise<Page>;
  debounceMs?: number;
  refetchIntervalMs?: number;
}): ApiQuery<Page> & { rows: Page['rows'] | null; next: string | null } {
  const params = useDebounced(options.params, options.debounceMs ?? 0);
  const page = useApiQuery({
    key: [options.name, params],
    topics: options.topics,
    fetch: () => options.fetch(params),
    ...(options.refetchIntervalMs ? { refetchIntervalMs: options.refetchIntervalMs } : {}),
  });
  return { ...page, rows: page.data?.rows ?? null, next: page.data?.next ?? null };
}
