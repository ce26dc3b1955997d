import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * scripts/build-web.mjs decides whether the dashboard must be built again. A wrong "unchanged"
 * serves a stale dashboard, so each input it must notice is changed here and `--check` must say
 * "build". The script runs on a small copy of the tree in a temporary folder; `npm` there is a
 * stand-in on PATH that writes what `next build` would (apps/web/out/index.html), because the real
 * build takes minutes and is not what is under test.
 */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

function run(tree: string, args: string[], env: Record<string, string> = {}): Promise<Ran> {
  return new Promise((resolve) => {
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('NEXT_PUBLIC_')));
    execFile(
      process.execPath,
      [join(tree, 'scripts/build-web.mjs'), ...args],
      { cwd: tree, env: { ...clean, PATH: `${join(tree, 'bin')}:${process.env.PATH ?? ''}`, ...env }, timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }),
    );
  });
}

const show = (r: Ran) => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

describe('scripts/build-web.mjs: when the dashboard is built again', () => {
  let tree: string;

  before(async () => {
    // A space in the path, as in a checkout under "My Projects".
    tree = await mkdtemp(join(tmpdir(), 'aim build-web-'));
    const web = join(tree, 'apps/web');
    await mkdir(join(tree, 'scripts'), { recursive: true });
    await copyFile(join(ROOT, 'scripts/build-web.mjs'), join(tree, 'scripts/build-web.mjs'));
    await mkdir(join(web, 'src/app'), { recursive: true });
    await writeFile(join(web, 'src/app/page.tsx'), 'export default function Page() { return null; }\n');
    await writeFile(join(web, 'src/app/other.tsx'), 'export const other = 1;\n');
    for (const f of ['package.json', 'next.config.mjs', 'postcss.config.mjs', 'tsconfig.json']) await writeFile(join(web, f), '{}\n');
    await mkdir(join(tree, 'docs'), { recursive: true });
    await writeFile(join(tree, 'docs/openapi.json'), '{}\n');
    await writeFile(join(tree, 'package-lock.json'), '{}\n');
    await mkdir(join(tree, 'packages/contracts/dist'), { recursive: true });
    await writeFile(join(tree, 'packages/contracts/package.json'), '{}\n');
    await writeFile(join(tree, 'packages/contracts/dist/index.js'), 'export {};\n');
    // The stand-in for `npm run build -w @aim/web`: an export with one page.
    await mkdir(join(tree, 'bin'));
    await writeFile(join(tree, 'bin/npm'), '#!/bin/sh\nset -e\nmkdir -p apps/web/out\necho "<html></html>" > apps/web/out/index.html\n');
    await chmod(join(tree, 'bin/npm'), 0o755);

    const first = await run(tree, []);
    assert.equal(first.code, 0, show(first));
    assert.match(first.stdout, /dashboard: building, because no record of a previous build/);
  });
  after(async () => {
    await rm(tree, { recursive: true, force: true });
  });

  const unchanged = async () => {
    const checked = await run(tree, ['--check']);
    assert.equal(checked.code, 0, show(checked));
    assert.match(checked.stdout, /unchanged since its last build/);
  };
  const needsBuild = async (env: Record<string, string> = {}) => {
    const checked = await run(tree, ['--check'], env);
    assert.equal(checked.code, 1, show(checked));
    assert.match(checked.stdout, /dashboard: building, because its sources, configuration, dependencies or the API contract changed/);
  };

  const build = async () => {
    const built = await run(tree, []);
    assert.equal(built.code, 0, show(built));
    assert.match(built.stdout, /dashboard: building/);
  };

  it('skips when nothing changed', async () => {
    await unchanged();
  });

  it('builds when a NEXT_PUBLIC_ variable is set', async () => {
    await needsBuild({ NEXT_PUBLIC_AIM_TITLE: 'x' });
    await unchanged();
  });

  it('builds when an apps/web/.env file (which next build reads NEXT_PUBLIC_ values from) appears, changes or goes', async () => {
    for (const name of ['.env', '.env.production', '.env.local', '.env.production.local']) {
      const file = join(tree, 'apps/web', name);
      await writeFile(file, 'NEXT_PUBLIC_AIM_TITLE=one\n');
      await needsBuild();
      await build();
      await unchanged();
      await writeFile(file, 'NEXT_PUBLIC_AIM_TITLE=two\n');
      await needsBuild();
      await unlink(file);
      await needsBuild();
      await build();
      await unchanged();
    }
  });

  it('builds when a source file is deleted', async () => {
    const file = join(tree, 'apps/web/src/app/other.tsx');
    await unlink(file);
    await needsBuild();
    await writeFile(file, 'export const other = 1;\n');
    await unchanged();
  });
});
