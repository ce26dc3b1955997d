import type { Platform } from '../app.js';
import type { Config } from './config/env.js';
import { createDatabase } from './db/database.js';
import { assertRestrictedRole } from './db/role-check.js';
import { createKeyring, parseEncryptionKeys } from './crypto/keyring.js';
import type { Loggers } from './observability/logger.js';
import { createMetrics } from './observability/metrics.js';
import { createTracing } from './observability/tracing.js';
import { createMemoryStore } from './store/memory-store.js';
import { createRedisStore } from './store/redis-store.js';
import { VERSION } from './version.js';

/** Connect everything a running app needs. `close` releases it all, in reverse order. */
export interface PlatformConnections {
  appUrl: string;
  secrets: { encryptionKeys: string; lookupKey: string };
  redisPrefix?: string;
}

export async function createPlatform(
  config: Config,
  { logger, access }: Loggers,
  connections: PlatformConnections,
): Promise<Platform & { close(): Promise<void> }> {
  const { appUrl, secrets } = connections;
  const keyring = createKeyring({
    keys: parseEncryptionKeys(secrets.encryptionKeys),
    lookupKey: Buffer.from(secrets.lookupKey, 'base64url'),
  });
  const tracing = createTracing({ endpoint: config.tracing.endpoint, serviceName: config.tracing.serviceName, version: VERSION });
  const db = createDatabase({ connectionString: appUrl, max: config.database.poolMax, tracer: tracing?.tracer });
  try {
    await assertRestrictedRole(db);
  } catch (error) {
    await db.close();
    throw error;
  }
  const store = config.redisUrl ? createRedisStore(config.redisUrl, { prefix: connections.redisPrefix }) : createMemoryStore();
  const metrics = config.metricsEnabled ? createMetrics({ poolStats: db.poolStats }) : undefined;
  return {
    config,
    version: VERSION,
    logger,
    accessLog: access,
    keyring,
    db,
    store,
    metrics,
    tracing,
    async close() {
      await store.close();
      await db.close();
      await tracing?.shutdown();
    },
  };
}
