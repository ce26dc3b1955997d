import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * `npm run lint` (scripts/lint.mjs) holds the shape of the code (ARCHITECTURE.md "Boundaries"). The
 * real tree passes; a copy of the sources with files that break each rule fails, naming the rule
 * and the file. That the rules bite is what is under test: a resolver that silently stopped resolving
 * `.js` imports to `.ts` files would let every boundary through.
 */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

interface Ran {
  code: number;
  output: string;
}

function lint(args: string[] = []): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(ROOT, 'scripts/lint.mjs'), ...args], { cwd: ROOT, timeout: 180_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}

describe('npm run lint', () => {
  let tree = '';

  before(async () => {
    tree = await mkdtemp(join(tmpdir(), 'aim-lint-'));
    for (const dir of ['apps/server/src', 'apps/web/src', 'packages/contracts/src']) await cp(join(ROOT, dir), join(tree, dir), { recursive: true });
    for (const file of ['tsconfig.base.json', 'tsconfig.depcruise.json']) await copyFile(join(ROOT, file), join(tree, file));
    const modules = join(tree, 'apps/server/src/modules');
    // A module reaching into another module's file instead of its index.ts.
    await writeFile(join(modules, 'trust/lint-probe.ts'), "export { agentRepository } from '../agents/agent-repository.js';\n");
    // The platform reaching into a feature.
    await writeFile(join(tree, 'apps/server/src/platform/lint-probe.ts'), "export { can } from '../modules/access/index.js';\n");
    // users → members while members → users: a cycle between modules, though each import goes through index.ts.
    await writeFile(join(modules, 'users/lint-probe.ts'), "export { membershipRepository } from '../members/index.js';\n");
    // A package importing an app; the dashboard importing the server.
    await writeFile(join(tree, 'packages/contracts/src/lint-probe.ts'), "export { newId } from '../../../apps/server/src/platform/ids.js';\n");
    await writeFile(join(tree, 'apps/web/src/lib/lint-probe.ts'), "export { newId } from '../../../server/src/platform/ids.js';\n");
    // A new source file over the limit.
    await writeFile(join(modules, 'trust/lint-long.ts'), Array.from({ length: 301 }, (_, i) => `export const line${i} = ${i};`).join('\n') + '\n');
    // Allowed: another module's index.ts, and anything from a test.
    await writeFile(join(modules, 'trust/lint-allowed.ts'), "export { agentRepository } from '../agents/index.js';\n");
    await writeFile(join(modules, 'trust/lint-allowed.test.ts'), "export { agentRepository } from '../agents/agent-repository.js';\n");
  });

  after(async () => {
    if (tree) await rm(tree, { recursive: true, force: true });
  });

  it('passes on the real tree', async () => {
    const ran = await lint();
    assert.equal(ran.code, 0, ran.output);
    assert.match(ran.output, /lint: no problems; \d+ files and \d+ imports cruised, \d+ file lengths checked/);
  });

  it('fails on each broken rule, naming the rule and the file, and only on those', async () => {
    const ran = await lint(['--root', tree]);
    assert.equal(ran.code, 1, ran.output);
    const errors = ran.output.split('\n').filter((line) => line.trimStart().startsWith('error '));
    assert.deepEqual(
      errors.map((line) => line.trim().split(':')[0]).sort(),
      [
        'error file-length',
        'error module-cycle',
        'error module-through-index',
        'error packages-not-to-apps',
        'error platform-not-to-modules',
        'error web-not-to-server',
      ],
      ran.output,
    );
    const line = (rule: string) => errors.find((l) => l.includes(`error ${rule}:`)) ?? '';
    assert.match(line('module-through-index'), /modules\/trust\/lint-probe\.ts → apps\/server\/src\/modules\/agents\/agent-repository\.ts/);
    assert.match(line('platform-not-to-modules'), /platform\/lint-probe\.ts → apps\/server\/src\/modules\/access\/index\.ts/);
    assert.match(line('module-cycle'), /modules members, users depend on each other: .*users\/lint-probe\.ts → apps\/server\/src\/modules\/members\/index\.ts/);
    assert.match(line('packages-not-to-apps'), /packages\/contracts\/src\/lint-probe\.ts → apps\/server\/src\/platform\/ids\.ts/);
    assert.match(line('web-not-to-server'), /apps\/web\/src\/lib\/lint-probe\.ts → apps\/server\/src\/platform\/ids\.ts/);
    assert.match(line('file-length'), /modules\/trust\/lint-long\.ts has 301 lines \(limit 300\)/);
    assert.doesNotMatch(ran.output, /lint-allowed/);
  });
});
