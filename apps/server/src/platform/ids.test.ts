import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { idTime, isId, newId } from './ids.js';

describe('newId', () => {
  it('makes prefixed ids of 26 lower-case Crockford base32 characters', () => {
    const id = newId('org');
    assert.match(id, /^org_[0-9a-hjkmnp-tv-z]{26}$/);
    assert.ok(isId('org', id));
    assert.ok(!isId('agt', id));
    assert.ok(!isId('org', `${id}x`));
  });

  it('sorts by creation time', () => {
    const earlier = newId('evt', Date.UTC(2026, 0, 1));
    const later = newId('evt', Date.UTC(2026, 0, 1) + 1);
    assert.ok(earlier < later);
  });

  it('does not repeat', () => {
    const ids = new Set(Array.from({ length: 10_000 }, () => newId('key', 0)));
    assert.equal(ids.size, 10_000);
  });
});

describe('idTime', () => {
  it('reads back the milliseconds an id was made with', () => {
    for (const ms of [0, 1, 1_764_201_600_123, 2 ** 48 - 1]) assert.equal(idTime(newId('dec', ms)), ms);
  });
  it('refuses a string that is not an id', () => {
    assert.throws(() => idTime('dec_UUUUUUUUUUUUUUUUUUUUUUUUUU'));
  });
});
