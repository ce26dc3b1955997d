import {
  createIdentityProviderSchema,
  identityProviderParamsSchema,
  okSchema,
  organizationIdentityProviderListSchema,
  organizationIdentityProviderSchema,
  updateIdentityProviderSchema,
} from '@aim/contracts';
import type { AppInstance } from '../../app.js';
import { requestContext } from '../../platform/http/request-context.js';
import type { Services } from '../services.js';

export function registerIdentityProviderRoutes(app: AppInstance, { organizationIdentityProviders: idps }: Services): void {
  app.get(
    '/api/v1/identity-providers',
    {
      schema: { tags: ['organizations'], summary: "Your organization's identity providers", response: { 200: organizationIdentityProviderListSchema } },
      config: { access: { auth: 'org', permission: 'identity_provider.read' } },
    },
    async (request) => ({ identityProviders: await idps.list(requestContext(request)) }),
  );

  app.post(
    '/api/v1/identity-providers',
    {
      schema: {
        tags: ['organizations'],
        summary: 'Add an identity provider for your organization (its discovery document must load)',
        body: createIdentityProviderSchema,
        response: { 201: organizationIdentityProviderSchema },
      },
      config: { access: { auth: 'org', permission: 'identity_provider.manage' } },
    },
    async (request, reply) => reply.code(201).send(await idps.create(requestContext(request), request.body)),
  );

  app.patch(
    '/api/v1/identity-providers/:identityProviderId',
    {
      schema: {
        tags: ['organizations'],
        summary: 'Rename, enable or disable an identity provider, or replace its client secret',
        params: identityProviderParamsSchema,
        body: updateIdentityProviderSchema,
        response: { 200: organizationIdentityProviderSchema },
      },
      config: { access: { auth: 'org', permission: 'identity_provider.manage' } },
    },
    async (request) => idps.update(requestContext(request), request.params.identityProviderId, request.body),
  );

  app.delete(
    '/api/v1/identity-providers/:identityProviderId',
    {
      schema: { tags: ['organizations'], summary: 'Remove an identity provider', params: identityProviderParamsSchema, response: { 200: okSchema } },
      config: { access: { auth: 'org', permission: 'identity_provider.manage' } },
    },
    async (request) => {
      await idps.remove(requestContext(request), request.params.identityProviderId);
      return { ok: true as const };
    },
  );
}
