import PgBoss from 'pg-boss';
import pg from 'pg';
import type { Logger } from 'pino';
import type { JobHealthStore } from './job-health.js';
import { QUEUES } from './job-names.js';

/**
 * The durable job queue: pg-boss on the same PostgreSQL, in its own schema `pgboss`. Scheduled jobs
 * (cron) run once per schedule across all instances; a job that fails is retried.
 *
 * The queue's schema and its queues are installed by the migrator as the owner (pg-boss creates a
 * table per queue); the app runs pg-boss through its restricted role, which may only use them.
 */
export const JOB_SCHEMA = 'pgboss';

/**
 * pg-boss's own queue for cron (its Timekeeper): every due schedule is first sent here, and a worker
 * moves it into the job's queue. pg-boss creates it when it starts with scheduling on — as the role it
 * runs as, and it ignores a failure. The restricted app role cannot create queues, so the migrator
 * creates it: without it every cron send is silently dropped (pg-boss inserts jobs joined to their
 * queue) and no schedule ever fires.
 */
export const CRON_QUEUE = '__pgboss__send-it';

export interface JobDefinition {
  name: string;
  /** Cron expression (UTC); absent for jobs only sent on demand. */
  cron?: string;
  run(): Promise<void>;
}

export { QUEUES, type QueueName } from './job-names.js';

export async function installJobQueue(ownerUrl: string, appRole: string): Promise<void> {
  const boss = new PgBoss({ connectionString: ownerUrl, schema: JOB_SCHEMA, supervise: false, schedule: false, migrate: true, max: 2 });
  boss.on('error', () => undefined);
  await boss.start();
  try {
    for (const name of QUEUES) {
      if (!(await boss.getQueue(name))) await boss.createQueue(name, { name, retryLimit: 5, retryDelay: 30, retryBackoff: true });
    }
    // The options pg-boss's Timekeeper gives it (the defaults).
    if (!(await boss.getQueue(CRON_QUEUE))) await boss.createQueue(CRON_QUEUE);
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
    // Tables the owner's pg-boss adds later (a queue a later version installs, a pg-boss upgrade) are usable at once.
    await client.query(`ALTER DEFAULT PRIVILEGES IN SCHEMA ${JOB_SCHEMA} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${role}`);
    await client.query(`ALTER DEFAULT PRIVILEGES IN SCHEMA ${JOB_SCHEMA} GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO ${role}`);
  } finally {
    await client.end();
  }
}

/** The job queue cannot run its schedules (not installed, or installed by an older version): start-up stops. */
export class JobQueueNotReadyError extends Error {
  constructor(missing: string[]) {
    super(
      `The job queue is not installed completely: queue(s) ${missing.join(', ')} missing in schema ${JOB_SCHEMA}, so scheduled jobs ` +
        'would never run. Run the migrations as the database owner (npm run migrate, or start AIM with DATABASE_URL) and start again.',
    );
    this.name = 'JobQueueNotReadyError';
  }
}

export interface JobQueue {
  /** Run a job now (through the queue) and wait until it has finished; a failed run rejects (pg-boss retries it later). */
  runNow(name: string, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export interface JobQueueOptions {
  /** Where each run's outcome is recorded (job health); nothing is recorded without it. */
  health?: JobHealthStore;
  /** How often pg-boss looks for due schedules (JOB_CRON_CHECK_SECONDS; checks land about twice this far apart). */
  cronCheckIntervalSeconds?: number;
}

export async function startJobQueue(
  appUrl: string,
  jobs: JobDefinition[],
  logger: Pick<Logger, 'warn' | 'error' | 'info'>,
  options: JobQueueOptions = {},
): Promise<JobQueue> {
  const interval = options.cronCheckIntervalSeconds ?? 20;
  const boss = new PgBoss({
    connectionString: appUrl,
    schema: JOB_SCHEMA,
    migrate: false,
    max: 3,
    application_name: 'aim-jobs',
    cronMonitorIntervalSeconds: interval,
    cronWorkerIntervalSeconds: Math.min(interval, 5),
  });
  // A failing poll, cron check or maintenance pass: every one of them stops background work. While
  // stopping, connections that end as the database goes down are expected, not errors.
  let stopping = false;
  boss.on('error', (error: Error & { code?: string; queue?: string }) => {
    if (stopping) return;
    // pg errors carry their client (connection settings and all): log only what describes the failure.
    logger.error({ err: { type: error.name, message: error.message, code: error.code, queue: error.queue, stack: error.stack } }, 'job queue error');
  });
  await boss.start();
  try {
    await assertInstalled(boss, jobs);
    for (const job of jobs) {
      await boss.work(job.name, { batchSize: 1 }, async () => {
        const started = performance.now();
        try {
          await job.run();
        } catch (error) {
          logger.error({ err: error, job: job.name }, 'job failed; it will be retried');
          await options.health?.recordFailure(job.name, error).catch((e: unknown) => logger.error({ err: e, job: job.name }, 'could not record the job failure'));
          throw error;
        }
        // The run is done: failing to record it must not run it again.
        await options.health?.recordSuccess(job.name, performance.now() - started).catch((e: unknown) => logger.error({ err: e, job: job.name }, 'could not record the job run'));
      });
      if (job.cron) await boss.schedule(job.name, job.cron, {}, { tz: 'UTC' });
    }
  } catch (error) {
    await boss.stop({ graceful: false, wait: true }).catch(() => undefined);
    throw error;
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
        if (job?.state === 'retry') throw new Error(`job ${name} failed; it will be retried`);
        if (Date.now() > deadline) throw new Error(`job ${name} did not finish within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async stop() {
      stopping = true;
      await boss.stop({ graceful: true, wait: true, timeout: 10_000 });
    },
  };
}

/** Every queue the jobs use, and pg-boss's cron queue when there are schedules, must exist: the app role cannot create them. */
async function assertInstalled(boss: PgBoss, jobs: JobDefinition[]): Promise<void> {
  const needed = [...jobs.map((j) => j.name), ...(jobs.some((j) => j.cron) ? [CRON_QUEUE] : [])];
  const missing: string[] = [];
  for (const name of needed) if (!(await boss.getQueue(name))) missing.push(name);
  if (missing.length > 0) throw new JobQueueNotReadyError(missing);
}
