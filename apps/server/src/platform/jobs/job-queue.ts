import PgBoss from 'pg-boss';
import pg from 'pg';
import type { Logger } from 'pino';

/**
 * The durable job queue: pg-boss on the same PostgreSQL, in its own schema `pgboss`. Scheduled jobs
 * (cron) run once per schedule across all instances; a job that fails is retried.
 *
 * The queue's schema and its queues are installed by the migrator as the owner (pg-boss creates a
 * table per queue); the app runs pg-boss through its restricted role, which may only use them.
 */
export const JOB_SCHEMA = 'pgboss';

export interface JobDefinition {
  name: string;
  /** Cron expression (UTC); absent for jobs only sent on demand. */
  cron?: string;
  run(): Promise<void>;
}

/** Names of every queue, known at install time. */
export const QUEUES = ['aim.partitions', 'aim.audit-checkpoints', 'aim.audit-retention', 'aim.rotate-keys', 'aim.expire-pending', 'aim.trust-recalculate'] as const;

export async function installJobQueue(ownerUrl: string, appRole: string): Promise<void> {
  const boss = new PgBoss({ connectionString: ownerUrl, schema: JOB_SCHEMA, supervise: false, schedule: false, migrate: true, max: 2 });
  boss.on('error', () => undefined);
  await boss.start();
  try {
    for (const name of QUEUES) {
      if (!(await boss.getQueue(name))) await boss.createQueue(name, { name, retryLimit: 5, retryDelay: 30, retryBackoff: true });
    }
  } finally {
    await boss.stop({ graceful: false, wait: true });
  }
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    const role = client.escapeIdentifier(appRole);
    await client.query(`GRANT USAGE ON SCHEMA ${JOB_SCHEMA} TO ${role}`);
    await client.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${JOB_SCHEMA} TO ${role}`);
    await client.query(`GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA ${JOB_SCHEMA} TO ${role}`);
    await client.query(`GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA ${JOB_SCHEMA} TO ${role}`);
  } finally {
    await client.end();
  }
}

export interface JobQueue {
  /** Run a job now (through the queue) and wait until it has finished. */
  runNow(name: string, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startJobQueue(appUrl: string, jobs: JobDefinition[], logger: Pick<Logger, 'warn' | 'error' | 'info'>): Promise<JobQueue> {
  const boss = new PgBoss({ connectionString: appUrl, schema: JOB_SCHEMA, migrate: false, max: 3, application_name: 'aim-jobs' });
  boss.on('error', (error) => logger.warn({ err: error }, 'job queue error'));
  await boss.start();
  for (const job of jobs) {
    await boss.work(job.name, { batchSize: 1 }, async () => {
      try {
        await job.run();
      } catch (error) {
        logger.error({ err: error, job: job.name }, 'job failed; it will be retried');
        throw error;
      }
    });
    if (job.cron) await boss.schedule(job.name, job.cron, {}, { tz: 'UTC' });
  }
  return {
    async runNow(name, timeoutMs = 30_000) {
      const id = await boss.send(name, {});
      if (!id) throw new Error(`job ${name} was not queued`);
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const job = await boss.getJobById(name, id);
        if (job?.state === 'completed') return;
        if (job?.state === 'failed' || job?.state === 'cancelled') throw new Error(`job ${name} ended ${job.state}`);
        if (Date.now() > deadline) throw new Error(`job ${name} did not finish within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    stop: () => boss.stop({ graceful: true, wait: true, timeout: 10_000 }),
  };
}
