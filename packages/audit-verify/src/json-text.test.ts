import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import canonicalize from 'canonicalize';
import { canonicalJsonText } from './json-text.js';

const reference = (text: string) => canonicalize(JSON.parse(text) as unknown);

describe('canonicalJsonText', () => {
  it('equals canonicalize(JSON.parse(text)) on flat objects, written as PostgreSQL prints jsonb and otherwise', () => {
    const texts = [
      '{}',
      '{ }',
      '{"n": 5}',
      '{"n":5}',
      '{"risk": "low", "action": "files:read", "agentId": "agt_01"}',
      '{"b": true, "a": false, "c": null}',
      '{"x": -0, "y": 0, "z": -12, "w": 1.0, "v": 1.50, "u": 1e21, "t": 1E-7, "s": 123456789012345678901234567890, "r": 9007199254740993}',
      '{"é": "ü", "e": "日本", "Z": "", "aa": "a b c", "a": "x"}',
      '{"10": 1, "9": 2, "a": 3, "B": 4, "_": 5}',
      '{"k": "a:b, c}"}',
      '{"k": "{\\"not\\": 1}"}',
      '{"emoji": "🙂"}',
      '{"nested": {"b": 1, "a": 2}, "z": [3, 1]}',
      '{"k": "tab\\there", "e": "\\u00e9"}',
      '[1, 2]',
      '"text"',
      '5',
      'null',
      '{"dup": 1, "dup": 2}',
    ];
    for (const text of texts) assert.equal(canonicalJsonText(text), reference(text), text);
  });

  it('equals the reference on random flat objects of every scalar kind', () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const scalars = () => {
      const r = random();
      if (r < 0.2) return Math.floor(random() * 1e6) - 5e5;
      if (r < 0.3) return random() * 1e3;
      if (r < 0.35) return random() < 0.5;
      if (r < 0.4) return null;
      return Array.from({ length: Math.floor(random() * 12) }, () => String.fromCharCode(32 + Math.floor(random() * 95))).join('');
    };
    for (let n = 0; n < 2_000; n++) {
      const value = Object.fromEntries(Array.from({ length: Math.floor(random() * 6) }, () => [String.fromCharCode(97 + Math.floor(random() * 26)).repeat(1 + Math.floor(random() * 3)), scalars()]));
      for (const text of [JSON.stringify(value), JSON.stringify(value).replaceAll(',"', ', "').replaceAll('":', '": ')]) assert.equal(canonicalJsonText(text), reference(text), text);
    }
  });

  it('refuses text that is not JSON, as JSON.parse does', () => {
    for (const text of ['{', '{"a": }', '{"a": 1,}', '{"a": tru}', '{"a": 01}', '{"a": 1} x']) assert.throws(() => canonicalJsonText(text), SyntaxError, text);
  });
});
