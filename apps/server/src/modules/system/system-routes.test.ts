import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { buildApp } from '../../app.js';
import { RouteContractError } from '../../platform/http/contract-guard.js';
import { forEachTarget } from '../../testing/targets.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';

forEachTarget('operations and contract', (target) => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp(target);
  });
  after(() => t?.close());

  it('answers /healthz while the process runs', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/healthz' });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { status: 'ok' });
  });

  it('answers /readyz 200 with each dependency checked', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(res.statusCode, 200);
    const body = res.json();
    assert.equal(body.status, 'ready');
    assert.equal(body.checks.database.status, 'ok');
    assert.equal(body.checks.store.status, 'ok');
    assert.equal(typeof body.checks.database.latencyMs, 'number');
  });

  it('answers /readyz 503 when the store is unreachable', async () => {
    const broken = await createTestApp(target, { env: { REDIS_URL: 'redis://127.0.0.1:1' } });
    try {
      const res = await broken.app.inject({ method: 'GET', url: '/readyz' });
      assert.equal(res.statusCode, 503);
      assert.equal(res.json().status, 'not_ready');
      assert.equal(res.json().checks.store.status, 'error');
      assert.equal(res.json().checks.database.status, 'ok');
    } finally {
      await broken.close();
    }
  });

  it('answers /readyz 503 when the database is unreachable', async () => {
    const broken = await createTestApp(target);
    try {
      await broken.platform.db.close();
      const res = await broken.app.inject({ method: 'GET', url: '/readyz' });
      assert.equal(res.statusCode, 503);
      assert.equal(res.json().checks.database.status, 'error');
    } finally {
      await broken.close();
    }
  });

  it('exposes Prometheus metrics: a latency histogram by route and status, pool use, process metrics', async () => {
    await t.app.inject({ method: 'GET', url: '/api/v1/meta' });
    await t.app.inject({ method: 'GET', url: '/api/v1/meta/missing' });
    const res = await t.app.inject({ method: 'GET', url: '/metrics' });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^text\/plain/);
    const text = res.body;
    assert.match(text, /# TYPE aim_http_request_duration_seconds histogram/);
    assert.match(text, /aim_http_request_duration_seconds_bucket\{le="0\.005",method="GET",route="\/api\/v1\/meta",status_code="200"\} \d+/);
    assert.match(text, /aim_http_requests_total\{method="GET",route="\(unmatched\)",status_code="404"\} 1/);
    assert.match(text, /aim_db_pool_max_connections 10/);
    assert.match(text, /aim_db_pool_connections \d+/);
    assert.match(text, /aim_process_cpu_user_seconds_total/);
  });

  it('with METRICS_TOKEN, answers the metrics only to that bearer token', async () => {
    const token = 'm'.repeat(40);
    const guarded = await createTestApp(target, { env: { METRICS_TOKEN: token } });
    try {
      for (const authorization of [undefined, 'Bearer wrong', `Bearer ${token}x`, token]) {
        const res = await guarded.app.inject({ method: 'GET', url: '/metrics', headers: authorization ? { authorization } : {} });
        assert.equal(res.statusCode, 401, `refused with ${authorization ?? 'no header'}`);
        assert.equal(res.json().error.code, 'unauthenticated');
      }
      const ok = await guarded.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${token}` } });
      assert.equal(ok.statusCode, 200);
      assert.match(ok.body, /aim_http_requests_total/);
    } finally {
      await guarded.close();
    }
  });

  it('describes itself at /api/v1/meta', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/meta' });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().name, 'aim');
    assert.equal(res.json().apiVersion, 'v1');
    assert.match(res.json().version, /^\d+\.\d+\.\d+/);
    assert.equal(res.json().baseUrl, new URL(`http://localhost:${t.config.port}`).origin, 'without PUBLIC_URL, the local address on the configured port (no :80 for http)');
  });

  it("reports PUBLIC_URL as the base URL agents use, without a trailing slash", async () => {
    const behindProxy = await createTestApp(target, { env: { PUBLIC_URL: 'https://aim.example.com/' } });
    try {
      const res = await behindProxy.app.inject({ method: 'GET', url: '/api/v1/meta' });
      assert.equal(res.json().baseUrl, 'https://aim.example.com');
    } finally {
      await behindProxy.close();
    }
  });

  it('publishes an OpenAPI 3.1 document that covers every route, each with its responses', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/openapi.json' });
    assert.equal(res.statusCode, 200);
    const doc = res.json();
    assert.equal(doc.openapi, '3.1.0');
    const documented = t.app.routeTable.filter((r) => !r.hidden);
    assert.ok(documented.length >= 4);
    for (const route of documented) {
      const path = route.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
      const operation = doc.paths?.[path]?.[route.method.toLowerCase()];
      assert.ok(operation, `${route.method} ${route.url} is in the document`);
      assert.ok(Object.keys(operation.responses ?? {}).length > 0, `${route.method} ${route.url} documents its responses`);
    }
  });

  it('serves the browsable API reference at /docs', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/docs/' });
    assert.equal(res.statusCode, 200);
    assert.match(res.body, /swagger-ui/i);
  });

  it('refuses to start with a route that declares no response schema or no access', async () => {
    const app = await buildApp(t.platform);
    try {
      assert.throws(
        () => app.get('/test/undocumented', { config: { access: { auth: 'public' } } }, async () => ({ ok: true })),
        (e: unknown) => e instanceof RouteContractError && /GET \/test\/undocumented has no response schema/.test(e.message),
      );
      assert.throws(
        () => app.get('/test/open', { schema: { response: { 200: z.object({ ok: z.boolean() }) } } }, async () => ({ ok: true })),
        (e: unknown) => e instanceof RouteContractError && /GET \/test\/open does not declare config.access/.test(e.message),
      );
      app.get(
        '/test/documented',
        { schema: { response: { 200: z.object({ ok: z.boolean() }) } }, config: { access: { auth: 'public' } } },
        async () => ({ ok: true }),
      );
    } finally {
      await app.close();
    }
  });

  it('drains in-flight requests on close', async () => {
    let started: () => void = () => undefined;
    const handlerStarted = new Promise<void>((resolve) => (started = resolve));
    let finish: () => void = () => undefined;
    const slow = await createTestApp(target, {
      prepare(app) {
        app.get('/test/slow', { config: { access: { auth: 'public' } }, schema: { response: { 200: z.object({ done: z.boolean() }) } } }, async () => {
          started();
          await new Promise<void>((resolve) => (finish = resolve));
          return { done: true };
        });
      },
    });
    await slow.app.listen({ host: '127.0.0.1', port: 0 });
    const address = slow.app.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const inFlight = fetch(`http://127.0.0.1:${port}/test/slow`);
    await handlerStarted;
    const closing = slow.close();
    finish();
    const res = await inFlight;
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { done: true });
    await closing;
    await assert.rejects(fetch(`http://127.0.0.1:${port}/healthz`));
  });
});
