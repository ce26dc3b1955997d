import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { z } from 'zod';
import { ERROR_CODES } from '@aim/contracts';
import { forEachTarget } from '../../testing/targets.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { AppError } from './app-error.js';

/** The HTTP edge: one error envelope, request ids, security headers, CORS, rate limits. */
forEachTarget('HTTP edge', (target) => {
  let t: TestApp;

  before(async () => {
    t = await createTestApp(target, {
      env: { BODY_LIMIT_BYTES: '2048', CORS_ORIGINS: 'https://console.example.com' },
      prepare(app) {
        app.post(
          '/test/echo',
          {
            config: { access: { auth: 'public' } },
            schema: {
              body: z.object({ name: z.string().min(3), count: z.number().int().positive() }),
              response: { 200: z.object({ name: z.string(), count: z.number() }) },
            },
          },
          async (request) => request.body,
        );
        app.get('/test/boom', { config: { access: { auth: 'public' } }, schema: { response: { 200: z.object({}) } } }, async () => {
          throw new Error('connection to db failed: password=hunter2 at 10.0.0.7');
        });
        app.get('/test/conflict', { config: { access: { auth: 'public' } }, schema: { response: { 200: z.object({}) } } }, async () => {
          throw new AppError('conflict', 'An organization already exists.');
        });
        app.get('/test/extra-fields', { config: { access: { auth: 'public' } }, schema: { response: { 200: z.object({ id: z.string() }) } } }, async () => ({
          id: 'usr_1',
          passwordHash: 'should-never-leave',
        }));
        app.get('/test/bad-response', { config: { access: { auth: 'public' } }, schema: { response: { 200: z.object({ id: z.string() }) } } }, async () => ({ id: 42 }) as never);
      },
    });
  });
  after(() => t?.close());

  const expectError = (res: { statusCode: number; json(): unknown; headers: Record<string, unknown> }, status: number, code: string) => {
    assert.equal(res.statusCode, status);
    const body = res.json() as { error: { code: string; message: string; requestId: string } };
    assert.deepEqual(Object.keys(body), ['error']);
    assert.equal(body.error.code, code);
    assert.equal(ERROR_CODES[body.error.code as keyof typeof ERROR_CODES].status, status);
    assert.ok(body.error.message.length > 10);
    assert.equal(body.error.requestId, res.headers['x-request-id']);
    return body.error;
  };

  it('echoes a valid body', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/test/echo', payload: { name: 'abc', count: 2 } });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { name: 'abc', count: 2 });
  });

  it('answers malformed JSON with 400 invalid_json', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/test/echo', headers: { 'content-type': 'application/json' }, payload: '{"name": ' });
    expectError(res, 400, 'invalid_json');
  });

  it('answers an empty JSON body with 400 invalid_json', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/test/echo', headers: { 'content-type': 'application/json' }, payload: '' });
    expectError(res, 400, 'invalid_json');
  });

  it('answers a wrong content type with 415', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
      const res = await t.app.inject({ method: 'POST', url: '/test/echo', headers: { 'content-type': type }, payload: 'name=abc' });
      const error = expectError(res, 415, 'unsupported_media_type');
      assert.match(error.message, /application\/json/);
    }
  });

  it('answers an oversize body with 413', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/test/echo', payload: { name: 'x'.repeat(5000), count: 1 } });
    expectError(res, 413, 'payload_too_large');
  });

  it('answers an unknown route with 404 not_found', async () => {
    const error = expectError(await t.app.inject({ method: 'GET', url: '/api/v1/nothing-here?x=1' }), 404, 'not_found');
    assert.match(error.message, /GET \/api\/v1\/nothing-here/);
  });

  it('answers a schema violation with 400 validation_failed naming each field', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/test/echo', payload: { name: 'ab', count: -1 } });
    const error = expectError(res, 400, 'validation_failed');
    assert.match(error.message, /body\.name/);
    assert.match(error.message, /body\.count/);
  });

  it('answers an AppError with its own code and message', async () => {
    const error = expectError(await t.app.inject({ method: 'GET', url: '/test/conflict' }), 409, 'conflict');
    assert.equal(error.message, 'An organization already exists.');
  });

  it('turns an unknown error into a generic 500, logged with its cause and never echoed', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/test/boom' });
    const error = expectError(res, 500, 'internal_error');
    assert.ok(!res.body.includes('hunter2'));
    assert.ok(!res.body.includes('10.0.0.7'));
    assert.match(error.message, new RegExp(String(res.headers['x-request-id'])));
    const logged = t.logs.lines.find((l) => l.requestId === res.headers['x-request-id'] && l.msg === 'unhandled error');
    assert.ok(logged, 'the error is logged with the request id');
    assert.match(JSON.stringify(logged.err), /connection to db failed/);
  });

  it('does not send a response that breaks its own schema', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/test/bad-response' });
    expectError(res, 500, 'internal_error');
    assert.ok(!res.body.includes('"id"'));
  });

  it('strips every field the response schema does not name', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/test/extra-fields' });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { id: 'usr_1' });
  });

  it('never lets a client choose its request id when no proxy is trusted', async () => {
    const given = await t.app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'trace-abc.123' } });
    assert.match(String(given.headers['x-request-id']), /^[0-9a-f-]{36}$/);
    const fresh = await t.app.inject({ method: 'GET', url: '/healthz' });
    assert.match(String(fresh.headers['x-request-id']), /^[0-9a-f-]{36}$/);
    assert.notEqual(fresh.headers['x-request-id'], given.headers['x-request-id']);
  });

  it("keeps a trusted proxy's well-formed x-request-id and replaces a malformed one", async () => {
    const proxied = await createTestApp(target, { env: { TRUST_PROXY: 'true' } });
    try {
      const given = await proxied.app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'trace-abc.123' } });
      assert.equal(given.headers['x-request-id'], 'trace-abc.123');
      const hostile = await proxied.app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'bad id\n{"level":"fatal"}' } });
      assert.match(String(hostile.headers['x-request-id']), /^[0-9a-f-]{36}$/);
    } finally {
      await proxied.close();
    }
  });

  it('answers malformed HTTP and oversized headers on the connection with the envelope', async () => {
    const raw = await createTestApp(target);
    try {
      await raw.app.listen({ host: '127.0.0.1', port: 0 });
      const address = raw.app.server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      const send = (payload: string) =>
        new Promise<string>((resolve, reject) => {
          const socket = connect(port, '127.0.0.1', () => socket.write(payload));
          let data = '';
          socket.on('data', (c) => (data += c.toString()));
          socket.on('end', () => resolve(data));
          socket.on('error', reject);
        });
      const big = await send(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
      assert.match(big, /^HTTP\/1\.1 431 /);
      assert.equal(JSON.parse(big.split('\r\n\r\n')[1]!).error.code, 'headers_too_large');
      const garbage = await send('NOT HTTP AT ALL\r\n\r\n');
      assert.match(garbage, /^HTTP\/1\.1 400 /);
      assert.equal(JSON.parse(garbage.split('\r\n\r\n')[1]!).error.code, 'bad_request');
    } finally {
      await raw.close();
    }
  });

  it('answers a URL that cannot be decoded with the envelope and headers', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/%zz' });
    expectError(res, 400, 'bad_request');
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
  });

  it('sends security headers on every response, errors included', async () => {
    for (const url of ['/healthz', '/nope']) {
      const res = await t.app.inject({ method: 'GET', url });
      assert.equal(res.headers['x-content-type-options'], 'nosniff');
      assert.equal(res.headers['x-frame-options'], 'DENY');
      assert.equal(res.headers['referrer-policy'], 'no-referrer');
      assert.match(String(res.headers['content-security-policy']), /default-src 'none'/);
      assert.equal(res.headers['cache-control'], 'no-store');
    }
  });

  it('allows only configured origins through CORS', async () => {
    const preflight = (origin: string) =>
      t.app.inject({
        method: 'OPTIONS',
        url: '/api/v1/meta',
        headers: { origin, 'access-control-request-method': 'GET' },
      });
    const allowed = await preflight('https://console.example.com');
    assert.equal(allowed.headers['access-control-allow-origin'], 'https://console.example.com');
    assert.equal(allowed.headers['access-control-allow-credentials'], 'true');
    const refused = await preflight('https://evil.example.net');
    assert.equal(refused.headers['access-control-allow-origin'], undefined);
  });

  it('never logs credentials sent with a request', async () => {
    await t.app.inject({
      method: 'GET',
      url: '/test/boom',
      headers: { authorization: 'Bearer tok_supersecret', cookie: 'aim_session=cookie_supersecret' },
    });
    const all = t.logs.raw.join('\n');
    assert.ok(!all.includes('tok_supersecret'));
    assert.ok(!all.includes('cookie_supersecret'));
  });
});
