import { roleAtLeast, type Role } from '@aim/contracts';
import type { AccessCache } from '../../platform/auth/access-cache.js';
import { recordAuditEvent } from '../../platform/audit/audit-log.js';
import { normalizeEmail, type Keyring } from '../../platform/crypto/keyring.js';
import { randomToken, sha256 } from '../../platform/crypto/tokens.js';
import { orgOf, type Database, type Tx } from '../../platform/db/database.js';
import { AppError, notFound } from '../../platform/http/app-error.js';
import type { RequestContext } from '../../platform/http/request-context.js';
import { newId } from '../../platform/ids.js';
import type { Mailer } from '../../platform/mail/mailer.js';
import { authorize } from '../access/permissions.js';
import { membershipRepository as memberships } from '../members/membership-repository.js';
import { emailHash, type UserRepository } from '../users/user-repository.js';

/**
 * Invitations: an admin invites an email address with a role; the link mailed (or logged) carries
 * a single-use token. The invitation belongs to the address: whoever accepts must have signed in
 * with that verified address. A new person signing in with an invited address joins at once.
 */
export interface Invitation {
  id: string;
  organizationId: string;
  email: string;
  role: Role;
  invitedBy: string | null;
  createdAt: Date;
  expiresAt: Date;
  acceptedAt: Date | null;
  revokedAt: Date | null;
}

interface Row {
  id: string;
  organization_id: string;
  email_encrypted: string;
  role: Role;
  invited_by: string | null;
  created_at: Date;
  expires_at: Date;
  accepted_at: Date | null;
  revoked_at: Date | null;
}

const emailAad = (id: string) => `invitations.email:${id}`;

export const invitationJson = (i: Invitation) => ({
  id: i.id,
  email: i.email,
  role: i.role,
  invitedBy: i.invitedBy,
  createdAt: i.createdAt.toISOString(),
  expiresAt: i.expiresAt.toISOString(),
  acceptedAt: i.acceptedAt?.toISOString() ?? null,
  revokedAt: i.revokedAt?.toISOString() ?? null,
});

export function createInvitationService(deps: {
  db: Database;
  keyring: Keyring;
  cache: AccessCache;
  mailer: Mailer;
  users: UserRepository;
  ttlHours: number;
  publicBaseUrl: () => string;
}) {
  const { db, keyring, cache, mailer, users } = deps;
  const toInvitation = (r: Row): Invitation => ({
    id: r.id,
    organizationId: r.organization_id,
    email: keyring.decrypt(r.email_encrypted, emailAad(r.id)),
    role: r.role,
    invitedBy: r.invited_by,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    acceptedAt: r.accepted_at,
    revokedAt: r.revoked_at,
  });

  /**
   * Accept inside an organization-scoped transaction. The invitation row is claimed first, with a
   * condition that it is still pending: of two concurrent acceptances (or an acceptance racing a
   * revocation) exactly one wins, and the other is told the invitation is no longer valid.
   */
  async function acceptIn(tx: Tx, ctx: RequestContext, invitationId: string, userId: string, role: Role): Promise<void> {
    const claimed = await tx.query(
      `update invitations set accepted_at = now(), accepted_by = $3
        where organization_id = $1 and id = $2 and accepted_at is null and revoked_at is null and expires_at > now()`,
      [orgOf(tx), invitationId, userId],
    );
    if (claimed.rowCount !== 1) throw new AppError('invalid_invitation', 'The invitation is no longer valid (used, revoked or expired).');
    const existing = await memberships.role(tx, userId);
    if (!existing) await memberships.add(tx, userId, role);
    await recordAuditEvent(tx, { ...ctx, actor: { type: 'user', id: userId } }, {
      action: 'invitation.accept',
      target: { type: 'invitation', id: invitationId },
      details: { role: existing ?? role, alreadyMember: existing !== null },
    });
  }

  /** Pending, unexpired invitations of an address (inside the caller's system-scope transaction). */
  async function pendingFor(tx: Tx, email: string): Promise<{ id: string; organization_id: string; role: Role }[]> {
    const { rows } = await tx.query<{ id: string; organization_id: string; role: Role }>('select * from aim_pending_invitations_for($1)', [
      emailHash(keyring, email),
    ]);
    return rows;
  }

  return {
    async create(ctx: RequestContext, input: { email: string; role: Role }): Promise<Invitation> {
      authorize(ctx, 'member.invite');
      if (!roleAtLeast(ctx.role, input.role)) throw new AppError('forbidden', 'You cannot invite someone with a stronger role than yours.');
      const token = `inv_${randomToken(32)}`;
      const id = newId('inv');
      const email = normalizeEmail(input.email);
      const invitation = await db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const existing = await users.findIdByEmail(tx, email);
        if (existing && (await memberships.role(tx, existing))) throw new AppError('conflict', `${email} is already a member.`);
        const { rows } = await tx.query<Row>(
          `insert into invitations (id, organization_id, email_hash, email_encrypted, role, token_hash, invited_by, expires_at)
           values ($1, $2, $3, $4, $5, $6, $7, now() + make_interval(hours => $8)) returning *`,
          [id, orgOf(tx), emailHash(keyring, email), keyring.encrypt(email, emailAad(id)), input.role, sha256(token), ctx.userId, deps.ttlHours],
        );
        await recordAuditEvent(tx, ctx, { action: 'invitation.create', target: { type: 'invitation', id }, details: { role: input.role } });
        return toInvitation(rows[0]!);
      });
      const link = `${deps.publicBaseUrl()}/invite?token=${encodeURIComponent(token)}`;
      await mailer.send({
        to: email,
        subject: 'You are invited to an organization on AIM',
        text: `You have been invited to join an organization on AIM as ${input.role}.\n\nAccept: ${link}\n\nThe link works once and expires on ${invitation.expiresAt.toISOString()}. Sign in with ${email}.`,
      });
      return invitation;
    },

    async list(ctx: RequestContext): Promise<Invitation[]> {
      authorize(ctx, 'invitation.read');
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const { rows } = await tx.query<Row>('select * from invitations where organization_id = $1 order by created_at desc, id desc', [orgOf(tx)]);
        return rows.map(toInvitation);
      });
    },

    async revoke(ctx: RequestContext, invitationId: string): Promise<Invitation> {
      authorize(ctx, 'invitation.revoke');
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const { rows } = await tx.query<Row>(
          `update invitations set revoked_at = coalesce(revoked_at, now())
            where organization_id = $1 and id = $2 and accepted_at is null returning *`,
          [orgOf(tx), invitationId],
        );
        if (!rows[0]) throw notFound('The pending invitation');
        await recordAuditEvent(tx, ctx, { action: 'invitation.revoke', target: { type: 'invitation', id: invitationId } });
        return toInvitation(rows[0]);
      });
    },

    /** A signed-in person accepts with the token from the link; the address must be theirs. */
    async accept(ctx: RequestContext, token: string): Promise<{ organizationId: string; name: string; role: Role }> {
      const userId = ctx.userId;
      if (!userId) throw new AppError('forbidden', 'Sign in with the invited address to accept.');
      const found = await db.transaction({ organizationId: null }, async (tx) => {
        const { rows } = await tx.query<{
          id: string;
          organization_id: string;
          email_hash: Buffer;
          role: Role;
          expires_at: Date;
          accepted_at: Date | null;
          revoked_at: Date | null;
        }>('select * from aim_invitation_by_token($1)', [sha256(token)]);
        const user = await users.get(tx, userId);
        return { invitation: rows[0], user };
      });
      const inv = found.invitation;
      if (!inv || inv.accepted_at || inv.revoked_at) throw new AppError('invalid_invitation', 'The invitation is unknown, already used, or revoked.');
      if (inv.expires_at <= new Date()) throw new AppError('invalid_invitation', 'The invitation has expired; ask for a new one.');
      if (!found.user || !emailHash(keyring, found.user.email).equals(inv.email_hash)) {
        throw new AppError('forbidden', 'This invitation is for another email address; sign in with the invited address.');
      }
      const result = await db.transaction({ organizationId: inv.organization_id }, async (tx) => {
        await acceptIn(tx, ctx, inv.id, userId, inv.role);
        const { rows } = await tx.query<{ name: string }>('select name from organizations where id = $1', [orgOf(tx)]);
        return { organizationId: inv.organization_id, name: rows[0]!.name, role: (await memberships.role(tx, userId))! };
      });
      await cache.forgetMembership(inv.organization_id, userId);
      return result;
    },

    pendingFor,

    /**
     * At sign-in with a verified address: join every organization that invited it, inside the
     * caller's system-scope transaction (so a failure leaves nothing half-done). The caller forgets
     * the cached memberships after commit.
     */
    async acceptPendingIn(tx: Tx, ctx: RequestContext, userId: string, email: string, onlyOrganization: string | null = null): Promise<string[]> {
      const pending = (await pendingFor(tx, email)).filter((i) => !onlyOrganization || i.organization_id === onlyOrganization);
      for (const inv of pending) {
        await tx.withScope(inv.organization_id, (scoped) => acceptIn(scoped, ctx, inv.id, userId, inv.role));
      }
      return pending.map((r) => r.organization_id);
    },
  };
}

export type InvitationService = ReturnType<typeof createInvitationService>;
