import { useCallback, useEffect, useRef, useState } from 'react';

/**
 * Answers can arrive out of order (a live refresh started under the old filters may finish after the
 * load for the new ones). Each fetch takes a ticket; only the newest ticket's answer may be shown.
 */
export function useLatest(): () => () => boolean {
  const latest = useRef(0);
  return useCallback(() => {
    const ticket = ++latest.current;
    return () => ticket === latest.current;
  }, []);
}

/** One page of a keyset list as a page's fetch gives it, or a message for a person when it failed. */
export type ListPage<T> = { rows: T[]; next: string | null } | { error: string };

/**
 * A list page's rows, next cursor and error, loaded by `fetchPage` (a new `fetchPage`, i.e. new
 * filters or cursor, loads again, after `debounceMs` for typed filters). `refresh` swaps in new rows
 * quietly, for live updates. Only the newest request's answer is ever shown.
 */
export function useListPage<T>(fetchPage: () => Promise<ListPage<T>>, debounceMs = 0) {
  const [rows, setRows] = useState<T[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const ticket = useLatest();
  const load = useCallback(async () => {
    const current = ticket();
    setError(null);
    setRows(null);
    const page = await fetchPage();
    if (!current()) return;
    if ('error' in page) return setError(page.error);
    setRows(page.rows);
    setNext(page.next);
  }, [fetchPage, ticket]);
  useEffect(() => {
    if (debounceMs === 0) return void load();
    const timer = setTimeout(() => void load(), debounceMs);
    return () => clearTimeout(timer);
  }, [load, debounceMs]);
  const refresh = useCallback(async () => {
    const current = ticket();
    const page = await fetchPage();
    if (current() && !('error' in page)) {
      setRows(page.rows);
      setNext(page.next);
    }
  }, [fetchPage, ticket]);
  return { rows, next, error, load, refresh };
}
