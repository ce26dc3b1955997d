'use client';

import type { ReactNode } from 'react';
import type { ApiQuery } from '@/data/query';
import { Empty, Failed, Loading } from './states';
import { Pager } from './ui';

/**
 * What every read shows besides its data: the error with "Try again", the loading line ("Loading
 * {what}…"), and, for an empty list (or what `isEmpty` calls empty), the `empty` message.
 */
export function Resource<T>({
  query,
  what,
  empty,
  isEmpty = (data) => Array.isArray(data) && data.length === 0,
  children,
}: {
  query: Pick<ApiQuery<T>, 'data' | 'error' | 'retry'>;
  what: string;
  empty?: ReactNode;
  isEmpty?: (data: T) => boolean;
  children: (data: T) => ReactNode;
}) {
  if (query.error) return <Failed message={query.error} retry={query.retry} />;
  if (query.data === null) return <Loading what={what} />;
  if (empty !== undefined && isEmpty(query.data)) return <Empty>{empty}</Empty>;
  return <>{children(query.data)}</>;
}

/** One page of a keyset list as `useListQuery` gives it. */
export interface KeysetListState<T> {
  rows: T[] | null;
  next: string | null;
  error: string | null;
  retry: () => void;
}

/**
 * A keyset list: its states (error, "Loading {what}…", `empty`), its rows, and Newer / Older over its
 * pages (`pages` is the stack of cursors that led to the current page).
 */
export function KeysetList<T>({
  list,
  what,
  empty,
  pages,
  setPages,
  children,
}: {
  list: KeysetListState<T>;
  what: string;
  empty: ReactNode;
  pages: string[];
  setPages: (f: (p: string[]) => string[]) => void;
  children: (rows: T[]) => ReactNode;
}) {
  return (
    <>
      <Resource query={{ data: list.rows, error: list.error, retry: list.retry }} what={what} empty={empty}>
        {children}
      </Resource>
      <Pager pages={pages} next={list.next} setPages={setPages} />
    </>
  );
}
