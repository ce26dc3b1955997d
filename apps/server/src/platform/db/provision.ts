import { join } from 'node:path';
import pg from 'pg';
import type { Logger } from 'pino';
import type { Config } from '../config/env.js';
import { loadOrCreateSecrets } from '../config/secrets.js';
import { lockDataDir, type DataDirLock } from './data-dir-lock.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres.js';
import { migrate } from './migrate.js';

/**
 * Brings the database to the point where the app can connect: starts the embedded PostgreSQL when
 * no DATABASE_URL is configured, applies migrations as the owner, and works out the connection
 * string of the restricted application role.
 */
export interface ProvisionedDatabase {
  /** Owner connection (migrations only). */
  ownerUrl: string;
  /** Restricted role connection (everything the app does). */
  appUrl: string;
  embedded: EmbeddedPostgres | undefined;
  /** Encryption and lookup keys: configured, or in embedded mode generated once in the data folder. */
  secrets: { encryptionKeys: string; lookupKey: string };
  /** Stops the embedded server and releases the data folder; a no-op for external databases. */
  release(): Promise<void>;
}

export const EMBEDDED_DATABASE = 'aim';

export function withCredentials(url: string, user: string, password: string | undefined): string {
  const u = new URL(url);
  u.username = encodeURIComponent(user);
  u.password = password === undefined ? '' : encodeURIComponent(password);
  return u.toString();
}

async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const exists = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (exists.rowCount === 0) await client.query(`create database ${client.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
}

async function startEmbedded(config: Config, logger: Logger) {
  let lock: DataDirLock | undefined = await lockDataDir(config.dataDir);
  try {
    const secrets = await loadOrCreateSecrets(config.dataDir);
    const embedded = await startEmbeddedPostgres({
      clusterDir: join(config.dataDir, 'postgres'),
      password: secrets.postgresPassword,
      port: config.database.embeddedPort,
      logger,
    });
    return {
      embedded,
      lock,
      appPassword: secrets.appRolePassword,
      secrets: {
        encryptionKeys: config.secrets.encryptionKeys ?? secrets.encryptionKeys,
        lookupKey: config.secrets.lookupKey ?? secrets.lookupKey,
      },
    };
  } catch (error) {
    await lock.release();
    lock = undefined;
    throw error;
  }
}

export async function provisionDatabase(config: Config, logger: Logger): Promise<ProvisionedDatabase> {
  const { database } = config;
  if (database.url) {
    const appPassword = database.appUrl ? undefined : database.appPassword;
    await migrate({ ownerUrl: database.url, appRole: database.appRole, appPassword, logger });
    const { encryptionKeys, lookupKey } = config.secrets;
    if (!encryptionKeys || !lookupKey) throw new Error('AIM_ENCRYPTION_KEYS and AIM_LOOKUP_KEY are required with DATABASE_URL');
    return {
      ownerUrl: database.url,
      appUrl: database.appUrl ?? withCredentials(database.url, database.appRole, appPassword),
      embedded: undefined,
      secrets: { encryptionKeys, lookupKey },
      release: async () => undefined,
    };
  }

  const { embedded, lock, appPassword, secrets } = await startEmbedded(config, logger);
  const release = async () => {
    await embedded.stop();
    await lock.release();
  };
  try {
    await ensureDatabase(embedded.url('postgres'), EMBEDDED_DATABASE);
    const ownerUrl = embedded.url(EMBEDDED_DATABASE);
    await migrate({ ownerUrl, appRole: database.appRole, appPassword, logger });
    return { ownerUrl, appUrl: withCredentials(ownerUrl, database.appRole, appPassword), embedded, secrets, release };
  } catch (error) {
    await release();
    throw error;
  }
}
