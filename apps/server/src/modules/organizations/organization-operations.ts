import { createOrganizationSchema, organizationSchema, updateOrganizationSchema } from '@aim/contracts';
import { defineOperation, type Feature } from '../../platform/http/operation.js';
import { organizationJson } from './organization-repository.js';
import type { OrganizationService } from './organization-service.js';

/** Organizations: create one (you become its admin), read and change the one you act for. */
export function organizationFeature({ organizations }: { organizations: OrganizationService }): Feature {
  return {
    name: 'organizations',
    operations: [
      defineOperation({
        method: 'POST',
        path: '/api/v1/organizations',
        tag: 'organizations',
        summary: 'Create an organization; you become its first admin',
        access: { auth: 'user' },
        body: createOrganizationSchema,
        responses: { 201: organizationSchema },
        status: 201,
        handle: async ({ ctx, body }) => organizationJson(await organizations.create(ctx, body)),
      }),

      defineOperation({
        method: 'GET',
        path: '/api/v1/organization',
        tag: 'organizations',
        summary: 'The organization you act for',
        access: { auth: 'org', permission: 'organization.read' },
        responses: { 200: organizationSchema },
        handle: async ({ ctx }) => organizationJson(await organizations.current(ctx)),
      }),

      defineOperation({
        method: 'PATCH',
        path: '/api/v1/organization',
        tag: 'organizations',
        summary: 'Change the organization you act for',
        access: { auth: 'org', permission: 'organization.update' },
        body: updateOrganizationSchema,
        responses: { 200: organizationSchema },
        handle: async ({ ctx, body }) => organizationJson(await organizations.update(ctx, body)),
      }),
    ],
  };
}
