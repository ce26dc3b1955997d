import type { MessageHandler, SharedStore, WindowHit } from './shared-store.js';

interface Entry {
  value: string;
  expiresAt: number; // Infinity when it never expires
}

interface Counter {
  count: number;
  resetAt: number;
}

/** The in-process store: correct for a single instance; use Redis to run several. */
export function createMemoryStore(options: { now?: () => number; sweepIntervalMs?: number } = {}): SharedStore {
  const now = options.now ?? Date.now;
  const values = new Map<string, Entry>();
  const counters = new Map<string, Counter>();
  const channels = new Map<string, Set<MessageHandler>>();

  const sweep = () => {
    const t = now();
    for (const [k, e] of values) if (e.expiresAt <= t) values.delete(k);
    for (const [k, c] of counters) if (c.resetAt <= t) counters.delete(k);
  };
  const timer = setInterval(sweep, options.sweepIntervalMs ?? 30_000);
  timer.unref();

  const live = (key: string): Entry | undefined => {
    const entry = values.get(key);
    if (entry && entry.expiresAt <= now()) {
      values.delete(key);
      return undefined;
    }
    return entry;
  };

  return {
    kind: 'memory',
    async get(key) {
      return live(key)?.value ?? null;
    },
    async set(key, value, ttlMs) {
      values.set(key, { value, expiresAt: ttlMs === undefined ? Infinity : now() + ttlMs });
    },
    async delete(key) {
      values.delete(key);
    },
    hit(key, windowMs): Promise<WindowHit> {
      const t = now();
      let counter = counters.get(key);
      if (!counter || counter.resetAt <= t) {
        counter = { count: 0, resetAt: t + windowMs };
        counters.set(key, counter);
      }
      counter.count += 1;
      return Promise.resolve({ count: counter.count, resetInMs: counter.resetAt - t });
    },
    async claimOnce(key, ttlMs) {
      return this.setIfAbsent(key, '1', ttlMs);
    },
    async setIfAbsent(key, value, ttlMs) {
      if (live(key)) return false;
      values.set(key, { value, expiresAt: now() + ttlMs });
      return true;
    },
    async publish(channel, message) {
      const handlers = channels.get(channel);
      if (!handlers) return;
      // Deliver asynchronously, as Redis does, so publishers never run subscriber code inline.
      for (const handler of [...handlers]) setImmediate(() => handler(message));
    },
    async subscribe(channel, handler) {
      let handlers = channels.get(channel);
      if (!handlers) channels.set(channel, (handlers = new Set()));
      handlers.add(handler);
      return async () => {
        handlers.delete(handler);
        if (handlers.size === 0) channels.delete(channel);
      };
    },
    async ping() {},
    async close() {
      clearInterval(timer);
      values.clear();
      counters.clear();
      channels.clear();
    },
  };
}
