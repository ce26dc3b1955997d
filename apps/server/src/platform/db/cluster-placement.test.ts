import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { lstat, mkdtemp, readlink, rm, stat } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { FALLBACK_ROOT, placeCluster } from './cluster-placement.js';

const run = promisify(execFile);
const quiet = { warn() {} };

describe('embedded cluster placement', () => {
  it('keeps the cluster in the data folder when not running as root', { skip: userInfo().uid === 0 ? 'running as root' : undefined }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'aim-place-'));
    try {
      assert.equal(await placeCluster(join(dir, 'postgres'), {}, quiet), join(dir, 'postgres'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('as root, links the cluster from a folder the postgres user cannot reach, and finds it again', { skip: userInfo().uid === 0 ? undefined : 'needs root' }, async () => {
    const ids = {
      uid: Number((await run('id', ['-u', 'postgres'])).stdout),
      gid: Number((await run('id', ['-g', 'postgres'])).stdout),
    };
    const closed = await mkdtemp(join(tmpdir(), 'aim-closed-')); // mode 0700, owned by root
    let placed: string | undefined;
    try {
      const clusterDir = join(closed, '.aim', 'postgres');
      placed = await placeCluster(clusterDir, ids, quiet);
      assert.ok(placed.startsWith(`${FALLBACK_ROOT}/`), placed);
      assert.ok((await lstat(clusterDir)).isSymbolicLink());
      assert.equal(await readlink(clusterDir), placed);
      assert.equal((await stat(placed)).uid, ids.uid);
      assert.equal(await placeCluster(clusterDir, ids, quiet), placed);

      const open = await mkdtemp(join(tmpdir(), 'aim-open-'));
      try {
        await run('chmod', ['755', open]);
        const direct = join(open, '.aim', 'postgres');
        assert.equal(await placeCluster(direct, ids, quiet), direct);
        assert.equal((await stat(direct)).uid, ids.uid);
      } finally {
        await rm(open, { recursive: true, force: true });
      }
    } finally {
      await rm(closed, { recursive: true, force: true });
      if (placed) await rm(placed, { recursive: true, force: true });
    }
  });
});
