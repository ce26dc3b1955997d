import { Redis } from 'ioredis';
import type { MessageHandler, SharedStore } from './shared-store.js';

/**
 * The Redis-backed store shared by every instance. Keys are namespaced by `prefix`, so several
 * deployments (or test runs) can share one Redis without seeing each other's keys.
 */
export function createRedisStore(url: string, options: { prefix?: string } = {}): SharedStore {
  const prefix = options.prefix ?? 'aim:';
  const redis = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 2, enableAutoPipelining: true }) as Redis & {
    aimHit(key: string, windowMs: number): Promise<[number, number]>;
  };
  redis.on('error', () => undefined); // surfaced through failed commands and /readyz, not as a crash
  // A fixed-window hit in one round trip and one command (EVALSHA, loaded on first use) instead of
  // a MULTI of four: rate limits run on every request.
  redis.defineCommand('aimHit', {
    numberOfKeys: 1,
    lua: `local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) ttl = tonumber(ARGV[1]) end
return { count, ttl }`,
  });
  let subscriber: Redis | undefined;
  const channels = new Map<string, Set<MessageHandler>>();
  const subscribing = new Map<string, Promise<unknown>>();

  const subscriberConnection = () => {
    if (subscriber) return subscriber;
    subscriber = redis.duplicate();
    subscriber.on('error', () => undefined);
    subscriber.on('message', (channel: string, message: string) => {
      for (const handler of channels.get(channel.slice(prefix.length)) ?? []) handler(message);
    });
    return subscriber;
  };

  return {
    kind: 'redis',
    get: (key) => redis.get(prefix + key),
    async set(key, value, ttlMs) {
      if (ttlMs === undefined) await redis.set(prefix + key, value);
      else await redis.set(prefix + key, value, 'PX', Math.max(1, Math.ceil(ttlMs)));
    },
    async delete(key) {
      await redis.del(prefix + key);
    },
    async hit(key, windowMs) {
      const [count, ttl] = await redis.aimHit(prefix + key, Math.max(1, Math.ceil(windowMs)));
      return { count: Number(count), resetInMs: ttl > 0 ? Number(ttl) : windowMs };
    },
    async claimOnce(key, ttlMs) {
      return (await redis.set(prefix + key, '1', 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX')) === 'OK';
    },
    async setIfAbsent(key, value, ttlMs) {
      return (await redis.set(prefix + key, value, 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX')) === 'OK';
    },
    async publish(channel, message) {
      await redis.publish(prefix + channel, message);
    },
    async subscribe(channel, handler) {
      const sub = subscriberConnection();
      let handlers = channels.get(channel);
      if (!handlers) {
        channels.set(channel, (handlers = new Set()));
        subscribing.set(channel, sub.subscribe(prefix + channel));
      }
      handlers.add(handler);
      // Every caller, not only the first, waits until Redis confirms the subscription.
      await subscribing.get(channel);
      return async () => {
        handlers.delete(handler);
        if (handlers.size === 0 && channels.get(channel) === handlers) {
          channels.delete(channel);
          subscribing.delete(channel);
          await sub.unsubscribe(prefix + channel);
        }
      };
    },
    async ping() {
      await redis.ping();
    },
    async close() {
      channels.clear();
      await Promise.all([redis.quit().catch(() => undefined), subscriber?.quit().catch(() => undefined)]);
    },
  };
}
