import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AimError, errorFromResponse, isRefusalByAim } from './errors.js';
import { readJson } from './transport.js';

const envelope = (error: Record<string, unknown>) => JSON.stringify({ error });

describe('errors from answers', () => {
  it("passes AIM's envelope through: code, message, status, request id and details", async () => {
    const details = { created: 1, serverTime: 400, skewSeconds: 399 };
    const error = await errorFromResponse(
      new Response(envelope({ code: 'stale_signature', message: 'old', requestId: 'req-9', details }), { status: 401 }),
    );
    assert.ok(error instanceof AimError);
    assert.deepEqual([error.code, error.message, error.status, error.requestId, error.details], ['stale_signature', 'old', 401, 'req-9', details]);
    assert.equal(isRefusalByAim(error), true, 'a 4xx envelope is a refusal: nothing changed');
  });

  it('tells refusals (4xx envelopes) from answers whose outcome is unknown', async () => {
    const serverError = await errorFromResponse(new Response(envelope({ code: 'internal_error', message: 'boom', requestId: 'r' }), { status: 500 }));
    assert.deepEqual([serverError.code, serverError.status, isRefusalByAim(serverError)], ['internal_error', 500, false]);
    const proxy = await errorFromResponse(new Response('bad gateway', { status: 502 }));
    assert.deepEqual([proxy.code, proxy.status, isRefusalByAim(proxy)], ['http_error', 502, false]);
    const noCode = await errorFromResponse(new Response(JSON.stringify({ error: 'nope' }), { status: 400 }));
    assert.deepEqual([noCode.code, isRefusalByAim(noCode)], ['http_error', false]);
    assert.equal(isRefusalByAim(new AimError('agent_suspended', 'made here')), false);
    const minimal = await errorFromResponse(new Response(envelope({ code: 'not_found' }), { status: 404 }));
    assert.deepEqual([minimal.code, minimal.message, minimal.requestId, minimal.details], ['not_found', 'not_found', undefined, undefined]);
  });

  it('reads JSON answers: parsed body, undefined when empty, invalid_response when not JSON', async () => {
    assert.deepEqual(await readJson(new Response('{"a":1}', { status: 200 })), { a: 1 });
    assert.equal(await readJson(new Response(null, { status: 204 })), undefined);
    await assert.rejects(readJson(new Response('<html>', { status: 200 })), (error: unknown) => error instanceof AimError && error.code === 'invalid_response' && error.status === 200);
    await assert.rejects(readJson(new Response(envelope({ code: 'unknown_key', message: 'm' }), { status: 401 })), (error: unknown) => error instanceof AimError && error.code === 'unknown_key');
  });
});
