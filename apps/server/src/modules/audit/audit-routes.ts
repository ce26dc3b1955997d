import { auditEventPageSchema, auditQuerySchema, auditVerificationSchema, auditVerifyQuerySchema } from '@aim/contracts';
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
      return { events: page.events.map(auditEventJson), nextCursor: page.nextCursor };
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
