#!/usr/bin/env node
// The dashboard's build for `npm run build` (and so `npm start`): `next build` only when something it
// reads changed. The Next.js static export takes a minute or more, and a second `npm start` with
// unchanged sources should not pay it again.
//
// Its inputs are hashed: apps/web (sources, configuration, package.json; not the generated
// src/api/schema.d.ts or next-env.d.ts, which derive from the others), docs/openapi.json (the API
// types are generated from it), the compiled @aim/contracts it imports, the lockfile (every
// dependency's version), the Node.js version, any NEXT_PUBLIC_* variable and the apps/web/.env* files
// Next.js reads them from (.env, .env.production, .env.local, …). After a successful
// build the hash is stamped, with a list of every file of apps/web/out and its size. The build is
// skipped when the inputs hash to the stamp and out/ still holds exactly those files; otherwise
// (or with --force) the stamp is removed and `npm run build -w @aim/web` runs, which is also what
// to use to build the dashboard unconditionally. --check only tells whether a build is needed.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

// A path, not a URL's pathname (which would keep a space in the checkout's path as %20).
const root = fileURLToPath(new URL('..', import.meta.url));
const web = join(root, 'apps/web');
const out = join(web, 'out');
// Outside out/, which the server publishes file by file.
const stampPath = join(web, '.next', 'aim-export-stamp.json');

const GENERATED = new Set(['apps/web/src/api/schema.d.ts', 'apps/web/next-env.d.ts']);

function walk(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : e.isFile() ? [join(dir, e.name)] : []))
    .sort();
}

function inputsHash() {
  const files = [
    ...walk(join(web, 'src')),
    ...walk(join(web, 'public')),
    ...['package.json', 'next.config.mjs', 'postcss.config.mjs', 'tsconfig.json'].map((f) => join(web, f)),
    // `next build` loads NEXT_PUBLIC_* values from these too, and inlines them into the pages.
    ...readdirSync(web, { withFileTypes: true })
      .filter((e) => e.isFile() && /^\.env(\..+)?$/.test(e.name))
      .map((e) => join(web, e.name))
      .sort(),
    join(root, 'docs/openapi.json'),
    join(root, 'package-lock.json'),
    join(root, 'packages/contracts/package.json'),
    ...walk(join(root, 'packages/contracts/dist')).filter((f) => /\.(js|d\.ts)$/.test(f) && !/\.test\./.test(f)),
  ];
  const hash = createHash('sha256');
  hash.update(`node ${process.versions.node}\n`);
  for (const [name, value] of Object.entries(process.env).filter(([k]) => k.startsWith('NEXT_PUBLIC_')).sort()) hash.update(`env ${name}=${value}\n`);
  for (const file of files) {
    const rel = relative(root, file);
    if (GENERATED.has(rel) || !existsSync(file)) continue;
    hash.update(`file ${rel}\n`).update(createHash('sha256').update(readFileSync(file)).digest('hex')).update('\n');
  }
  return hash.digest('hex');
}

/** Every file of out/ with its size: a folder emptied, cut short or partly deleted does not match. */
function outputListing() {
  const hash = createHash('sha256');
  const files = walk(out);
  for (const file of files) hash.update(`${relative(out, file)} ${statSync(file).size}\n`);
  return { files: files.length, listing: hash.digest('hex') };
}

function readStamp() {
  try {
    return JSON.parse(readFileSync(stampPath, 'utf8'));
  } catch {
    return undefined;
  }
}

const force = process.argv.includes('--force');
const checkOnly = process.argv.includes('--check');
const inputs = inputsHash();
const stamp = readStamp();
let reason;
if (force) reason = '--force';
else if (!stamp) reason = 'no record of a previous build';
else if (stamp.inputs !== inputs) reason = 'its sources, configuration, dependencies or the API contract changed';
else if (!existsSync(join(out, 'index.html'))) reason = 'apps/web/out is missing';
else {
  const now = outputListing();
  if (now.files !== stamp.files || now.listing !== stamp.listing) reason = 'apps/web/out differs from what the last build wrote';
  else {
    console.log(`dashboard: unchanged since its last build (apps/web/out, ${now.files} files); skipping next build`);
    process.exit(0);
  }
}
console.log(`dashboard: building, because ${reason}`);
// --check: only say whether a build is needed (exit code 1 when it is).
if (checkOnly) process.exit(1);

rmSync(stampPath, { force: true });
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
try {
  execFileSync(npm, ['run', 'build', '-w', '@aim/web'], { cwd: root, stdio: 'inherit' });
} catch (error) {
  process.exit(typeof error.status === 'number' && error.status !== 0 ? error.status : 1);
}
mkdirSync(dirname(stampPath), { recursive: true });
// The hash of the inputs as they were when the build started: an edit made during the build is built next time.
writeFileSync(stampPath, `${JSON.stringify({ inputs, ...outputListing(), builtAt: new Date().toISOString() }, null, 2)}\n`);
