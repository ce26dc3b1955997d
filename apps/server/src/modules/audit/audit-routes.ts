import { Readable } from 'node:stream';
import { z } from 'zod';
import {
  auditCheckpointListSchema,
  auditCheckpointSchema,
  auditEventPageSchema,
  auditExportQuerySchema,
  auditQuerySchema,
  auditVerificationSchema,
  auditVerifyQuerySchema,
  jwksSchema,
} from '@aim/contracts';
import type { AppInstance } from '../../app.js';
import { requestContext } from '../../platform/http/request-context.js';
import type { Services } from '../services.js';
import { auditEventJson } from './audit-service.js';

export function registerAuditRoutes(app: AppInstance, { audit }: Services): void {
  app.get(
    '/api/v1/audit-logs',
    {
      schema: {
        tags: ['audit'],
        summary: "Your organization's audit events, newest first, with filters and keyset pagination",
        querystring: auditQuerySchema,
        response: { 200: auditEventPageSchema },
      },
      config: { access: { auth: 'org', permission: 'audit.read' } },
    },
    async (request) => {
      const { limit, cursor, ...filter } = request.query;
      const page = await audit.list(requestContext(request), filter, limit, cursor);
      return { events: page.events.map(auditEventJson), names: page.names, nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/api/v1/audit-logs/export',
    {
      schema: {
        tags: ['audit'],
        summary: 'Export events of a time range, streamed: NDJSON (for the offline verifier) or CSV',
        querystring: auditExportQuerySchema,
        response: { 200: z.string().describe('NDJSON: a header line, then one event per line; or CSV') },
      },
      config: { access: { auth: 'org', permission: 'audit.read' } },
    },
    async (request, reply) => {
      const lines = await audit.export(requestContext(request), request.query);
      const csv = request.query.format === 'csv';
      const stamp = new Date().toISOString().replaceAll(':', '-');
      reply
        .type(csv ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8')
        .header('content-disposition', `attachment; filename="aim-audit-${stamp}.${csv ? 'csv' : 'ndjson'}"`);
      return reply.send(Readable.from(lines) as never);
    },
  );

  app.post(
    '/api/v1/audit-logs/checkpoints',
    {
      schema: {
        tags: ['audit'],
        summary: 'Sign the current head of your organization’s chain (a checkpoint auditors can keep)',
        response: { 201: auditCheckpointSchema },
      },
      config: { access: { auth: 'org', permission: 'audit.checkpoint' } },
    },
    async (request, reply) => reply.code(201).send(await audit.checkpoint(requestContext(request))),
  );

  app.get(
    '/api/v1/audit-logs/checkpoints',
    {
      schema: { tags: ['audit'], summary: 'Signed checkpoints of your organization’s chain', response: { 200: auditCheckpointListSchema } },
      config: { access: { auth: 'org', permission: 'audit.read' } },
    },
    async (request) => ({ checkpoints: await audit.checkpoints(requestContext(request)) }),
  );

  app.get(
    '/.well-known/aim-audit-keys.json',
    {
      schema: { tags: ['audit'], summary: 'Public keys that sign audit checkpoints (JWK set, retired keys included)', response: { 200: jwksSchema } },
      config: { access: { auth: 'public' } },
    },
    async (_request, reply) => {
      reply.header('cache-control', 'public, max-age=300');
      return audit.publicKeys();
    },
  );

  app.get(
    '/api/v1/audit-logs/verify',
    {
      schema: {
        tags: ['audit'],
        summary: "Re-walk your organization's hash chain (or a range) and report intact, or the first broken event",
        querystring: auditVerifyQuerySchema,
        response: { 200: auditVerificationSchema },
      },
      config: { access: { auth: 'org', permission: 'audit.read' } },
    },
    async (request) => audit.verify(requestContext(request), request.query),
  );
}
