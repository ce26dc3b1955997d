import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { forEachTarget } from '../../testing/targets.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';

forEachTarget('rate limits', (target) => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp(target, {
      env: { RATE_LIMIT_IP_MAX: '5', RATE_LIMIT_PRINCIPAL_MAX: '2', RATE_LIMIT_WINDOW_SECONDS: '60' },
      prepare(app) {
        // Stands in for authentication (a later issue): a principal from a test header.
        app.addHook('onRequest', async (request) => {
          const who = request.headers['x-test-principal'];
          if (typeof who === 'string') {
            request.principal = {
              actor: { type: 'api_key', id: who },
              via: 'api_key',
              organizationId: 'org_00000000000000000000000000',
              role: 'viewer',
              userId: null,
              personId: null,
              sessionId: null,
            };
          }
        });
        app.get('/test/whoami', { config: { access: { auth: 'public' } }, schema: { response: { 200: z.object({ ok: z.boolean() }) } } }, async () => ({ ok: true }));
      },
    });
  });
  after(() => t?.close());

  it('limits each client IP and answers 429 with Retry-After', async () => {
    const from = (ip: string) => t.app.inject({ method: 'GET', url: '/healthz', remoteAddress: ip });
    for (let i = 1; i <= 5; i++) {
      const res = await from('198.51.100.1');
      assert.equal(res.statusCode, 200, `request ${i}`);
      assert.equal(res.headers['ratelimit-remaining'], String(5 - i));
    }
    const over = await from('198.51.100.1');
    assert.equal(over.statusCode, 429);
    assert.equal(over.json().error.code, 'rate_limited');
    const retryAfter = Number(over.headers['retry-after']);
    assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
    // Another client is not affected.
    assert.equal((await from('198.51.100.2')).statusCode, 200);
  });

  it('limits each authenticated principal separately from its IP', async () => {
    const as = (who: string, ip: string) =>
      t.app.inject({ method: 'GET', url: '/test/whoami', remoteAddress: ip, headers: { 'x-test-principal': who } });
    assert.equal((await as('key_a', '198.51.100.10')).statusCode, 200);
    assert.equal((await as('key_a', '198.51.100.11')).statusCode, 200);
    const over = await as('key_a', '198.51.100.12');
    assert.equal(over.statusCode, 429);
    assert.ok(Number(over.headers['retry-after']) >= 1);
    assert.equal((await as('key_b', '198.51.100.12')).statusCode, 200);
  });
});
