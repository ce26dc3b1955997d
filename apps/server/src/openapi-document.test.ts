import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { generateOpenApiDocument, OPENAPI_PATH, serializeOpenApi } from './openapi-document.js';

describe('published OpenAPI document', () => {
  it('is current: docs/openapi.json equals what the route schemas produce (run `npm run docs`)', async () => {
    const published = await readFile(OPENAPI_PATH, 'utf8');
    const generated = serializeOpenApi(await generateOpenApiDocument());
    assert.equal(published, generated);
  });
});
