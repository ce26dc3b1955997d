import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import type { AppError } from '../http/app-error.js';
import { MAX_AGE_SECONDS, checkContentDigest, checkSignatureTime, parseSignedRequest } from './http-signatures.js';
import { originOf } from './agent-auth.js';
import { thrownCode } from '../../testing/app-errors.js';

/** The test vector of docs/agent-identity.md §4a–4d (RFC 8037 Appendix A key). */
const VECTOR = {
  x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo',
  body: '{"hello": "world"}',
  digest: 'sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:',
  input:
    'aim=("@method" "@target-uri" "content-digest");created=1764273600;nonce="k3W3o1qQ5n0Y3t8dXh2u9A";keyid="kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k";alg="ed25519"',
  signature: 'aim=:YKvY2FX+4i0nhI1wOmjozcuVPm3ZhAcUa3vmeivhLBrHLrsVLz32cJYPSJTC+RjfNeNW9t6Uk7PDnm/mIGMQBg==:',
};

const parts = (overrides: Partial<Parameters<typeof parseSignedRequest>[0]> = {}) => ({
  method: 'POST',
  origin: 'https://aim.example.com',
  url: '/api/v1/oauth/token?x=1',
  headers: { 'content-digest': VECTOR.digest, 'signature-input': VECTOR.input, signature: VECTOR.signature },
  hasBody: true,
  ...overrides,
});

describe('HTTP message signatures', () => {
  it("verifies the documentation's test vector, and builds its signature base byte for byte", () => {
    const parsed = parseSignedRequest(parts());
    assert.equal(
      parsed.base.toString('utf8'),
      [
        '"@method": POST',
        '"@target-uri": https://aim.example.com/api/v1/oauth/token?x=1',
        `"content-digest": ${VECTOR.digest}`,
        `"@signature-params": ${VECTOR.input.slice(4)}`,
      ].join('\n'),
    );
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: VECTOR.x }, format: 'jwk' });
    assert.ok(verify(null, parsed.base, key, parsed.signature));
    assert.equal(parsed.keyId, 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k');
    assert.equal(thrownCode(() => checkContentDigest(VECTOR.digest, Buffer.from(VECTOR.body))), null);
    assert.equal(thrownCode(() => checkContentDigest(VECTOR.digest, Buffer.from(`${VECTOR.body} `))), 'digest_mismatch');
    // Any change to what is covered changes the base.
    for (const changed of [parts({ url: '/api/v1/oauth/token?x=2' }), parts({ method: 'PUT' }), parts({ origin: 'https://aim.example.org' })]) {
      assert.ok(!verify(null, parseSignedRequest(changed).base, key, parsed.signature));
    }
  });

  it('builds derived components as RFC 9421 defines them', () => {
    const input = 'sig=("@method" "@authority" "@scheme" "@path" "@query" "x-a" "@target-uri");created=1;nonce="0123456789abcdef";keyid="kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"';
    const base = parseSignedRequest(
      parts({ method: 'get', url: '/a/b', hasBody: false, headers: { 'signature-input': input, signature: 'sig=:AA==:', 'x-a': ['  one ', 'two'] } }),
    ).base.toString();
    assert.equal(base.split('\n').slice(0, 6).join('|'), '"@method": GET|"@authority": aim.example.com|"@scheme": https|"@path": /a/b|"@query": ?|"x-a": one, two');
  });

  it('refuses what the profile does not allow', () => {
    const withInput = (input: string, extra: Partial<Parameters<typeof parseSignedRequest>[0]> = {}) =>
      thrownCode(() => parseSignedRequest(parts({ headers: { 'content-digest': VECTOR.digest, 'signature-input': input, signature: VECTOR.signature.replace('aim', input.split('=')[0]!) }, ...extra })));
    const params = ';created=1;nonce="0123456789abcdef";keyid="kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"';
    assert.equal(withInput(`aim=("@method" "@target-uri" "content-digest")${params}`), null);
    assert.equal(withInput(`aim=("@method" "@target-uri")${params}`), 'malformed_signature', 'a body needs content-digest covered');
    assert.equal(withInput(`aim=("@method" "@target-uri" "content-digest";sf)${params}`), 'malformed_signature');
    assert.equal(withInput(`aim=("@method" "@method" "@target-uri" "content-digest")${params}`), 'malformed_signature');
    assert.equal(withInput(`aim=("@method" "@target-uri" "content-digest" "@request-response")${params}`), 'malformed_signature');
    assert.equal(withInput(`aim=("@method" "@target-uri" "content-digest");created=1;keyid="kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"`), 'malformed_signature', 'no nonce');
    assert.equal(withInput(`aim=("@method" "@target-uri" "content-digest");created="1";nonce="0123456789abcdef";keyid="kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"`), 'malformed_signature', 'created as a string');
    assert.equal(withInput(`aim=("@method" "@target-uri" "content-digest")${params};alg="hmac-sha256"`), 'malformed_signature');
    assert.equal(withInput(`aim=("@method" "@target-uri" "x-missing")${params}`, { hasBody: false }), 'malformed_signature');
  });

  it('accepts signatures inside the window and reports the skew outside it', () => {
    const now = 1_764_273_600_000;
    assert.equal(thrownCode(() => checkSignatureTime({ created: 1_764_273_600 - MAX_AGE_SECONDS, expires: null }, now)), null);
    assert.equal(thrownCode(() => checkSignatureTime({ created: 1_764_273_605, expires: null }, now)), null);
    try {
      checkSignatureTime({ created: 1_764_273_600 - MAX_AGE_SECONDS - 1, expires: null }, now);
      assert.fail('accepted a stale signature');
    } catch (error) {
      assert.equal((error as AppError).code, 'stale_signature');
      assert.deepEqual((error as AppError).details, { created: 1_764_273_299, serverTime: 1_764_273_600, skewSeconds: 301 });
    }
    assert.equal(thrownCode(() => checkSignatureTime({ created: 1_764_273_606, expires: null }, now)), 'stale_signature');
    assert.equal(thrownCode(() => checkSignatureTime({ created: 1_764_273_590, expires: 1_764_273_600 }, now)), 'stale_signature');
  });

  it('names the origin without the default port', () => {
    assert.equal(originOf('http', 'LOCALHOST:80'), 'http://localhost');
    assert.equal(originOf('https', 'aim.example.com:443'), 'https://aim.example.com');
    assert.equal(originOf('http', 'aim.example.com:443'), 'http://aim.example.com:443');
    assert.equal(originOf('http', '127.0.0.1:3000'), 'http://127.0.0.1:3000');
  });
});
