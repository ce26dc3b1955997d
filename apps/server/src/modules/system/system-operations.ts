import { z } from 'zod';
import { healthSchema, readinessSchema, serviceInfoSchema, type Readiness } from '@aim/contracts';
import type { Logger } from 'pino';
import type { Metrics } from '../../platform/observability/metrics.js';
import type { PublicOrigin } from '../../platform/config/public-origin.js';
import { safeEqual, sha256 } from '../../platform/crypto/tokens.js';
import { AppError } from '../../platform/http/app-error.js';
import { defineOperation, type Feature, type Operation } from '../../platform/http/operation.js';

/**
 * Operational routes: liveness, readiness, metrics, and the service description.
 * They answer without credentials and carry no tenant data.
 */

/** Run one readiness check; the cause of a failure is logged, never shown to the caller. */
async function timed(name: string, check: () => Promise<void>, log: Logger): Promise<Readiness['checks']['database']> {
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

export interface SystemFeatureDeps {
  version: string;
  /** AIM's public address, read per request (the default one takes the port the server bound). */
  publicOrigin: Pick<PublicOrigin, 'baseUrl'>;
  logger: Logger;
  /** What readiness checks: a round trip to the database and to the shared store. */
  ping: { database: () => Promise<unknown>; store: () => Promise<unknown> };
  /** The Prometheus registry, when metrics are enabled. */
  metrics: Metrics['registry'] | undefined;
  /** METRICS_TOKEN: when set, /metrics needs it as a bearer token. */
  metricsToken: string | undefined;
}

/** Liveness, readiness, metrics and the description of this server. */
export function systemFeature({ version, publicOrigin, logger, ping, metrics, metricsToken }: SystemFeatureDeps): Feature {
  const metricsOperation = (registry: Metrics['registry']): Operation =>
    defineOperation({
      method: 'GET',
      path: '/metrics',
      tag: 'system',
      summary: 'Prometheus metrics in the text exposition format',
      access: { auth: 'public' },
      // Open, unless METRICS_TOKEN is set.
      security: [{}, { metricsToken: [] }],
      responses: { 200: z.string() },
      handle: async ({ request, reply }) => {
        if (metricsToken) {
          const given = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1] ?? '';
          // Hashes of equal length, so the comparison takes the same time whatever was sent.
          if (!safeEqual(sha256(given), sha256(metricsToken))) {
            throw new AppError('unauthenticated', 'The metrics need the bearer token set in METRICS_TOKEN.');
          }
        }
        reply.header('content-type', registry.contentType);
        return registry.metrics();
      },
    });

  return {
    name: 'system',
    operations: [
      defineOperation({
        method: 'GET',
        path: '/healthz',
        tag: 'system',
        summary: 'Liveness: the process is running',
        access: { auth: 'public' },
        responses: { 200: healthSchema },
        handle: () => ({ status: 'ok' as const }),
      }),

      defineOperation({
        method: 'GET',
        path: '/readyz',
        tag: 'system',
        summary: 'Readiness: the database and the shared store answer',
        access: { auth: 'public' },
        responses: { 200: readinessSchema, 503: readinessSchema },
        handle: async ({ reply }) => {
          const [database, store] = await Promise.all([
            timed('the database', withTimeout(ping.database, 2000), logger),
            timed('the shared store', withTimeout(ping.store, 2000), logger),
          ]);
          const ready = database.status === 'ok' && store.status === 'ok';
          return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks: { database, store } });
        },
      }),

      ...(metrics ? [metricsOperation(metrics)] : []),

      defineOperation({
        method: 'GET',
        path: '/api/v1/meta',
        tag: 'system',
        summary: 'Describe this AIM server',
        access: { auth: 'public' },
        responses: { 200: serviceInfoSchema },
        // Read per request: the default address takes the port the server bound (public-origin.ts).
        handle: () => ({
          name: 'aim' as const,
          version,
          apiVersion: 'v1' as const,
          openapi: '/openapi.json',
          docs: '/docs',
          baseUrl: publicOrigin.baseUrl,
        }),
      }),
    ],
  };
}
