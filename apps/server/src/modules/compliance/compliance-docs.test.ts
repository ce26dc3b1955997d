import { it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { CHECKS, FRAMEWORKS } from './catalogue/frameworks.js';

const DOC = fileURLToPath(new URL('../../../../../docs/compliance.md', import.meta.url));

it('docs/compliance.md lists every framework, control and check of the catalogue in code, as written there', async () => {
  const doc = await readFile(DOC, 'utf8');
  for (const f of FRAMEWORKS) {
    assert.ok(doc.includes(`### \`${f.id}\`: ${f.name} (${f.version})`), `framework ${f.id}`);
    for (const c of f.controls) {
      assert.ok(doc.includes(`| ${c.id} | ${c.title} | ${c.checks.map((x) => `\`${x}\``).join(', ')} |`), `${f.id} ${c.id}`);
    }
  }
  for (const c of CHECKS) {
    assert.ok(doc.includes(`### \`${c.id}\`: ${c.title}\n\n${c.description}\n`), `check ${c.id}`);
  }
  const documented = [...doc.matchAll(/^### `([a-z0-9_]+)`: /gm)].map((m) => m[1]);
  assert.deepEqual(documented.sort(), [...FRAMEWORKS.map((f) => f.id), ...CHECKS.map((c) => c.id)].sort(), 'nothing documented that the code lacks');
});
