import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { ERROR_CODES } from './errors.js';

describe('error codes', () => {
  it('are documented in docs/errors.md exactly as defined', async () => {
    const doc = await readFile(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
    const rows = [...doc.matchAll(/^\| `([a-z_]+)` \| (\d{3}) \| (.+) \|$/gm)].map((m) => [m[1], Number(m[2]), m[3]]);
    const defined = Object.entries(ERROR_CODES).map(([code, v]) => [code, v.status, v.description]);
    assert.deepEqual(rows, defined);
  });

  it('map to client or server error statuses only', () => {
    for (const [code, { status }] of Object.entries(ERROR_CODES)) {
      assert.ok(status >= 400 && status < 600, code);
      assert.match(code, /^[a-z]+(_[a-z]+)*$/);
    }
  });
});
