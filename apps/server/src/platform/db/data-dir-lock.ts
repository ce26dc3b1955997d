import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * An exclusive lock on the data folder, so that a second AIM process started against the same
 * folder stops with a clear message instead of touching a PostgreSQL cluster already in use.
 * A lock left behind by a process that no longer exists is taken over.
 */
export class DataDirInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(
      `The data folder ${dataDir} is in use by another AIM process (pid ${pid}). ` +
        'Stop that process first, or start this one with a different AIM_DATA_DIR.',
    );
    this.name = 'DataDirInUseError';
  }
}

export interface DataDirLock {
  release(): Promise<void>;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, 'aim.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(path, 'wx', 0o600);
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      let released = false;
      return {
        async release() {
          if (released) return;
          released = true;
          await unlink(path).catch(() => undefined);
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
        throw new DataDirInUseError(dataDir, pid);
      }
      // Stale: its owner is gone. Move it aside atomically; if what we moved is not the stale lock
      // we read (another process took over in between), put it back. PostgreSQL's own lock on the
      // cluster remains the last line of defence against two servers on one folder.
      const aside = `${path}.stale-${process.pid}`;
      const moved = await rename(path, aside).then(
        () => true,
        () => false,
      );
      if (moved) {
        const movedPid = Number.parseInt(await readFile(aside, 'utf8').catch(() => ''), 10);
        if (movedPid === pid || !Number.isInteger(movedPid)) await unlink(aside).catch(() => undefined);
        else await rename(aside, path).catch(() => undefined);
      }
    }
  }
  throw new Error(`Could not lock the data folder ${dataDir}.`);
}
