import { claimDomainSchema, domainListSchema, domainParamsSchema, domainSchema, okSchema } from '@aim/contracts';
import { defineOperation, type Feature } from '../../platform/http/operation.js';
import type { DomainService } from './domain-service.js';

/** Email domains an organization claims and verifies by DNS. */
export function domainFeature({ domains }: { domains: DomainService }): Feature {
  return {
    name: 'domains',
    operations: [
      defineOperation({
        method: 'GET',
        path: '/api/v1/domains',
        tag: 'organizations',
        summary: 'Email domains your organization claims',
        access: { auth: 'org', permission: 'domain.read' },
        responses: { 200: domainListSchema },
        handle: async ({ ctx }) => ({ domains: await domains.list(ctx) }),
      }),

      defineOperation({
        method: 'POST',
        path: '/api/v1/domains',
        tag: 'organizations',
        summary: 'Claim an email domain; verify it with the DNS TXT record in the answer',
        access: { auth: 'org', permission: 'domain.manage' },
        body: claimDomainSchema,
        responses: { 201: domainSchema },
        status: 201,
        handle: ({ ctx, body }) => domains.claim(ctx, body),
      }),

      defineOperation({
        method: 'POST',
        path: '/api/v1/domains/:domain/verify',
        tag: 'organizations',
        summary: 'Check the DNS TXT record and verify the domain',
        access: { auth: 'org', permission: 'domain.manage' },
        params: domainParamsSchema,
        responses: { 200: domainSchema },
        handle: ({ ctx, params }) => domains.verify(ctx, params.domain),
      }),

      defineOperation({
        method: 'DELETE',
        path: '/api/v1/domains/:domain',
        tag: 'organizations',
        summary: 'Release a claimed domain',
        access: { auth: 'org', permission: 'domain.manage' },
        params: domainParamsSchema,
        responses: { 200: okSchema },
        handle: async ({ ctx, params }) => {
          await domains.release(ctx, params.domain);
          return { ok: true as const };
        },
      }),
    ],
  };
}
