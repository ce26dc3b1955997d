import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readlink, rm, stat, truncate } from 'node:fs/promises';
import { arch, platform, tmpdir, userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { placeBinaries, type PostgresBinaries } from './binary-placement.js';
import { FALLBACK_ROOT } from './cluster-placement.js';
import { startEmbeddedPostgres } from './embedded-postgres.js';

const run = promisify(execFile);
const quiet = { warn() {}, info() {}, error() {}, debug() {} };
const asRoot = { skip: userInfo().uid === 0 && platform() === 'linux' ? undefined : 'needs root on Linux' };

const PACKAGE = `@embedded-postgres/${platform()}-${arch()}`;

async function installed(): Promise<PostgresBinaries> {
  const mod = (await import(PACKAGE)) as PostgresBinaries;
  return { postgres: mod.postgres, initdb: mod.initdb };
}

async function postgresIds() {
  return {
    uid: Number((await run('id', ['-u', 'postgres'])).stdout),
    gid: Number((await run('id', ['-g', 'postgres'])).stdout),
  };
}

/**
 * A checkout as root makes it in a folder the postgres user cannot enter (`mktemp -d`, mode 0700):
 * the platform package, with its native folder, inside node_modules there.
 */
async function closedCheckout(): Promise<{ dir: string; bin: PostgresBinaries }> {
  const dir = await mkdtemp(join(tmpdir(), 'aim-closed-checkout-'));
  assert.equal((await stat(dir)).mode & 0o777, 0o700);
  const source = dirname(dirname((await installed()).postgres));
  const pkg = join(dir, 'node_modules', ...PACKAGE.split('/'));
  await mkdir(pkg, { recursive: true });
  await cp(join(dirname(source), 'package.json'), join(pkg, 'package.json'));
  await cp(source, join(pkg, 'native'), { recursive: true, verbatimSymlinks: true });
  return { dir, bin: { postgres: join(pkg, 'native', 'bin', 'postgres'), initdb: join(pkg, 'native', 'bin', 'initdb') } };
}

async function runsAsPostgres(bin: PostgresBinaries, ids: { uid: number; gid: number }): Promise<string> {
  return (await run(bin.postgres, ['--version'], { ...ids, cwd: '/' })).stdout;
}

describe('embedded PostgreSQL binaries placement', () => {
  it('uses the binaries in place when PostgreSQL runs as the current user', async () => {
    const bin = await installed();
    assert.deepEqual(await placeBinaries(bin, {}, quiet), bin);
  });

  it('as root, uses the binaries in place when the postgres user can run them there', asRoot, async () => {
    const open = await mkdtemp(join(tmpdir(), 'aim-open-checkout-'));
    try {
      await run('chmod', ['755', open]);
      const bin = await installed();
      const pkg = join(open, 'native');
      await cp(dirname(dirname(bin.postgres)), pkg, { recursive: true, verbatimSymlinks: true });
      const inPlace = { postgres: join(pkg, 'bin', 'postgres'), initdb: join(pkg, 'bin', 'initdb') };
      const root = await mkdtemp(join(tmpdir(), 'aim-binaries-'));
      try {
        assert.deepEqual(await placeBinaries(inPlace, await postgresIds(), quiet, root), inPlace);
        assert.deepEqual(await readdir(root), [], 'nothing is copied');
      } finally {
        await rm(root, { recursive: true, force: true });
      }
    } finally {
      await rm(open, { recursive: true, force: true });
    }
  });

  it('as root, copies them once from a folder the postgres user cannot enter, reuses the copy, and replaces a damaged one', asRoot, async () => {
    const ids = await postgresIds();
    const { dir, bin } = await closedCheckout();
    const root = await mkdtemp(join(tmpdir(), 'aim-binaries-'));
    try {
      await assert.rejects(runsAsPostgres(bin, ids), 'the postgres user cannot run the binaries in the closed checkout');

      // Two processes starting at once settle on one copy.
      const [a, b] = await Promise.all([placeBinaries(bin, ids, quiet, root), placeBinaries(bin, ids, quiet, root)]);
      assert.deepEqual(a, b);
      assert.match(a.postgres, new RegExp(`^${root}/pg-[0-9A-Za-z.+-]+-[0-9a-f]{16}/bin/postgres$`));
      assert.match(await runsAsPostgres(a, ids), /PostgreSQL/);
      const placed = dirname(dirname(a.postgres));
      assert.deepEqual(await readdir(root), [placed.slice(root.length + 1)], 'no staging folder is left behind');
      const info = await stat(placed);
      assert.equal(info.uid, 0, 'the copy is root’s');
      assert.equal(info.mode & 0o777, 0o755);
      assert.equal((await stat(a.postgres)).mode & 0o777, 0o755);
      assert.equal((await stat(join(placed, 'share', 'postgresql', 'postgres.bki'))).mode & 0o777, 0o644);

      const before = (await stat(a.postgres)).mtimeMs;
      assert.deepEqual(await placeBinaries(bin, ids, quiet, root), a);
      assert.equal((await stat(a.postgres)).mtimeMs, before, 'an intact copy is reused');

      await truncate(a.postgres, 1000);
      assert.deepEqual(await placeBinaries(bin, ids, quiet, root), a);
      assert.match(await runsAsPostgres(a, ids), /PostgreSQL/, 'a damaged copy is replaced');
      assert.equal((await readdir(root)).length, 1);
    } finally {
      await rm(dir, { recursive: true, force: true });
      await rm(root, { recursive: true, force: true });
    }
  });

  it('as root, starts a real PostgreSQL from a checkout and a data folder the postgres user cannot enter', asRoot, async () => {
    const { dir, bin } = await closedCheckout();
    const clusterDir = join(dir, '.aim', 'postgres');
    let placedCluster: string | undefined;
    try {
      const embedded = await startEmbeddedPostgres({ clusterDir, password: 'embedded-test-password', port: 0, logger: quiet, binaries: bin });
      placedCluster = resolve(dirname(clusterDir), await readlink(clusterDir));
      try {
        assert.ok(placedCluster.startsWith(`${FALLBACK_ROOT}/`), placedCluster);
        const client = new pg.Client({ connectionString: embedded.url('postgres') });
        await client.connect();
        try {
          const { rows } = await client.query<{ user: string; version: string }>('select current_user as user, version()');
          assert.equal(rows[0]!.user, 'postgres');
          assert.match(rows[0]!.version, /^PostgreSQL/);
          const { rows: settings } = await client.query<{ setting: string }>("select setting from pg_settings where name = 'data_directory'");
          assert.equal(settings[0]!.setting, placedCluster);
        } finally {
          await client.end();
        }
      } finally {
        await embedded.stop();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
      // Only this test's cluster: the binaries' copy under FALLBACK_ROOT is shared with every AIM on this machine.
      if (placedCluster) await rm(placedCluster, { recursive: true, force: true });
    }
  });
});
