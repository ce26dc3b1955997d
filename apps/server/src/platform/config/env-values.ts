import cronParser from 'cron-parser';
import { z } from 'zod';
import { QUEUES } from '../jobs/job-names.js';

/** The value types env.ts builds its one schema from: each parses a variable's text and says what is wrong. */

export const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes');

export const int = (fallback: number, min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, { message: 'must be a whole number' })
    .transform(Number)
    .pipe(
      z
        .number()
        .min(min, { message: `must be at least ${min}` })
        .max(max, { message: `must be at most ${max}` }),
    )
    .default(fallback);

export const postgresUrl = z
  .url({ message: 'must be a URL such as postgres://user:password@host:5432/database' })
  .refine((v) => /^postgres(ql)?:\/\//.test(v), { message: 'must start with postgres:// or postgresql://' });

export const redisUrl = z
  .url({ message: 'must be a URL such as redis://host:6379/0' })
  .refine((v) => /^rediss?:\/\//.test(v), { message: 'must start with redis:// or rediss://' });

export const origins = z
  .string()
  .default('')
  .transform((v, ctx) => {
    const list = v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    for (const origin of list) {
      let parsed: URL | undefined;
      try {
        parsed = new URL(origin);
      } catch {
        parsed = undefined;
      }
      if (!parsed || parsed.origin !== origin) {
        ctx.addIssue({ code: 'custom', message: `"${origin}" is not an origin such as https://aim.example.com` });
      }
    }
    return list;
  });

/** false | true | number of hops | comma-separated addresses or CIDRs, as Fastify's trustProxy accepts. */
export const trustProxy = z
  .string()
  .default('false')
  .transform((v): boolean | number | string[] => {
    if (v === 'false' || v === '') return false;
    if (v === 'true') return true;
    if (/^\d+$/.test(v)) return Number(v);
    return v.split(',').map((s) => s.trim());
  });

/**
 * Per-job cron overrides, `name=cron` separated by `;` (cron fields may hold commas), for example
 * `aim.trust-recalculate=0 * * * *;aim.audit-retention=30 1 * * *`. Times are UTC; one minute is the finest.
 */
export const jobSchedules = z
  .string()
  .default('')
  .transform((v, ctx) => {
    const out: Record<string, string> = {};
    for (const entry of v.split(';').map((s) => s.trim()).filter(Boolean)) {
      const at = entry.indexOf('=');
      if (at <= 0) {
        ctx.addIssue({ code: 'custom', message: `"${entry}" must be job=cron, such as aim.partitions=17 * * * *` });
        continue;
      }
      const name = entry.slice(0, at).trim();
      const cron = entry.slice(at + 1).trim().replace(/\s+/g, ' ');
      if (!(QUEUES as readonly string[]).includes(name)) {
        ctx.addIssue({ code: 'custom', message: `"${name}" is not a job; the jobs are ${QUEUES.join(', ')}` });
        continue;
      }
      if (cron.split(' ').length !== 5 || !isCron(cron)) {
        ctx.addIssue({ code: 'custom', message: `${name}: "${cron}" is not a five-field cron expression such as 0 * * * *` });
        continue;
      }
      if (out[name]) ctx.addIssue({ code: 'custom', message: `${name} is given twice` });
      out[name] = cron;
    }
    return out;
  });

function isCron(cron: string): boolean {
  try {
    cronParser.parseExpression(cron, { tz: 'UTC' });
    return true;
  } catch {
    return false;
  }
}
