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
