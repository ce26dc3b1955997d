import { PERMISSIONS, ROLES, memberListSchema, memberParamsSchema, memberSchema, okSchema, revokedCountSchema, roleTableSchema, updateMemberSchema } from '@aim/contracts';
import { defineOperation, type Feature } from '../../platform/http/operation.js';
import { can } from '../access/index.js';
import type { Member, MemberService } from './member-service.js';

const memberJson = (m: Member) => ({
  user: { id: m.user.id, email: m.user.email, name: m.user.name, createdAt: m.user.createdAt.toISOString() },
  role: m.role,
  joinedAt: m.joinedAt.toISOString(),
});

/** The roles, and the members of your organization: their roles, removal, their sessions. */
export function memberFeature({ members }: { members: MemberService }): Feature {
  return {
    name: 'members',
    operations: [
      defineOperation({
        method: 'GET',
        path: '/api/v1/roles',
        tag: 'members',
        summary: 'The four roles and what each may do (docs/permissions.md)',
        access: { auth: 'org', permission: 'member.read' },
        responses: { 200: roleTableSchema },
        handle: () => ({ roles: ROLES.map((role) => ({ role, permissions: PERMISSIONS.filter((p) => can(role, p)) })) }),
      }),

      defineOperation({
        method: 'GET',
        path: '/api/v1/members',
        tag: 'members',
        summary: 'Members of your organization',
        access: { auth: 'org', permission: 'member.read' },
        responses: { 200: memberListSchema },
        handle: async ({ ctx }) => ({ members: (await members.list(ctx)).map(memberJson) }),
      }),

      defineOperation({
        method: 'PATCH',
        path: '/api/v1/members/:userId',
        tag: 'members',
        summary: "Change a member's role (an organization keeps at least one admin)",
        access: { auth: 'org', permission: 'member.update_role' },
        params: memberParamsSchema,
        body: updateMemberSchema,
        responses: { 200: memberSchema },
        handle: async ({ ctx, params, body }) => memberJson(await members.updateRole(ctx, params.userId, body.role)),
      }),

      defineOperation({
        method: 'DELETE',
        path: '/api/v1/members/:userId',
        tag: 'members',
        summary: 'Remove a member (an organization keeps at least one admin)',
        access: { auth: 'org', permission: 'member.remove' },
        params: memberParamsSchema,
        responses: { 200: okSchema },
        handle: async ({ ctx, params }) => {
          await members.remove(ctx, params.userId);
          return { ok: true as const };
        },
      }),

      defineOperation({
        method: 'POST',
        path: '/api/v1/members/:userId/sessions/revoke',
        tag: 'members',
        summary: 'End every session a member has open in your organization',
        access: { auth: 'org', permission: 'member.revoke_sessions' },
        params: memberParamsSchema,
        responses: { 200: revokedCountSchema },
        handle: async ({ ctx, params }) => ({ revoked: await members.revokeSessions(ctx, params.userId) }),
      }),
    ],
  };
}
