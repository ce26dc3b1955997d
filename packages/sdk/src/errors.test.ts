import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AimError, errorFromResponse, isRefusalByAim, type AimErrorCode } from './errors.js';
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

  it('turns a code this SDK does not know (a newer AIM) into unknown_error, keeping AIM\'s code as serverCode', async () => {
    const newer = await errorFromResponse(
      new Response(envelope({ code: 'quota_exhausted', message: 'too much', requestId: 'req-1', details: { limit: 5 } }), { status: 403 }),
    );
    assert.deepEqual(
      [newer.code, newer.serverCode, newer.message, newer.status, newer.requestId, newer.details, isRefusalByAim(newer)],
      ['unknown_error', 'quota_exhausted', 'too much', 403, 'req-1', { limit: 5 }, true],
    );
    const known = await errorFromResponse(new Response(envelope({ code: 'agent_revoked', message: 'gone' }), { status: 403 }));
    assert.deepEqual([known.code, known.serverCode], ['agent_revoked', 'agent_revoked']);
    assert.equal(new AimError('network_error', 'made here').serverCode, undefined, 'the SDK\'s own errors have no serverCode');
  });

  it('types code as the union of known codes: a misspelt code does not compile', () => {
    const error = new AimError('stale_signature', 'm');
    const code: AimErrorCode = error.code;
    // @ts-expect-error not a code AIM or the SDK has
    const misspelt = error.code === 'stale_signatures';
    // @ts-expect-error an AimError is made with a known code only
    const made = new AimError('whatever', 'm');
    assert.deepEqual([code, misspelt, made.code], ['stale_signature', false, 'whatever']);
  });

  it('reads JSON answers: parsed body, undefined when empty, invalid_response when not JSON', async () => {
    assert.deepEqual(await readJson(new Response('{"a":1}', { status: 200 })), { a: 1 });
    assert.equal(await readJson(new Response(null, { status: 204 })), undefined);
    await assert.rejects(readJson(new Response('<html>', { status: 200 })), (error: unknown) => error instanceof AimError && error.code === 'invalid_response' && error.status === 200);
    await assert.rejects(readJson(new Response(envelope({ code: 'unknown_key', message: 'm' }), { status: 401 })), (error: unknown) => error instanceof AimError && error.code === 'unknown_key');
  });
});
