'use client';

import { useEffect, useRef } from 'react';

/**
 * Live updates (GET /api/v1/events, server-sent events fed by the shared pub/sub): calls `onChange`
 * when something of one of `topics` changed (`agent`, `capability_request`, `decision`, …). The
 * browser reconnects by itself when a stream ends; when the session has expired it is refreshed first.
 */
export function useLive(topics: readonly string[], onChange: () => void): void {
  const callback = useRef(onChange);
  callback.current = onChange;
  const key = topics.join(',');

  useEffect(() => {
    const wanted = new Set(key.split(','));
    let source: EventSource | null = null;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let closed = false;
    const open = () => {
      source = new EventSource('/api/v1/events');
      source.addEventListener('change', (e) => {
        const { topics: changed } = JSON.parse((e as MessageEvent<string>).data) as { topics: string[] };
        if (changed.some((t) => wanted.has(t))) callback.current();
      });
      source.addEventListener('decision', () => {
        if (wanted.has('decision')) callback.current();
      });
      source.onerror = () => {
        // CLOSED: the server refused the stream (an expired session); CONNECTING: the browser retries itself.
        if (closed || source?.readyState !== EventSource.CLOSED) return;
        retry = setTimeout(() => {
          void fetch('/api/v1/auth/refresh', { method: 'POST', credentials: 'same-origin' }).finally(() => {
            if (!closed) open();
          });
        }, 3_000);
      };
    };
    open();
    return () => {
      closed = true;
      clearTimeout(retry);
      source?.close();
    };
  }, [key]);
}
