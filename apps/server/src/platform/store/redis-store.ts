import { Redis } from 'ioredis';
import type { MessageHandler, SharedStore } from './shared-store.js';

/**
 * The Redis-backed store shared by every instance. Keys are namespaced by `prefix`, so several
 * deployments (or test runs) can share one Redis without seeing each other's keys.
 */
export function createRedisStore(url: string, options: { prefix?: string } = {}): SharedStore {
  const prefix = options.prefix ?? 'aim:';
  const redis = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 2, enableAutoPipelining: true });
  redis.on('error', () => undefined); // surfaced through failed commands and /readyz, not as a crash
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
      const k = prefix + key;
      const results = await redis.multi().incr(k).pexpire(k, windowMs, 'NX').pttl(k).exec();
      if (!results) throw new Error('Redis transaction aborted');
      for (const [error] of results) if (error) throw error;
      const count = Number(results[0]![1]);
      const ttl = Number(results[2]![1]);
      return { count, resetInMs: ttl > 0 ? ttl : windowMs };
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
