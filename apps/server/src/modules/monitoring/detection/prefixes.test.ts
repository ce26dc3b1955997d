import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isIdentifierSegment, networkPrefix, resourcePrefix } from './prefixes.js';

describe('resourcePrefix', () => {
  it('keeps the first segments, split on / and :, with the separators as written', () => {
    assert.equal(resourcePrefix('reports/daily/summary', 2), 'reports/daily');
    assert.equal(resourcePrefix('db:customers:orders', 2), 'db:customers');
    assert.equal(resourcePrefix('/v1/users/active', 2), '/v1/users');
    assert.equal(resourcePrefix('s3://exports/2026-12-01/part-1.csv', 2), 's3://exports');
    assert.equal(resourcePrefix('reports/daily/summary', 1), 'reports');
    assert.equal(resourcePrefix('Reports/Daily', 3), 'reports/daily');
  });

  it('replaces identifiers by *, so every record of a kind shares one prefix', () => {
    assert.equal(resourcePrefix('orders/8812', 2), 'orders/*');
    assert.equal(resourcePrefix('orders/8813/lines', 2), 'orders/*');
    assert.equal(resourcePrefix('/customers/123', 2), '/customers/*');
    assert.equal(resourcePrefix('/v1/users/6f1c2a9e-3b4d-4c5e-8f90-1a2b3c4d5e6f', 3), '/v1/users/*');
    assert.equal(resourcePrefix('customers/cus_01jc8y3k4m5n6p7q8r9s0t1v2w', 2), 'customers/*');
    assert.equal(resourcePrefix('db:invoices:9912345', 3), 'db:invoices:*');
    assert.equal(resourcePrefix('1234', 1), '*');
  });

  it('is null for an empty resource', () => {
    assert.equal(resourcePrefix('', 2), null);
    assert.equal(resourcePrefix('   ', 2), null);
    assert.equal(resourcePrefix('///', 2), null);
  });

  it('tells identifiers from names', () => {
    for (const id of ['42', 'deadbeef01', 'agt_7f3a9c21', '2026-12-07', '01JC8Y3K4M5N6P7Q8R9S0T1V2W', 'a1b2c3d4e5f6']) assert.equal(isIdentifierSegment(id), true, id);
    for (const name of ['customers', 'v1', 'api.example.com', 'summary', 'report-2024', 'facade', 'exports-orders']) assert.equal(isIdentifierSegment(name), false, name);
  });
});

describe('networkPrefix', () => {
  it('masks IPv4 addresses to the prefix length', () => {
    assert.equal(networkPrefix('203.0.113.9', 24, 48), '203.0.113.0/24');
    assert.equal(networkPrefix('203.0.113.9', 16, 48), '203.0.0.0/16');
    assert.equal(networkPrefix('203.0.113.9', 32, 48), '203.0.113.9/32');
    assert.equal(networkPrefix('10.1.2.255', 23, 48), '10.1.2.0/23');
    assert.equal(networkPrefix('10.1.3.255', 23, 48), '10.1.2.0/23');
  });

  it('counts an IPv4-mapped IPv6 address as IPv4', () => {
    assert.equal(networkPrefix('::ffff:203.0.113.9', 24, 48), '203.0.113.0/24');
    assert.equal(networkPrefix('::FFFF:cb00:7109', 24, 48), '203.0.113.0/24');
  });

  it('masks IPv6 addresses and writes them as RFC 5952 text', () => {
    assert.equal(networkPrefix('2001:db8:12:34::1', 24, 48), '2001:db8:12::/48');
    assert.equal(networkPrefix('2001:0DB8:0012:0034:0000:0000:0000:0001', 24, 64), '2001:db8:12:34::/64');
    assert.equal(networkPrefix('[fe80::1%eth0]', 24, 64), 'fe80::/64');
    assert.equal(networkPrefix('2001:db8::1', 24, 128), '2001:db8::1/128');
    assert.equal(networkPrefix('::1', 24, 48), '::/48');
    assert.equal(networkPrefix('2001:db8:1:2:3:4:5:6', 24, 112), '2001:db8:1:2:3:4:5:0/112');
  });

  it('is null for what is not an address', () => {
    for (const bad of ['', 'nope', '256.1.1.1', '1.2.3', '1.2.3.4.5', '2001:db8::1::2', '2001:db8:1:2:3:4:5:6:7', 'g::1', 'unknown']) {
      assert.equal(networkPrefix(bad, 24, 48), null, bad);
    }
  });
});
