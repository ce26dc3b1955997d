import { useCallback, useRef } from 'react';

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
