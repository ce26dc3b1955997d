import Fastify, { LogController, type FastifyInstance, type FastifyBaseLogger, type RawServerDefault } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import fastifyCookie from '@fastify/cookie';
import fastifyCors from '@fastify/cors';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import { z } from 'zod';
import { isHttps, type Config } from './platform/config/env.js';
import type { PublicOrigin } from './platform/config/public-origin.js';
import type { AccessCache } from './platform/auth/access-cache.js';
import type { AuditSequencer } from './platform/audit/audit-sequencer.js';
import type { UsageCounter } from './platform/auth/usage-counter.js';
import type { SessionTokens } from './platform/auth/session-tokens.js';
import type { AgentAuthenticator } from './platform/auth/agent-auth.js';
import type { AgentChallenges } from './platform/auth/agent-challenges.js';
import type { AgentTokens } from './platform/auth/agent-tokens.js';
import type { SigningKeys } from './platform/auth/signing-keys.js';
import type { Keyring } from './platform/crypto/keyring.js';
import type { Mailer } from './platform/mail/mailer.js';
import type { OutboundGuard } from './platform/net/outbound-guard.js';
import type { Database } from './platform/db/database.js';
import type { SharedStore } from './platform/store/shared-store.js';
import type { Metrics } from './platform/observability/metrics.js';
import type { JobHealthStore } from './platform/jobs/job-health.js';
import type { Tracing } from './platform/observability/tracing.js';
import { createAccessLog } from './platform/observability/access-log.js';
import { registerHttpTracing } from './platform/observability/http-tracing.js';
import { LazyChildLogger } from './platform/observability/lazy-child-logger.js';
import { registerRouteContract, type RouteRecord } from './platform/http/contract-guard.js';
import { createAuthenticator, originCheck } from './platform/auth/authenticate.js';
import { registerPublicHostRedirect } from './platform/http/public-host.js';
import { AppError } from './platform/http/app-error.js';
import { clientErrorHandler, frameworkErrorHandler, registerErrorHandling } from './platform/http/error-handler.js';
import { registerRateLimits } from './platform/http/rate-limit.js';
import { responseSerializerCompiler } from './platform/http/response-serializer.js';
import { requestIdGenerator } from './platform/http/request-id.js';
import { securityHeaders } from './platform/http/security-headers.js';
import { SECURITY_SCHEMES, withDeclaredSecurity } from './platform/http/openapi-security.js';
import { API_TAGS } from './platform/http/openapi-tags.js';
import type { Platform } from './platform/platform.js';
import { bodyText, refuseUnstorableBody, registerInputGuards } from './platform/http/input-guards.js';
import { createServices, type Services } from './modules/services.js';
import { createFeatures } from './modules/features.js';
import { registerOperations } from './platform/http/operation.js';
import { collectJobs } from './platform/jobs/feature-jobs.js';
import type { JobDefinition } from './platform/jobs/job-queue.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route registered, for contract checks. */
    routeTable: RouteRecord[];
    /** The services behind the routes (tests drive sign-in flows through them). */
    services: Services;
    /** Every scheduled job, collected from the features (main.ts starts the job queue with them). */
    jobs: JobDefinition[];
  }
}

export type AppInstance = FastifyInstance<
  RawServerDefault,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  ZodTypeProvider
>;

/** The composition root: platform hooks in the order they run, then each module's routes. */
export async function buildApp(platform: Platform): Promise<AppInstance> {
  const { config } = platform;
  const headers = securityHeaders({ https: isHttps(config) });
  let closing = false;
  const app = Fastify({
    loggerInstance: platform.logger as FastifyBaseLogger,
    // One log line per request, written by our onResponse hook, instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
    childLoggerFactory: (logger, bindings, options) =>
      new LazyChildLogger(logger as unknown as Logger, bindings, options) as unknown as FastifyBaseLogger,
    genReqId: requestIdGenerator(config.trustProxy),
    requestIdHeader: false,
    bodyLimit: config.bodyLimitBytes,
    // Slow clients: a request must arrive whole within requestTimeout (408, connection closed); a
    // connection quiet for idleTimeout closes. Answers may take longer (long-polls, the live stream).
    requestTimeout: config.http.requestTimeoutMs,
    keepAliveTimeout: config.http.keepAliveTimeoutMs,
    connectionTimeout: config.http.idleTimeoutMs,
    http: {
      requestTimeout: config.http.requestTimeoutMs,
      headersTimeout: config.http.headersTimeoutMs,
      // How often node looks for requests past their timeouts (its default, 30 s, would double them).
      connectionsCheckingInterval: Math.max(50, Math.min(5_000, Math.floor(config.http.headersTimeoutMs / 4))),
    },
    // Fastify accepts a hop count at run time, though its types omit it.
    trustProxy: config.trustProxy as boolean | string | string[],
    // Closing is answered by our own hook below, with the envelope.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    frameworkErrors: frameworkErrorHandler(headers),
    clientErrorHandler,
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(responseSerializerCompiler);
  app.removeContentTypeParser(['text/plain', 'application/json']);
  // JSON bodies keep their bytes: signed agent requests are checked against their Content-Digest.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    request.rawBody = body as Buffer;
    let text: string;
    try {
      // Strict UTF-8: bytes that are not UTF-8 are refused, never stored as replacement characters.
      text = bodyText(body as Buffer);
    } catch (error) {
      return done(error as AppError, undefined);
    }
    parseJson(request, text, (error, value) => {
      if (error) return done(error, undefined);
      try {
        // NUL and lone surrogates can only arrive escaped; PostgreSQL stores neither (text or jsonb).
        if (text.includes('\\u')) refuseUnstorableBody(value);
      } catch (refused) {
        return done(refused as AppError, undefined);
      }
      done(null, value);
    });
  });
  app.decorateRequest('principal', null);
  app.decorateRequest('rawBody', null);
  // No per-request cookie parsing hook: routes that need a cookie read it (readCookie).
  await app.register(fastifyCookie, { hook: false });
  const authenticator = createAuthenticator({
    cache: platform.accessCache,
    tokens: platform.sessionTokens,
    usage: platform.apiKeyUsage,
    keyring: platform.keyring,
    agents: platform.agentAuth,
    isAllowedOrigin: originCheck(platform.publicOrigin, config.corsOrigins),
  });
  app.decorate('routeTable', registerRouteContract(app, authenticator));
  registerErrorHandling(app);

  if (platform.tracing) registerHttpTracing(app, platform.tracing);

  // Draining: keep-alive connections whose last response finished after close() began would
  // otherwise hold shutdown open until their keep-alive timeout; close them as they go idle.
  let drain: NodeJS.Timeout | undefined;
  app.addHook('preClose', (done) => {
    closing = true;
    drain = setInterval(() => app.server.closeIdleConnections(), 50);
    drain.unref();
    done();
  });
  app.addHook('onClose', (_instance, done) => {
    clearInterval(drain);
    done();
  });

  app.addHook('onRequest', (request, reply, done) => {
    reply.headers(headers);
    reply.header('x-request-id', request.id);
    if (closing) {
      reply.header('connection', 'close');
      return done(new AppError('service_unavailable', 'The server is shutting down; retry the request.'));
    }
    done();
  });
  registerInputGuards(app);

  // Pages opened under another host go to AIM's public origin first (platform/http/public-host.ts).
  registerPublicHostRedirect(app, platform.publicOrigin);
  // The default address (http://localhost:<PORT>) takes the port actually bound (PORT=0 picks one).
  app.addHook('onListen', (done) => {
    const address = app.server.address();
    if (address && typeof address === 'object') platform.publicOrigin.bindPort(address.port);
    done();
  });

  const metrics = platform.metrics;
  const accessLog = createAccessLog(platform.accessLog);
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? '(unmatched)';
    const ms = reply.elapsedTime;
    metrics?.observeRequest(request.method, route, reply.statusCode, ms / 1000);
    accessLog({ requestId: request.id, method: request.method, route, status: reply.statusCode, ms });
    done();
  });

  await app.register(fastifyCors, {
    origin: config.corsOrigins.length > 0 ? config.corsOrigins : false,
    credentials: true,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['content-type', 'authorization', 'x-request-id', 'x-csrf-token', 'idempotency-key'],
    exposedHeaders: ['x-request-id', 'retry-after', 'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset'],
    maxAge: 600,
  });

  registerRateLimits(app, { store: platform.store, windowMs: config.rateLimit.windowMs, ipMax: config.rateLimit.ipMax, principalMax: config.rateLimit.principalMax });

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'AIM — Agent Identity Management API',
        version: platform.version,
        description: 'Identities, authorization, trust scores and a verifiable audit trail for AI agents and MCP servers.',
        license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
      },
      tags: [...API_TAGS],
      components: { securitySchemes: SECURITY_SCHEMES },
    },
    transform: withDeclaredSecurity(jsonSchemaTransform),
    transformObject: jsonSchemaTransformObject,
  });
  // The reference's page: its own scripts and styles only. No top bar (its logo is an inline <style>
  // the policy refuses, and its box loads any other document); upgrade-insecure-requests only over
  // https, since on plain http it would send "Try it out" and the page's own files to https.
  await app.register(fastifySwaggerUi, {
    routePrefix: '/docs',
    uiConfig: { layout: 'BaseLayout', deepLinking: true },
    staticCSP:
      "default-src 'self'; base-uri 'self'; connect-src 'self'; font-src 'self' data:; form-action 'self'; frame-ancestors 'none'; " +
      "img-src 'self' data:; object-src 'none'; script-src 'self'; script-src-attr 'none'; style-src 'self'" +
      (isHttps(config) ? '; upgrade-insecure-requests' : ''),
  });

  app.get(
    '/openapi.json',
    { schema: { hide: true, response: { 200: z.record(z.string(), z.unknown()) } }, config: { access: { auth: 'public' } } },
    async () => app.swagger() as unknown as Record<string, unknown>,
  );

  const services = createServices(platform);
  const features = createFeatures(platform, services);
  for (const feature of features) {
    registerOperations(app, feature.operations);
    feature.registerRoutes?.(app);
    for (const subscription of feature.subscriptions ?? []) platform.domainEvents.subscribe(subscription);
  }
  // Domain events are delivered once every subscription is in; the features' background work ends with the app.
  app.addHook('onReady', async () => {
    platform.domainEvents.start();
    for (const feature of features) feature.start?.();
  });
  app.addHook('onClose', async () => {
    for (const feature of features) await feature.stop?.();
  });
  app.decorate('services', services);
  app.decorate('jobs', collectJobs(features.flatMap((f) => f.jobs ?? []), { db: platform.db, logger: platform.logger, overrides: platform.config.jobs.schedules }));

  return app;
}
