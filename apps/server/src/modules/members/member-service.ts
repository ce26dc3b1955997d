import { ROLES, roleAtLeast, type Role } from '@aim/contracts';
import type { AccessCache } from '../../platform/auth/access-cache.js';
import { recordAuditEvent } from '../../platform/audit/audit-log.js';
import { orgOf, type Database, type Tx } from '../../platform/db/database.js';
import { AppError, notFound } from '../../platform/http/app-error.js';
import type { RequestContext } from '../../platform/http/request-context.js';
import type { OrgContext } from '../../platform/http/operation.js';
import type { SessionService } from '../sessions/index.js';
import type { User, UserRepository } from '../users/index.js';
import { membershipRepository as memberships } from './membership-repository.js';

export interface Member {
  user: User;
  role: Role;
  joinedAt: Date;
}

/**
 * Members of the caller's organization. Changes keep at least one admin: the organization's
 * memberships are locked while the rule is checked, so two admins cannot demote each other at once.
 */
export function createMemberService(deps: { db: Database; cache: AccessCache; users: UserRepository; sessions: SessionService }) {
  const { db, cache, users, sessions } = deps;

  async function lockedTarget(tx: Tx, userId: string) {
    const all = await memberships.lockAll(tx);
    const target = all.find((m) => m.user_id === userId);
    if (!target) throw notFound('The member');
    const admins = all.filter((m) => m.role === 'admin').length;
    return { target, admins };
  }

  /**
   * A person's pending invitations must not outlast their power to grant them: the inviter holds each
   * link too (it is shown to them once), so a removed admin could otherwise come back through an admin
   * invitation they sent. With the change, in its transaction: those of a role above `role` are
   * revoked — every one when they leave (`role` null).
   */
  async function revokeInvitationsBeyond(tx: Tx, ctx: RequestContext, inviterId: string, role: Role | null, reason: string): Promise<void> {
    const grantable = role ? ROLES.filter((r) => roleAtLeast(role, r)) : [];
    const { rows } = await tx.query<{ id: string; role: Role }>(
      `update invitations set revoked_at = now()
        where organization_id = $1 and invited_by = $2 and accepted_at is null and revoked_at is null and expires_at > now()
          and role <> all($3::text[])
        returning id, role`,
      [orgOf(tx), inviterId, grantable],
    );
    for (const r of rows) {
      await recordAuditEvent(tx, ctx, { action: 'invitation.revoke', target: { type: 'invitation', id: r.id }, details: { role: r.role, reason } });
    }
  }

  return {
    async list(ctx: OrgContext): Promise<Member[]> {
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const rows = await memberships.list(tx);
        const people = await users.decryptAll(tx, rows);
        return rows.map((r, i) => ({ user: people[i]!, role: r.role, joinedAt: r.joined_at }));
      });
    },

    async updateRole(ctx: OrgContext, userId: string, role: Role): Promise<Member> {
      const member = await db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const { target, admins } = await lockedTarget(tx, userId);
        if (target.role === 'admin' && role !== 'admin' && admins === 1) {
          throw new AppError('conflict', 'An organization must keep at least one admin; make someone else admin first.');
        }
        if (target.role !== role) {
          await memberships.setRole(tx, userId, role);
          await recordAuditEvent(tx, ctx, {
            action: 'member.update_role',
            target: { type: 'user', id: userId },
            details: { role: { from: target.role, to: role } },
          });
          await revokeInvitationsBeyond(tx, ctx, userId, role, 'inviter_role_lowered');
        }
        const rows = await memberships.list(tx);
        const row = rows.find((r) => r.id === userId)!;
        return { user: (await users.decryptAll(tx, [row]))[0]!, role: row.role, joinedAt: row.joined_at };
      });
      await cache.forgetMembership(ctx.organizationId, userId);
      return member;
    },

    async remove(ctx: OrgContext, userId: string): Promise<void> {
      await db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const { target, admins } = await lockedTarget(tx, userId);
        if (target.role === 'admin' && admins === 1) {
          throw new AppError('conflict', 'An organization must keep at least one admin; it cannot remove its last one.');
        }
        await memberships.remove(tx, userId);
        await recordAuditEvent(tx, ctx, { action: 'member.remove', target: { type: 'user', id: userId }, details: { role: target.role } });
        await revokeInvitationsBeyond(tx, ctx, userId, null, 'inviter_removed');
      });
      await cache.forgetMembership(ctx.organizationId, userId);
    },

    /** End every session a member has open in this organization (not their sessions elsewhere). */
    async revokeSessions(ctx: OrgContext, userId: string): Promise<number> {
      const isMember = await db.transaction({ organizationId: ctx.organizationId }, (tx) => memberships.role(tx, userId));
      if (!isMember) throw notFound('The member');
      const revoked = await sessions.revoke(ctx, userId, { organizationId: ctx.organizationId }, 'revoked_by_admin');
      return revoked.length;
    },
  };
}

export type MemberService = ReturnType<typeof createMemberService>;
