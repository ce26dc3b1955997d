// The shape of the code, held by `npm run lint` (scripts/lint.mjs runs `depcruise` with this file).
// ARCHITECTURE.md "Boundaries" explains each rule. A rule's name appears in every violation.
//
// Everything that is not a rule below is allowed. In particular the composition roots may import
// anything: apps/server/src/app.ts, main.ts, modules/features.ts, modules/services.ts and
// modules/jobs.ts (they sit outside every modules/<name>/ folder, so no module rule matches them),
// and so may the server's tests (*.test.ts) and its test harness (apps/server/src/testing/), excluded
// from `from` in the server's rules through TESTS. (Tests in packages/ and apps/web are held like
// their code: they never import an app, or the server.)

const MODULES = '^apps/server/src/modules/';
const TESTS = ['\\.test\\.tsx?$', '^apps/server/src/testing/'];

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: 'platform-not-to-modules',
      severity: 'error',
      comment:
        'platform/ is cross-cutting code that features build on: it never reaches into a feature (modules/) ' +
        'or the composition roots (app.ts, main.ts). Pass what it needs in as a parameter instead.',
      from: { path: '^apps/server/src/platform/', pathNot: TESTS },
      to: { path: ['^apps/server/src/modules/', '^apps/server/src/(app|main)\\.ts$'] },
    },
    {
      name: 'packages-not-to-apps',
      severity: 'error',
      comment: 'packages/ are shared by the apps and published on their own: they never import an app.',
      from: { path: '^packages/' },
      // By path, or by package name (unresolved before a build: the apps resolve to their dist/).
      to: { path: ['^apps/', '^@aim/(server|web)($|/)'] },
    },
    {
      name: 'web-not-to-server',
      severity: 'error',
      comment:
        'The dashboard talks to the server only over HTTP (typed by docs/openapi.json) and shares code only ' +
        'through packages/ (@aim/contracts).',
      from: { path: '^apps/web/' },
      to: { path: ['^apps/server/', '^@aim/server($|/)'] },
    },
    {
      name: 'module-through-index',
      severity: 'error',
      comment:
        'A module (modules/<a>/) uses another module (modules/<b>/) only through its public surface, ' +
        'modules/<b>/index.ts. Export what you need from there rather than importing a file inside <b>.',
      from: { path: `${MODULES}([^/]+)/`, pathNot: TESTS },
      to: { path: `${MODULES}[^/]+/`, pathNot: [`${MODULES}$1/`, `${MODULES}[^/]+/index\\.ts$`] },
    },
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'No file reaches itself through its run-time imports (`import type` cycles vanish at compile time ' +
        'and are allowed). Cycles between whole modules are checked by scripts/lint.mjs (module-cycle).',
      from: { pathNot: TESTS },
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment:
        'Every relative import resolves to a file. (Also guards the rules above: an import that does ' +
        'not resolve could not break them.)',
      from: {},
      // apps/web/src/api/schema.d.ts is generated from docs/openapi.json by the build.
      to: { couldNotResolve: true, path: '^\\.', pathNot: '^\\./schema$' },
    },
  ],
  options: {
    // Workspace packages resolve to their build output (packages/<p>/dist/…): kept as leaves, so the
    // rules still see which app or package a dependency lands in.
    doNotFollow: { path: ['node_modules', '/dist/'] },
    exclude: { path: ['/out/', '/\\.next/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.depcruise.json' }, // tsconfig.base.json plus the dashboard's `@/…` paths
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types'],
      extensions: ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.d.ts'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
