import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataDirInUseError, lockDataDir } from './data-dir-lock.js';

describe('data folder lock', () => {
  it('lets one process hold the folder and tells a second one who holds it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'aim-lock-'));
    try {
      // Simulate another live process by writing a live pid that is not ours (our parent).
      await writeFile(join(dir, 'aim.lock'), `${process.ppid}\n`);
      await assert.rejects(lockDataDir(dir), (e: unknown) => e instanceof DataDirInUseError && e.pid === process.ppid);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('takes over a lock left by a process that is gone, and can be released and taken again', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'aim-lock-'));
    try {
      await writeFile(join(dir, 'aim.lock'), '2147483646\n'); // no such process
      const lock = await lockDataDir(dir);
      await lock.release();
      const again = await lockDataDir(dir);
      await again.release();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
