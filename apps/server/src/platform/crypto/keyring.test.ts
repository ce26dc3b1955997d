import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createKeyring, DecryptionError, parseEncryptionKeys } from './keyring.js';

const k1 = { id: 'k1', key: randomBytes(32) };
const k2 = { id: 'k2', key: randomBytes(32) };
const lookupKey = randomBytes(32);

describe('keyring', () => {
  it('round-trips a value and never stores it in the clear', () => {
    const ring = createKeyring({ keys: [k1], lookupKey });
    const sealed = ring.encrypt('ada@example.com', 'users.email:usr_1');
    assert.ok(!sealed.includes('ada'));
    assert.equal(ring.decrypt(sealed, 'users.email:usr_1'), 'ada@example.com');
    assert.notEqual(ring.encrypt('ada@example.com', 'users.email:usr_1'), sealed, 'fresh data key and iv each time');
  });

  it('refuses a ciphertext moved to another row or tampered with', () => {
    const ring = createKeyring({ keys: [k1], lookupKey });
    const sealed = ring.encrypt('ada@example.com', 'users.email:usr_1');
    assert.throws(() => ring.decrypt(sealed, 'users.email:usr_2'), DecryptionError);
    const parts = sealed.split('.');
    const body = Buffer.from(parts[5]!, 'base64url');
    body[0]! ^= 1;
    parts[5] = body.toString('base64url');
    assert.throws(() => ring.decrypt(parts.join('.'), 'users.email:usr_1'), DecryptionError);
  });

  it('rotates: new values use the primary key, old ones stay readable while their key is configured', () => {
    const old = createKeyring({ keys: [k1], lookupKey }).encrypt('x', 'a');
    const rotated = createKeyring({ keys: [k2, k1], lookupKey });
    assert.equal(rotated.decrypt(old, 'a'), 'x');
    assert.equal(rotated.encrypt('y', 'a').split('.')[1], 'k2');
    assert.throws(() => createKeyring({ keys: [k2], lookupKey }).decrypt(old, 'a'), /k1 is not configured/);
  });

  it('hashes for lookups deterministically, keyed', () => {
    const a = createKeyring({ keys: [k1], lookupKey });
    assert.deepEqual(a.lookupHash('ada@example.com'), a.lookupHash('ada@example.com'));
    assert.notDeepEqual(createKeyring({ keys: [k1], lookupKey: randomBytes(32) }).lookupHash('ada@example.com'), a.lookupHash('ada@example.com'));
  });

  it('parses key lists and rejects bad ones', () => {
    const spec = `k2:${k2.key.toString('base64url')},k1:${k1.key.toString('base64url')}`;
    assert.deepEqual(parseEncryptionKeys(spec).map((k) => k.id), ['k2', 'k1']);
    assert.throws(() => parseEncryptionKeys('nocolon'), /id:base64url/);
    assert.throws(() => createKeyring({ keys: [{ id: 'short', key: randomBytes(16) }], lookupKey }), /32 bytes/);
  });
});
