import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { safeReturnTo } from './oidc-service.js';

describe('safeReturnTo (no open redirect after sign-in)', () => {
  it('keeps paths on this origin', () => {
    assert.equal(safeReturnTo('/agents?status=active#top'), '/agents?status=active#top');
    assert.equal(safeReturnTo(undefined), '/');
  });

  it('sends anything that could leave the origin home', () => {
    for (const bad of [
      'https://evil.example/',
      '//evil.example/',
      '/\\evil.example/',
      '/\t/evil.example/x',
      '/%09/evil.example',
      '/\n/evil.example',
      '\\\\evil.example',
      'javascript:alert(1)',
      'evil.example',
      `/${'a'.repeat(600)}`,
    ]) {
      const out = safeReturnTo(bad);
      assert.ok(out === '/' || (out.startsWith('/') && !out.startsWith('//')), `${JSON.stringify(bad)} -> ${out}`);
      assert.equal(new URL(out, 'https://aim.example').origin, 'https://aim.example', JSON.stringify(bad));
    }
  });
});
