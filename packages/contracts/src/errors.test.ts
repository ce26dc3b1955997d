import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ERROR_CODES } from './errors.js';

describe('error codes', () => {
  it('map to client or server error statuses only', () => {
    for (const [code, { status }] of Object.entries(ERROR_CODES)) {
      assert.ok(status >= 400 && status < 600, code);
      assert.match(code, /^[a-z]+(_[a-z]+)*$/);
    }
  });
});
