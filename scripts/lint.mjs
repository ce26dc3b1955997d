#!/usr/bin/env node
// `npm run lint`: the shape of the code (ARCHITECTURE.md "Boundaries").
//
// 1. Import boundaries: dependency-cruiser with .dependency-cruiser.mjs (platform-not-to-modules,
//    packages-not-to-apps, web-not-to-server, module-through-index, no-circular, not-to-unresolvable).
// 2. module-cycle: no cycle between the folders of apps/server/src/modules (type-only imports count too:
//    a module that needs another's types depends on it).
// 3. file-length: source files stay under a limit; exceptions, each with its reason and a ceiling, are
//    listed in scripts/file-length.config.mjs.
//
// Prints each problem with the rule's name; exits 1 when there is one. `--root <dir>` checks another
// copy of the tree (apps/server/src/lint.test.ts uses it), always with this checkout's configuration.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FILE_LENGTH } from './file-length.config.mjs';

const repo = fileURLToPath(new URL('..', import.meta.url));
const rootArg = process.argv.indexOf('--root');
const root = rootArg > 0 ? resolve(process.argv[rootArg + 1]) : repo;

/** The trees dependency-cruiser reads (only those present, so a partial copy can be checked). */
const CRUISE_ROOTS = ['apps/server/src', 'apps/web/src', 'packages/contracts/src', 'packages/sdk/src', 'packages/audit-verify/src'];
const MODULE = /^apps\/server\/src\/modules\/([^/]+)\//;
const TEST = /\.test\.tsx?$|^apps\/server\/src\/testing\//;

const problems = [];

function cruise() {
  const roots = CRUISE_ROOTS.filter((r) => existsSync(join(root, r)));
  const cli = join(repo, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');
  const run = spawnSync(process.execPath, [cli, '--config', join(repo, '.dependency-cruiser.mjs'), '--output-type', 'json', ...roots], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  let result;
  try {
    result = JSON.parse(run.stdout);
  } catch {
    process.stderr.write(run.stderr);
    throw new Error(`dependency-cruiser did not answer (exit ${run.status})`);
  }
  for (const v of result.summary.violations) {
    const via = v.cycle?.length ? ` (cycle: ${[v.from, ...v.cycle.map((c) => c.name ?? c)].join(' → ')})` : '';
    problems.push(`${v.rule.name}: ${v.from} → ${v.to}${via}`);
  }
  return result;
}

/** Cycles between module folders, found as strongly connected components of the folder graph. */
function checkModuleCycles(result) {
  const edges = new Map(); // module → Map(other module → an example "from → to")
  for (const m of result.modules) {
    const from = MODULE.exec(m.source)?.[1];
    if (!from || TEST.test(m.source)) continue;
    for (const d of m.dependencies) {
      const to = MODULE.exec(d.resolved)?.[1];
      if (!to || to === from) continue;
      if (!edges.has(from)) edges.set(from, new Map());
      if (!edges.get(from).has(to)) edges.get(from).set(to, `${m.source} → ${d.resolved}`);
    }
  }
  // Tarjan's algorithm.
  let index = 0;
  const stack = [];
  const state = new Map();
  const components = [];
  const visit = (v) => {
    state.set(v, { index, low: index, onStack: true });
    index += 1;
    stack.push(v);
    for (const w of edges.get(v)?.keys() ?? []) {
      if (!state.has(w)) {
        visit(w);
        state.get(v).low = Math.min(state.get(v).low, state.get(w).low);
      } else if (state.get(w).onStack) {
        state.get(v).low = Math.min(state.get(v).low, state.get(w).index);
      }
    }
    if (state.get(v).low === state.get(v).index) {
      const component = [];
      let w;
      do {
        w = stack.pop();
        state.get(w).onStack = false;
        component.push(w);
      } while (w !== v);
      if (component.length > 1) components.push(component.sort());
    }
  };
  for (const v of [...edges.keys()].sort()) if (!state.has(v)) visit(v);
  for (const component of components) {
    const inside = component.flatMap((a) => component.filter((b) => edges.get(a)?.has(b)).map((b) => edges.get(a).get(b)));
    problems.push(`module-cycle: modules ${component.join(', ')} depend on each other: ${inside.join('; ')}`);
  }
}

function* sourceFiles(dir) {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (FILE_LENGTH.skipDirectories.includes(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sourceFiles(path);
    else if (FILE_LENGTH.extensions.test(entry.name) && !entry.name.endsWith('.d.ts')) yield path;
  }
}

function checkFileLengths() {
  const exceptions = new Map(FILE_LENGTH.exceptions.map((e) => [e.file, e]));
  let checked = 0;
  for (const dir of FILE_LENGTH.roots) {
    for (const path of sourceFiles(join(root, dir))) {
      const file = relative(root, path).split('\\').join('/');
      const text = readFileSync(path, 'utf8');
      const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
      const limit = FILE_LENGTH.isTest(file) ? FILE_LENGTH.testLimit : FILE_LENGTH.limit;
      const exception = exceptions.get(file);
      checked += 1;
      if (exception) {
        exceptions.delete(file);
        if (lines > exception.max) {
          problems.push(`file-length: ${file} has ${lines} lines, more than its exception allows (${exception.max}; ${exception.reason}). Split it.`);
        } else if (lines <= limit) {
          problems.push(`file-length: ${file} has ${lines} lines, within the limit of ${limit}: remove its exception from scripts/file-length.config.mjs.`);
        }
      } else if (lines > limit) {
        problems.push(
          `file-length: ${file} has ${lines} lines (limit ${limit}). Split it into named parts; an exception goes in scripts/file-length.config.mjs with its reason.`,
        );
      }
    }
  }
  if (root === repo) {
    for (const file of exceptions.keys()) problems.push(`file-length: ${file} is gone: remove its exception from scripts/file-length.config.mjs.`);
  }
  return checked;
}

const result = cruise();
checkModuleCycles(result);
const checked = checkFileLengths();

for (const p of problems) console.error(`  error ${p}`);
const summary = `${result.summary.totalCruised} files and ${result.summary.totalDependenciesCruised} imports cruised, ${checked} file lengths checked`;
if (problems.length > 0) {
  console.error(`\nlint: ${problems.length} problem(s); ${summary}. The rules: ARCHITECTURE.md "Boundaries".`);
  process.exit(1);
}
console.log(`lint: no problems; ${summary}.`);
