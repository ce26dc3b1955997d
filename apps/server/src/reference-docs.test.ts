import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { errorsMarkdown, ERRORS_DOC_PATH, permissionsMarkdown, PERMISSIONS_DOC_PATH } from './reference-docs.js';

describe('generated reference documents (run `npm run docs` after a change)', () => {
  it('docs/errors.md is current', async () => {
    assert.equal(await readFile(ERRORS_DOC_PATH, 'utf8'), errorsMarkdown());
  });
  it('docs/permissions.md is current', async () => {
    assert.equal(await readFile(PERMISSIONS_DOC_PATH, 'utf8'), permissionsMarkdown());
  });
});
