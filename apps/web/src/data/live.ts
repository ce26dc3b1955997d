/**
 * The dashboard's one live stream (GET /api/v1/events, server-sent events fed by the shared pub/sub),
 * open while someone is signed in. Each `change` event names the topics that changed (`agent`,
 * `capability_request`, `decision`, …); a `decision` event is the topic `decision`. Changes arriving
 * close together are passed on once (a review, then the score it moved, refresh a page once). The
 * browser reconnects by itself when a stream ends; when the session has expired it is refreshed first.
 */
export type Listener = (topics: ReadonlySet<string>) => void;

const listeners = new Set<Listener>();

/** Calls `listener` with the topics of each (coalesced) change; returns the unsubscribe. */
export function subscribe(listener: Listener): () => void {
  listeners.add(listener);
  return () => void listeners.delete(listener);
}

/** A burst of changes within this many milliseconds is announced once. */
const COALESCE_MS = 250;

/** Opens the stream; returns the function that closes it. */
export function openLiveStream(): () => void {
  let source: EventSource | null = null;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let flush: ReturnType<typeof setTimeout> | undefined;
  let pending = new Set<string>();
  let closed = false;
  const announce = (topics: readonly string[]) => {
    for (const t of topics) pending.add(t);
    if (flush !== undefined) return;
    flush = setTimeout(() => {
      const changed = pending;
      pending = new Set();
      flush = undefined;
      for (const listener of [...listeners]) listener(changed);
    }, COALESCE_MS);
  };
  const open = () => {
    source = new EventSource('/api/v1/events');
    source.addEventListener('change', (e) => announce((JSON.parse((e as MessageEvent<string>).data) as { topics: string[] }).topics));
    source.addEventListener('decision', () => announce(['decision']));
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
    clearTimeout(flush);
    source?.close();
  };
}
