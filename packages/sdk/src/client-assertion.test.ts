import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { createClientAssertion, signCompactJws } from './client-assertion.js';
import { generateKeyPair } from './keys.js';

const RFC8037_JWK = { kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo', d: 'nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A' } as const;

const decode = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;

describe('client assertion', () => {
  it('signs a compact JWS exactly as RFC 8037 Appendix A.4', () => {
    assert.equal(
      signCompactJws({ alg: 'EdDSA' }, 'Example of Ed25519 signing', RFC8037_JWK),
      'eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg',
    );
  });

  it('makes an RFC 7523 assertion: EdDSA with kid, iss = sub = agent, aud, jti, exp = iat + 60', () => {
    const key = generateKeyPair();
    const audience = 'https://aim.example.com/api/v1/oauth/token';
    const jwt = createClientAssertion({ agentId: 'agt_x', keyId: key.keyId, privateKey: key.privateKey, audience, now: 1764273600 });
    const [header, payload, signature] = jwt.split('.') as [string, string, string];
    assert.deepEqual(decode(header), { alg: 'EdDSA', kid: key.keyId });
    const claims = decode(payload);
    assert.deepEqual({ ...claims, jti: undefined }, { iss: 'agt_x', sub: 'agt_x', aud: audience, jti: undefined, iat: 1764273600, exp: 1764273660 });
    assert.match(String(claims.jti), /^[A-Za-z0-9_-]{22}$/);
    const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: key.publicKey }, format: 'jwk' });
    assert.ok(verify(null, Buffer.from(`${header}.${payload}`), publicKey, Buffer.from(signature, 'base64url')));
    const again = createClientAssertion({ agentId: 'agt_x', keyId: key.keyId, privateKey: key.privateKey, audience });
    assert.notEqual(decode(again.split('.')[1]!).jti, claims.jti);
  });
});
