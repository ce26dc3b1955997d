'use client';

import type { ReactNode } from 'react';
import type { ApiQuery } from '@/data/query';
import { Empty, Failed, Loading } from './states';

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
