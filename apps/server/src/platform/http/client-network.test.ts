import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { clientNetwork } from './rate-limit.js';

describe('clientNetwork (the unit rate limits count by)', () => {
  it('keeps IPv4 addresses whole, including IPv4-mapped IPv6', () => {
    assert.equal(clientNetwork('203.0.113.7'), '203.0.113.7');
    assert.equal(clientNetwork('::ffff:203.0.113.7'), '203.0.113.7');
  });

  it('groups IPv6 addresses by /64, however they are written', () => {
    const net = '2001:db8:85a3:0::/64';
    assert.equal(clientNetwork('2001:db8:85a3::1'), net);
    assert.equal(clientNetwork('2001:0db8:85a3:0000:ffff:0000:0000:0002'), net);
    assert.equal(clientNetwork('2001:db8:85a3:0:1:2:3:4'), net);
    assert.notEqual(clientNetwork('2001:db8:85a4::1'), net);
    assert.equal(clientNetwork('::1'), '0:0:0:0::/64');
    assert.equal(clientNetwork('fe80::1%eth0'), 'fe80:0:0:0::/64');
  });
});
