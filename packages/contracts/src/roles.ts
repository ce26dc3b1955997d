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
 * Every permission the API checks. PERMISSION_TABLE below grants them to roles; docs/permissions.md
 * shows the same table (a test keeps them equal).
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
  'mcp_server.read',
  'mcp_server.create',
  'mcp_server.update',
  'mcp_server.manage',
  'webhook.read',
  'webhook.manage',
  'alert.read',
  'alert.manage',
  'monitoring.manage',
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
  'compliance.read',
  'compliance.report',
  'compliance.manage',
  'access_review.manage',
  'access_review.review',
  'privacy.manage',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

/**
 * The one permission table. admin: everything. manager: manages agents, MCP servers, capabilities,
 * approvals and alerts, reads people and the audit log. member: creates
 * and manages what they own and reads the rest. viewer: reads. docs/permissions.md shows the same
 * table (a test keeps them equal).
 */
const READ: Permission[] = [
  'organization.read',
  'member.read',
  'domain.read',
  'identity_provider.read',
  'agent.read',
  'mcp_server.read',
  'capability.read',
  'policy.read',
  'decision.read',
  'trust.read',
  'alert.read',
];
/**
 * Members register agents (directly or with enrollment tokens) and manage the agents they own;
 * managers and admins manage every agent of the organization.
 */
const OWN_AGENTS: Permission[] = ['agent.create', 'agent.update', 'capability.request', 'trust.rate'];
/**
 * The same for MCP servers: members register servers and change, suspend, reactivate and revoke the ones
 * they own (`create`, `update`); managers and admins do so for every server of the organization (`manage`).
 */
const OWN_MCP_SERVERS: Permission[] = ['mcp_server.create', 'mcp_server.update'];
/** Managers and admins keep the capability catalog and the policies, grant, and answer requests and approvals. */
const AUTHORIZATION: Permission[] = ['capability.manage', 'policy.manage', 'decision.approve', 'trust.review', 'trust.recalculate'];
/** Webhook endpoints send the organization's events out, so only managers and admins see and change them. */
const WEBHOOKS: Permission[] = ['webhook.read', 'webhook.manage'];
/** Managers and admins work alerts (acknowledge, assign, resolve); only admins change what raises them. */
const ALERTS: Permission[] = ['alert.manage'];
/**
 * Compliance: managers and admins read controls and reports and generate reports; only admins change
 * compliance settings (scheduled reports, retention, legal hold) and export or erase a person's data.
 * Access reviews: managers and admins run campaigns; members review the items assigned to them (their
 * own agents and keys), a resource-level check in the service.
 */
const COMPLIANCE: Permission[] = ['compliance.read', 'compliance.report', 'access_review.manage', 'access_review.review'];
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
    ...OWN_MCP_SERVERS,
    'mcp_server.manage',
    ...WEBHOOKS,
    ...ALERTS,
    'monitoring.manage',
    ...AUTHORIZATION,
    // Deployment-wide operations (job health): no organization's data, but not every member's business.
    'system.read',
    ...COMPLIANCE,
    'compliance.manage',
    'privacy.manage',
  ]),
  manager: new Set<Permission>([...READ, ...OWN_KEYS, 'invitation.read', 'audit.read', 'audit.checkpoint', ...OWN_AGENTS, 'agent.manage_all', ...OWN_MCP_SERVERS, 'mcp_server.manage', ...WEBHOOKS, ...ALERTS, ...AUTHORIZATION, ...COMPLIANCE]),
  member: new Set<Permission>([...READ, ...OWN_KEYS, ...OWN_AGENTS, ...OWN_MCP_SERVERS, 'access_review.review']),
  viewer: new Set<Permission>([...READ, ...OWN_KEYS]),
};

export function can(role: Role | null, permission: Permission): boolean {
  return role !== null && PERMISSION_TABLE[role].has(permission);
}

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
