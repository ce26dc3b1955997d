import { z } from 'zod';

/** The four roles, strongest first. */
export const ROLES = ['admin', 'manager', 'member', 'viewer'] as const;
export type Role = (typeof ROLES)[number];
export const roleSchema = z.enum(ROLES).meta({ id: 'Role', description: 'admin > manager > member > viewer' });

/** True when `a` is at least as strong as `b`. */
export function roleAtLeast(a: Role, b: Role): boolean {
  return ROLES.indexOf(a) <= ROLES.indexOf(b);
}

/**
 * Every permission the API checks. The table that grants them to roles lives in the server
 * (`modules/access/permissions.ts`) and is documented in docs/permissions.md.
 */
export const PERMISSIONS = [
  'organization.read',
  'organization.update',
  'member.read',
  'member.invite',
  'member.update_role',
  'member.remove',
  'member.revoke_sessions',
  'invitation.read',
  'invitation.revoke',
  'api_key.read',
  'api_key.create',
  'api_key.revoke',
  'api_key.manage_all',
  'domain.read',
  'domain.manage',
  'identity_provider.read',
  'identity_provider.manage',
  'audit.read',
  'audit.checkpoint',
  'agent.read',
  'agent.create',
  'agent.update',
  'agent.manage_all',
  'capability.read',
  'capability.request',
  'capability.manage',
  'policy.read',
  'policy.manage',
  'decision.read',
  'decision.approve',
  'trust.read',
  'trust.rate',
  'trust.review',
  'trust.recalculate',
  'system.read',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

export const roleTableSchema = z
  .object({
    roles: z.array(
      z.object({
        role: roleSchema,
        permissions: z.array(z.enum(PERMISSIONS)).describe('Everything this role may do, from the server\'s one permission table'),
      }),
    ),
  })
  .meta({ id: 'RoleTable' });
