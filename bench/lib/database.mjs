// A throwaway embedded PostgreSQL with AIM's migrations, for benchmarks: owner and app-role URLs.
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

const root = new URL('../..', import.meta.url).pathname;
export const dist = (p) => import(join(root, 'apps/server/dist', p));

export async function startBenchDatabase(name) {
  const { startEmbeddedPostgres } = await dist('platform/db/embedded-postgres.js');
  const { migrate } = await dist('platform/db/migrate.js');
  const { withCredentials } = await dist('platform/db/provision.js');
  const quiet = { info() {}, warn() {}, error: console.error, debug() {} };
  const dir = await mkdtemp(join(tmpdir(), `aim-bench-${name}-`));
  await chmod(dir, 0o755); // as root, PostgreSQL runs as the postgres user and must reach it
  const server = await startEmbeddedPostgres({ clusterDir: join(dir, 'pg'), password: randomBytes(16).toString('hex'), port: 0, logger: quiet });
  try {
    const admin = new pg.Client({ connectionString: server.url('postgres') });
    await admin.connect();
    await admin.query('create database aim_bench');
    await admin.end();
    const ownerUrl = server.url('aim_bench');
    const appPassword = randomBytes(16).toString('hex');
    await migrate({ ownerUrl, appRole: 'aim_bench_app', appPassword });
    return {
      dir,
      ownerUrl,
      appUrl: withCredentials(ownerUrl, 'aim_bench_app', appPassword),
      async stop() {
        await server.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
