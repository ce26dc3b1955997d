import { useCallback, useState } from 'react';

/**
 * One page's data, read by `fetchAll` (the data, or a message for a person when it failed).
 * `load` shows the loading state, then the data or the error; `refresh` swaps in new data quietly,
 * keeping what is shown until it arrives (and when it fails).
 */
export function useResource<T extends object>(fetchAll: () => Promise<T | string>) {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(async () => {
    setError(null);
    setData(null);
    const result = await fetchAll();
    if (typeof result === 'string') setError(result);
    else setData(result);
  }, [fetchAll]);
  const refresh = useCallback(async () => {
    const result = await fetchAll();
    if (typeof result !== 'string') setData(result);
  }, [fetchAll]);
  return { data, error, load, refresh };
}
