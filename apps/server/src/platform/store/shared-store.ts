/**
 * The state that every AIM instance must share: a small cache, rate-limit counters, single-use
 * nonces and pub/sub. Backed by Redis when REDIS_URL is set (several instances), and by an
 * in-process implementation otherwise (one instance). One contract test suite runs against both.
 */
export interface WindowHit {
  /** Hits in the current window, including this one. */
  count: number;
  /** Milliseconds until the window resets. */
  resetInMs: number;
}

export type MessageHandler = (message: string) => void;

export interface SharedStore {
  readonly kind: 'redis' | 'memory';
  get(key: string): Promise<string | null>;
  /** Store a value; with ttlMs it expires after that many milliseconds. */
  set(key: string, value: string, ttlMs?: number): Promise<void>;
  delete(key: string): Promise<void>;
  /** Count a hit in a fixed window of windowMs that starts with the first hit. */
  hit(key: string, windowMs: number): Promise<WindowHit>;
  /** True the first time a key is claimed within ttlMs, false every later time (single-use nonces). */
  claimOnce(key: string, ttlMs: number): Promise<boolean>;
  /** Store a value only when the key holds none; true when it was stored. */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  publish(channel: string, message: string): Promise<void>;
  /** Resolves once the subscription is active; the returned function unsubscribes. */
  subscribe(channel: string, handler: MessageHandler): Promise<() => Promise<void>>;
  /** Throws when the backing service is unreachable. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
