import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { AimError } from './errors.js';
import { exportPrivateJwk, generateKeyPair, jwkThumbprint, keyPairFromJwk, proofMessage, proofOfPossession, publicJwk } from './keys.js';

// RFC 8037 Appendix A.1 / A.3.
const RFC8037_X = '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo';
const RFC8037_D = 'nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A';

describe('keys', () => {
  it('computes the RFC 7638 thumbprint of the RFC 8037 A.3 example', () => {
    assert.equal(jwkThumbprint(RFC8037_X), 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k');
  });

  it('refuses a public key that is not 32 bytes of unpadded, canonical base64url', () => {
    for (const bad of [`${RFC8037_X}=`, RFC8037_X.slice(0, 42), `${RFC8037_X.slice(0, 42)}p`, RFC8037_X.replace('_', '/'), '']) {
      assert.throws(() => jwkThumbprint(bad), (error: unknown) => error instanceof AimError && error.code === 'invalid_argument', bad);
    }
  });

  it('generates Ed25519 key pairs whose key id is the thumbprint of their public key', () => {
    const key = generateKeyPair();
    assert.match(key.publicKey, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(key.keyId, jwkThumbprint(key.publicKey));
    assert.equal(key.privateKey.asymmetricKeyType, 'ed25519');
    assert.deepEqual(publicJwk(key.publicKey), { kty: 'OKP', crv: 'Ed25519', x: key.publicKey });
    assert.notEqual(generateKeyPair().keyId, key.keyId);
  });

  it('rebuilds the RFC 8037 key from its JWK, and refuses a JWK whose x is not its d', () => {
    const key = keyPairFromJwk({ kty: 'OKP', crv: 'Ed25519', x: RFC8037_X, d: RFC8037_D });
    assert.equal(key.keyId, 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k');
    assert.deepEqual(exportPrivateJwk(key.privateKey), { kty: 'OKP', crv: 'Ed25519', x: RFC8037_X, d: RFC8037_D });
    const other = generateKeyPair().publicKey;
    assert.throws(
      () => keyPairFromJwk({ kty: 'OKP', crv: 'Ed25519', x: other, d: RFC8037_D }),
      (error: unknown) => error instanceof AimError && error.code === 'invalid_credentials' && !error.message.includes(RFC8037_D),
    );
  });

  it('signs the five-line proof-of-possession message, bound to the AIM it was made for, no trailing newline', () => {
    const key = generateKeyPair();
    const challenge = 'c_0123456789abcdefghijklmnop';
    const origin = 'https://aim.example.com';
    const message = proofMessage('rotate', origin, challenge, key.keyId);
    assert.equal(message, `aim-proof-of-possession-v1\nrotate\n${origin}\n${challenge}\n${key.keyId}`);
    const proof = proofOfPossession(key, 'rotate', origin, challenge);
    assert.match(proof, /^[A-Za-z0-9_-]{86}$/);
    const publicKey = createPublicKey({ key: { ...publicJwk(key.publicKey) }, format: 'jwk' });
    assert.ok(verify(null, Buffer.from(message, 'utf8'), publicKey, Buffer.from(proof, 'base64url')));
    assert.ok(!verify(null, Buffer.from(proofMessage('register', origin, challenge, key.keyId)), publicKey, Buffer.from(proof, 'base64url')));
    assert.ok(!verify(null, Buffer.from(proofMessage('rotate', 'https://evil.example', challenge, key.keyId)), publicKey, Buffer.from(proof, 'base64url')));
    assert.throws(() => proofMessage('register', origin, 'a\nb', key.keyId), /line break/);
  });
});
