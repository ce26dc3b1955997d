import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { decodeBase64url, parsePublicKey, pointProblem, thumbprintOf, verifyEd25519 } from './ed25519.js';
import { thrownCode } from '../../testing/app-errors.js';

describe('Ed25519 public keys', () => {
  it('computes the RFC 7638 thumbprint of the RFC 8037 example key', () => {
    assert.equal(thumbprintOf('11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo'), 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k');
  });

  it('accepts generated keys as JWK or raw, and verifies their signatures', () => {
    for (let i = 0; i < 20; i++) {
      const { publicKey, privateKey } = generateKeyPairSync('ed25519');
      const jwk = publicKey.export({ format: 'jwk' });
      const fromJwk = parsePublicKey(jwk);
      const fromRaw = parsePublicKey(jwk.x);
      assert.equal(fromJwk.thumbprint, fromRaw.thumbprint);
      assert.equal(pointProblem(fromRaw.raw), null);
      assert.ok(verifyEd25519(fromRaw.keyObject, 'hello', sign(null, Buffer.from('hello'), privateKey)));
      assert.ok(!verifyEd25519(fromRaw.keyObject, 'hellp', sign(null, Buffer.from('hello'), privateKey)));
    }
  });

  it('refuses small-order points, non-canonical encodings and points off the curve', () => {
    const le = (hex: string) => Buffer.from(hex, 'hex');
    const identity = Buffer.from([1, ...Array(31).fill(0)]);
    const orderTwo = Buffer.from([0xec, ...Array(30).fill(0xff), 0x7f]); // y = p - 1
    const orderFour = Buffer.alloc(32); // y = 0
    const nonCanonical = Buffer.from([0xee, ...Array(30).fill(0xff), 0x7f]); // y = p + 1
    assert.match(pointProblem(identity)!, /small order/);
    assert.match(pointProblem(orderTwo)!, /small order/);
    assert.match(pointProblem(orderFour)!, /small order/);
    assert.match(pointProblem(nonCanonical)!, /canonical/);
    // y = 2 has no x on the curve.
    assert.match(pointProblem(le(`02${'00'.repeat(31)}`))!, /not a point/);
    // The identity with the sign bit set: x = 0 cannot be negative.
    assert.match(pointProblem(Buffer.from([1, ...Array(30).fill(0), 0x80]))!, /canonical/);
  });

  it('answers each bad input with its own code', () => {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    assert.equal(thrownCode(() => parsePublicKey(privateKey.export({ format: 'jwk' }))), 'private_key_submitted');
    assert.equal(thrownCode(() => parsePublicKey({ kty: 'EC', crv: 'P-256', x: 'a', y: 'b' })), 'unsupported_key_type');
    assert.equal(thrownCode(() => parsePublicKey({ kty: 'OKP', crv: 'Ed448', x: 'a' })), 'unsupported_key_type');
    assert.equal(thrownCode(() => parsePublicKey({ kty: 'OKP', crv: 'Ed25519' })), 'invalid_public_key');
    assert.equal(thrownCode(() => parsePublicKey('abc')), 'invalid_public_key');
    assert.equal(thrownCode(() => parsePublicKey(`${publicKey.export({ format: 'jwk' }).x}=`)), 'invalid_public_key');
    assert.equal(thrownCode(() => parsePublicKey(42)), 'invalid_public_key');
  });

  it('decodes only canonical unpadded base64url', () => {
    assert.deepEqual(decodeBase64url('AQID'), Buffer.from([1, 2, 3]));
    assert.equal(decodeBase64url('AQI='), null);
    assert.equal(decodeBase64url('AQ+D'), null);
    assert.equal(decodeBase64url('AR'), null, 'stray bits in the last character');
  });
});
