import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmod, cp, lstat, mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from 'pino';
import { FALLBACK_ROOT, type RunAs } from './cluster-placement.js';

const run = promisify(execFile);

export interface PostgresBinaries {
  postgres: string;
  initdb: string;
}

/** Where npm put the binaries: `<package>/native/{bin,lib,share}`. */
const nativeDirOf = (bin: PostgresBinaries): string => dirname(dirname(bin.postgres));

/** Whether `ids` can run both binaries where they are and read the files initdb copies from share/. */
async function runnableBy(bin: PostgresBinaries, ids: RunAs): Promise<boolean> {
  const bki = join(nativeDirOf(bin), 'share', 'postgresql', 'postgres.bki');
  try {
    await run('test', ['-r', bki], { ...ids, cwd: '/' });
    await run(bin.postgres, ['--version'], { ...ids, cwd: '/', env: { PATH: '/usr/bin:/bin' } });
    await run(bin.initdb, ['--version'], { ...ids, cwd: '/', env: { PATH: '/usr/bin:/bin' } });
    return true;
  } catch {
    return false;
  }
}

async function sha256File(path: string): Promise<string> {
  return createHash('sha256').update(await readFile(path)).digest('hex');
}

/** Every folder 0755, every file 0755 if executable and 0644 otherwise: readable by anyone, writable by root only. */
async function openForReading(dir: string): Promise<void> {
  await chmod(dir, 0o755);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isSymbolicLink()) continue;
    if (entry.isDirectory()) await openForReading(path);
    else await chmod(path, ((await lstat(path)).mode & 0o111) !== 0 ? 0o755 : 0o644);
  }
}

/** The copy's folder name: the package's version and the hash of its `postgres` binary. */
async function copyName(native: string, postgresHash: string): Promise<string> {
  const pkg = JSON.parse(await readFile(join(dirname(native), 'package.json'), 'utf8').catch(() => '{}')) as { version?: unknown };
  const version = typeof pkg.version === 'string' && /^[0-9A-Za-z.+-]{1,64}$/.test(pkg.version) ? pkg.version : 'unknown';
  return `pg-${version}-${postgresHash.slice(0, 16)}`;
}

/**
 * Make the PostgreSQL binaries runnable by the user PostgreSQL runs as.
 *
 * Not as root (no `ids`), or when the postgres user can run them where npm installed them, they are
 * used in place. As root in a checkout whose parent folders the postgres user cannot enter (a clone
 * under /root, a `mktemp -d` folder), the package's native folder (bin, lib, share) is copied once to
 * `<root>/pg-<version>-<hash>/`, owned by root and readable by everyone: to a private temporary folder
 * first, then renamed into place, so a copy is either whole or absent, and processes starting at the
 * same time settle on one. A copy already there is reused when its `postgres` binary is intact.
 */
export async function placeBinaries(
  bin: PostgresBinaries,
  ids: RunAs,
  logger: Pick<Logger, 'warn'>,
  root = FALLBACK_ROOT,
): Promise<PostgresBinaries> {
  if (ids.uid === undefined || ids.gid === undefined) return bin;
  if (await runnableBy(bin, ids)) return bin;

  const native = nativeDirOf(bin);
  const hash = await sha256File(bin.postgres);
  const target = join(root, await copyName(native, hash));
  const placed = { postgres: join(target, 'bin', 'postgres'), initdb: join(target, 'bin', 'initdb') };
  const intact = async () => (await sha256File(placed.postgres).catch(() => null)) === hash && (await runnableBy(placed, ids));

  await mkdir(root, { recursive: true, mode: 0o755 });
  await chmod(root, 0o755);
  if (await intact()) return placed;

  const staging = join(root, `.staging-${process.pid}-${randomBytes(6).toString('hex')}`);
  try {
    await mkdir(staging, { mode: 0o700 });
    for (const part of ['bin', 'lib', 'share']) {
      await cp(join(native, part), join(staging, part), { recursive: true, verbatimSymlinks: true, errorOnExist: true, force: false });
    }
    await openForReading(staging);
    try {
      await rename(staging, target);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
      // Another AIM process placed it first, or a damaged copy is in the way.
      if (!(await intact())) {
        const damaged = `${target}.damaged-${randomBytes(6).toString('hex')}`;
        await rename(target, damaged);
        await rename(staging, target);
        await rm(damaged, { recursive: true, force: true });
      }
    }
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  if (!(await intact())) {
    throw new Error(`The PostgreSQL binaries copied to ${target} cannot be run by the "postgres" user; check that ${root} and its parents are open to it (chmod o+x).`);
  }
  logger.warn(
    { installedAt: native, placedAt: target },
    'the postgres user cannot run the PostgreSQL binaries where npm installed them; they are run from a copy at placedAt',
  );
  return placed;
}
