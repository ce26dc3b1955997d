import { ConfigError, loadConfig } from './platform/config/env.js';
import { provisionDatabase } from './platform/db/provision.js';
import { createLogger } from './platform/observability/logger.js';

/** `npm run migrate`: apply pending migrations (starting the embedded database if needed), then exit. */
try {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const database = await provisionDatabase(config, logger);
  await database.release();
  logger.info('migrations are up to date');
  logger.flush();
} catch (error) {
  process.stderr.write(`${error instanceof ConfigError ? error.message : `Migration failed: ${(error as Error).message}`}\n`);
  process.exitCode = 1;
}
