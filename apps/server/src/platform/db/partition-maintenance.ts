import type { Logger } from 'pino';
import type { Database } from './database.js';

/**
 * Keeps monthly partitions (audit events and, later, other time series) created three months
 * ahead while the server runs, not only at start. Idempotent and safe on several instances at
 * once. Interim: moves onto the durable job queue when it lands.
 */
export function startPartitionMaintenance(db: Database, logger: Pick<Logger, 'warn' | 'info'>, intervalMs = 6 * 3_600_000) {
  const run = async () => {
    try {
      const { rows } = await db.query<{ created: number }>('select aim_ensure_partitions(3) as created');
      if (rows[0]?.created) logger.info({ created: rows[0].created }, 'monthly partitions created');
    } catch (error) {
      logger.warn({ err: error }, 'could not create monthly partitions; will retry');
    }
  };
  const timer = setInterval(() => void run(), intervalMs);
  timer.unref();
  return { run, stop: () => clearInterval(timer) };
}
