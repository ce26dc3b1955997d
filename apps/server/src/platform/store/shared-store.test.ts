import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { testRedisUrl } from '../../testing/targets.js';
import { createMemoryStore } from './memory-store.js';
import { createRedisStore } from './redis-store.js';
import type { SharedStore } from './shared-store.js';

/** One contract, two implementations: whatever passes here may back AIM. */
function contract(name: string, make: () => SharedStore, skip?: string) {
  describe(`shared store contract: ${name}`, { skip }, () => {
    let store: SharedStore;
    let other: SharedStore;
    before(() => {
      store = make();
      other = make();
    });
    after(async () => {
      await store?.close();
      await other?.close();
    });
    const key = () => `k:${randomBytes(6).toString('hex')}`;
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

    it('stores, reads and deletes values', async () => {
      const k = key();
      assert.equal(await store.get(k), null);
      await store.set(k, 'v1');
      assert.equal(await store.get(k), 'v1');
      await store.set(k, 'v2');
      assert.equal(await store.get(k), 'v2');
      await store.delete(k);
      assert.equal(await store.get(k), null);
    });

    it('expires values after their ttl', async () => {
      const k = key();
      await store.set(k, 'soon gone', 50);
      assert.equal(await store.get(k), 'soon gone');
      await sleep(120);
      assert.equal(await store.get(k), null);
    });

    it('counts hits in a fixed window and starts a new window after it', async () => {
      const k = key();
      const first = await store.hit(k, 500);
      assert.equal(first.count, 1);
      assert.ok(first.resetInMs > 0 && first.resetInMs <= 500);
      assert.equal((await store.hit(k, 500)).count, 2);
      assert.equal((await store.hit(k, 500)).count, 3);
      await sleep(650);
      assert.equal((await store.hit(k, 500)).count, 1);
    });

    it('counts concurrent hits exactly', async () => {
      const k = key();
      const results = await Promise.all(Array.from({ length: 50 }, () => store.hit(k, 5000)));
      assert.deepEqual(
        results.map((r) => r.count).sort((a, b) => a - b),
        Array.from({ length: 50 }, (_, i) => i + 1),
      );
    });

    it('lets a nonce be claimed once, even by racing claimers', async () => {
      const k = key();
      const claims = await Promise.all(Array.from({ length: 20 }, () => store.claimOnce(k, 5000)));
      assert.equal(claims.filter(Boolean).length, 1);
      assert.equal(await store.claimOnce(k, 5000), false);
    });

    it('stores a value only when the key holds none', async () => {
      const k = key();
      assert.equal(await store.setIfAbsent(k, 'first', 5000), true);
      assert.equal(await store.setIfAbsent(k, 'second', 5000), false);
      assert.equal(await store.get(k), 'first');
    });

    it('frees a claimed nonce after its ttl', async () => {
      const k = key();
      assert.equal(await store.claimOnce(k, 50), true);
      await sleep(120);
      assert.equal(await store.claimOnce(k, 50), true);
    });

    it('delivers published messages to subscribers until they unsubscribe', async () => {
      const channel = key();
      const received: string[] = [];
      let arrived: () => void = () => undefined;
      const unsubscribe = await store.subscribe(channel, (m) => {
        received.push(m);
        arrived();
      });
      const waitFor = (n: number) =>
        new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`got ${received.length} of ${n} messages`)), 2000);
          arrived = () => {
            if (received.length >= n) {
              clearTimeout(timer);
              resolve();
            }
          };
          arrived();
        });
      await store.publish(channel, 'one');
      await store.publish(channel, 'two');
      await waitFor(2);
      assert.deepEqual(received, ['one', 'two']);
      // A second subscriber that stays proves 'three' was delivered before we check the first.
      let third: () => void = () => undefined;
      const thirdArrived = new Promise<void>((resolve) => (third = resolve));
      const stay = await store.subscribe(channel, (m) => m === 'three' && third());
      await unsubscribe();
      await store.publish(channel, 'three');
      await thirdArrived;
      assert.deepEqual(received, ['one', 'two']);
      await stay();
    });

    it('answers ping', async () => {
      await store.ping();
    });
  });
}

contract('in-process', () => createMemoryStore());

const redisUrl = testRedisUrl();
const prefix = `aim-test:${randomBytes(4).toString('hex')}:`;
contract('Redis', () => createRedisStore(redisUrl ?? 'redis://127.0.0.1:1', { prefix }), redisUrl ? undefined : 'TEST_REDIS_URL is not set');

describe('Redis store across instances', { skip: redisUrl ? undefined : 'TEST_REDIS_URL is not set' }, () => {
  it('shares counters, nonces and messages between two connections, as between two servers', async () => {
    const a = createRedisStore(redisUrl!, { prefix });
    const b = createRedisStore(redisUrl!, { prefix });
    try {
      const k = `x:${randomBytes(4).toString('hex')}`;
      await a.hit(k, 5000);
      assert.equal((await b.hit(k, 5000)).count, 2);
      assert.equal(await a.claimOnce(`n:${k}`, 5000), true);
      assert.equal(await b.claimOnce(`n:${k}`, 5000), false);
      let deliver: (m: string) => void = () => undefined;
      const got = new Promise<string>((resolve) => (deliver = resolve));
      await b.subscribe(`c:${k}`, (m) => deliver(m));
      await a.publish(`c:${k}`, 'hello from a');
      assert.equal(await got, 'hello from a');
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('fails ping when Redis is unreachable', async () => {
    const down = createRedisStore('redis://127.0.0.1:1', { prefix });
    try {
      await assert.rejects(down.ping());
    } finally {
      await down.close();
    }
  });
});
