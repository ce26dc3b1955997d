import type { Tx } from '../../platform/db/database.js';
import { AppError } from '../../platform/http/app-error.js';
import type { RequestContext } from '../../platform/http/request-context.js';
import { can } from '../access/index.js';
import { membershipRepository } from '../members/index.js';

type Authorized = RequestContext & { organizationId: string; role: NonNullable<RequestContext['role']> };

/** Managers and admins act on every agent; members on the agents they own. */
export const managesAll = (ctx: Authorized): boolean => can(ctx.role, 'agent.manage_all');

/**
 * The owner of an agent (or of the agent an enrollment token will create): the one asked for, or the
 * caller's person. Only managers and admins may name someone else, and the owner must be a member.
 */
export async function resolveOwner(tx: Tx, ctx: Authorized, requested: string | undefined): Promise<string> {
  const ownerId = requested ?? ctx.personId;
  if (!ownerId) throw new AppError('validation_failed', 'ownerId: required.');
  if (ownerId !== ctx.personId && !managesAll(ctx)) {
    throw new AppError('forbidden', 'Only managers and admins may make someone else the owner of an agent.');
  }
  if (!(await membershipRepository.role(tx, ownerId))) {
    throw new AppError('validation_failed', 'ownerId: must be a member of the organization.');
  }
  return ownerId;
}
