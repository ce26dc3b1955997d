import type { Permission, Role } from '@aim/contracts';
import { AppError } from '../../platform/http/app-error.js';
import type { RequestContext } from '../../platform/http/request-context.js';

/**
 * The one permission table. admin: everything. manager: manages agents, MCP servers, capabilities,
 * approvals and alerts (as those features land), reads people and the audit log. member: creates
 * and manages what they own and reads the rest. viewer: reads. docs/permissions.md shows the same
 * table (a test keeps them equal).
 */
const READ: Permission[] = [
  'organization.read',
  'member.read',
  'domain.read',
  'identity_provider.read',
  'agent.read',
  'capability.read',
  'policy.read',
  'decision.read',
  'trust.read',
];
/**
 * Members register agents (directly or with enrollment tokens) and manage the agents they own;
 * managers and admins manage every agent of the organization.
 */
const OWN_AGENTS: Permission[] = ['agent.create', 'agent.update', 'capability.request', 'trust.rate'];
/** Managers and admins keep the capability catalog and the policies, grant, and answer requests and approvals. */
const AUTHORIZATION: Permission[] = ['capability.manage', 'policy.manage', 'decision.approve', 'trust.review', 'trust.recalculate'];
/** Every role may hold API keys up to its own role, and see and revoke the keys it created. */
const OWN_KEYS: Permission[] = ['api_key.read', 'api_key.create', 'api_key.revoke'];

export const PERMISSION_TABLE: Record<Role, ReadonlySet<Permission>> = {
  admin: new Set<Permission>([
    ...READ,
    'organization.update',
    'member.invite',
    'member.update_role',
    'member.remove',
    'member.revoke_sessions',
    'invitation.read',
    'invitation.revoke',
    ...OWN_KEYS,
    'api_key.manage_all',
    'domain.manage',
    'identity_provider.manage',
    'audit.read',
    'audit.checkpoint',
    ...OWN_AGENTS,
    'agent.manage_all',
    ...AUTHORIZATION,
    // Deployment-wide operations (job health): no organization's data, but not every member's business.
    'system.read',
  ]),
  manager: new Set<Permission>([...READ, ...OWN_KEYS, 'invitation.read', 'audit.read', 'audit.checkpoint', ...OWN_AGENTS, 'agent.manage_all', ...AUTHORIZATION]),
  member: new Set<Permission>([...READ, ...OWN_KEYS, ...OWN_AGENTS]),
  viewer: new Set<Permission>([...READ, ...OWN_KEYS]),
};

export function can(role: Role | null, permission: Permission): boolean {
  return role !== null && PERMISSION_TABLE[role].has(permission);
}

/**
 * The first statement of every service method that acts in an organization. It answers 401 with
 * no principal, 403 when the role lacks the permission (independent of any resource id, so it
 * reveals nothing about other organizations).
 */
export function authorize(ctx: RequestContext, permission: Permission): asserts ctx is RequestContext & { organizationId: string; role: Role } {
  if (ctx.actor.type === 'system' && ctx.actor.id === null) {
    throw new AppError('unauthenticated', 'Sign in or send an API key (Authorization: Bearer aim_…).');
  }
  if (!ctx.organizationId || !ctx.role) {
    throw new AppError('forbidden', 'Choose an organization first (POST /api/v1/me/organization).');
  }
  if (!can(ctx.role, permission)) {
    throw new AppError('forbidden', `Your role (${ctx.role}) does not allow ${permission}.`);
  }
}
