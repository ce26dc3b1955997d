import { claimDomainSchema, domainListSchema, domainParamsSchema, domainSchema, okSchema } from '@aim/contracts';
import type { AppInstance } from '../../app.js';
import { requestContext } from '../../platform/http/request-context.js';
import type { Services } from '../services.js';

export function registerDomainRoutes(app: AppInstance, { domains }: Services): void {
  app.get(
    '/api/v1/domains',
    {
      schema: { tags: ['organizations'], summary: 'Email domains your organization claims', response: { 200: domainListSchema } },
      config: { access: { auth: 'org', permission: 'domain.read' } },
    },
    async (request) => ({ domains: await domains.list(requestContext(request)) }),
  );

  app.post(
    '/api/v1/domains',
    {
      schema: {
        tags: ['organizations'],
        summary: 'Claim an email domain; verify it with the DNS TXT record in the answer',
        body: claimDomainSchema,
        response: { 201: domainSchema },
      },
      config: { access: { auth: 'org', permission: 'domain.manage' } },
    },
    async (request, reply) => reply.code(201).send(await domains.claim(requestContext(request), request.body)),
  );

  app.post(
    '/api/v1/domains/:domain/verify',
    {
      schema: { tags: ['organizations'], summary: 'Check the DNS TXT record and verify the domain', params: domainParamsSchema, response: { 200: domainSchema } },
      config: { access: { auth: 'org', permission: 'domain.manage' } },
    },
    async (request) => domains.verify(requestContext(request), request.params.domain),
  );

  app.delete(
    '/api/v1/domains/:domain',
    {
      schema: { tags: ['organizations'], summary: 'Release a claimed domain', params: domainParamsSchema, response: { 200: okSchema } },
      config: { access: { auth: 'org', permission: 'domain.manage' } },
    },
    async (request) => {
      await domains.release(requestContext(request), request.params.domain);
      return { ok: true as const };
    },
  );
}
