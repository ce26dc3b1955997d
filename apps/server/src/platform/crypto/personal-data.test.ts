import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { newId } from '../ids.js';
import { openWith, sealedKeyId, sealWith } from './personal-data.js';

const keyId = newId('pdk');
const key = randomBytes(32);

describe('sealed personal values (pd1)', () => {
  it('seals under the person key in the documented format, and opens only with that key and place', () => {
    const sealed = sealWith(keyId, key, '203.0.113.9', 'audit_events.client_ip:evt_1');
    assert.match(sealed, /^pd1\.pdk_[0-9a-z]{26}\.[A-Za-z0-9_-]+$/);
    assert.equal(sealedKeyId(sealed), keyId);
    assert.ok(!sealed.includes('203.0.113.9'));
    // iv (12) ‖ ciphertext (11) ‖ tag (16)
    assert.equal(Buffer.from(sealed.split('.')[2]!, 'base64url').length, 12 + 11 + 16);
    assert.equal(openWith(key, sealed, 'audit_events.client_ip:evt_1'), '203.0.113.9');
    assert.notEqual(sealWith(keyId, key, '203.0.113.9', 'audit_events.client_ip:evt_1'), sealed, 'a fresh iv each time');
  });

  it('does not open with another key, in another place, or tampered with', () => {
    const sealed = sealWith(keyId, key, 'Mozilla/5.0', 'sessions.user_agent:ses_1');
    assert.equal(openWith(randomBytes(32), sealed, 'sessions.user_agent:ses_1'), null);
    assert.equal(openWith(key, sealed, 'sessions.user_agent:ses_2'), null);
    const [prefix, id, body] = sealed.split('.') as [string, string, string];
    const bytes = Buffer.from(body, 'base64url');
    bytes[14]! ^= 1;
    assert.equal(openWith(key, `${prefix}.${id}.${bytes.toString('base64url')}`, 'sessions.user_agent:ses_1'), null);
  });

  it('tells sealed values from plain ones', () => {
    assert.equal(sealedKeyId('203.0.113.9'), null);
    assert.equal(sealedKeyId(null), null);
    assert.equal(sealedKeyId('pd1.pdk_short.AAAA'), null);
    assert.equal(sealedKeyId('v1.k1.a.b.c.d'), null);
  });
});
