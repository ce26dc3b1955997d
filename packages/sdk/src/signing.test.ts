import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { generateKeyPair } from './keys.js';
import { contentDigest, createNonce, createSignatureBase, signRequest, targetUri } from './signing.js';
import { isCode } from './test-support/offline.js';

// The example of docs/agent-identity.md §4a and §4d.
const DOC = {
  url: 'https://aim.example.com/api/v1/oauth/token?x=1',
  body: '{"hello": "world"}',
  created: 1764273600,
  nonce: 'k3W3o1qQ5n0Y3t8dXh2u9A',
  keyId: 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs',
  digest: 'sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:',
  signatureInput:
    'aim=("@method" "@target-uri" "content-digest");created=1764273600;nonce="k3W3o1qQ5n0Y3t8dXh2u9A";keyid="NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";alg="ed25519"',
  base: [
    '"@method": POST',
    '"@target-uri": https://aim.example.com/api/v1/oauth/token?x=1',
    '"content-digest": sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:',
    '"@signature-params": ("@method" "@target-uri" "content-digest");created=1764273600;nonce="k3W3o1qQ5n0Y3t8dXh2u9A";keyid="NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";alg="ed25519"',
  ].join('\n'),
};


describe('signing', () => {
  it('digests the exact body bytes as RFC 9530 sha-256 in standard base64', () => {
    assert.equal(contentDigest(DOC.body), DOC.digest);
    assert.equal(contentDigest(Buffer.from(DOC.body)), DOC.digest);
    assert.equal(contentDigest(''), 'sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:');
  });

  it("builds the doc's signature base byte for byte, with no newline at the end", () => {
    const base = createSignatureBase(
      { method: 'post', url: DOC.url, contentDigest: DOC.digest },
      { created: DOC.created, nonce: DOC.nonce, keyId: DOC.keyId },
    );
    assert.equal(base, DOC.base);
    assert.ok(!base.endsWith('\n'));
  });

  it("sends the doc's headers, and a signature that verifies over the base", () => {
    const key = generateKeyPair();
    const headers = signRequest({ method: 'POST', url: DOC.url, body: DOC.body, keyId: DOC.keyId, privateKey: key.privateKey, created: DOC.created, nonce: DOC.nonce });
    assert.equal(headers['content-digest'], DOC.digest);
    assert.equal(headers['signature-input'], DOC.signatureInput);
    const match = /^aim=:([A-Za-z0-9+/]+=*):$/.exec(headers.signature);
    assert.ok(match, headers.signature);
    const signature = Buffer.from(match[1]!, 'base64');
    assert.equal(signature.length, 64);
    const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: key.publicKey }, format: 'jwk' });
    assert.ok(verify(null, Buffer.from(DOC.base, 'utf8'), publicKey, signature));
    assert.ok(!verify(null, Buffer.from(DOC.base.replace('x=1', 'x=2'), 'utf8'), publicKey, signature));
  });

  it('signs deterministically: the RFC 8037 A.1 key over the doc\'s request gives a fixed signature', () => {
    // Cross-checked with an independent Ed25519 implementation (Python cryptography).
    const privateKey = { kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo', d: 'nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A' } as const;
    const keyId = 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k';
    const headers = signRequest({ method: 'POST', url: DOC.url, body: DOC.body, keyId, privateKey, created: DOC.created, nonce: DOC.nonce });
    assert.equal(headers['signature-input'], DOC.signatureInput.replace(DOC.keyId, keyId));
    assert.equal(headers.signature, 'aim=:YKvY2FX+4i0nhI1wOmjozcuVPm3ZhAcUa3vmeivhLBrHLrsVLz32cJYPSJTC+RjfNeNW9t6Uk7PDnm/mIGMQBg==:');
  });

  it('covers only @method and @target-uri without a body (absent or empty)', () => {
    const key = generateKeyPair();
    for (const body of [undefined, null, '', new Uint8Array(0)]) {
      const headers = signRequest({ method: 'get', url: 'https://aim.example.com/api/v1/agents/me', body, keyId: key.keyId, privateKey: key.privateKey, created: 1, nonce: DOC.nonce });
      assert.equal(headers['content-digest'], undefined);
      assert.equal(headers['signature-input'], `aim=("@method" "@target-uri");created=1;nonce="${DOC.nonce}";keyid="${key.keyId}";alg="ed25519"`);
    }
  });

  it('defaults created to now and the nonce to 16 fresh random bytes', () => {
    const key = generateKeyPair();
    const before = Math.floor(Date.now() / 1000);
    const input = signRequest({ method: 'GET', url: 'https://aim.example.com/', keyId: key.keyId, privateKey: key.privateKey })['signature-input'];
    const [, created, nonce] = /;created=(\d+);nonce="([^"]+)"/.exec(input) ?? [];
    assert.ok(Number(created) >= before && Number(created) <= Math.floor(Date.now() / 1000));
    assert.match(nonce ?? '', /^[A-Za-z0-9_-]{22}$/);
    assert.equal(Buffer.from(nonce!, 'base64url').length, 16);
    assert.notEqual(createNonce(), createNonce());
  });

  it('writes @target-uri as sent: default port dropped, host lower-cased, query kept, fragment dropped', () => {
    assert.equal(targetUri('https://AIM.example.com:443/a/b?x=1&y=%2F#frag'), 'https://aim.example.com/a/b?x=1&y=%2F');
    assert.equal(targetUri('http://aim.example.com:80/'), 'http://aim.example.com/');
    assert.equal(targetUri('http://localhost:8080/a?q=a b'), 'http://localhost:8080/a?q=a%20b');
    assert.equal(targetUri('https://aim.example.com:8443/p'), 'https://aim.example.com:8443/p');
    assert.equal(targetUri(new URL('https://[::1]:3000/x')), 'https://[::1]:3000/x');
    assert.throws(() => targetUri('/relative'), isCode('invalid_argument'));
    assert.throws(() => targetUri('ftp://aim.example.com/'), isCode('invalid_argument'));
  });

  it('refuses parameters AIM would refuse', () => {
    const key = generateKeyPair();
    const base = { method: 'GET', url: 'https://aim.example.com/', keyId: key.keyId, privateKey: key.privateKey };
    assert.throws(() => signRequest({ ...base, nonce: 'short' }), isCode('invalid_argument'));
    assert.throws(() => signRequest({ ...base, nonce: 'has"quote-and-is-long-enough' }), isCode('invalid_argument'));
    assert.throws(() => signRequest({ ...base, created: 1.5 }), isCode('invalid_argument'));
    assert.throws(() => signRequest({ ...base, keyId: 'nope' }), isCode('invalid_argument'));
    assert.throws(() => signRequest({ ...base, method: 'GE T' }), isCode('invalid_argument'));
  });
});
