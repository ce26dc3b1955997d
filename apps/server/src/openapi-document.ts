import { randomBytes } from 'node:crypto';
import { buildApp } from './app.js';
import { loadConfig } from './platform/config/env.js';
import { createLoggers } from './platform/observability/logger.js';
import { assemblePlatform } from './platform/platform.js';

/**
 * The OpenAPI document, produced from the route schemas without any running service (the
 * database pool is created but never used). `npm run docs` writes it to docs/openapi.json,
 * and a test fails when the committed copy is stale.
 */
export async function generateOpenApiDocument(): Promise<Record<string, unknown>> {
  const config = loadConfig({ LOG_LEVEL: 'silent' });
  const platform = assemblePlatform(config, createLoggers('silent'), {
    appUrl: 'postgres://offline@127.0.0.1:1/offline',
    secrets: { encryptionKeys: `offline:${randomBytes(32).toString('base64url')}`, lookupKey: randomBytes(32).toString('base64url') },
  });
  const app = await buildApp(platform);
  try {
    await app.ready();
    return app.swagger() as unknown as Record<string, unknown>;
  } finally {
    await app.close();
    await platform.close();
  }
}

export const OPENAPI_PATH = new URL('../../../docs/openapi.json', import.meta.url);

export function serializeOpenApi(doc: Record<string, unknown>): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}
