// A throwaway database with AIM's migrations on an external PostgreSQL server (one that is already
// running, shared with others), for benchmarks: a uniquely named database and a uniquely named
// restricted application role, both dropped by `drop()`. Nothing else on the server is touched
// (the migrations' cluster-wide role aim_audit_maintenance is created only if it is missing, and left).
//
// The admin connection is BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres):
// a role that may create databases and roles. AIM's migrations run as that role (the owner); the app
// connects as the restricted role, as in production.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { dist } from './database.mjs';

export const DEFAULT_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * Create `aim_bench_<name>_<random>` and the role `aim_bench_app_<random>`, migrate, and return the
 * owner and app URLs, the names, and `drop()`, which removes both (it terminates the database's
 * connections first). `postmasterPid()` names the server's postmaster when it runs on this machine
 * (for CPU accounting from /proc), or null.
 */
export async function createExternalBenchDatabase(name, { adminUrl = process.env.BENCH_DATABASE_URL ?? DEFAULT_ADMIN_URL } = {}) {
  const { migrate } = await dist('platform/db/migrate.js');
  const { withCredentials } = await dist('platform/db/provision.js');
  const suffix = randomBytes(5).toString('hex');
  const database = `aim_bench_${name}_${suffix}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  const appRole = `aim_bench_app_${suffix}`;
  const appPassword = randomBytes(16).toString('hex');

  const owner = new URL(adminUrl);
  owner.pathname = `/${database}`;
  const ownerUrl = owner.toString();
  const local = ['127.0.0.1', 'localhost', '::1', '[::1]'].includes(owner.hostname);

  const admin = new pg.Client({ connectionString: adminUrl, application_name: 'aim-bench-admin' });
  await admin.connect();
  // The postmaster is the parent of the backend serving this connection (when the server runs here).
  let postmaster = null;
  try {
    if (local) {
      const { pid } = (await admin.query('select pg_backend_pid() as pid')).rows[0];
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        postmaster = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) || null;
      } catch {
        postmaster = null; // /proc is not ours to read (another user, a container)
      }
    }
    await admin.query(`create database ${admin.escapeIdentifier(database)}`);
  } finally {
    await admin.end();
  }

  let dropped = false;
  const drop = async () => {
    if (dropped) return;
    dropped = true;
    const client = new pg.Client({ connectionString: adminUrl, application_name: 'aim-bench-admin' });
    await client.connect();
    try {
      await client.query(`drop database if exists ${client.escapeIdentifier(database)} with (force)`);
      await client.query(`drop role if exists ${client.escapeIdentifier(appRole)}`);
    } finally {
      await client.end();
    }
  };

  try {
    await migrate({ ownerUrl, appRole, appPassword });
  } catch (error) {
    await drop().catch(() => undefined);
    throw error;
  }

  return {
    database,
    appRole,
    adminUrl,
    ownerUrl,
    appUrl: withCredentials(ownerUrl, appRole, appPassword),
    postmasterPid: () => postmaster,
    drop,
  };
}
