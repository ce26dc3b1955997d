import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hasUnstorableText } from './unstorable-text.js';

describe('hasUnstorableText', () => {
  it('finds NUL and unpaired surrogates in strings and keys, at any depth', () => {
    for (const bad of ['a\u0000b', '\ud800', 'x\udc00', { k: ['\ud83d'] }, { ['\u0000']: 1 }, [[{ deep: 'ok\u0000' }]]]) {
      assert.equal(hasUnstorableText(bad), true, JSON.stringify(bad));
    }
  });
  it('passes ordinary text, paired surrogates (emoji) and non-strings', () => {
    for (const good of ['plain', 'emoji \ud83d\ude00', 'é', { a: [1, true, null, 'x'] }, 42, null, '\\u0000 as text']) {
      assert.equal(hasUnstorableText(good), false, JSON.stringify(good));
    }
  });
});
