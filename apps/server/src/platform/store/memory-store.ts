import type { MessageHandler, SharedStore, WindowHit } from './shared-store.js';

interface Entry {
  value: string;
  expiresAt: number; // Infinity when it never expires
  /** The second whose expiry group lists this key, if any: a key is listed once, however often it is set. */
  listedIn: number | undefined;
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

  // Keys that expire, grouped by the second they expire in. Every second the groups that are due are
  // removed, so the work is proportional to what expires, never a walk over everything held (a busy
  // single instance holds hundreds of thousands of nonces).
  const expiring = new Map<number, string[]>();
  const list = (key: string, second: number) => {
    const group = expiring.get(second);
    if (group) group.push(key);
    else expiring.set(second, [key]);
  };
  const expire = () => {
    const t = now();
    const due = Math.floor(t / 1000);
    for (const [second, keys] of expiring) {
      if (second > due) continue;
      expiring.delete(second);
      for (const k of keys) {
        const entry = values.get(k);
        if (!entry || entry.listedIn !== second) continue;
        if (entry.expiresAt <= t) {
          values.delete(k);
        } else if (entry.expiresAt !== Infinity) {
          // Set again since with a later expiry: list it where it now expires.
          entry.listedIn = Math.ceil(entry.expiresAt / 1000);
          list(k, entry.listedIn);
        } else {
          entry.listedIn = undefined;
        }
      }
    }
  };
  const sweepCounters = () => {
    const t = now();
    for (const [k, c] of counters) if (c.resetAt <= t) counters.delete(k);
  };
  const timers = [setInterval(expire, 1_000), setInterval(sweepCounters, options.sweepIntervalMs ?? 30_000)];
  for (const timer of timers) timer.unref();
  const store = (key: string, value: string, expiresAt: number) => {
    let listedIn = values.get(key)?.listedIn;
    // Listed at an earlier (or the same) second is enough: expire() re-lists a key that outlives its group.
    if (expiresAt !== Infinity && (listedIn === undefined || listedIn > Math.ceil(expiresAt / 1000))) {
      listedIn = Math.ceil(expiresAt / 1000);
      list(key, listedIn);
    }
    values.set(key, { value, expiresAt, listedIn });
  };

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
      store(key, value, ttlMs === undefined ? Infinity : now() + ttlMs);
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
      store(key, value, now() + ttlMs);
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
      for (const timer of timers) clearInterval(timer);
      values.clear();
      counters.clear();
      channels.clear();
    },
  };
}
