import { z } from 'zod';
import { healthSchema, readinessSchema, serviceInfoSchema, type Readiness } from '@aim/contracts';
import type { AppInstance } from '../../app.js';
import type { Platform } from '../../platform/platform.js';
import { safeEqual, sha256 } from '../../platform/crypto/tokens.js';
import { AppError } from '../../platform/http/app-error.js';

/**
 * Operational routes: liveness, readiness, metrics, and the service description.
 * They answer without credentials and carry no tenant data.
 */

/** Run one readiness check; the cause of a failure is logged, never shown to the caller. */
async function timed(name: string, check: () => Promise<void>, log: Platform['logger']): Promise<Readiness['checks']['database']> {
  const started = performance.now();
  try {
    await check();
    return { status: 'ok', latencyMs: Math.round((performance.now() - started) * 100) / 100 };
  } catch (error) {
    log.warn({ err: error, check: name }, 'readiness check failed');
    return { status: 'error', message: `${name} is unreachable` };
  }
}

function withTimeout(work: () => Promise<unknown>, ms: number): () => Promise<void> {
  return async () => {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        work(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  };
}

const PUBLIC = { auth: 'public' } as const;

export function registerSystemRoutes(app: AppInstance, platform: Platform): void {
  const info = {
    name: 'aim' as const,
    version: platform.version,
    apiVersion: 'v1' as const,
    openapi: '/openapi.json',
    docs: '/docs',
    baseUrl: platform.publicOrigin.baseUrl,
  };

  app.get(
    '/healthz',
    {
      schema: { tags: ['system'], summary: 'Liveness: the process is running', response: { 200: healthSchema } },
      config: { access: PUBLIC },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        tags: ['system'],
        summary: 'Readiness: the database and the shared store answer',
        response: { 200: readinessSchema, 503: readinessSchema },
      },
      config: { access: PUBLIC },
    },
    async (_request, reply) => {
      const [database, store] = await Promise.all([
        timed('the database', withTimeout(() => platform.db.query('select 1'), 2000), platform.logger),
        timed('the shared store', withTimeout(() => platform.store.ping(), 2000), platform.logger),
      ]);
      const ready = database.status === 'ok' && store.status === 'ok';
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks: { database, store } });
    },
  );

  if (platform.metrics) {
    const registry = platform.metrics.registry;
    app.get(
      '/metrics',
      {
        schema: {
          tags: ['system'],
          summary: 'Prometheus metrics in the text exposition format',
          // Open, unless METRICS_TOKEN is set.
          security: [{}, { metricsToken: [] }],
          response: { 200: z.string() },
        },
        config: { access: PUBLIC },
      },
      async (request, reply) => {
        const token = platform.config.metricsToken;
        if (token) {
          const given = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1] ?? '';
          // Hashes of equal length, so the comparison takes the same time whatever was sent.
          if (!safeEqual(sha256(given), sha256(token))) {
            throw new AppError('unauthenticated', 'The metrics need the bearer token set in METRICS_TOKEN.');
          }
        }
        reply.header('content-type', registry.contentType);
        return registry.metrics();
      },
    );
  }

  app.get(
    '/api/v1/meta',
    {
      schema: {
        tags: ['system'],
        summary: 'Describe this AIM server',
        response: { 200: serviceInfoSchema },
      },
      config: { access: PUBLIC },
    },
    // Read per request: the default address takes the port the server bound (public-origin.ts).
    async () => ({ ...info, baseUrl: platform.publicOrigin.baseUrl }),
  );
}
