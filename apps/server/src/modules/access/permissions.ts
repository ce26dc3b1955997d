import { can, type Permission, type Role } from '@aim/contracts';
import { AppError } from '../../platform/http/app-error.js';
import type { RequestContext } from '../../platform/http/request-context.js';

export { PERMISSION_TABLE, can } from '@aim/contracts';

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
