import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { Logger } from 'pino';
import { installJobQueue } from '../jobs/job-queue.js';

/**
 * Ordered SQL migrations. Each file `NNNN_name.sql` runs in its own transaction and is recorded
 * with a checksum; a file edited after it was applied stops the server (migrations are never
 * edited once landed: add a new one). Concurrent migrators (several instances starting at once)
 * are serialized by an advisory lock.
 *
 * `{{app_role}}` in a migration is replaced by the quoted name of the restricted role the
 * application connects as, so grants follow the configured role.
 */

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../../migrations/', import.meta.url));
const FILE_NAME = /^(\d{4})_([a-z0-9_]+)\.sql$/;
const LOCK_KEY = 7_141_592_653; // arbitrary, constant: "aim migrations"
export const MIN_SERVER_VERSION = 150000;

export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

export class MigrationError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'MigrationError';
  }
}

export async function readMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  const migrations: Migration[] = [];
  for (const file of files) {
    const match = FILE_NAME.exec(file);
    if (!match) throw new MigrationError(`Migration file name ${file} does not match NNNN_name.sql`);
    const sql = await readFile(`${dir}/${file}`, 'utf8');
    const version = Number(match[1]);
    if (version !== migrations.length + 1) {
      throw new MigrationError(`Migration ${file} is out of sequence: expected version ${migrations.length + 1}`);
    }
    migrations.push({ version, name: match[2]!, sql, checksum: createHash('sha256').update(sql).digest('hex') });
  }
  return migrations;
}

export interface MigrateOptions {
  /** Owner connection (creates tables, roles, grants). */
  ownerUrl: string;
  appRole: string;
  /** When set, the role is created or its password reset; when absent, the role must already exist. */
  appPassword?: string | undefined;
  logger?: Pick<Logger, 'info'>;
  dir?: string;
}

async function ensureAppRole(client: pg.Client, role: string, password: string | undefined): Promise<void> {
  const ident = client.escapeIdentifier(role);
  const exists = (await client.query('select 1 from pg_roles where rolname = $1', [role])).rowCount === 1;
  const attributes = 'LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION';
  if (password === undefined) {
    if (!exists) throw new MigrationError(`The database role ${role} (from DATABASE_APP_URL) does not exist.`);
  } else if (!exists) {
    try {
      await client.query(`CREATE ROLE ${ident} ${attributes} PASSWORD ${client.escapeLiteral(password)}`);
    } catch (error) {
      if ((error as { code?: string }).code !== '42710') throw error; // created concurrently
    }
  } else {
    await client.query(`ALTER ROLE ${ident} ${attributes} PASSWORD ${client.escapeLiteral(password)}`);
  }
  const unsafe = await client.query<{ rolsuper: boolean; rolbypassrls: boolean }>(
    'select rolsuper, rolbypassrls from pg_roles where rolname = $1',
    [role],
  );
  const row = unsafe.rows[0];
  if (row?.rolsuper || row?.rolbypassrls) {
    throw new MigrationError(`The role ${role} is a superuser or has BYPASSRLS; AIM refuses to run its requests through it.`);
  }
  const member = await client.query<{ inherits: boolean }>(`select pg_has_role($1, current_user, 'USAGE') as inherits`, [role]);
  if (member.rows[0]?.inherits) {
    throw new MigrationError(`The role ${role} is a member of the owner role; it would bypass row-level security.`);
  }
}

export async function migrate(options: MigrateOptions): Promise<{ applied: string[] }> {
  const migrations = await readMigrations(options.dir);
  const client = new pg.Client({ connectionString: options.ownerUrl, application_name: 'aim-migrate' });
  await client.connect();
  try {
    const version = Number((await client.query<{ v: string }>("select current_setting('server_version_num') as v")).rows[0]?.v ?? 0);
    if (version < MIN_SERVER_VERSION) {
      throw new MigrationError(`PostgreSQL ${Math.floor(version / 10000)} is not supported; AIM needs PostgreSQL 15 or later.`);
    }
    await client.query('select pg_advisory_lock($1)', [LOCK_KEY]);
    await ensureAppRole(client, options.appRole, options.appPassword);
    await client.query(`create table if not exists aim_schema_migrations (
      version integer primary key,
      name text not null,
      checksum text not null,
      applied_at timestamptz not null default now()
    )`);
    const applied = new Map(
      (await client.query<{ version: number; name: string; checksum: string }>('select version, name, checksum from aim_schema_migrations')).rows.map(
        (r) => [r.version, r],
      ),
    );
    for (const [version, row] of applied) {
      const file = migrations[version - 1];
      if (!file) throw new MigrationError(`The database has migration ${version} (${row.name}), which this version of AIM does not know.`);
      if (file.checksum !== row.checksum) {
        throw new MigrationError(
          `Migration ${String(version).padStart(4, '0')}_${file.name}.sql was changed after it was applied. ` +
            'Restore the original file and put the change in a new migration.',
        );
      }
    }
    const done: string[] = [];
    const role = client.escapeIdentifier(options.appRole);
    for (const m of migrations) {
      if (applied.has(m.version)) continue;
      const label = `${String(m.version).padStart(4, '0')}_${m.name}`;
      await client.query('BEGIN');
      try {
        await client.query(m.sql.replaceAll('{{app_role}}', role));
        await client.query('insert into aim_schema_migrations (version, name, checksum) values ($1, $2, $3)', [
          m.version,
          m.name,
          m.checksum,
        ]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw new MigrationError(`Migration ${label} failed: ${(error as Error).message}`, { cause: error });
      }
      options.logger?.info({ migration: label }, 'migration applied');
      done.push(label);
    }
    await client.query('select aim_ensure_partitions(3)');
    await installJobQueue(options.ownerUrl, options.appRole);
    return { applied: done };
  } finally {
    await client.query('select pg_advisory_unlock_all()').catch(() => undefined);
    await client.end();
  }
}
