import { PERMISSIONS, ROLES, memberListSchema, roleTableSchema, memberParamsSchema, memberSchema, okSchema, revokedCountSchema, updateMemberSchema } from '@aim/contracts';
import type { AppInstance } from '../../app.js';
import { requestContext } from '../../platform/http/request-context.js';
import { can } from '../access/index.js';
import type { Services } from '../services.js';
import type { Member } from './member-service.js';

const memberJson = (m: Member) => ({
  user: { id: m.user.id, email: m.user.email, name: m.user.name, createdAt: m.user.createdAt.toISOString() },
  role: m.role,
  joinedAt: m.joinedAt.toISOString(),
});

export function registerMemberRoutes(app: AppInstance, { members }: Services): void {
  app.get(
    '/api/v1/roles',
    {
      schema: { tags: ['members'], summary: 'The four roles and what each may do (docs/permissions.md)', response: { 200: roleTableSchema } },
      config: { access: { auth: 'org', permission: 'member.read' } },
    },
    async () => ({ roles: ROLES.map((role) => ({ role, permissions: PERMISSIONS.filter((p) => can(role, p)) })) }),
  );

  app.get(
    '/api/v1/members',
    {
      schema: { tags: ['members'], summary: 'Members of your organization', response: { 200: memberListSchema } },
      config: { access: { auth: 'org', permission: 'member.read' } },
    },
    async (request) => ({ members: (await members.list(requestContext(request))).map(memberJson) }),
  );

  app.patch(
    '/api/v1/members/:userId',
    {
      schema: {
        tags: ['members'],
        summary: "Change a member's role (an organization keeps at least one admin)",
        params: memberParamsSchema,
        body: updateMemberSchema,
        response: { 200: memberSchema },
      },
      config: { access: { auth: 'org', permission: 'member.update_role' } },
    },
    async (request) => memberJson(await members.updateRole(requestContext(request), request.params.userId, request.body.role)),
  );

  app.delete(
    '/api/v1/members/:userId',
    {
      schema: {
        tags: ['members'],
        summary: 'Remove a member (an organization keeps at least one admin)',
        params: memberParamsSchema,
        response: { 200: okSchema },
      },
      config: { access: { auth: 'org', permission: 'member.remove' } },
    },
    async (request) => {
      await members.remove(requestContext(request), request.params.userId);
      return { ok: true as const };
    },
  );

  app.post(
    '/api/v1/members/:userId/sessions/revoke',
    {
      schema: {
        tags: ['members'],
        summary: 'End every session a member has open in your organization',
        params: memberParamsSchema,
        response: { 200: revokedCountSchema },
      },
      config: { access: { auth: 'org', permission: 'member.revoke_sessions' } },
    },
    async (request) => ({ revoked: await members.revokeSessions(requestContext(request), request.params.userId) }),
  );
}
