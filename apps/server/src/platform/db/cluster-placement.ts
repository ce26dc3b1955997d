import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, chown, lstat, mkdir, readdir, readlink, realpath, symlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from 'pino';

const run = promisify(execFile);

export interface RunAs {
  uid?: number;
  gid?: number;
}

/** Where clusters go when the postgres user cannot reach the data folder (root only). */
export const FALLBACK_ROOT = '/var/lib/aim/embedded';

async function reachable(dir: string, ids: RunAs): Promise<boolean> {
  try {
    await run('test', ['-x', dir, '-a', '-w', dir], ids);
    return true;
  } catch {
    return false;
  }
}

async function isEmptyOrMissing(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).length === 0;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

/**
 * Decide where the cluster's files live and make them the postgres user's.
 *
 * Not as root: the cluster lives in `clusterDir`. As root, PostgreSQL runs as the `postgres` user,
 * which needs to reach the folder through every parent. When a parent is closed to other users
 * (a home folder, a `mktemp -d` folder), AIM does not loosen its permissions: it keeps the cluster
 * under /var/lib/aim/embedded/<hash of the folder> and links it from `clusterDir`, so the data
 * still survives restarts and `clusterDir` still shows where it is.
 *
 * Only the cluster folder itself is handed to the postgres user. The data folder around it stays
 * root's (mode 0711: others may pass through, not list or write), so that nothing root later
 * reads, writes or follows there (the secrets file, the log, the link) can be planted by the
 * postgres user.
 */
export async function placeCluster(clusterDir: string, ids: RunAs, logger: Pick<Logger, 'warn'>): Promise<string> {
  const dir = resolve(clusterDir);
  await mkdir(dirname(dir), { recursive: true, mode: 0o700 });
  if (ids.uid === undefined || ids.gid === undefined) return dir;

  const parent = dirname(dir);
  const parentStat = await lstat(parent);
  if (parentStat.uid !== 0 || parentStat.isSymbolicLink()) {
    throw new Error(`${parent} must be a folder owned by root when AIM runs as root.`);
  }
  await chmod(parent, 0o711);
  const link = await lstat(dir).catch(() => null);
  if (link?.isSymbolicLink()) {
    const target = resolve(dirname(dir), await readlink(dir));
    await mkdir(target, { recursive: true, mode: 0o700 });
    await chown(target, ids.uid, ids.gid);
    return target;
  }

  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chown(dir, ids.uid, ids.gid);
  if (await reachable(dir, ids)) return dir;

  if (!(await isEmptyOrMissing(dir))) {
    throw new Error(
      `PostgreSQL runs as the "postgres" user here (AIM is running as root), and that user cannot reach ${dir}. ` +
        'Open its parent folders to other users (chmod o+x) or move AIM_DATA_DIR elsewhere.',
    );
  }
  const hash = createHash('sha256').update(await realpath(dir)).digest('hex').slice(0, 16);
  const target = join(FALLBACK_ROOT, hash);
  await mkdir(FALLBACK_ROOT, { recursive: true, mode: 0o755 });
  await mkdir(target, { recursive: true, mode: 0o700 });
  await chown(target, ids.uid, ids.gid);
  await run('rmdir', [dir]);
  await symlink(target, dir);
  logger.warn(
    { clusterDir: dir, placedAt: target },
    'the postgres user cannot reach the data folder; the cluster is kept at placedAt and linked from clusterDir',
  );
  return target;
}
