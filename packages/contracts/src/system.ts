import { z } from 'zod';

export const healthSchema = z
  .object({ status: z.literal('ok') })
  .meta({ id: 'Health', description: 'The process is alive.' });

const checkSchema = z.object({
  status: z.enum(['ok', 'error', 'disabled']),
  latencyMs: z.number().nonnegative().optional(),
  message: z.string().optional(),
});

export const readinessSchema = z
  .object({
    status: z.enum(['ready', 'not_ready']),
    checks: z.object({
      database: checkSchema,
      store: checkSchema.describe('Redis when REDIS_URL is set, otherwise the in-process store.'),
    }),
  })
  .meta({ id: 'Readiness' });

export const serviceInfoSchema = z
  .object({
    name: z.literal('aim'),
    version: z.string(),
    apiVersion: z.literal('v1'),
    openapi: z.string().describe('Path of the OpenAPI 3.1 document.'),
    docs: z.string().describe('Path of the browsable API reference.'),
    baseUrl: z
      .string()
      .describe('The address agents and people reach this server at (PUBLIC_URL; http://localhost:PORT when it is not set): the `baseUrl` an agent gives the SDK'),
  })
  .meta({ id: 'ServiceInfo' });

export type Health = z.infer<typeof healthSchema>;
export type Readiness = z.infer<typeof readinessSchema>;
export type ServiceInfo = z.infer<typeof serviceInfoSchema>;

const timestamp = z.string().describe('RFC 3339 timestamp');

export const jobHealthSchema = z
  .object({
    name: z.string().describe('The job, e.g. aim.expire-pending'),
    schedule: z.string().nullable().describe('Its cron expression (UTC), as scheduled by the last instance that started; null when not scheduled'),
    nextRunAt: timestamp.nullable().describe('When the schedule is next due (it fires up to about twice JOB_CRON_CHECK_SECONDS later)'),
    lastSuccessAt: timestamp.nullable().describe('When a run last completed; null: never'),
    lastSuccessDurationMs: z.number().int().nonnegative().nullable().describe('How long that run took'),
    lastFailureAt: timestamp.nullable().describe('When a run last failed (it is retried); null: never'),
    lastFailure: z
      .string()
      .nullable()
      .describe('What failed, in short: names no organization and quotes no data; the server log has the rest'),
  })
  .meta({ id: 'JobHealth' });

export const jobHealthListSchema = z
  .object({ jobs: z.array(jobHealthSchema).describe('Every scheduled job of the deployment, by name') })
  .meta({ id: 'JobHealthList', description: 'The scheduled jobs of the whole deployment, the same on every instance.' });

export type JobHealthView = z.infer<typeof jobHealthSchema>;
