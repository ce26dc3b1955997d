import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { createKeyring } from './platform/crypto/keyring.js';
import { buildApp } from './app.js';
import { loadConfig } from './platform/config/env.js';
import { createDatabase } from './platform/db/database.js';
import { createMetrics } from './platform/observability/metrics.js';
import { createMemoryStore } from './platform/store/memory-store.js';
import { VERSION } from './platform/version.js';

/**
 * The OpenAPI document, produced from the route schemas without any running service (the
 * database pool is created but never used). `npm run openapi` writes it to docs/openapi.json,
 * and a test fails when the committed copy is stale.
 */
export async function generateOpenApiDocument(): Promise<Record<string, unknown>> {
  const config = loadConfig({});
  const db = createDatabase({ connectionString: 'postgres://offline@127.0.0.1:1/offline', max: 1 });
  const store = createMemoryStore();
  const app = await buildApp({
    config,
    version: VERSION,
    logger: pino({ level: 'silent' }),
    accessLog: pino({ level: 'silent' }),
    keyring: createKeyring({ keys: [{ id: 'offline', key: randomBytes(32) }], lookupKey: randomBytes(32) }),
    db,
    store,
    metrics: createMetrics({ poolStats: db.poolStats }),
    tracing: undefined,
  });
  try {
    await app.ready();
    return app.swagger() as unknown as Record<string, unknown>;
  } finally {
    await app.close();
    await store.close();
    await db.close();
  }
}

export const OPENAPI_PATH = new URL('../../../docs/openapi.json', import.meta.url);

export function serializeOpenApi(doc: Record<string, unknown>): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}
