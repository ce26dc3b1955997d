// Redis helpers for benches that run AIM on a shared Redis under a key prefix of their own.
import { Redis } from 'ioredis';

/** Whether Redis at `url` answers PING (within 2 s). */
export async function redisReachable(url) {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 2000 });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
    return true;
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

/** The pid of the Redis server at `url` (INFO server), when it runs on this machine; else null. */
export async function redisServerPid(url) {
  const { hostname } = new URL(url);
  if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(hostname)) return null;
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  try {
    const info = await redis.info('server');
    return Number(/^process_id:(\d+)/m.exec(info)?.[1]) || null;
  } catch {
    return null;
  } finally {
    redis.disconnect();
  }
}

/** Count the keys under `prefix`, and remove them when `remove` (nothing else is touched). */
export async function scanPrefix(url, prefix, { remove = false } = {}) {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  let count = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length === 0) continue;
      count += remove ? await redis.unlink(...keys) : keys.length;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return count;
}
