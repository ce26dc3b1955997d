import cronParser from 'cron-parser';
import type { Logger } from 'pino';
import type { Queryable } from '../db/database.js';
import { AppError } from '../http/app-error.js';
import { JOB_SCHEMA } from './job-queue.js';
import { QUEUES } from './job-names.js';

/**
 * How the scheduled jobs are doing, for the whole deployment: the last successful run and the last
 * failure of each job, in `job_health` (one row per job, written by the worker when a run ends). Every
 * instance reads the same rows, and they outlive pg-boss's own job rows (archived after 12 hours,
 * dropped after 7 days), so a daily job's last success stays visible. A failure keeps only a short
 * description that names no organization and carries no value from the data (describeJobFailure).
 */
export interface JobHealth {
  name: string;
  /** The effective cron expression (UTC), as the last instance to start scheduled it. */
  schedule: string | null;
  nextRunAt: Date | null;
  lastSuccessAt: Date | null;
  lastSuccessDurationMs: number | null;
  lastFailureAt: Date | null;
  lastFailure: string | null;
}

export interface JobHealthStore {
  recordSuccess(name: string, durationMs: number): Promise<void>;
  recordFailure(name: string, error: unknown): Promise<void>;
  /** Every known job, in name order, read from the database. */
  read(now?: Date): Promise<JobHealth[]>;
  /** The same, read at most once per `maxAgeMs` (the metrics scrape); the last answer when the read fails. */
  readCached(maxAgeMs: number): Promise<JobHealth[]>;
}

const MAX_FAILURE_TEXT = 200;

/**
 * A short, safe description of why a run failed. Errors the jobs raise themselves (JobFailure) say
 * what failed and how often, never for whom; a database error is named by its SQLSTATE and an
 * AppError by its code, because their messages can quote values from the data; anything else only by
 * its class. The full error is in the server's log, under the job's name and the same time.
 */
export function describeJobFailure(error: unknown): string {
  let text: string;
  if (error instanceof JobFailure) text = error.message;
  else if (error instanceof AppError) text = `${error.code} (see the server log)`;
  else if (isDatabaseError(error)) text = `database error ${error.code} (see the server log)`;
  else if (error instanceof Error) text = `${error.name} (see the server log)`;
  else text = 'unknown error (see the server log)';
  return text.length > MAX_FAILURE_TEXT ? `${text.slice(0, MAX_FAILURE_TEXT - 1)}…` : text;
}

/** A failure whose message is safe to show to any admin of the deployment: no organization, no data. */
export class JobFailure extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'JobFailure';
  }
}

function isDatabaseError(error: unknown): error is Error & { code: string } {
  const code = error instanceof Error ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code);
}

function nextRun(cron: string | null, now: Date): Date | null {
  if (!cron) return null;
  try {
    return cronParser.parseExpression(cron, { tz: 'UTC', currentDate: now }).next().toDate();
  } catch {
    return null;
  }
}

interface Row {
  name: string;
  cron: string | null;
  last_success_at: Date | null;
  last_success_ms: number | null;
  last_failure_at: Date | null;
  last_failure: string | null;
}

export function createJobHealthStore(db: Queryable, logger: Pick<Logger, 'warn'>): JobHealthStore {
  let cached: { at: number; value: JobHealth[] } | undefined;
  let inFlight: Promise<JobHealth[]> | undefined;
  const store: JobHealthStore = {
    async recordSuccess(name, durationMs) {
      await db.query(
        `insert into job_health (name, last_success_at, last_success_ms) values ($1, now(), $2)
         on conflict (name) do update set last_success_at = excluded.last_success_at, last_success_ms = excluded.last_success_ms`,
        [name, Math.round(durationMs)],
      );
    },
    async recordFailure(name, error) {
      await db.query(
        `insert into job_health (name, last_failure_at, last_failure) values ($1, now(), $2)
         on conflict (name) do update set last_failure_at = excluded.last_failure_at, last_failure = excluded.last_failure`,
        [name, describeJobFailure(error)],
      );
    },
    async read(now = new Date()) {
      const { rows } = await db.query<Row>(
        `select q.name, s.cron, h.last_success_at, h.last_success_ms, h.last_failure_at, h.last_failure
           from unnest($1::text[]) as q(name)
           left join ${JOB_SCHEMA}.schedule s on s.name = q.name
           left join job_health h on h.name = q.name
          order by q.name`,
        [[...QUEUES]],
      );
      return rows.map((r) => ({
        name: r.name,
        schedule: r.cron,
        nextRunAt: nextRun(r.cron, now),
        lastSuccessAt: r.last_success_at,
        lastSuccessDurationMs: r.last_success_ms,
        lastFailureAt: r.last_failure_at,
        lastFailure: r.last_failure,
      }));
    },
    async readCached(maxAgeMs) {
      if (cached && Date.now() - cached.at < maxAgeMs) return cached.value;
      inFlight ??= store
        .read()
        .then((value) => {
          cached = { at: Date.now(), value };
          return value;
        })
        .catch((error: unknown) => {
          logger.warn({ err: error }, 'could not read the job health');
          return cached?.value ?? [];
        })
        .finally(() => (inFlight = undefined));
      return inFlight;
    },
  };
  return store;
}
