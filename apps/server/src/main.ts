import { buildApp } from './app.js';
import { ConfigError, loadConfig, type Config } from './platform/config/env.js';
import { publicUrlWarnings } from './platform/config/public-origin.js';
import { provisionDatabase, type ProvisionedDatabase } from './platform/db/provision.js';
import { createLoggers, redactUrl } from './platform/observability/logger.js';
import { createPlatform, type RunningPlatform } from './platform/platform.js';
import { startJobQueue } from './platform/jobs/job-queue.js';

/**
 * `npm start`: parse the configuration, bring up the database (embedded unless DATABASE_URL is
 * set), migrate, serve. SIGINT/SIGTERM drain in-flight requests, then stop PostgreSQL cleanly.
 */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\nSee .env.example for every variable and its format.\n`);
      process.exit(1);
    }
    throw error;
  }
  const loggers = createLoggers(config.logLevel);
  const { logger } = loggers;

  // Signals are watched from the first moment: a stop requested while the database is still being
  // prepared is honoured as soon as that step ends, and nothing is left running.
  let stopRequested: string | undefined;
  let requestStop: (signal: string) => void = () => undefined;
  let killDatabase: () => void = () => undefined;
  const stopped = new Promise<string>((resolve) => (requestStop = resolve));
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopRequested) {
        logger.warn({ signal }, 'second signal: exiting now');
        logger.flush();
        killDatabase(); // never leave the embedded PostgreSQL running behind us
        process.exit(1);
      }
      stopRequested = signal;
      logger.info({ signal }, 'stop requested');
      requestStop(signal);
    });
  }

  const database = await provisionDatabase(config, logger);
  killDatabase = () => database.embedded?.kill();
  if (stopRequested) {
    await database.release();
    return;
  }
  let platform;
  let app;
  let jobs;
  try {
    platform = await createPlatform(config, loggers, { appUrl: database.appUrl, secrets: database.secrets });
    app = await buildApp(platform);
    await app.listen({ host: config.host, port: config.port });
    jobs = await startJobQueue(database.appUrl, app.jobs, logger, {
      health: platform.jobHealth,
      cronCheckIntervalSeconds: config.jobs.cronCheckIntervalSeconds,
    });
  } catch (error) {
    await jobs?.stop().catch(() => undefined);
    await app?.close().catch(() => undefined);
    await platform?.close().catch(() => undefined);
    await database.release();
    throw error;
  }

  printBanner(config, platform, database, app);
  await printFirstRun(platform, app);
  await stopped;

  logger.info('shutting down: draining in-flight requests');
  let timedOut = false;
  const drainTimer = setTimeout(() => {
    timedOut = true;
    logger.error({ timeoutMs: config.shutdownTimeoutMs }, 'requests still running at the shutdown timeout; closing their connections');
    app.server.closeAllConnections();
  }, config.shutdownTimeoutMs);
  try {
    await app.close();
    clearTimeout(drainTimer);
    await jobs.stop();
    await platform.close();
    await database.release();
    logger.info(timedOut ? 'stopped after cutting off requests' : 'stopped cleanly');
    process.exitCode = timedOut ? 1 : 0;
  } catch (error) {
    logger.error({ err: error }, 'error during shutdown');
    process.exitCode = 1;
  } finally {
    logger.flush();
  }
}

/** While no organization exists, print the one-time setup link (valid 30 minutes, usable once). */
async function printFirstRun(platform: RunningPlatform, app: Awaited<ReturnType<typeof buildApp>>): Promise<void> {
  const token = await app.services.setup.issueLinkToken();
  if (!token) return;
  const base = platform.publicOrigin.baseUrl;
  process.stdout.write(
    [
      '  First run: no organization exists yet. Create the first one and its admin within 30 minutes:',
      `    open ${base}/setup?token=${token}`,
      '  or, without a browser:',
      `    curl -X POST ${base}/api/v1/setup -H 'content-type: application/json' \\`,
      `      -d '{"token":"${token}","organization":{"name":"My organization"},"admin":{"email":"you@example.com","name":"Your Name"}}'`,
      '  (the token works once; restart AIM for a new one, or set AIM_BOOTSTRAP_TOKEN for automated installs)',
      '',
      '',
    ].join('\n'),
  );
}

/** Every address printed is AIM's public one (public-origin.ts), the one passkeys and agents are bound to. */
function printBanner(config: Config, platform: RunningPlatform, database: ProvisionedDatabase, app: Awaited<ReturnType<typeof buildApp>>): void {
  const { logger } = platform;
  const base = platform.publicOrigin.baseUrl;
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  logger.info(
    {
      url: base,
      listening: `${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`,
      database: database.embedded ? `embedded PostgreSQL on 127.0.0.1:${database.embedded.port}` : redactUrl(database.ownerUrl),
      store: platform.store.kind,
    },
    'AIM is ready',
  );
  const warnings = publicUrlWarnings(config);
  for (const warning of warnings) logger.warn(warning);
  logger.flush();
  process.stdout.write(
    [
      '',
      `  AIM ${platform.version} is running at ${base}`,
      ...(app.hasRoute({ method: 'GET', url: '/' }) ? [`    Dashboard    ${base}/`] : []),
      `    API          ${base}/api/v1`,
      `    API docs     ${base}/docs`,
      `    OpenAPI      ${base}/openapi.json`,
      `    Health       ${base}/healthz  ${base}/readyz`,
      `    Metrics      ${base}/metrics`,
      `    Database     ${database.embedded ? `embedded PostgreSQL (data in ${config.dataDir})` : 'external PostgreSQL'}`,
      `    Store        ${platform.store.kind === 'redis' ? 'Redis' : 'in-process (set REDIS_URL to run several instances)'}`,
      ...(platform.publicOrigin.configured ? [] : ['    (set PUBLIC_URL to serve people and agents at another address)']),
      ...warnings.map((w) => `  Warning: ${w}`),
      '',
      '',
    ].join('\n'),
  );
}

main().catch((error: unknown) => {
  if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    process.stderr.write(`AIM could not start: ${(error as Error).message}. Another program uses that port; set PORT to a free one.\n`);
    process.exit(1);
  }
  process.stderr.write(`AIM could not start: ${error instanceof Error ? error.message : String(error)}\n`);
  if (error instanceof Error && error.cause) process.stderr.write(`  cause: ${String((error.cause as Error).message ?? error.cause)}\n`);
  process.exit(1);
});
