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
    publicUrl: z
      .string()
      .describe('The address people, agents and services use to reach AIM (PUBLIC_URL, or http://localhost:<port> when none is set): links, the OIDC redirect URI, passkeys, agent signatures and the agent token issuer are bound to it.'),
    openapi: z.string().describe('Path of the OpenAPI 3.1 document.'),
    docs: z.string().describe('Path of the browsable API reference.'),
  })
  .meta({ id: 'ServiceInfo' });

export type Health = z.infer<typeof healthSchema>;
export type Readiness = z.infer<typeof readinessSchema>;
export type ServiceInfo = z.infer<typeof serviceInfoSchema>;
