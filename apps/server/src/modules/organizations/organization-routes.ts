import { createOrganizationSchema, organizationSchema, updateOrganizationSchema } from '@aim/contracts';
import type { AppInstance } from '../../app.js';
import { requestContext } from '../../platform/http/request-context.js';
import type { Services } from '../services.js';
import { organizationJson } from './organization-repository.js';

export function registerOrganizationRoutes(app: AppInstance, { organizations }: Services): void {
  app.post(
    '/api/v1/organizations',
    {
      schema: {
        tags: ['organizations'],
        summary: 'Create an organization; you become its first admin',
        body: createOrganizationSchema,
        response: { 201: organizationSchema },
      },
      config: { access: { auth: 'user' } },
    },
    async (request, reply) => reply.code(201).send(organizationJson(await organizations.create(requestContext(request), request.body))),
  );

  app.get(
    '/api/v1/organization',
    {
      schema: { tags: ['organizations'], summary: 'The organization you act for', response: { 200: organizationSchema } },
      config: { access: { auth: 'org', permission: 'organization.read' } },
    },
    async (request) => organizationJson(await organizations.current(requestContext(request))),
  );

  app.patch(
    '/api/v1/organization',
    {
      schema: {
        tags: ['organizations'],
        summary: 'Change the organization you act for',
        body: updateOrganizationSchema,
        response: { 200: organizationSchema },
      },
      config: { access: { auth: 'org', permission: 'organization.update' } },
    },
    async (request) => organizationJson(await organizations.update(requestContext(request), request.body)),
  );
}
