#!/usr/bin/env node
// `npm run pack`: the installable tarballs of the SDK and the audit verifier, from the compiled
// output (`npm run pack` builds first), written to packed/ (git-ignored) or to the folder given:
//
//   packed/aim-sdk-<version>.tgz
//   packed/aim-audit-verify-<version>.tgz
//
// Install them in any project with `npm install <path>/aim-sdk-<version>.tgz …`. No network is used
// here. Before packing, every compiled file is checked to come from a source file that still exists
// (a stale file in dist/ would otherwise be shipped), and every source map in a tarball must point at
// sources the tarball contains.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// A path, not a URL's pathname (which would keep a space in the checkout's path as %20).
const root = fileURLToPath(new URL('..', import.meta.url));
const destination = resolve(process.argv[2] ?? join(root, 'packed'));
const PACKAGES = ['packages/sdk', 'packages/audit-verify'];

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
}

for (const pkg of PACKAGES) {
  const dist = join(root, pkg, 'dist');
  if (!existsSync(dist)) throw new Error(`${pkg}/dist is missing: build first (npm run pack does)`);
  for (const file of walk(dist)) {
    const match = /^(.*)\.(js|d\.ts)(\.map)?$/.exec(relative(dist, file));
    if (!match) continue;
    if (!existsSync(join(root, pkg, 'src', `${match[1]}.ts`))) {
      throw new Error(`${relative(root, file)} has no source in ${pkg}/src (a stale build output): run \`npx tsc -b --clean\`, then \`npm run pack\``);
    }
  }
}

mkdirSync(destination, { recursive: true });
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const packed = JSON.parse(
  execFileSync(npm, ['pack', '--json', '--pack-destination', destination, ...PACKAGES.flatMap((p) => ['--workspace', p])], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }),
);

for (const entry of packed) {
  const files = new Set(entry.files.map((f) => f.path));
  // A source map resolves only if what it names is in the tarball too.
  for (const map of [...files].filter((f) => f.endsWith('.map'))) {
    const text = execFileSync('tar', ['-xOzf', join(destination, entry.filename), `package/${map}`], { encoding: 'utf8' });
    for (const source of JSON.parse(text).sources) {
      const target = join(map, '..', source);
      if (!files.has(target)) {
        rmSync(join(destination, entry.filename));
        throw new Error(`${entry.name}: ${map} points at ${source}, which is not in the package`);
      }
    }
  }
  if (files.has('dist/.tsbuildinfo') || [...files].some((f) => /\.test\.|test-support/.test(f))) {
    rmSync(join(destination, entry.filename));
    throw new Error(`${entry.name}: the package would contain tests or build state`);
  }
  console.log(`${relative(process.cwd(), join(destination, entry.filename))}  ${entry.name}@${entry.version}, ${entry.entryCount} files, ${entry.size} bytes`);
}
