import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createTokenCache, type IssuedToken } from './token-cache.js';

function harness() {
  let clock = 1_000_000;
  const calls: (string | undefined)[] = [];
  const pending: { resolve: (token: IssuedToken) => void; reject: (error: Error) => void }[] = [];
  const cache = createTokenCache(
    (audience) => {
      calls.push(audience);
      return new Promise<IssuedToken>((resolve, reject) => pending.push({ resolve, reject }));
    },
    () => clock,
  );
  const answer = (n: number, expiresInSeconds = 600) => pending.shift()!.resolve({ accessToken: `t${n}`, expiresInSeconds });
  return { cache, calls, pending, answer, tick: (seconds: number) => (clock += seconds * 1000) };
}

describe('token cache', () => {
  it('shares one request among concurrent callers and reuses the token while 60 s or more remain', async () => {
    const h = harness();
    const both = Promise.all([h.cache.get(undefined, 60), h.cache.get(undefined, 60)]);
    assert.equal(h.calls.length, 1);
    h.answer(1);
    assert.deepEqual(await both, ['t1', 't1']);
    h.tick(540);
    assert.equal(await h.cache.get(undefined, 60), 't1');
    h.tick(1);
    const renewed = h.cache.get(undefined, 60);
    assert.equal(h.calls.length, 2);
    h.answer(2);
    assert.equal(await renewed, 't2');
  });

  it('keeps one token per audience', async () => {
    const h = harness();
    const own = h.cache.get(undefined, 60);
    const billing = h.cache.get('https://billing.example.com', 60);
    assert.deepEqual(h.calls, [undefined, 'https://billing.example.com']);
    h.answer(1);
    h.answer(2);
    assert.deepEqual([await own, await billing], ['t1', 't2']);
  });

  it('does not cache a failure: the next caller asks again', async () => {
    const h = harness();
    const first = h.cache.get(undefined, 60);
    h.pending.shift()!.reject(new Error('down'));
    await assert.rejects(first, /down/);
    const second = h.cache.get(undefined, 60);
    assert.equal(h.calls.length, 2);
    h.answer(2);
    assert.equal(await second, 't2');
  });

  it('after clear(), ignores answers to requests made before it, and forgets a refused token', async () => {
    const h = harness();
    const old = h.cache.get(undefined, 60);
    h.cache.clear();
    const fresh = h.cache.get(undefined, 60);
    assert.equal(h.calls.length, 2);
    h.answer(1);
    h.answer(2);
    assert.equal(await old, 't1');
    assert.equal(await fresh, 't2');
    assert.equal(await h.cache.get(undefined, 60), 't2');
    h.cache.forget(undefined, 't2');
    const next = h.cache.get(undefined, 60);
    h.answer(3);
    assert.equal(await next, 't3');
  });
});
