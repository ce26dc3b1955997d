import {
  acceptInvitationSchema,
  acceptedInvitationSchema,
  createInvitationSchema,
  invitationListSchema,
  invitationParamsSchema,
  invitationSchema,
} from '@aim/contracts';
import type { AppInstance } from '../../app.js';
import { requestContext } from '../../platform/http/request-context.js';
import type { Services } from '../services.js';
import { invitationJson } from './invitation-service.js';

export function registerInvitationRoutes(app: AppInstance, { invitations }: Services): void {
  app.post(
    '/api/v1/invitations',
    {
      schema: {
        tags: ['members'],
        summary: 'Invite an email address to your organization (the link is mailed, or logged without SMTP)',
        body: createInvitationSchema,
        response: { 201: invitationSchema },
      },
      config: { access: { auth: 'org', permission: 'member.invite' } },
    },
    async (request, reply) => reply.code(201).send(invitationJson(await invitations.create(requestContext(request), request.body))),
  );

  app.get(
    '/api/v1/invitations',
    {
      schema: { tags: ['members'], summary: 'Invitations of your organization', response: { 200: invitationListSchema } },
      config: { access: { auth: 'org', permission: 'invitation.read' } },
    },
    async (request) => ({ invitations: (await invitations.list(requestContext(request))).map(invitationJson) }),
  );

  app.delete(
    '/api/v1/invitations/:invitationId',
    {
      schema: {
        tags: ['members'],
        summary: 'Revoke a pending invitation',
        params: invitationParamsSchema,
        response: { 200: invitationSchema },
      },
      config: { access: { auth: 'org', permission: 'invitation.revoke' } },
    },
    async (request) => invitationJson(await invitations.revoke(requestContext(request), request.params.invitationId)),
  );

  app.post(
    '/api/v1/invitations/accept',
    {
      schema: {
        tags: ['me'],
        summary: 'Accept an invitation sent to your address',
        body: acceptInvitationSchema,
        response: { 200: acceptedInvitationSchema },
      },
      config: { access: { auth: 'user' } },
    },
    async (request) => {
      const accepted = await invitations.accept(requestContext(request), request.body.token);
      return { organization: { id: accepted.organizationId, name: accepted.name }, role: accepted.role };
    },
  );
}
