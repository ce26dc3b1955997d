import {
  createIdentityProviderSchema,
  identityProviderParamsSchema,
  okSchema,
  organizationIdentityProviderListSchema,
  organizationIdentityProviderSchema,
  updateIdentityProviderSchema,
} from '@aim/contracts';
import { defineOperation, type Feature } from '../../platform/http/operation.js';
import type { IdentityProviderService } from './identity-provider-service.js';

/** An organization's own identity providers (OIDC). */
export function identityProviderFeature({ identityProviders }: { identityProviders: IdentityProviderService }): Feature {
  return {
    name: 'identity-providers',
    operations: [
      defineOperation({
        method: 'GET',
        path: '/api/v1/identity-providers',
        tag: 'organizations',
        summary: "Your organization's identity providers",
        access: { auth: 'org', permission: 'identity_provider.read' },
        responses: { 200: organizationIdentityProviderListSchema },
        handle: async ({ ctx }) => ({ identityProviders: await identityProviders.list(ctx) }),
      }),

      defineOperation({
        method: 'POST',
        path: '/api/v1/identity-providers',
        tag: 'organizations',
        summary: 'Add an identity provider for your organization (its discovery document must load)',
        access: { auth: 'org', permission: 'identity_provider.manage' },
        body: createIdentityProviderSchema,
        responses: { 201: organizationIdentityProviderSchema },
        status: 201,
        handle: ({ ctx, body }) => identityProviders.create(ctx, body),
      }),

      defineOperation({
        method: 'PATCH',
        path: '/api/v1/identity-providers/:identityProviderId',
        tag: 'organizations',
        summary: 'Rename, enable or disable an identity provider, or replace its client secret',
        access: { auth: 'org', permission: 'identity_provider.manage' },
        params: identityProviderParamsSchema,
        body: updateIdentityProviderSchema,
        responses: { 200: organizationIdentityProviderSchema },
        handle: ({ ctx, params, body }) => identityProviders.update(ctx, params.identityProviderId, body),
      }),

      defineOperation({
        method: 'DELETE',
        path: '/api/v1/identity-providers/:identityProviderId',
        tag: 'organizations',
        summary: 'Remove an identity provider',
        access: { auth: 'org', permission: 'identity_provider.manage' },
        params: identityProviderParamsSchema,
        responses: { 200: okSchema },
        handle: async ({ ctx, params }) => {
          await identityProviders.remove(ctx, params.identityProviderId);
          return { ok: true as const };
        },
      }),
    ],
  };
}
